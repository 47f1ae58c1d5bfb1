"""Pictures without matplotlib: trackpy's annotate (and plot_traj's paths)
and locus's diagnostic sheet, as ``locus annotate`` and ``locus diag``
draw them, shown inline by Jupyter.

    locus.annotate(f, image)          # an RGB array; a notebook shows it
    locus.annotate(t, image, frame=9) # linked: each trajectory's path up to frame 9
    locus.diag(f, minmass=100)        # the four-panel sheet (PNG, SVG or numbers)
"""
import numpy as np

from . import _locus

__all__ = ['Picture', 'Diag', 'annotate', 'plot_traj', 'diag']

# The columns the pictures use (the others are not passed to C).
_COLUMNS = ('x', 'y', 'z', 'frame', 'particle', 'size', 'size_x', 'size_y', 'size_z', 'mass')


class Picture(np.ndarray):
    """An RGB picture: a (height, width, 3) uint8 array that Jupyter shows
    (``_repr_png_``). ``.png`` is its PNG bytes; ``.save(path)`` writes them."""

    def __new__(cls, array):
        return np.asarray(array, dtype=np.uint8).view(cls)

    def _ok(self):
        return self.ndim == 3 and self.shape[2] == 3 and self.shape[0] > 0 and self.shape[1] > 0

    @property
    def png(self):
        """The picture as PNG bytes."""
        if not self._ok():
            raise ValueError(f'a picture is height x width x 3, not {self.shape}')
        a = np.ascontiguousarray(self.view(np.ndarray), dtype=np.uint8)
        return _locus._encode_png(a, a.shape[0], a.shape[1])

    def _repr_png_(self):
        return self.png if self._ok() and self.dtype == np.uint8 else None

    def save(self, path):
        """Write the picture to path as PNG."""
        with open(path, 'wb') as fh:
            fh.write(self.png)


class Diag:
    """The diagnostic sheet of a feature table (``locus diag``): the mass
    histogram, mass against size, the sub-pixel histograms of x and y
    (trackpy's subpx_bias) and features per frame. Jupyter shows it;
    ``.png`` (bytes), ``.svg`` and ``.text`` (str: the histograms' numbers)
    are made on first use; ``.save(path)`` writes .png, .svg or .txt."""

    def __init__(self, names, columns, opts):
        self._args = (names, columns, opts)
        self._cache = {}

    def _get(self, fmt):
        if fmt not in self._cache:
            self._cache[fmt] = _locus._diag(*self._args, fmt)
        return self._cache[fmt]

    @property
    def png(self):
        return self._get('png')

    @property
    def svg(self):
        return self._get('svg').decode('utf-8')

    @property
    def text(self):
        return self._get('text').decode('utf-8')

    def _repr_png_(self):
        return self.png

    def _repr_svg_(self):
        return self.svg

    def __repr__(self):
        return f'<locus.Diag of {len(self._args[1][0]) if self._args[1] else 0} features>'

    def save(self, path):
        data = self._get('svg' if path.endswith('.svg') else
                         'text' if path.endswith('.txt') else 'png')
        with open(path, 'wb') as fh:
            fh.write(data)


def _columns(features):
    """(names, float64 columns) of a DataFrame or dict of arrays."""
    names, columns = [], []
    for name in _COLUMNS:
        if name in features:
            try:
                col = np.ascontiguousarray(np.asarray(features[name], dtype=np.float64))
            except (TypeError, ValueError):
                raise ValueError(f'column {name!r} must hold numbers') from None
            names.append(name)
            columns.append(col.reshape(-1))
    return names, columns


def _image(image, features):
    a = np.asarray(image)
    if a.dtype == bool:
        a = a.astype(np.uint8)
    elif a.dtype not in (np.uint8, np.uint16, np.float32, np.float64):
        a = a.astype(np.float64)
    elif not a.dtype.isnative:
        a = a.astype(a.dtype.newbyteorder('='))
    if a.ndim == 3 and a.shape[-1] in (3, 4) and 'z' not in features:
        a = a[..., :3].mean(axis=-1)  # a colour frame: shown in grey
    return a


