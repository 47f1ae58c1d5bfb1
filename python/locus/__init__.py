"""locus: fast, exact particle feature location, from Python.

A drop-in for trackpy's ``locate`` and ``batch`` (the Crocker-Grier
method): the same parameters, defaults and columns, and the same numbers
to the last bit, computed by the locus C library with the GIL released.

    import locus
    f = locus.locate(image, 13, invert=True)                   # trackpy.locate
    f = locus.batch(frames, 13, invert=True)                   # trackpy.batch, on C threads
    f = locus.batch('movie/*.png', 13, invert=True, channel=0) # files read on C threads too

Results are pandas DataFrames when pandas is importable, else dicts of
NumPy arrays (column name -> array).

Like trackpy, locate and batch warn (UserWarning, trackpy's words) when
an image gives no features ("All local maxima were in the margins.",
...), and batch logs "Frame N: M features" for every frame on the
logger ``locus`` (INFO, to stderr; ``locus.quiet()`` silences it).
"""
import logging
import math
import numbers
import operator
import os
import sys
import warnings

import numpy as np

from . import _locus

try:
    import pandas as _pd
except ImportError:  # pandas is optional: results are then dicts of arrays
    _pd = None

__version__ = _locus.version
__all__ = ['locate', 'batch', 'imread', 'synth', 'cpu_count', 'quiet', 'handle_logging',
           'ignore_logging']

#: Number of online CPU cores (what ``processes='auto'`` uses).
cpu_count = _locus.cpu_count

# ----------------------------------------------------------------------
# Logging, as trackpy's: a logger of the package's name, INFO by default
# ----------------------------------------------------------------------

logger = logging.getLogger('locus')
_handler = logging.StreamHandler(sys.stderr)  # trackpy's goes to stdout: locus keeps stdout clean
_handler.setLevel(logging.INFO)
_handler.setFormatter(logging.Formatter('%(name)s: %(message)s'))


def handle_logging():
    """Send INFO-level messages of the logger ``locus`` to stderr (the default)."""
    logger.addHandler(_handler)
    logger.setLevel(logging.INFO)


def ignore_logging():
    """Remove locus's handler and reset the logger ``locus`` to logging's defaults."""
    logger.removeHandler(_handler)
    logger.setLevel(logging.NOTSET)


def quiet(suppress=True):
    """Hide batch's per-frame INFO lines (trackpy.quiet): with suppress
    True set the logger ``locus`` to WARN, with False back to INFO."""
    logger.setLevel(logging.WARN if suppress else logging.INFO)


handle_logging()

# Frames gathered per call into the C batch when `frames` is a lazy
# sequence (pims-like): bounds memory whatever the movie's length.
_CHUNK_PER_THREAD = 8


# ----------------------------------------------------------------------
# Parameters
# ----------------------------------------------------------------------

def _whole(name, value, default):
    if value is None:
        return default
    try:
        return operator.index(value)
    except TypeError:
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise TypeError(f'{name} must be a whole number, not {value!r}') from None


def _params(diameter, minmass=None, maxsize=None, separation=None, noise_size=1,
            smoothing_size=None, threshold=None, invert=False, percentile=64, topn=None,
            preprocess=True, max_iterations=10, filter_before=None, filter_after=None,
            characterize=True, engine='auto'):
    """trackpy's arguments as the dict of the library's parameters (its
    table checks every value, as for the command line)."""
    if filter_before is not None:
        raise ValueError('filter_before is no longer supported (as in trackpy): features '
                         'are filtered after refinement')
    if filter_after is not None:
        warnings.warn('filter_after is deprecated (as in trackpy): it is always on',
                      DeprecationWarning, stacklevel=3)
    if engine not in ('auto', 'python', 'numba'):
        raise ValueError(f"engine must be 'auto', 'python' or 'numba', not {engine!r} "
                         '(every engine gives the same result here)')
    for name, value in (('topn', topn), ('max_iterations', max_iterations)):
        if value is not None and not isinstance(value, bool):
            _whole(name, value, None)  # a TypeError for 2.5, as before
    return dict(diameter=_truncate(diameter), minmass=minmass, maxsize=maxsize,
                separation=separation, noise_size=noise_size, smoothing_size=smoothing_size,
                threshold=threshold,
                invert=invert, percentile=percentile, topn=topn, preprocess=preprocess,
                max_iterations=max_iterations, characterize=characterize)


