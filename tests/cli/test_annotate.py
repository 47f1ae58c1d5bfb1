#!/usr/bin/env python3
"""`locus annotate` and `locus locate --annotate DIR`.

An annotated frame must have the frame's exact size and be the frame in
grey (R = G = B, scaled as documented, checked against a computation
here) everywhere except near features: every pixel that differs from the
plain scaled frame lies within radius + 2 of some feature, and every
feature's circle has changed pixels. On the bulk_water RGBA PNGs, a
16-bit TIFF, a multi-page TIFF stack and a 3-D volume. Bad tables and
options exit 2 with one line. Standard library only (tests/imagefiles.py
decodes PNG and TIFF).
"""
import csv
import math
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from tap import check, status  # noqa: E402
from imagefiles import read_png, read_tiff  # noqa: E402

LOCUS = os.environ.get('LOCUS_BIN', 'build/locus')
SHARED = os.environ.get('LOCUS_SHARED', '../shared')
BULK0 = os.path.join(SHARED, 'data', 'bulk_water', 'bulk_water_000.png')



def locus(*args):
    return subprocess.run([LOCUS, *args], capture_output=True, text=True)


def features(path, frame=None):
    """Rows of a feature CSV as dicts of floats (empty field: NaN)."""
    with open(path) as f:
        rows = [{k: float(v) if v != '' else math.nan for k, v in r.items()}
                for r in csv.DictReader(f)]
    return [r for r in rows if frame is None or r.get('frame') == frame]


def header_only(src, dst):
    """The CSV's header with no rows: annotating with it gives the plain
    scaled frame."""
    with open(src) as f, open(dst, 'w') as g:
        g.write(f.readline())


# ---- the grey frame ------------------------------------------------------

def expected_grey(values, invert, minmax=False):
    """The documented scaling: 0.1th..99.9th percentiles (sorted values at
    (n-1)//1000 and n-1-(n-1)//1000), or min..max; floor(...+0.5)."""
    s = sorted(values)
    cut = 0 if minmax else (len(s) - 1) // 1000
    lo, hi = s[cut], s[len(s) - 1 - cut]
    out = []
    for v in values:
        g = 0 if hi <= lo else math.floor((v - lo) * 255.0 / (hi - lo) + 0.5)
        g = min(255, max(0, g))
        out.append(255 - g if invert else g)
    return out


def grey_of(png):
    """R of every pixel, row by row, and whether R = G = B everywhere."""
    values, grey = [], True
    for row in png.rows:
        r, g, b = row[0::3], row[1::3], row[2::3]
        grey &= r == g == b
        values.extend(r)
    return values, grey


# ---- rings ---------------------------------------------------------------

def changed_pixels(out, plain):
    changed = []
    for y, (a, b) in enumerate(zip(out.rows, plain.rows)):
        if a != b:
            changed.extend((x, y) for x in range(out.width) if a[3 * x:3 * x + 3] != b[3 * x:3 * x + 3])
    return changed


def check_rings(out, plain, rings, what, each=True):
    """rings: (x, y, r) with r the largest semi-axis. Every changed pixel
    within r + 2 of some ring's centre; with `each`, every ring has a
    changed pixel at distance r (+-0.5) inside the picture."""
    changed = changed_pixels(out, plain)
    near = bytearray(out.width * out.height)
    for x, y, r in rings:
        for yy in range(max(0, math.floor(y - r - 2)), min(out.height, math.ceil(y + r + 2) + 1)):
            for xx in range(max(0, math.floor(x - r - 2)), min(out.width, math.ceil(x + r + 2) + 1)):
                if math.hypot(xx - x, yy - y) <= r + 2:
                    near[yy * out.width + xx] = 1
    far = [(x, y) for x, y in changed if not near[y * out.width + x]]
    check(changed and not far, f'{what}: {len(changed)} pixels changed, all within radius + 2',
          f'far from every feature: {far[:10]}')
    if not each:
        return
    changed_set = set(changed)
    missing = []
    for x, y, r in rings:
        on = [(xx, yy) for yy in range(max(0, math.floor(y - r - 1)), min(out.height, math.ceil(y + r + 1) + 1))
              for xx in range(max(0, math.floor(x - r - 1)), min(out.width, math.ceil(x + r + 1) + 1))
              if abs(math.hypot(xx - x, yy - y) - r) <= 0.5]
        if on and not any(p in changed_set for p in on):
            missing.append((x, y, r))
    check(not missing, f'{what}: every one of {len(rings)} features has its circle drawn',
          f'no ring at: {missing[:10]}')


