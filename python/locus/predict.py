"""trackpy.predict's predictors on the locus C linker (docs/LINKING.md §13).

    pred = locus.predict.DriftPredict()
    t = pred.link_df(f, 5, memory=1)        # as trackpy's pred.link_df

Each class takes trackpy's constructor arguments and links through its
``link_df`` (or ``link_df_iter``) method, as trackpy's do: the frames
present are linked one after the other (frame numbers without rows are
skipped, and memory counts the frames present), the velocities being
learnt from the links made so far. The prediction itself runs in C; the
objects only hold their arguments, so every call starts afresh (trackpy's
objects keep what they learnt and warn when reused).
"""
import itertools

import numpy as np

from .link import _check_options, _df_stream, _frame_numbers, _memory, _run, guess_pos_columns

try:
    import pandas as _pd
except ImportError:
    _pd = None

__all__ = ['NullPredict', 'DriftPredict', 'NearestVelocityPredict', 'ChannelPredict']

# The library's parameter names as these classes spell them, for messages.
_SPELLING = {'predict_span': 'span', 'channel_bin_size': 'bin_size',
             'channel_min_samples': 'minsamples', 'predict': 'predictor'}

_AMBIGUOUS = ('The order of the position columns in your initial guess is ambiguous. Specify '
              "the coordinate names with your guess, using e.g. pos_columns=['y', 'x']")


def _array(value):
    return None if value is None else np.ascontiguousarray(value, dtype=np.float64).ravel()


class NullPredict:
    """Predict that particles do not move (trackpy.predict.NullPredict):
    linking as trackpy's ``pred.link_df``, frame by frame over the frames
    present."""

    _kind = 'none'

    def __init__(self, pos_columns=None, span=1):
        self.pos_columns = None if pos_columns is None else list(pos_columns)
        self.span = span

    def _params(self, pos_columns):
        return dict(predict=self._kind, predict_span=self.span), {}

    def _pos_columns(self, f, pos_columns):
        if self.pos_columns is not None:
            if pos_columns is not None and any(
                    a != b for a, b in zip(self.pos_columns, pos_columns)):
                raise ValueError('The optional pos_columns given to the linker conflicts with '
                                 'the pos_columns used to initialize this predictor.')
            return self.pos_columns
        return guess_pos_columns(f) if pos_columns is None else list(pos_columns)

    def link_df(self, f, search_range, pos_columns=None, t_column=None, memory=0,
                adaptive_stop=None, adaptive_step=0.95, neighbor_strategy=None,
                link_strategy=None, oversize='solve', **kw):
        """Link DataFrame f with this predictor (trackpy's pred.link_df).

        The arguments are locus.link's. Returns a copy of f sorted by
        frame (input order within a frame, the index kept) with an int64
        ``particle`` column; the frame column is left as it was.
        """
        kw.pop('predictor', None)
        _check_options(neighbor_strategy, link_strategy, kw)
        t_column = 'frame' if t_column is None else t_column
        pos_columns = self._pos_columns(f, pos_columns)
        params, extra = self._params(pos_columns)
        params.update(memory=_memory(memory), adaptive_stop=adaptive_stop,
                      adaptive_step=adaptive_step, link_strategy=link_strategy,
                      oversize=oversize)
        if self._kind == 'none':
            # no prediction: the frames present, renumbered 0, 1, 2, ..., are the levels
            g = f.copy()
            frames, _ = _frame_numbers(f, t_column)
            g[t_column] = np.unique(frames, return_inverse=True)[1].reshape(-1)
            params['predict'] = None
            out = _run(g, search_range, pos_columns, t_column, params, coerce=False)
            out[t_column] = f[t_column].to_numpy()[np.argsort(frames, kind='stable')]
            return out
        return _run(f, search_range, pos_columns, t_column, params, extra, coerce=False,
                          spelling=_SPELLING)

    def link_df_iter(self, f_iter, search_range, pos_columns=None, t_column=None, memory=0,
                     adaptive_stop=None, adaptive_step=0.95, neighbor_strategy=None,
                     link_strategy=None, oversize='solve', **kw):
        """trackpy's pred.link_df_iter: DataFrames in, one frame each with
        frame numbers increasing; each one's linked copy out (an int64
        ``particle`` column) as soon as it is linked."""
        kw.pop('predictor', None)
        _check_options(neighbor_strategy, link_strategy, kw)
        t_column = 'frame' if t_column is None else t_column
        state = {}

        def resolve(f0, pos_columns):
            pos = self._pos_columns(f0, pos_columns)
            params, extra = self._params(pos)
            params.update(memory=_memory(memory), adaptive_stop=adaptive_stop,
                          adaptive_step=adaptive_step, link_strategy=link_strategy,
                          oversize=oversize)
            if self._kind == 'none':
                params['predict'] = None
            state.update(params=params, extra=extra)
            return pos

        # the parameters depend on the position columns, known at the first frame
        frames = iter(f_iter)
        try:
            f0 = next(frames)
        except StopIteration:
            return
        pos = resolve(f0, pos_columns)
        yield from _df_stream(itertools.chain([f0], frames), search_range, pos, t_column,
                              state['params'], state['extra'], _SPELLING,
                              levels=self._kind == 'none')


