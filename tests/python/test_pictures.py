#!/usr/bin/env python3
"""locus.annotate, locus.plot_traj and locus.diag: the same pictures as
`locus annotate` and `locus diag` (pixel for pixel, byte for byte), their
shapes and dtypes, grey outside the rings, PNG and SVG output for Jupyter,
and errors. One TAP line per check.
"""
import atexit
import glob
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
import pymodule  # noqa: E402
from tap import check, status  # noqa: E402

locus, np, pd = pymodule.setup('test_pictures')
LOCUS = os.path.join(pymodule.ROOT, os.environ.get('LOCUS_BIN', os.path.join(pymodule.BUILD,
                                                                              'locus')))
SEED = os.path.join(pymodule.SHARED, 'reference', 'bulk_water_seed.csv')
FRAMES = sorted(glob.glob(os.path.join(pymodule.SHARED, 'data', 'bulk_water', '*.png')))
TMP = tempfile.mkdtemp(prefix='locus-pypic-')
atexit.register(shutil.rmtree, TMP, ignore_errors=True)
PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'
if not os.path.exists(SEED) or len(FRAMES) < 6:
    print('# SKIP test_pictures: the bulk_water frames or features are missing (LOCUS_SHARED)')
    sys.exit(0)


def raises(exc_type, words, fn, *args, **kw):
    try:
        fn(*args, **kw)
    except exc_type as e:
        return all(w in str(e) for w in words), f'{type(e).__name__}: {e}'
    except Exception as e:  # noqa: BLE001
        return False, f'raised {type(e).__name__}: {e}'
    return False, 'did not raise'


def check_raised(ok, detail, what):
    return check(ok, what, detail)


def read_rgb(path):
    return np.dstack([locus.imread(path, channel=c) for c in range(3)])


def cli(*args):
    return subprocess.run([LOCUS, *args], capture_output=True, text=True)


f = pd.read_csv(SEED)
image = locus.imread(FRAMES[5], channel=0)
pic = locus.annotate(f, image, frame=5)
check(isinstance(pic, np.ndarray) and pic.shape == image.shape + (3,) and pic.dtype == np.uint8,
      'annotate: an RGB uint8 array of the frame\'s shape', (type(pic), pic.shape, pic.dtype))

# the same picture as `locus annotate`
csv = os.path.join(TMP, 'features.csv')
f.to_csv(csv, index=False)
out = os.path.join(TMP, 'annotate.png')
run = cli('annotate', FRAMES[5], csv, '--frame', '5', '--channel', '0', '-o', out)
check(run.returncode == 0 and np.array_equal(read_rgb(out), np.asarray(pic)),
      'annotate: pixel for pixel what `locus annotate` draws', run.stderr[-1500:])

# grey away from the rings, red on them
rows = f[f['frame'] == 5]
yy, xx = np.mgrid[:image.shape[0], :image.shape[1]]
near = np.zeros(image.shape, bool)
for y, x, s in zip(rows['y'], rows['x'], rows['size']):
    r = 2.5 * s + 2
    y0, y1 = max(int(y - r), 0), min(int(y + r) + 2, image.shape[0])
    x0, x1 = max(int(x - r), 0), min(int(x + r) + 2, image.shape[1])
    near[y0:y1, x0:x1] |= (yy[y0:y1, x0:x1] - y) ** 2 + (xx[y0:y1, x0:x1] - x) ** 2 <= r * r
a = np.asarray(pic).astype(int)
grey = (a[..., 0] == a[..., 1]) & (a[..., 1] == a[..., 2])
check(grey[~near].all(), 'annotate: grey (R = G = B) away from every ring',
      f'{(~grey[~near]).sum()} coloured pixels away from the rings')
reddish = (a[..., 0] > a[..., 1] + 40) & near
check(reddish.sum() > 20 * len(rows), 'annotate: red rings around the features',
      f'{reddish.sum()} red pixels for {len(rows)} features')
green = np.asarray(locus.annotate(f, image, frame=5, color='green')).astype(int)
check(((green[..., 1] > green[..., 0] + 40) & near).sum() > 20 * len(rows) and
      np.array_equal(np.asarray(locus.annotate(f, image, frame=5, color=(0, 255, 0))),
                     green.astype(np.uint8)),
      "annotate: color='green' and color=(0, 255, 0) are the same green rings")
check(np.array_equal(np.asarray(locus.annotate(rows, image)), a.astype(np.uint8)),
      "annotate: frame=None draws every row given (one frame's rows: the same picture)")

# Jupyter
png = pic._repr_png_()
check(isinstance(png, bytes) and png.startswith(PNG_SIGNATURE) and png == pic.png,
      'annotate: _repr_png_ is the PNG (signature)')