def annotate_ok(args, what):
    r = locus('annotate', *args)
    check(r.returncode == 0, f'{what}: exit 0', r.stderr)
    return r.returncode == 0


def ring_list(rows, radius):
    return [(f['x'], f['y'], radius(f)) for f in rows]


def default_radius(f):
    return max(1.0, 2.5 * f['size'])


# ---- bulk_water: RGBA PNG, --channel 0 --invert ---------------------------

def bulk_water(tmp):
    csv_path, empty = os.path.join(tmp, 'bw.csv'), os.path.join(tmp, 'bw_empty.csv')
    r = locus('locate', '-d', '13', '--invert', '--channel', '0', BULK0, '-o', csv_path, '--quiet')
    check(r.returncode == 0, 'locate bulk_water frame 0', r.stderr)
    header_only(csv_path, empty)
    rows = features(csv_path)
    src = read_png(BULK0)
    out_path, plain_path = os.path.join(tmp, 'bw.png'), os.path.join(tmp, 'bw_plain.png')
    common = ['--channel', '0', '--invert']
    if not (annotate_ok([BULK0, csv_path, '-o', out_path, *common], 'bulk_water')
            and annotate_ok([BULK0, empty, '-o', plain_path, *common], 'bulk_water, no features')):
        return
    out, plain = read_png(out_path), read_png(plain_path)
    check((out.width, out.height, out.ctype, out.depth) == (src.width, src.height, 2, 8),
          f'output is 8-bit RGB of the frame size {src.width} x {src.height}')
    red = [src.sample(x, y, 0) for y in range(src.height) for x in range(src.width)]
    values, grey = grey_of(plain)
    check(grey, 'plain frame: R = G = B everywhere')
    check(values == expected_grey(red, True), 'plain frame: channel 0 inverted, scaled from '
          'its 0.1th..99.9th percentiles')
    check_rings(out, plain, ring_list(rows, default_radius), 'bulk_water, radius 2.5 x size')

    mm = os.path.join(tmp, 'bw_minmax.png')
    if annotate_ok([BULK0, empty, '-o', mm, *common, '--minmax'], '--minmax'):
        check(grey_of(read_png(mm))[0] == expected_grey(red, True, minmax=True),
              '--minmax: scaled from the minimum to the maximum')

    green = os.path.join(tmp, 'bw_green.png')
    if annotate_ok([BULK0, csv_path, '-o', green, *common, '--radius', '5', '--color', '#00ff00'],
                   '--radius 5 --color #00ff00'):
        g = read_png(green)
        check_rings(g, plain, ring_list(rows, lambda f: 5), '--radius 5')
        tinted = all(g.rgb(x, y)[1] > g.rgb(x, y)[0] for x, y in changed_pixels(g, plain))
        check(tinted, '--color #00ff00: changed pixels lean green')

    dia = os.path.join(tmp, 'bw_d9.png')
    if annotate_ok([BULK0, csv_path, '-o', dia, *common, '--diameter', '9'], '--diameter 9'):
        check_rings(read_png(dia), plain, ring_list(rows, lambda f: 4.5), '--diameter 9')

    # a hand-written table: no frame column (every row drawn), no size
    xy = os.path.join(tmp, 'xy.csv')
    with open(xy, 'w') as f:
        f.write('x,y\n100,50\n320.5,211.25\n0,0\n639,423\n')
    few = os.path.join(tmp, 'bw_xy.png')
    if annotate_ok([BULK0, xy, '-o', few, *common, '--radius', '7'], 'table of x, y only'):
        pts = [(100, 50, 7), (320.5, 211.25, 7), (0, 0, 7), (639, 423, 7)]
        check_rings(read_png(few), plain, pts, 'no frame column: every row, corners clipped')
    r = locus('annotate', BULK0, xy, '-o', few, *common)
    check(r.returncode == 2 and 'no size column' in r.stderr and r.stderr.count('\n') == 1,
          'no size column and no --radius: exit 2, one line', r.stderr)
    return csv_path


