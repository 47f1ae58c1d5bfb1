"""Trajectories: trackpy's ``link`` (alias ``link_df``) and ``filter_stubs``
on the locus C linker.

    t = locus.link(f, 5, memory=3)             # trackpy.link(f, 5, memory=3)
    t = locus.filter_stubs(t, 25)              # trackpy.filter_stubs(t, 25)

The result splits the rows into the same trajectories as trackpy (the same
partition of rows; docs/LINKING.md). Trajectory IDs are canonical: the
rows, in (frame, input order), number trajectories 0, 1, 2, ... by their
first row. trackpy's own IDs are not reproducible, so scripts should not
depend on their values.
"""
import itertools
import operator

import numpy as np

from . import _locus

try:
    import pandas as _pd
except ImportError:  # linking needs DataFrames
    _pd = None

__all__ = ['link', 'link_df', 'link_iter', 'link_df_iter', 'filter_stubs',
           'SubnetOversizeException', 'guess_pos_columns']


class SubnetOversizeException(Exception):
    """A subnet larger than trackpy's solver accepts, with ``oversize='raise'``
    (trackpy.linking.SubnetOversizeException). By default (``oversize='solve'``)
    locus solves such subnets exactly instead."""


def guess_pos_columns(f):
    """trackpy's default position columns: z, y, x when f has a z column, else y, x."""
    return ['z', 'y', 'x'] if 'z' in f else ['y', 'x']


def _frame_numbers(f, t_column):
    """The frame column as int64, truncated toward zero as trackpy's astype(int)."""
    values = f[t_column].to_numpy()
    if np.issubdtype(values.dtype, np.integer):
        return values.astype(np.int64, copy=False), True
    try:
        numbers = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f'{t_column!r} column must hold frame numbers') from None
    bad = ~np.isfinite(numbers)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f'row {i} (index {f.index[i]!r}): {t_column} is {numbers[i]}; '
                         'frame numbers must be finite')
    return numbers.astype(np.int64), False


def _search_range(search_range):
    """One number, or one per axis (all equal: isotropic, as trackpy)."""
    if isinstance(search_range, (str, bytes)):
        raise TypeError(f'search_range must be a number or a tuple of numbers, '
                        f'not {search_range!r}')
    r = np.atleast_1d(np.asarray(search_range, dtype=np.float64))
    if r.ndim != 1 or len(r) == 0:
        raise ValueError(f'search_range must be a number or a tuple of numbers, '
                         f'not {search_range!r}')
    if len(r) > 1 and np.all(r == r[0]):
        r = r[:1]
    return float(r[0]) if len(r) == 1 else tuple(float(v) for v in r)


def _check_options(neighbor_strategy, link_strategy, kw):
    for name in ('dist_func', 'to_eucl'):
        if kw.get(name) is not None:
            raise ValueError(f'{name} is not supported by locus (it links by Euclidean '
                             'distance, as trackpy without it)')
        kw.pop(name, None)
    if kw:
        raise TypeError(f'link() got an unexpected keyword argument {next(iter(kw))!r}')
    if neighbor_strategy not in (None, 'KDTree', 'BTree'):
        raise ValueError("neighbor_strategy must be 'KDTree' or 'BTree'")
    if neighbor_strategy == 'BTree':
        raise ValueError("neighbor_strategy='BTree' is not supported by locus: it links as "
                         "trackpy's default, 'KDTree'")
    if callable(link_strategy):
        raise ValueError('custom link_strategy functions are not supported by locus; give '
                         "'auto', 'hybrid', 'numba', 'recursive', 'nonrecursive' or 'drop'")


def _memory(memory):
    if memory is None or isinstance(memory, bool):
        return memory
    try:
        return operator.index(memory)
    except TypeError:
        if isinstance(memory, float) and memory.is_integer():
            return int(memory)
        raise TypeError(f'memory must be a whole number, not {memory!r}') from None