def _truncate(diameter):
    """trackpy takes int() of each diameter: 9.5 is 9 (no warning there
    either). Anything else goes to the library's checks as it is."""
    def one(d):
        if isinstance(d, numbers.Real) and not isinstance(d, bool) and math.isfinite(d):
            return int(d)
        return d
    if isinstance(diameter, (list, tuple)):
        return tuple(one(d) for d in diameter)
    if isinstance(diameter, np.ndarray):
        return tuple(one(d) for d in diameter.tolist()) if diameter.ndim == 1 else diameter
    return one(diameter)


# the keyword arguments batch passes on to locate
_LOCATE_KEYWORDS = frozenset(_params.__code__.co_varnames[1:_params.__code__.co_argcount])


def _threads(processes):
    if processes is None or processes == 'auto':
        return 0
    if isinstance(processes, bool):
        raise TypeError("processes must be 'auto' or a whole number >= 1")
    n = _whole('processes', processes, 0)
    if n < 1:
        raise ValueError(f"processes must be 'auto' or a whole number >= 1 (got {n})")
    return n


def _channel(channel):
    if channel is None:
        return -1
    c = _whole('channel', channel, -1)
    if c < 0:
        raise ValueError(f'channel must be 0 or more (0 red, 1 green, 2 blue, 3 alpha), not {c}')
    return c


# ----------------------------------------------------------------------
# Results
# ----------------------------------------------------------------------

def _table(names, columns, frame=None):
    """A DataFrame (or dict of arrays without pandas) of the columns."""
    data = dict(zip(names, columns))
    if frame is not None:
        data['frame'] = frame
    if _pd is None:
        return data
    return _pd.DataFrame(data, copy=False)


def _rows(table):
    return len(table) if _pd is not None else len(next(iter(table.values()), ()))


def _slice(table, start, stop):
    if _pd is None:
        return {k: v[start:stop] for k, v in table.items()}
    return table.iloc[start:stop].reset_index(drop=True)


# ----------------------------------------------------------------------
# trackpy's warnings
# ----------------------------------------------------------------------

_BLACK = 'Image is completely black.'
_NO_MAXIMA = 'Image contains no local maxima.'
_MARGINS = 'All local maxima were in the margins.'
_ITERATIONS = 'max_iterations has to be larger than 0. setting it to 1.'
_FILTERED = ("No maxima survived mass- and size-based filtering. Be advised that the mass "
             "computation was changed from version 0.2.4 to 0.3.0 and from 0.3.3 to 0.4.0. "
             "See the documentation and the convenience functions 'minmass_v03_change' and "
             "'minmass_v04_change'.")


def _warn(text, stacklevel):
    warnings.warn(text, UserWarning, stacklevel=stacklevel + 1)


def _warn_colour(shape, stacklevel):
    """trackpy's guess: an axis of length 3 or 4 may be colour channels."""
    if 3 in shape or 4 in shape:
        n = len(shape)
        _warn(f'I am interpreting the image as {n}-dimensional. If it is actually a '
              f'{n - 1}-dimensional color image, convert it to grayscale first.', stacklevel + 1)


def _explained(stats, max_iterations):
    """trackpy's warnings for one image from the library's locate stats
    (blank, candidates, maxima_in_margins, refined, features), in the
    order trackpy gives them."""
    blank, candidates, in_margins, refined, features = (int(v) for v in stats)
    if blank:
        return [_BLACK]
    if not candidates:
        return [_MARGINS if in_margins else _NO_MAXIMA]
    texts = []
    if isinstance(max_iterations, numbers.Real) and max_iterations <= 0:
        texts.append(_ITERATIONS)
    if refined and not features:
        texts.append(_FILTERED)
    return texts


def _smaller(shape, diameter):
    d = diameter if isinstance(diameter, tuple) else (diameter,) * len(shape)
    return len(d) == len(shape) and any(s < a for s, a in zip(shape, d))


