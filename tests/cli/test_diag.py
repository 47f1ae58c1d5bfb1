#!/usr/bin/env python3
"""`locus diag`: the diagnostic sheet (PNG and SVG) and its numbers.

The counts printed with --print must equal counts computed here from the
CSV with numpy.histogram's rule (edges i * ((hi - lo) / bins) + lo, the
last edge hi, bin i holds edge i <= v < edge i+1, the last also hi): the
mass histogram, the fractional parts of x and y on [0, 1], and features
per frame. The PNG must be valid (signature, IHDR 1200 x 900, every
CRC, decompressed size) and the SVG must parse as XML with the panels'
titles as <text>. Bad tables exit 2 with one line "FILE:LINE: reason".
Standard library only.
"""
import bisect
import csv
import math
import os
import random
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from tap import check, status  # noqa: E402
from imagefiles import read_png  # noqa: E402

LOCUS = os.environ.get('LOCUS_BIN', 'build/locus')
SHARED = os.environ.get('LOCUS_SHARED', '../shared')
BULK = os.path.join(SHARED, 'data', 'bulk_water')
SVG = '{http://www.w3.org/2000/svg}'



def locus(*args):
    return subprocess.run([LOCUS, *args], capture_output=True, text=True)


def column(path, name):
    with open(path) as f:
        return [float(r[name]) if r[name] != '' else math.nan for r in csv.DictReader(f)]


# ---- the numbers, computed here ------------------------------------------

def histogram(values, bins, lo=None, hi=None):
    """numpy.histogram(values, bins) for the finite values: (edges, counts)."""
    v = [x for x in values if math.isfinite(x)]
    if lo is None:
        lo, hi = (min(v), max(v)) if v else (0.0, 1.0)
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
    step = (hi - lo) / bins
    edges = [i * step + lo for i in range(bins)] + [hi]
    counts = [0] * bins
    for x in v:
        if lo <= x <= hi:
            counts[min(bisect.bisect_right(edges, x) - 1, bins - 1)] += 1
    return edges, counts


def frac(v):
    return v - math.floor(v) if math.isfinite(v) else math.nan


def expected(path, bins, minmass=None):
    """What --print should say, as a dict of section -> list of tuples.
    With minmass, the sub-pixel and per-frame counts keep mass > minmass."""
    mass, x, y = column(path, 'mass'), column(path, 'x'), column(path, 'y')
    keep = [minmass is None or m > minmass for m in mass]
    out = {}
    for name, values, rng in [('mass_histogram', mass, (None, None)),
                              ('subpixel_x', [frac(v) for v, k in zip(x, keep) if k], (0.0, 1.0)),
                              ('subpixel_y', [frac(v) for v, k in zip(y, keep) if k], (0.0, 1.0))]:
        edges, counts = histogram(values, bins, *rng)
        out[name] = [(edges[i], edges[i + 1], counts[i]) for i in range(bins)]
    with open(path) as f:
        reader = csv.DictReader(f)
        frames = [int(float(r['frame'])) if 'frame' in r else 0 for r in reader]
    if frames:
        lo, hi = min(frames), max(frames)
        kept = [f for f, k in zip(frames, keep) if k]
        out['features_per_frame'] = [(f, kept.count(f)) for f in range(lo, hi + 1)]
    else:
        out['features_per_frame'] = []
    return out


def parse_print(text):
    """--print output as section -> list of number tuples."""
    out, name = {}, None
    for line in text.splitlines():
        words = line.split()
        if '=' in line:
            name = words[0]
            out[name] = []
        elif name == 'features_per_frame':
            out[name].append((int(words[0]), int(words[1])))
        else:
            out[name].append((float(words[0]), float(words[1]), int(words[2])))
    return out


def check_numbers(path, bins, what, minmass=None):
    extra = ['--minmass', repr(minmass)] if minmass is not None else []
    r = locus('diag', path, '--print', '--bins', str(bins), *extra)
    if r.returncode != 0:
        check(False, f'{what}: diag --print exit 0', r.stderr)
        return
    got, want = parse_print(r.stdout), expected(path, bins, minmass)
    for name in ('mass_histogram', 'subpixel_x', 'subpixel_y', 'features_per_frame'):
        check(got.get(name) == want[name], f'{what}: {name} ({len(want[name])} lines) as computed here',
              f'got  {got.get(name)}\nwant {want[name]}')


# ---- the pictures ----------------------------------------------------------