def _run(f, search_range, pos_columns, t_column, params, predict=None, coerce=True,
         spelling=None):
    """Link DataFrame f: a sorted copy with a particle column (the shared
    work of link and the predictors' link_df)."""
    if _pd is None:
        raise ImportError('locus.link needs pandas')
    if not isinstance(f, _pd.DataFrame):
        raise TypeError(f'expected a pandas DataFrame, not {type(f).__name__}')
    pos_columns = guess_pos_columns(f) if pos_columns is None else list(pos_columns)
    if not 1 <= len(pos_columns) <= 3:
        raise ValueError(f'pos_columns must name 1 to 3 columns, not {len(pos_columns)}')
    missing = [c for c in pos_columns + [t_column] if c not in f.columns]
    if missing:
        raise KeyError(f'no column {missing[0]!r} in the features (columns: '
                       f'{", ".join(map(str, f.columns))})')
    frames, integral = _frame_numbers(f, t_column)
    out = f.copy()
    if coerce and not integral:
        out[t_column] = frames
    if out.index.name is not None and out.index.name == t_column:
        out.index.name = f'{t_column}_index'  # as trackpy, which sorts by the column
    order = None
    if len(frames) > 1 and np.any(frames[1:] < frames[:-1]):
        order = np.argsort(frames, kind='stable')
        out = out.iloc[order]
        frames = frames[order]
    frames = np.ascontiguousarray(frames, dtype=np.int64)
    pos = np.ascontiguousarray(out[pos_columns].to_numpy(dtype=np.float64))
    bad = ~np.isfinite(pos).all(axis=1)
    if bad.any():
        i = int(np.argmax(bad))
        row = i if order is None else int(order[i])
        where = f'row {row} (index {f.index[row]!r})'
        values = ', '.join(f'{c}={v}' for c, v in zip(pos_columns, pos[i]))
        raise ValueError(f'{where}, frame {frames[i]}: position is not finite ({values}); '
                         'trackpy would link such rows wrongly, locus refuses them')
    params = dict(params, search_range=_search_range(search_range))
    ids = np.empty(len(frames), dtype=np.int64)
    _locus._link(params, frames, pos, len(pos_columns), predict or {}, ids,
                 SubnetOversizeException, spelling or {})
    out['particle'] = ids
    return out


def link(f, search_range, pos_columns=None, t_column='frame', memory=0, predictor=None,
         adaptive_stop=None, adaptive_step=0.95, neighbor_strategy=None, link_strategy=None,
         oversize='solve', **kw):
    """Link a DataFrame of features into trajectories, as trackpy.link.

    f : DataFrame with a frame column and position columns; other columns
        are carried through.
    search_range : the largest step between frames: a number, or one per
        position column.
    pos_columns : default ['z', 'y', 'x'] when f has a z column, else ['y', 'x'].
    t_column : default 'frame'; coerced to integers (truncated) as trackpy does.
    memory, adaptive_stop, adaptive_step, link_strategy : as trackpy
        ('auto' is 'hybrid', trackpy with numba).
    neighbor_strategy : None or 'KDTree' (trackpy's default); 'BTree',
        dist_func and to_eucl are not supported.
    predictor : None, or a locus.predict object (DriftPredict, ...), which
        then links as ``predictor.link_df(f, ...)``; trackpy's predictor
        functions are not supported.
    oversize : 'solve' (default): subnets larger than trackpy solves are
        solved exactly; 'raise': SubnetOversizeException, as trackpy.

    Returns a copy of f sorted by frame (input order within a frame, the
    index kept) with an int64 ``particle`` column. Raises ValueError for
    bad parameters (naming them) and non-finite positions (naming the row).
    An empty table links to an empty table.
    """
    if predictor is not None:
        from .predict import NullPredict
        if isinstance(predictor, NullPredict):
            return predictor.link_df(f, search_range, pos_columns=pos_columns,
                                     t_column=t_column, memory=memory,
                                     adaptive_stop=adaptive_stop, adaptive_step=adaptive_step,
                                     neighbor_strategy=neighbor_strategy,
                                     link_strategy=link_strategy, oversize=oversize, **kw)
        raise ValueError('predictor: give a locus.predict object (DriftPredict, '
                         'NearestVelocityPredict, ChannelPredict) or use its link_df method; '
                         'custom predictor functions are not supported')
    _check_options(neighbor_strategy, link_strategy, kw)
    params = dict(memory=_memory(memory), adaptive_stop=adaptive_stop,
                  adaptive_step=adaptive_step, link_strategy=link_strategy, oversize=oversize)
    return _run(f, search_range, pos_columns, t_column, params)


link_df = link


class _Stream:
    """The C streaming linker: one frame at a time, IDs out at once.
    levels=True numbers the frames pushed 0, 1, 2, ... so that memory
    counts frames pushed, as trackpy's link_iter and link_df_iter do."""

    def __init__(self, search_range, ndim, params, predict=None, spelling=None, levels=True):
        params = dict(params, search_range=_search_range(search_range))
        self._linker = _locus._linker(params, ndim, predict or {}, SubnetOversizeException,
                                      spelling or {})
        self.ndim = ndim
        self._levels = levels
        self._count = 0
        self._last = None

    def push(self, t, coords, where='frame'):
        coords = np.ascontiguousarray(coords, dtype=np.float64)
        if coords.ndim != 2 or coords.shape[1] != self.ndim:
            if coords.size == 0:
                coords = coords.reshape(0, self.ndim)
            else:
                raise ValueError(f'{where}: positions must be N x {self.ndim}, not '
                                 f'{coords.shape}')
        bad = ~np.isfinite(coords).all(axis=1)
        if bad.any():
            i = int(np.argmax(bad))
            raise ValueError(f'{where}, row {i}: position is not finite ({coords[i].tolist()})')
        if t is not None:
            t = int(t)
            if self._last is not None and t <= self._last:
                raise ValueError(f'{where}: frame numbers must increase ({t} after '
                                 f'{self._last})')
            self._last = t
        ids = np.empty(len(coords), dtype=np.int64)
        _locus._linker_push(self._linker, self._count if self._levels else t, coords, ids)
        self._count += 1
        return ids