# ---- a linked table: each trajectory's path up to the frame shown ---------

def linked(tmp):
    """Two particles, three frames, drawn at frame 1: particle 0's step
    (100,50)->(140,50) is coloured, its later step to (180,50) is not,
    particle 1 (a lone row) has no path; --no-paths draws rings only."""
    tab = os.path.join(tmp, 'linked.csv')
    with open(tab, 'w') as f:
        f.write('y,x,frame,particle\n50,100,0,0\n50,140,1,0\n50,180,2,0\n200,300,1,1\n')
    out, rings_only = os.path.join(tmp, 'paths.png'), os.path.join(tmp, 'no_paths.png')
    common = [BULK0, tab, '--channel', '0', '--invert', '--radius', '3', '--frame', '1']
    if not (annotate_ok([*common, '-o', out], 'linked table')
            and annotate_ok([*common, '-o', rings_only, '--no-paths'], 'linked table, --no-paths')):
        return
    p, q = read_png(out), read_png(rings_only)
    coloured = lambda img, x, y: len(set(img.rgb(x, y))) > 1
    check(all(coloured(p, x, 50) for x in range(106, 135)),
          'the path so far: every pixel between frame 0 and frame 1 is coloured')
    check(not any(coloured(p, x, 50) for x in range(146, 176)),
          'the step to frame 2 is not drawn yet')
    check(not any(coloured(q, x, 50) for x in range(106, 135)),
          '--no-paths: no path, only rings')
    r = locus('annotate', BULK0, tab, '-o', out, '--no-paths=1')
    check(r.returncode == 2 and '--no-paths' in r.stderr, '--no-paths takes no value', r.stderr)


# ---- 16-bit TIFF: files, a stack, and the locate hook ----------------------

def synth(tmp, name, *extra):
    d = os.path.join(tmp, name)
    r = locus('synth', d, '--bit-depth', '16', '--format', 'tiff', '--frames', '3',
              '--shape', '96x128', '--particles', '20', '--quiet', *extra)
    check(r.returncode == 0, f'synth {name}', r.stderr)
    return d


def tiff16(tmp):
    d = synth(tmp, 'movie')
    csv_path, empty = os.path.join(tmp, 'm.csv'), os.path.join(tmp, 'm_empty.csv')
    r = locus('locate', '-d', '9', '--minmass', '2000', os.path.join(d, '*.tif'), '-o', csv_path,
              '--quiet')
    check(r.returncode == 0, 'locate the 16-bit movie', r.stderr)
    header_only(csv_path, empty)
    f1 = os.path.join(d, 'frame_001.tif')
    out_path, plain_path = os.path.join(tmp, 'm1.png'), os.path.join(tmp, 'm1_plain.png')
    if not (annotate_ok([f1, csv_path, '--frame', '1', '-o', out_path], '16-bit TIFF frame 1')
            and annotate_ok([f1, empty, '-o', plain_path], '16-bit TIFF, no features')):
        return d, csv_path
    out, plain = read_png(out_path), read_png(plain_path)
    width, height, rows = read_tiff(f1)
    check((out.width, out.height) == (width, height) == (128, 96), 'output 128 x 96 like the TIFF')
    values, grey = grey_of(plain)
    check(grey and values == expected_grey([v for row in rows for v in row], False),
          '16-bit frame scaled to 8-bit grey from its percentiles')
    check_rings(out, plain, ring_list(features(csv_path, 1.0), default_radius),
                '16-bit TIFF, the rows of frame 1 only')
    return d, csv_path