def _fault(image, diameter, status, message):
    """Why an image the library refused has no features, where trackpy
    finds none and goes on (_BLACK for an image of NaN, as trackpy says);
    raises ValueError for other faults."""
    if status == _locus.E_SHAPE and _smaller(image.shape, diameter):
        return message  # the margins are at least the radius: trackpy finds nothing either
    if status == _locus.E_FORMAT and image.dtype.kind == 'f':
        finite = np.count_nonzero(np.isfinite(image))
        if not finite and np.isnan(image).all():
            return _BLACK  # trackpy's band pass turns NaN into 0: a black image
        return (f'image has NaN or infinite pixel values ({image.size - finite} of '
                f'{image.size}); locus does not locate around them')
    raise ValueError(message)


# ----------------------------------------------------------------------
# locate
# ----------------------------------------------------------------------

def locate(raw_image, diameter, minmass=None, maxsize=None, separation=None, noise_size=1,
           smoothing_size=None, threshold=None, invert=False, percentile=64, topn=None,
           preprocess=True, max_iterations=10, filter_before=None, filter_after=None,
           characterize=True, engine='auto'):
    """Locate Gaussian-like blobs of some approximate size in an image.

    trackpy.locate's parameters, defaults and result, from the locus C
    library: every number equals trackpy's (and ``locus locate``'s).

    raw_image : 2-D (y, x) or 3-D (z, y, x) array of uint8, uint16,
        uint32, int8, int16, int32, float32, float64 or bool (each with
        trackpy's rules for its type), in any memory layout (views, negative strides
        and read-only arrays are read in place, not copied). Axes of
        length 1 are dropped first, as trackpy does. Like trackpy, an
        image with an axis of length 3 or 4 is located as it is (a
        (y, x, 3) array as a volume) with a warning that it may be colour.
    diameter : odd integer, or one per axis in (z,) y, x order; like
        trackpy, int() of each value is used (9.5 is 9).
    minmass, maxsize, separation, noise_size, smoothing_size, threshold,
    invert, percentile, topn, preprocess, max_iterations, characterize :
        as in trackpy; ``topn=0`` keeps every feature, sorted by mass.
    filter_before, filter_after, engine : accepted as in trackpy:
        filter_before must be None, filter_after is deprecated (always on),
        and every engine ('auto', 'python', 'numba') gives the same result.

    Returns a DataFrame with trackpy's columns (``y, x, mass, size, ecc,
    signal, raw_mass, ep``, or the 3-D / per-axis variants), plus ``frame``
    when the image carries a ``frame_no`` (a pims Frame), or without pandas
    a dict of column name -> float64 array. Every column is float64, also
    in a table of no features (where trackpy's columns are of dtype
    object).

    Warns (UserWarning, trackpy's words) where trackpy does: "Image is
    completely black.", "Image contains no local maxima.", "All local
    maxima were in the margins.", "No maxima survived mass- and size-based
    filtering. ...", "max_iterations has to be larger than 0. ...". An
    image smaller than the diameter, or with NaN pixels, gives no
    features and a warning that says so (trackpy finds none in the
    first, and in the second locates around the NaN pixels; locus does
    not).

    Raises ValueError for bad parameters, TypeError for an unsupported
    dtype or number of axes. The GIL is released while locating; each
    thread keeps its own plan and buffers, so repeated calls on
    same-shaped images are fastest.
    """
    params = _params(diameter, minmass, maxsize, separation, noise_size, smoothing_size,
                     threshold, invert, percentile, topn, preprocess, max_iterations,
                     filter_before, filter_after, characterize, engine)
    image = np.squeeze(np.asarray(raw_image))
    _warn_colour(image.shape, 2)
    names, columns, stats, fault = _locus._locate(image, params)
    if fault is not None:
        why = _fault(image, params['diameter'], *fault)
        _warn(why if why == _BLACK else f'{why}: no features', 2)
    else:
        for text in _explained(stats, max_iterations):
            _warn(text, 2)
    frame_no = getattr(raw_image, 'frame_no', None)
    frame = None
    if frame_no is not None:
        frame = np.full(len(columns[0]), int(frame_no), dtype=np.int64)
    return _table(names, columns, frame)


# ----------------------------------------------------------------------
# batch
# ----------------------------------------------------------------------

def _is_paths(frames):
    if isinstance(frames, (str, bytes, os.PathLike)):
        return True
    if isinstance(frames, (list, tuple)) and frames:
        return all(isinstance(f, (str, bytes, os.PathLike)) for f in frames)
    return False