class DriftPredict(NullPredict):
    """Predict a particle's position from the mean velocity of all particles
    (trackpy.predict.DriftPredict). initial_guess: one velocity per
    position column (then pos_columns is required), used for the first
    prediction."""

    _kind = 'drift'

    def __init__(self, initial_guess=None, pos_columns=None, span=1):
        if initial_guess is not None and pos_columns is None:
            raise ValueError(_AMBIGUOUS)
        super().__init__(pos_columns=pos_columns, span=span)
        self.initial_guess = initial_guess

    def _params(self, pos_columns):
        return (dict(predict=self._kind, predict_span=self.span),
                dict(initial_guess=_array(self.initial_guess)))


class NearestVelocityPredict(NullPredict):
    """Predict a particle's position from the velocity of the nearest
    particle (trackpy.predict.NearestVelocityPredict). initial_guess_positions,
    initial_guess_vels: N x d arrays (then pos_columns is required), the
    velocity field of the first prediction."""

    _kind = 'nearest'

    def __init__(self, initial_guess_positions=None, initial_guess_vels=None, pos_columns=None,
                 span=1):
        if initial_guess_positions is not None and pos_columns is None:
            raise ValueError(_AMBIGUOUS)
        super().__init__(pos_columns=pos_columns, span=span)
        self.initial_guess_positions = initial_guess_positions
        self.initial_guess_vels = initial_guess_vels

    def _params(self, pos_columns):
        return (dict(predict=self._kind, predict_span=self.span),
                dict(initial_guess_positions=_array(self.initial_guess_positions),
                     initial_guess_vels=_array(self.initial_guess_vels)))


class ChannelPredict(NullPredict):
    """Predict a particle's position from the flow profile across a channel
    (trackpy.predict.ChannelPredict; 2-D only). bin_size: width of the bins
    across the flow; flow_axis: the position column along the flow;
    minsamples: velocities a bin needs; initial_profile_guess: N x 2
    (coordinate across the flow, velocity) for the first prediction."""

    _kind = 'channel'

    def __init__(self, bin_size, flow_axis='x', minsamples=20, initial_profile_guess=None,
                 pos_columns=None, span=1):
        super().__init__(pos_columns=pos_columns, span=span)
        self.bin_size = bin_size
        self.flow_axis = flow_axis
        self.minsamples = minsamples
        self.initial_profile_guess = initial_profile_guess

    def _params(self, pos_columns):
        if len(pos_columns) != 2:
            raise ValueError('Implemented for 2 dimensions only')
        if self.flow_axis not in pos_columns:
            raise ValueError(f'pos_columns ({pos_columns!r}) does not include the specified '
                             f'flow_axis ({self.flow_axis})!')
        return (dict(predict=self._kind, predict_span=self.span, channel_bin_size=self.bin_size,
                     channel_min_samples=self.minsamples),
                dict(flow_axis=pos_columns.index(self.flow_axis),
                     initial_profile_guess=_array(self.initial_profile_guess)))