pic.save(os.path.join(TMP, 'saved.png'))
check(np.array_equal(read_rgb(os.path.join(TMP, 'saved.png')), a.astype(np.uint8)),
      'Picture.save writes a PNG that reads back to the same pixels')
check(locus.Picture(np.zeros((2, 3), np.uint8))._repr_png_() is None,
      'a Picture not height x width x 3 shows no PNG')

# linked tables: paths up to the frame
t = locus.link(f, 5, memory=3)
paths = np.asarray(locus.annotate(t, image, frame=5)).astype(int)
nopaths = np.asarray(locus.annotate(t, image, frame=5, trajectories=False))
check(np.array_equal(nopaths, a.astype(np.uint8)) and not np.array_equal(paths, a),
      'annotate: a particle column adds the paths; trajectories=False leaves them out')
t.to_csv(os.path.join(TMP, 'tracks.csv'), index=False)
run = cli('annotate', FRAMES[5], os.path.join(TMP, 'tracks.csv'), '--frame', '5', '--channel',
          '0', '-o', out)
check(run.returncode == 0 and np.array_equal(read_rgb(out), paths.astype(np.uint8)),
      'annotate with paths: what `locus annotate` draws from the linked table', run.stderr)
traj = locus.plot_traj(t)
check(traj.ndim == 3 and traj.shape[2] == 3 and traj.dtype == np.uint8 and
      (np.asarray(traj).max(axis=2) > 0).sum() > 1000,
      'plot_traj: the paths on a black frame', traj.shape)
traj2 = locus.plot_traj(t, superimpose=image, frame=5)
check(traj2.shape == pic.shape, 'plot_traj over an image, up to a frame')

# volumes
vol = np.zeros((5, 40, 50), np.float32)
vol[2, 20, 25] = 1
fv = pd.DataFrame({'z': [2.0], 'y': [20.0], 'x': [25.0]})
pv = locus.annotate(fv, vol, radius=4)
check(pv.shape == (40, 50, 3) and (np.asarray(pv)[..., 0] > np.asarray(pv)[..., 1]).any(),
      'annotate: a volume is drawn at its middle slice', pv.shape)

# errors
check_raised(*raises(ValueError, ['radius'], locus.annotate, f.drop(columns='size'), image, frame=5),
      'annotate without a size column, radius or diameter: ValueError')
check_raised(*raises(ValueError, ['color'], locus.annotate, f, image, color='mauve'),
      'annotate: an unknown colour is a ValueError')
check_raised(*raises(ValueError, [], locus.annotate, f.drop(columns='x'), image),
      'annotate without an x column: ValueError')
check_raised(*raises(TypeError, [], locus.annotate, f, np.zeros(5)), 'annotate of a 1-D array: TypeError')

# the diagnostic sheet
d = locus.diag(f, minmass=100, title=csv)
check(d.png.startswith(PNG_SIGNATURE) and d._repr_png_() == d.png,
      'diag: PNG bytes, shown by _repr_png_')
svg = d._repr_svg_()
check(isinstance(svg, str) and '<svg' in svg and svg.rstrip().endswith('</svg>'),
      'diag: SVG text, shown by _repr_svg_')
check(d.text.startswith('mass_histogram bins=20 counted=') and 'features_per_frame' in d.text,
      'diag: the histograms\' numbers as text', d.text[:200])
sheet = os.path.join(TMP, 'diag.png')
run = cli('diag', csv, '--minmass', '100', '-o', sheet)
check(run.returncode == 0 and open(sheet, 'rb').read() == d.png,
      'diag: byte for byte the PNG `locus diag` writes', run.stderr)
run = cli('diag', csv, '--minmass', '100', '-o', os.path.join(TMP, 'diag.svg'))
check(run.returncode == 0 and open(os.path.join(TMP, 'diag.svg')).read() == d.svg,
      'diag: the same SVG as `locus diag`', run.stderr)
run = cli('diag', csv, '--minmass', '100', '--bins', '7', '--print', '-o',
          os.path.join(TMP, 'd7.png'))
check(run.returncode == 0 and run.stdout == locus.diag(f, bins=7, minmass=100, title=csv).text,
      'diag(bins=7).text is `locus diag --print`', run.stdout[:300] + run.stderr)
d.save(os.path.join(TMP, 'd.svg'))
check(open(os.path.join(TMP, 'd.svg')).read() == d.svg, 'Diag.save(".svg") writes the SVG')
check_raised(*raises(ValueError, ['mass'], locus.diag, f.drop(columns='mass')),
      'diag without a mass column: ValueError')
check_raised(*raises(ValueError, ['bins'], locus.diag, f, bins=0), 'diag(bins=0): ValueError')

sys.exit(status())