def annotate(features, image, frame=None, color='red', invert=False, minmax=False, radius=None,
             diameter=None, z=None, trajectories=True, circle_size=None):
    """The frame in grey with a ring around each feature, as trackpy's
    annotate (and ``locus annotate``): returns a Picture (an RGB uint8
    array Jupyter shows).

    features : DataFrame (or dict of arrays) with x, y (z for volumes);
        size (or size_y, size_x ...) sets each ring to 2.5 x the size,
        frame selects rows, particle draws paths.
    image : 2-D frame, or 3-D volume (then z: the slice, default the middle).
    frame : draw the rows of this frame (default: the image's frame_no if
        it has one, else every row); with a particle column, each
        trajectory's path up to it (trajectories=False leaves them out).
    color : 'red', 'green', 'blue', 'yellow', 'cyan', 'magenta', 'white',
        '#RRGGBB' or (r, g, b).
    invert : show the frame inverted; minmax : grey from min to max
        (default: 0.1th to 99.9th percentile).
    radius, diameter : fixed rings (radius; or diameter, per axis too);
        circle_size is radius, trackpy's old name.
    """
    if frame is None:
        frame = getattr(image, 'frame_no', None)
    names, columns = _columns(features)
    opts = dict(color=color, invert=invert, minmax=minmax,
                radius=radius if radius is not None else circle_size, diameter=diameter,
                frame=frame, z=z, trajectories=trajectories)
    rgb, h, w, _ = _locus._annotate(_image(image, features), names, columns, opts)
    return Picture(np.frombuffer(rgb, dtype=np.uint8).reshape(h, w, 3))


def plot_traj(traj, superimpose=None, frame=None, shape=None):
    """Each trajectory's path, one colour per particle (trackpy's plot_traj),
    up to `frame` (default: all of it), drawn over `superimpose` (an image)
    or a black frame of `shape` (default: just holding every position).
    Returns a Picture."""
    if 'particle' not in traj or 'frame' not in traj:
        raise ValueError("traj must contain columns 'frame' and 'particle'")
    frames = np.asarray(traj['frame'], dtype=np.float64)
    upto = np.nanmax(frames) if frame is None and len(frames) else frame
    if superimpose is None:
        if shape is None:
            ys, xs = np.asarray(traj['y'], float), np.asarray(traj['x'], float)
            shape = (int(np.nanmax(ys, initial=0)) + 2, int(np.nanmax(xs, initial=0)) + 2)
        superimpose = np.zeros(shape, dtype=np.uint8)
    names, columns = _columns(traj)
    # rings are drawn for rows of `frame`: a frame no row has leaves only the paths
    opts = dict(radius=1, frame=float(upto) + 0.5 if upto is not None else None,
                trajectories=True)
    if upto is not None:
        keep = frames <= float(upto)
        columns = [c[keep] for c in columns]
    rgb, h, w, _ = _locus._annotate(_image(superimpose, traj), names, columns, opts)
    return Picture(np.frombuffer(rgb, dtype=np.uint8).reshape(h, w, 3))


def diag(features, bins=20, minmass=None, title='features'):
    """The diagnostic sheet of a feature table (``locus diag``), as a Diag
    object: Jupyter shows it; ``.png``, ``.svg``, ``.text``. features
    needs x, y and mass (size and frame are used when present); minmass
    is marked, and the sub-pixel and per-frame panels count mass > minmass;
    the sheet is headed "locus diag: TITLE"."""
    names, columns = _columns(features)
    opts = dict(bins=bins, minmass=minmass, title=str(title))
    d = Diag(names, columns, opts)
    d.text  # noqa: B018  the checks now, not when first shown
    return d