def check_png(path, what, bars=True):
    try:
        png = read_png(path)
    except (ValueError, OSError) as e:
        check(False, f'{what}: a valid PNG', e)
        return None
    check((png.width, png.height, png.ctype, png.depth) == (1200, 900, 2, 8),
          f'{what}: valid PNG (signature, CRCs, size), 8-bit RGB 1200 x 900')
    colours = {png.rgb(x, y) for y in range(0, 900, 3) for x in range(0, 1200, 3)}
    check(((31, 119, 180) in colours or not bars) and (255, 255, 255) in colours
          and (30, 30, 30) in colours, f'{what}: white paper, ink{", blue bars" if bars else ""}')
    return png


def parse_svg(path, what):
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as e:
        check(False, f'{what}: SVG parses as XML', e)
        return None, []
    texts = [t.text or '' for t in root.iter(SVG + 'text')]
    check(root.tag == SVG + 'svg' and root.get('width') == '1200' and root.get('height') == '900',
          f'{what}: SVG parses as XML, <svg> 1200 x 900')
    return root, texts


def sheet(tmp, csv_path):
    png_path, svg_path = os.path.join(tmp, 'sheet.png'), os.path.join(tmp, 'sheet.svg')
    r = locus('diag', csv_path, '-o', png_path)
    check(r.returncode == 0 and r.stdout == '' and r.stderr == '', 'diag -o sheet.png: exit 0, quiet',
          r.stderr)
    check_png(png_path, 'bulk_water sheet')
    r = locus('diag', csv_path, '-o', svg_path, '--minmass', '250')
    check(r.returncode == 0, 'diag -o sheet.svg --minmass 250: exit 0', r.stderr)
    root, texts = parse_svg(svg_path, 'bulk_water sheet')
    if root is None:
        return
    titles = ['(a) Mass histogram', '(b) Mass vs size', '(c) Sub-pixel bias: flat is good',
              '(d) Features per frame', 'mass (integrated brightness)', 'fractional part of position']
    check(all(t in texts for t in titles), 'SVG: panel titles and axis labels are <text>', texts)
    mass, size = column(csv_path, 'mass'), column(csv_path, 'size')
    kept = sum(m > 250 for m in mass)
    check(f'minmass 250: {kept} kept' in texts, f'--minmass 250: marked, {kept} features kept')
    points = sum(math.isfinite(m) and math.isfinite(s) for m, s in zip(mass, size))
    frames = len(set(column(csv_path, 'frame')))
    circles = len(list(root.iter(SVG + 'circle')))
    check(circles == points + frames, f'SVG: a dot per feature and per frame ({circles})')


def write_csv(path, header, rows):
    with open(path, 'w') as f:
        f.write(header + '\n')
        for row in rows:
            f.write(','.join(row) + '\n')