def stack(tmp, movie_csv):
    d = synth(tmp, 'stack', '--stack')
    movie = os.path.join(d, 'movie.tif')
    single = os.path.join(tmp, 'movie', 'frame_002.tif')
    a, b = os.path.join(tmp, 's2.png'), os.path.join(tmp, 'f2.png')
    if (annotate_ok([movie, movie_csv, '--frame', '2', '-o', a], 'stack --frame 2')
            and annotate_ok([single, movie_csv, '--frame', '2', '-o', b], 'frame_002.tif --frame 2')):
        check(read_png(a).rows == read_png(b).rows,
              'multi-page TIFF: --frame 2 draws page 2 with the rows of frame 2')
    page0 = os.path.join(tmp, 'movie', 'frame_000.tif')
    if (annotate_ok([movie, movie_csv, '--frame', '2', '--page', '0', '-o', a], '--page 0')
            and annotate_ok([page0, movie_csv, '--frame', '2', '-o', b], 'frame_000.tif --frame 2')):
        check(read_png(a).rows == read_png(b).rows, '--page 0 --frame 2: page 0, rows of frame 2')
    r = locus('annotate', movie, movie_csv, '--frame', '5', '-o', a)
    check(r.returncode == 2 and 'no frame 5' in r.stderr and r.stderr.count('\n') == 1,
          'stack --frame 5 of 3: exit 2, one line', r.stderr)


def locate_hook(tmp, movie_dir, movie_csv):
    out_dir = os.path.join(tmp, 'ann')
    r = locus('locate', '-d', '9', '--minmass', '2000', os.path.join(movie_dir, '*.tif'), '-o',
              os.path.join(tmp, 'hook.csv'), '--quiet', '--annotate', out_dir,
              '--annotate-frames', '0,2')
    check(r.returncode == 0, 'locate --annotate DIR --annotate-frames 0,2', r.stderr)
    names = sorted(os.listdir(out_dir)) if os.path.isdir(out_dir) else []
    check(names == ['frame_0000.png', 'frame_0002.png'], f'DIR holds the chosen frames: {names}')
    for k in (0, 2):
        ref = os.path.join(tmp, f'ref{k}.png')
        name = os.path.join(out_dir, f'frame_{k:04d}.png')
        if annotate_ok([os.path.join(movie_dir, f'frame_{k:03d}.tif'), movie_csv, '--frame', str(k),
                        '-o', ref], f'annotate frame {k}') and os.path.exists(name):
            check(read_png(name).rows == read_png(ref).rows,
                  f'frame_{k:04d}.png from locate equals locus annotate of frame {k}')
    default_dir = os.path.join(tmp, 'ann_default')
    r = locus('locate', '-d', '9', os.path.join(movie_dir, '*.tif'), '-o', os.devnull, '--quiet',
              '--annotate', default_dir)
    check(r.returncode == 0 and os.listdir(default_dir) == ['frame_0000.png'],
          '--annotate without --annotate-frames: frame 0', r.stderr)
    for args, what in [(['--annotate', out_dir, '--annotate-frames', '3'], 'a frame past the end'),
                       (['--annotate-frames', '1'], '--annotate-frames without --annotate'),
                       (['--annotate', out_dir, '--annotate-frames', '2-1'], 'a backward range'),
                       (['--annotate', movie_csv], 'DIR is a file')]:
        r = locus('locate', '-d', '9', os.path.join(movie_dir, '*.tif'), '-o', os.devnull,
                  '--quiet', *args)
        check(r.returncode == 2 and r.stderr.count('\n') == 1, f'locate {what}: exit 2, one line',
              r.stderr)


# ---- 3-D -------------------------------------------------------------------