def _array_chunks(frames, chunk, channel, volume):
    """(images, frame numbers) in chunks: each frame as an array view
    (a frame's ``frame_no`` numbers it, as in trackpy; else its index)."""
    if isinstance(frames, np.ndarray) and frames.ndim < 3:
        raise ValueError(f'locus.batch: a {frames.ndim}-D array is not a sequence of frames '
                         '(use locus.locate for one image, or pass [image])')
    images, numbers, count = [], [], 0
    for i, f in enumerate(frames):
        number = getattr(f, 'frame_no', None)
        a = np.asarray(f)
        if channel >= 0:
            if a.ndim < 3 or not channel < a.shape[-1]:
                raise ValueError(f'locus.batch: frame {i}: channel {channel} out of range '
                                 f'(the frame has shape {a.shape})')
            a = a[..., channel]
        a = np.squeeze(a)
        _warn_colour(a.shape, 4)  # as trackpy's locate warns on each such frame
        if volume and a.ndim != 3:
            raise ValueError(f'locus.batch: volume=True but frame {i} is {a.ndim}-D')
        images.append(a)
        numbers.append(i if number is None else int(number))
        count += 1
        if len(images) == chunk:
            yield images, numbers
            images, numbers = [], []
    if images or not count:
        yield images, numbers


def _write_meta(meta, info):
    text = ''.join(f'{k}: {v!r}\n' if isinstance(v, str) else f'{k}: {v}\n'
                   for k, v in info.items())
    if isinstance(meta, (str, os.PathLike)):
        with open(meta, 'w') as fh:
            fh.write(text)
    else:
        meta.write(text)


class _Progress:
    """Called by the C batch (from the waiting thread, with the GIL) as
    frames arrive: logs "Frame N: M features" per frame (trackpy's line)
    and advances the tqdm bar."""

    def __init__(self, log, bar):
        self.log, self.bar = log, bar
        self.numbers, self.base = None, 0  # this call's frame numbers, frames before it

    def __call__(self, first, counts, total):
        if self.bar is not None:
            if self.bar.total is None and self.numbers is None:
                self.bar.total = total  # files: known once the C side opened them
                self.bar.refresh()
            self.bar.update(len(counts))
        if self.log:
            for k, n in enumerate(counts):
                i = first + k
                number = self.numbers[i] if self.numbers is not None else self.base + i
                logger.info('Frame %d: %d features', number, n)


def _progress_bar(progress, frames):
    if not progress:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        _warn('locus.batch: progress=True needs tqdm (Debian: python3-tqdm); no bar', 3)
        return None
    total = None if _is_paths(frames) else getattr(frames, '__len__', lambda: None)()
    return tqdm(total=total, unit='frame', desc='locus.batch')