def other_tables(tmp):
    rnd = random.Random(7)
    # no frame column, per-axis sizes, pandas' index column, an empty field
    aniso = os.path.join(tmp, 'aniso.csv')
    write_csv(aniso, ',y,x,mass,size_y,size_x',
              [(str(i), repr(rnd.uniform(0, 50)), repr(rnd.uniform(0, 80)) if i != 3 else '',
                repr(rnd.gauss(500, 100)), repr(rnd.uniform(1, 3)), repr(rnd.uniform(1, 3)))
               for i in range(300)])
    check_numbers(aniso, 13, 'no frame column, an empty x')
    svg = os.path.join(tmp, 'aniso.svg')
    r = locus('diag', aniso, '-o', svg)
    _, texts = parse_svg(svg, 'per-axis sizes')
    check(r.returncode == 0 and 'mean of size_y, size_x' in texts and 'frame (no column)' in texts,
          'per-axis sizes: their mean, labelled; no frame column: one frame', r.stderr)
    # frames with gaps, equal masses (the range widens to +-0.5), no size
    gaps = os.path.join(tmp, 'gaps.csv')
    write_csv(gaps, 'x,y,mass,frame', [('1.25', '2.5', '7', '3'), ('4', '5', '7', '3'),
                                       ('6.75', '0.125', '7', '6')])
    check_numbers(gaps, 4, 'frames 3 and 6 only, equal masses')
    r = locus('diag', gaps, '-o', os.path.join(tmp, 'gaps.png'))
    check(r.returncode == 0, 'a table without size: sheet drawn', r.stderr)
    # header only: nothing to count, still a sheet
    empty = os.path.join(tmp, 'none.csv')
    write_csv(empty, 'y,x,mass,size,frame', [])
    check_numbers(empty, 20, 'no rows')
    r = locus('diag', empty, '-o', os.path.join(tmp, 'none.png'))
    check(r.returncode == 0, 'no rows: sheet drawn', r.stderr)
    if r.returncode == 0:
        check_png(os.path.join(tmp, 'none.png'), 'empty sheet', bars=False)
    # many rows: the SVG scatter is subsampled, the PNG is not
    many = os.path.join(tmp, 'many.csv')
    write_csv(many, 'y,x,mass,size,frame',
              [(repr(rnd.uniform(0, 500)), repr(rnd.uniform(0, 500)), repr(rnd.lognormvariate(6, 0.4)),
                repr(rnd.uniform(1.5, 3)), str(i // 250)) for i in range(25000)])
    check_numbers(many, 50, '25000 rows, 100 frames')
    svg = os.path.join(tmp, 'many.svg')
    r = locus('diag', many, '-o', svg)
    root, texts = parse_svg(svg, '25000 rows')
    if root is not None:
        circles = len(list(root.iter(SVG + 'circle')))
        check('(b) Mass vs size (1 in 2 shown)' in texts and circles == 12500 + 100,
              f'SVG scatter: every 2nd of 25000 dots, said in the title ({circles})')


def bad_tables(tmp):
    cases = [('empty.csv', '', ':1: empty file (no header)'),
             ('nomass.csv', 'y,x,size,frame\n1,2,3,0\n', ":1: no column 'mass'"),
             ('text.csv', 'y,x,mass,frame\n1,2,3,0\n4,5,lots,0\n', ":3: column 'mass': 'lots' is not a number"),
             ('ragged.csv', 'y,x,mass,frame\n1,2,3,0\n4,5,6,0,7\n', ':3: 5 fields, but the header has 4'),
             ('frame.csv', 'y,x,mass,frame\n1,2,3,0\n\n1,2,3,1.5\n', ":4: frame '1.5' is not a whole number"),
             ('quote.csv', 'y,x,mass\n1,2,"3\n', ':2: unterminated quote')]
    for name, text, want in cases:
        path = os.path.join(tmp, name)
        with open(path, 'w') as f:
            f.write(text)
        out = os.path.join(tmp, 'bad.png')
        r = locus('diag', path, '-o', out, '--print')
        check(r.returncode == 2 and r.stderr.count('\n') == 1 and r.stdout == ''
              and r.stderr.startswith(f'locus diag: {path}{want}') and not os.path.exists(out),
              f'{name}: exit 2, one line "locus diag: FILE:LINE: reason", no output', r.stderr)
    good = os.path.join(tmp, 'gaps.csv')
    for args, what in [([good], 'neither --output nor --print'),
                       ([good, '-o', os.path.join(tmp, 'x.jpg')], 'an output that is not .png/.svg'),
                       ([good, '--print', '--bins', '0'], '--bins 0'),
                       ([good, '--print', '--minmass', 'lots'], '--minmass lots'),
                       ([good, good, '--print'], 'two tables'),
                       ([good, '-o', '/nonexistent-dir/x.svg'], 'unwritable SVG'),
                       ([good, '-o', '/nonexistent-dir/x.png'], 'unwritable PNG'),
                       ([os.path.join(tmp, 'nothing.csv'), '--print'], 'missing table')]:
        r = locus('diag', *args)
        check(r.returncode == 2 and r.stderr.count('\n') == 1 and r.stderr.startswith('locus diag: '),
              f'{what}: exit 2, one line', r.stderr)
    r = locus('diag', '--help')
    check(r.returncode == 0 and 'usage: locus diag' in r.stdout, '--help')


def main():
    frames = sorted(os.path.join(BULK, f) for f in os.listdir(BULK) if f.endswith('.png'))[:10] \
        if os.path.isdir(BULK) else []
    if not frames:
        print(f'# SKIP {BULK} not found')
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        bw = os.path.join(tmp, 'bw.csv')
        r = locus('locate', '-d', '13', '--invert', '--channel', '0', *frames, '-o', bw, '--quiet')
        check(r.returncode == 0, 'locate 10 bulk_water frames', r.stderr)
        check_numbers(bw, 20, 'bulk_water')
        check_numbers(bw, 7, 'bulk_water --bins 7')
        check_numbers(bw, 20, 'bulk_water --minmass 250: (c), (d) count mass > 250', 250.0)
        sheet(tmp, bw)
        other_tables(tmp)
        bad_tables(tmp)
    return status()


if __name__ == '__main__':
    sys.exit(main())