def volume(tmp):
    d = os.path.join(tmp, 'vols')
    r = locus('synth', d, '--shape', '16x64x64', '--particles', '15', '--frames', '1',
              '--format', 'tiff', '--quiet')
    check(r.returncode == 0, 'synth a volume', r.stderr)
    csv_path = os.path.join(tmp, 'v.csv')
    vol = os.path.join(d, 'frame_000.tif')
    r = locus('locate', '-d', '5,9,9', '--volume', vol, '-o', csv_path, '--quiet')
    check(r.returncode == 0, 'locate the volume', r.stderr)
    empty = os.path.join(tmp, 'v_empty.csv')
    header_only(csv_path, empty)
    out_path, plain_path = os.path.join(tmp, 'v.png'), os.path.join(tmp, 'v_plain.png')
    if not (annotate_ok([vol, csv_path, '--volume', '--z', '8', '-o', out_path], '--volume --z 8')
            and annotate_ok([vol, empty, '--volume', '--z', '8', '-o', plain_path], 'plain slice')):
        return
    out, plain = read_png(out_path), read_png(plain_path)
    check((out.width, out.height) == (64, 64), 'slice is 64 x 64')
    rings = []
    for f in features(csv_path):
        rz = max(1.0, 2.5 * f['size_z'])
        if abs(8 - f['z']) < rz:
            rings.append((f['x'], f['y'], max(1.0, 2.5 * f['size_x'], 2.5 * f['size_y'])))
    check_rings(out, plain, rings, 'slice z = 8: cross-sections of features near it', each=False)
    r = locus('annotate', vol, csv_path, '--volume', '--z', '16', '-o', out_path)
    check(r.returncode == 2 and r.stderr.count('\n') == 1, '--z 16 of 16 slices: exit 2', r.stderr)


# ---- bad tables and options -------------------------------------------------

def bad_input(tmp, good_csv):
    cases = [('empty.csv', '', ':1: empty file'),
             ('noy.csv', 'x,mass\n1,2\n', ":1: no column 'y'"),
             ('text.csv', 'y,x,size\n1,2,3\n4,five,6\n', ":3: column 'x': 'five' is not a number"),
             ('ragged.csv', 'y,x,size\n1,2,3\n\n4,5\n', ':4: 2 fields, but the header has 3')]
    for name, text, want in cases:
        path = os.path.join(tmp, name)
        with open(path, 'w') as f:
            f.write(text)
        r = locus('annotate', BULK0, path, '--channel', '0', '-o', os.path.join(tmp, 'x.png'))
        check(r.returncode == 2 and r.stderr.count('\n') == 1
              and r.stderr.startswith(f'locus annotate: {path}{want}'),
              f'{name}: exit 2, one line "FILE:LINE: reason"', r.stderr)
    out = os.path.join(tmp, 'x.png')
    for args, what in [([BULK0, good_csv, '--channel', '0'], 'no --output'),
                       ([BULK0, good_csv, '--channel', '0', '-o', out, '--color', 'purple'],
                        'unknown colour'),
                       ([BULK0, good_csv, '--channel', '0', '-o', out, '--z', '1'],
                        '--z without --volume'),
                       ([BULK0, good_csv, '-o', out], 'RGBA frame without --channel'),
                       ([os.path.join(tmp, 'nothing.png'), good_csv, '-o', out], 'missing frame'),
                       ([BULK0, os.path.join(tmp, 'nothing.csv'), '--channel', '0', '-o', out],
                        'missing table'),
                       ([BULK0, good_csv, '--channel', '0', '-o', '/nonexistent-dir/x.png'],
                        'unwritable output'),
                       ([BULK0, '--channel', '0', '-o', out], 'one argument')]:
        r = locus('annotate', *args)
        check(r.returncode == 2 and r.stderr.count('\n') == 1 and r.stderr.startswith('locus annotate: '),
              f'{what}: exit 2, one line', r.stderr)
    r = locus('annotate', '--help')
    check(r.returncode == 0 and 'usage: locus annotate' in r.stdout, '--help')


def main():
    if not os.path.exists(BULK0):
        print(f'# SKIP {BULK0} not found')
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        bw_csv = bulk_water(tmp)
        linked(tmp)
        movie_dir, movie_csv = tiff16(tmp)
        stack(tmp, movie_csv)
        locate_hook(tmp, movie_dir, movie_csv)
        volume(tmp)
        bad_input(tmp, bw_csv)
    return status()


if __name__ == '__main__':
    sys.exit(main())