def batch(frames, diameter, output=None, meta=None, processes='auto', after_locate=None,
          channel=None, volume=False, progress=False, **kwargs):
    """Locate features in many frames, on many threads (trackpy.batch).

    frames : the frames to locate, either
        - arrays: a list or tuple of 2-D/3-D arrays, a 3-D array (a stack
          of 2-D frames along axis 0) or 4-D (of volumes), or any sequence
          of frames (pims-like; read here in chunks, located on C threads);
        - files: a path, a glob pattern ('movie/*.png'), a directory (its
          .png/.tif/.tiff files by name), or a list of paths: read and
          decoded on the C threads themselves, as ``locus locate`` does.
    diameter, **kwargs : locate's parameters, trackpy's names (minmass,
        maxsize, separation, noise_size, smoothing_size, threshold, invert,
        percentile, topn, preprocess, max_iterations, filter_before,
        filter_after, characterize, engine; see locus.locate).
    output, meta, after_locate : as in trackpy: ``after_locate(frame_no,
        features)`` is called for every frame in order and returns the
        features to keep; with ``output``, each frame's features go to
        ``output.put(features)`` and ``output`` is returned; ``meta``, a
        path or file, receives the parameters as YAML.
    processes : 'auto' (one thread per core) or a number of threads.
    channel : colour channel to use (0 red, 1 green, 2 blue, 3 alpha);
        for arrays, frame[..., channel].
    volume : files: each multi-page TIFF is one 3-D frame; arrays: assert
        that every frame is 3-D.
    progress : True: a tqdm progress bar on stderr (when tqdm is
        importable).

    As trackpy.batch, logs "Frame N: M features" at INFO on the logger
    ``locus`` for every frame, as the frames are done (with after_locate,
    the count after it, once the batch is done); ``locus.quiet()`` hides
    these lines. Each frame's warnings are locate's. A frame whose image
    is at fault (smaller than the diameter, NaN pixels, unreadable) gets
    no features and a warning naming its number and the reason, and the
    batch goes on (``locus locate`` stops there unless --skip-bad).

    Returns one DataFrame (or dict of arrays) with locate's columns and
    ``frame`` (numbered from 0 in order, or by each frame's ``frame_no``),
    in frame order: the same rows as locate on each frame in turn; with
    no features at all, an empty table whose columns are float64
    (trackpy's are of dtype object).
    """
    unknown = sorted(set(kwargs) - _LOCATE_KEYWORDS)
    if unknown:
        raise TypeError(f'locus.batch() got an unexpected keyword argument {unknown[0]!r}')
    params = _params(diameter, **kwargs)
    threads = _threads(processes)
    channel = _channel(channel)
    volume = bool(volume)
    if meta:
        _write_meta(meta, dict(locus_version=__version__,
                               source=frames if _is_paths(frames) else None,
                               diameter=diameter, channel=None if channel < 0 else channel,
                               volume=volume, **kwargs))
    bar = _progress_bar(progress, frames)
    log = after_locate is None and logger.isEnabledFor(logging.INFO)
    report = _Progress(log, bar) if log or bar is not None else None
    notes = []  # (frame position, warning text)
    try:
        if _is_paths(frames):
            inputs = [frames] if isinstance(frames, (str, bytes, os.PathLike)) else list(frames)
            # position: each row's frame, counted from 0 in input order
            names, columns, position, stats, bad = _locus._batch_files(
                inputs, channel, volume, params, threads, report)
            numbers = np.arange(len(stats) // 5, dtype=np.int64)
            notes += [(i, f'locus.batch: frame {i} has no features: {message}')
                      for i, _, message, _ in bad]
        else:
            whole = isinstance(frames, (list, tuple, np.ndarray))
            chunk = 0 if whole else _CHUNK_PER_THREAD * (threads or cpu_count())
            parts, numbers, stats = [], [], []
            for images, nums in _array_chunks(frames, chunk, channel, volume):
                if report is not None:
                    report.numbers = nums
                names, columns, index, st, bad = _locus._batch_arrays(images, params, threads,
                                                                      report)
                for i, status, _, reason in bad:
                    try:
                        why = _fault(images[i], params['diameter'], status, reason)
                    except ValueError:
                        why = reason
                    if why == _BLACK:
                        why += ' (every pixel is NaN)'
                    notes.append((len(numbers) + i,
                                  f'locus.batch: frame {nums[i]} has no features: {why}'))
                parts.append((columns, index + len(numbers)))
                numbers += nums
                stats.append(st)
            if len(parts) == 1:
                columns, position = parts[0]
            else:
                columns = [np.concatenate([p[0][c] for p in parts]) for c in range(len(names))]
                position = np.concatenate([p[1] for p in parts])
            numbers = np.asarray(numbers, dtype=np.int64)
            stats = np.concatenate(stats)
    finally:
        if bar is not None:
            bar.close()
    _warn_frames(stats.reshape(-1, 5), params['max_iterations'], notes)
    table = _table(names, columns, numbers[position])
    if after_locate is not None or output is not None:
        return _per_frame(table, position, numbers, after_locate, output)
    if not len(position):
        warnings.warn('No maxima found in any frame.', UserWarning, stacklevel=2)
    return table


def _warn_frames(stats, max_iterations, notes):
    """Each frame's warnings, as locate gives them, and the notes on
    skipped frames, in frame order. Only frames that warn are looked at:
    those without candidates, or with nothing past the filters (or with
    candidates at all when max_iterations < 1)."""
    blank, candidates, _, refined, features = stats.T
    warns = (blank != 0) | (candidates == 0) | ((refined > 0) & (features == 0))
    if isinstance(max_iterations, numbers.Real) and max_iterations <= 0:
        warns |= candidates > 0
    warns[[i for i, _ in notes]] = False  # a skipped frame has its note, not locate's warnings
    notes = notes + [(int(i), text) for i in np.flatnonzero(warns)
                     for text in _explained(stats[i], max_iterations)]
    for _, text in sorted(notes, key=lambda n: n[0]):
        _warn(text, 3)


def _per_frame(table, position, numbers, after_locate, output):
    """trackpy's per-frame path: after_locate on each frame, then to
    output.put() or into one table."""
    cuts = np.searchsorted(position, np.arange(len(numbers) + 1))
    kept = []
    for k, number in enumerate(numbers):
        features = _slice(table, cuts[k], cuts[k + 1])
        if after_locate is not None:
            features = after_locate(int(number), features)
            logger.info('Frame %d: %d features', number, _rows(features))
        if _rows(features) > 0:
            if output is None:
                kept.append(features)
            else:
                output.put(features)
    if output is not None:
        return output
    if not kept:
        warnings.warn('No maxima found in any frame.', UserWarning, stacklevel=3)
        return _slice(table, 0, 0)
    if _pd is None:
        return {k: np.concatenate([f[k] for f in kept]) for k in kept[0]}
    return _pd.concat(kept, ignore_index=True)


# ----------------------------------------------------------------------
# Files and synthetic movies
# ----------------------------------------------------------------------

def imread(path, channel=None, page=0, volume=False):
    """The pixels of one PNG or TIFF file, as locus (and locate) sees them.

    Returns a new array of uint8, uint16, uint32, int8, int16, int32,
    float32 or float64 (the file's sample type): (y, x), or
    with ``volume=True`` the whole multi-page TIFF as (z, y, x). A colour
    image needs ``channel`` (0 red, 1 green, 2 blue, 3 alpha); ``page``
    picks a page of a multi-page TIFF (negative counts from the end).
    Raises OSError (FileNotFoundError) for a file that cannot be read,
    ValueError for a colour image without a channel.
    """
    return _locus._imread(os.fspath(path), _channel(channel), _whole('page', page, 0),
                          bool(volume))


def synth(shape=(384, 512), frames=10, particles=200, sigma=1.5, snr=20, bit_depth=8, seed=1,
          min_separation=None, step=0.5):
    """A synthetic movie with known positions (as ``locus synth``).

    Gaussian spots integrated over pixels on a sloped background, with
    shot and read noise at the given signal-to-noise ratio; particles
    diffuse by ``step`` px (std per axis) between frames. The same
    arguments give the same pixels on every machine.

    shape : (y, x), or (z, y, x) for volumes.
    Returns (movie, truth): movie an array of shape (frames, *shape),
    uint8 or uint16; truth a DataFrame (or dict) with columns frame,
    (z,) y, x, amplitude: one row per particle per frame.
    """
    shape = tuple(_whole('shape', s, 0) for s in shape)
    seed = _whole('seed', seed, 1)
    if not 0 <= seed < 2**64:
        raise ValueError(f'seed must be a whole number from 0 to 2**64 - 1 (got {seed})')
    movie, truth = _locus._synth(shape, _whole('frames', frames, 10),
                                 _whole('particles', particles, 200), float(sigma), float(snr),
                                 _whole('bit_depth', bit_depth, 8),
                                 float('nan') if min_separation is None else float(min_separation),
                                 float(step), seed)
    names = ('z', 'y', 'x')[3 - len(shape):] + ('amplitude',)
    data = {'frame': truth[:, 0].astype(np.int64)}
    data.update((n, np.ascontiguousarray(truth[:, k + 1])) for k, n in enumerate(names))
    return movie, data if _pd is None else _pd.DataFrame(data)


# Trajectories (link.py, predict.py) and pictures (pictures.py)
from . import predict  # noqa: E402  trackpy.predict's classes
from .link import (link, link_df, link_iter, link_df_iter, filter_stubs,  # noqa: E402
                   SubnetOversizeException)
__all__ += ['link', 'link_df', 'link_iter', 'link_df_iter', 'filter_stubs',
            'SubnetOversizeException', 'predict']
from .pictures import annotate, diag, plot_traj, Picture, Diag  # noqa: E402
__all__ += ['annotate', 'diag', 'plot_traj', 'Picture', 'Diag']