def _stream_options(memory, adaptive_stop, adaptive_step, neighbor_strategy, link_strategy,
                    oversize, kw):
    _check_options(neighbor_strategy, link_strategy, kw)
    return dict(memory=_memory(memory), adaptive_stop=adaptive_stop,
                adaptive_step=adaptive_step, link_strategy=link_strategy, oversize=oversize)


def link_iter(coords_iter, search_range, memory=0, predictor=None, adaptive_stop=None,
              adaptive_step=0.95, neighbor_strategy=None, link_strategy=None, oversize='solve',
              **kw):
    """Link an iterable of per-frame coordinates, as trackpy.link_iter.

    coords_iter yields N x ndim arrays (numbered 0, 1, 2, ...) or (t, array)
    pairs, t increasing. Yields (t, list of particle IDs), frame by frame,
    as each frame is linked; memory counts the frames given. The other
    arguments are link's (predictor: None only).
    """
    if predictor is not None:
        raise ValueError('link_iter: predictor is not supported; use a locus.predict '
                         "object's link_df_iter")
    params = _stream_options(memory, adaptive_stop, adaptive_step, neighbor_strategy,
                             link_strategy, oversize, kw)
    it = iter(coords_iter)
    try:
        first = next(it)
    except StopIteration:
        return
    if isinstance(first, np.ndarray):  # not numbered: number them
        items = itertools.chain([(0, first)], enumerate(it, start=1))
    else:
        items = itertools.chain([first], it)
    s = None
    for t, coords in items:
        coords = np.asarray(coords, dtype=np.float64)
        if s is None:
            s = _Stream(search_range, coords.shape[1] if coords.ndim == 2 else 2, params)
        yield t, s.push(t, coords, where=f'frame {t}').tolist()


def link_df_iter(f_iter, search_range, pos_columns=None, t_column='frame', memory=0,
                 predictor=None, adaptive_stop=None, adaptive_step=0.95,
                 neighbor_strategy=None, link_strategy=None, oversize='solve', **kw):
    """Link an iterable of DataFrames, one per frame, as trackpy.link_df_iter.

    Yields each DataFrame's copy with an int64 ``particle`` column as soon
    as its frame is linked, so a long movie never has to fit in memory.
    Each DataFrame holds one frame (its frame number: the first row's
    t_column); frames must increase; memory counts the frames given.
    predictor: None, or a locus.predict object (its link_df_iter).
    """
    if predictor is not None:
        from .predict import NullPredict
        if not isinstance(predictor, NullPredict):
            raise ValueError('predictor: give a locus.predict object (DriftPredict, '
                             'NearestVelocityPredict, ChannelPredict)')
        yield from predictor.link_df_iter(f_iter, search_range, pos_columns=pos_columns,
                                          t_column=t_column, memory=memory,
                                          adaptive_stop=adaptive_stop,
                                          adaptive_step=adaptive_step,
                                          neighbor_strategy=neighbor_strategy,
                                          link_strategy=link_strategy, oversize=oversize, **kw)
        return
    params = _stream_options(memory, adaptive_stop, adaptive_step, neighbor_strategy,
                             link_strategy, oversize, kw)
    yield from _df_stream(f_iter, search_range, pos_columns, t_column, params)


def _df_stream(f_iter, search_range, pos_columns, t_column, params, predict=None,
               spelling=None, levels=True, resolve=None):
    s = None
    for df in f_iter:
        if s is None:
            pos_columns = resolve(df, pos_columns) if resolve else (
                guess_pos_columns(df) if pos_columns is None else list(pos_columns))
            s = _Stream(search_range, len(pos_columns), params, predict, spelling, levels)
        out = df.copy()
        if len(df) == 0:  # a frame without rows: a level of its own (memory counts it)
            out['particle'] = s.push(None, np.empty((0, s.ndim))) if levels else \
                np.empty(0, dtype=np.int64)
            yield out
            continue
        frames, _ = _frame_numbers(df, t_column)
        t = int(frames[0])
        out['particle'] = s.push(t, df[pos_columns].to_numpy(dtype=np.float64),
                                 where=f'frame {t}')
        yield out


def filter_stubs(tracks, threshold=100):
    """Keep the trajectories of at least `threshold` rows, as trackpy.filter_stubs.

    tracks needs 'frame' and 'particle' columns. As trackpy, the result has
    a fresh index: the 'frame' column, kept as a column too; rows stay in
    their order.
    """
    try:
        tracks['frame']
        tracks['particle']
    except KeyError:
        raise ValueError("Tracks must contain columns 'frame' and 'particle'.") from None
    t = tracks.reset_index(drop=True)
    counts = t.groupby('particle')['frame'].transform('count')
    return t[(counts >= threshold).to_numpy()].set_index('frame', drop=False)
