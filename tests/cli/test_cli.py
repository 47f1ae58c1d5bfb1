#!/usr/bin/env python3
"""Command-line behaviour of `locus locate`: bad input gets exit 2 and one
line on stderr naming the file or option and the reason; good input gets
the table it should. Test images are written by hand (struct + zlib), so
this needs nothing beyond Python's standard library.
"""
import csv
import io
import os
import struct
import subprocess
import sys
import tempfile
import zlib

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from tap import check, status  # noqa: E402

LOCUS = os.environ.get('LOCUS_BIN', 'build/locus')
SHARED = os.environ.get('LOCUS_SHARED', '../shared')
BULK = os.path.join(SHARED, 'data', 'bulk_water')



def locus(*args, stdin=None):
    return subprocess.run([LOCUS, *args], capture_output=True, text=True, input=stdin)


# ---- images written by hand ----------------------------------------------

def png_bytes(width, height, rows, bit_depth=8, colour=0, crc_ok=True):
    """A PNG with filter type 0 on every row; rows are bytes objects."""
    def chunk(kind, data):
        crc = zlib.crc32(kind + data) & 0xffffffff
        if not crc_ok and kind == b'IDAT':
            crc ^= 1
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', crc)
    raw = b''.join(b'\0' + r for r in rows)
    ihdr = struct.pack('>IIBBBBB', width, height, bit_depth, colour, 0, 0, 0)
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr) + chunk(b'IDAT', zlib.compress(raw))
            + chunk(b'IEND', b''))


def grey8(width, height, value=lambda y, x: 0):
    rows = [bytes(value(y, x) & 255 for x in range(width)) for y in range(height)]
    return png_bytes(width, height, rows)


def tiff_bytes(width, height, data, bits=16, sample_format=1, samples=1):
    """A little-endian one-strip TIFF."""
    entries = [(256, 3, 1, width), (257, 3, 1, height), (258, 3, 1, bits), (259, 3, 1, 1),
               (262, 3, 1, 1), (273, 4, 1, 0), (277, 3, 1, samples), (278, 3, 1, height),
               (279, 4, 1, len(data)), (339, 3, 1, sample_format)]
    ifd_offset = 8
    data_offset = ifd_offset + 2 + 12 * len(entries) + 4
    out = io.BytesIO()
    out.write(b'II*\0' + struct.pack('<I', ifd_offset) + struct.pack('<H', len(entries)))
    for tag, typ, count, value in entries:
        if tag == 273:
            value = data_offset
        if typ == 3:
            out.write(struct.pack('<HHIHH', tag, typ, count, value, 0))
        else:
            out.write(struct.pack('<HHII', tag, typ, count, value))
    out.write(struct.pack('<I', 0))
    out.write(data)
    return out.getvalue()


def spots(width, height, centres, amp=200, sigma=1.5):
    import math

    def v(y, x):
        s = sum(amp * math.exp(-((y - cy) ** 2 + (x - cx) ** 2) / (2 * sigma ** 2))
                for cy, cx in centres)
        return min(255, int(10 + s))
    return grey8(width, height, v)


# ---- helpers ---------------------------------------------------------------

def expect_error(args, names, what, code=2):
    """Exit `code`, exactly one line on stderr that mentions every string in names."""
    r = locus(*args)
    lines = r.stderr.strip().splitlines()
    # standard output may hold the CSV header (the table of the frames
    # before the failure, none here), never rows
    ok = (r.returncode == code and len(lines) == 1
          and all(s in lines[0] for s in names) and len(r.stdout.strip().splitlines()) <= 1)
    check(ok, f'{what}: exit {code} and one line naming {", ".join(names)}',
          f'exit {r.returncode}\nstderr: {r.stderr}\nstdout: {r.stdout[:200]}')
    return lines[0] if lines else ''


def write(path, data):
    with open(path, 'wb') as fh:
        fh.write(data)
    return path


def rows_of(text):
    return list(csv.reader(io.StringIO(text)))


def main():
    tmp = tempfile.mkdtemp(prefix='locus-cli-')
    good = write(os.path.join(tmp, 'good.png'), spots(64, 48, [(20, 20), (30, 45)]))
    first = os.path.join(BULK, 'bulk_water_000.png')
    png = open(first, 'rb').read()

    # -- bad input files
    missing = os.path.join(tmp, 'nope.png')
    expect_error(['locate', '-d', '9', missing], [missing, 'No such file'], 'missing file')
    empty = write(os.path.join(tmp, 'empty.png'), b'')
    expect_error(['locate', '-d', '9', empty], [empty, 'empty'], 'empty file')
    for frac in (0.3, 0.9):
        cut = write(os.path.join(tmp, f'cut{int(frac * 100)}.png'), png[:int(len(png) * frac)])
        expect_error(['locate', '-d', '13', '--channel', '0', cut], [cut, 'truncated'],
                     f'PNG truncated at {int(frac * 100)}%')
    bad_crc = write(os.path.join(tmp, 'crc.png'), png_bytes(16, 16, [bytes(16)] * 16,
                                                            crc_ok=False))
    expect_error(['locate', '-d', '9', bad_crc], [bad_crc, 'CRC'], 'corrupt PNG (bad CRC)')
    flipped = bytearray(png)
    flipped[len(png) // 2] ^= 0x55
    flip = write(os.path.join(tmp, 'flip.png'), bytes(flipped))
    expect_error(['locate', '-d', '13', '--channel', '0', flip], [flip], 'corrupt PNG (flipped byte)')
    text = write(os.path.join(tmp, 'notes.png'), b'these are not pixels\n' * 10)
    expect_error(['locate', '-d', '9', text], [text], 'a text file named .png')

    tif = open(os.path.join(SHARED, 'data', 'synthetic', 'spots16.tif'), 'rb').read()
    tcut = write(os.path.join(tmp, 'cut.tif'), tif[:len(tif) // 3])
    expect_error(['locate', '-d', '9', tcut], [tcut], 'truncated multi-page TIFF')
    tgarbage = write(os.path.join(tmp, 'garbage.tif'), b'II*\0' + b'\xff' * 200)
    expect_error(['locate', '-d', '9', tgarbage], [tgarbage], 'corrupt TIFF header')
    short = write(os.path.join(tmp, 'short.tif'), tiff_bytes(32, 32, bytes(100)))
    expect_error(['locate', '-d', '9', short], [short], 'TIFF whose strip ends early')

    zero = write(os.path.join(tmp, 'zero.png'), png_bytes(0, 0, []))
    expect_error(['locate', '-d', '9', zero], [zero], '0x0 PNG')
    one = write(os.path.join(tmp, 'one.png'), grey8(1, 1))
    expect_error(['locate', '-d', '9', one], [one, '1x1', 'smaller than the diameter'], '1x1 PNG')

    # a 1-bit PNG reads (as 0/1, docs/FORMATS.md); a palette one needs a channel
    onebit = write(os.path.join(tmp, 'onebit.png'),
                   png_bytes(16, 16, [bytes(2)] * 16, bit_depth=1))
    r = locus('locate', '-d', '9', '--quiet', onebit)
    check(r.returncode == 0, '1-bit PNG: read', r.stderr)
    palette = write(os.path.join(tmp, 'palette.png'),
                    png_bytes(16, 16, [bytes(16)] * 16, colour=3))
    expect_error(['locate', '-d', '9', palette], [palette, 'colour image', 'channel'],
                 'palette PNG without a channel')
    int16 = write(os.path.join(tmp, 'int16.tif'), tiff_bytes(32, 32, bytes(2048), bits=16,
                                                             sample_format=2))
    r = locus('locate', '-d', '9', '--quiet', int16)
    check(r.returncode == 0 and r.stdout.startswith('y,x,mass'), 'int16 TIFF: read and located',
          r.stderr)
    cint = write(os.path.join(tmp, 'cint16.tif'), tiff_bytes(32, 32, bytes(2048), bits=16,
                                                             sample_format=5))
    expect_error(['locate', '-d', '9', cint], [cint, 'complex'], 'unsupported complex TIFF')

    # -- colour
    line = expect_error(['locate', '-d', '13', first], [first, '--channel'],
                        'RGBA image without --channel')
    check('0' in line and 'red' in line, 'the colour message says how to pick a channel', line)
    expect_error(['locate', '-d', '13', '--channel', '4', first], [first, 'channel 4'],
                 'channel out of range')
    expect_error(['locate', '-d', '9', '--channel', '1', good], [good, 'channel 1'],
                 'channel 1 of a grey image')

    # -- bad options
    expect_error(['locate', '-d', '12', good], ['--diameter', 'odd'], 'even diameter')
    expect_error(['locate', '-d', '9', '--noise-size', '9', good],
                 ['--noise-size', '--smoothing-size'], 'noise size >= smoothing size')
    expect_error(['locate', '-d', '9', '--smoothing-size', '8', good], ['--smoothing-size'],
                 'even smoothing size')
    expect_error(['locate', '-d', '9', '--frobnicate', good], ['--frobnicate', 'unknown option'],
                 'unknown option')
    expect_error(['locate', '-d', '9x', good], ['--diameter', '9x'], 'bad number for -d')
    expect_error(['locate', '-d', '9', '--minmass', 'lots', good], ['--minmass', 'lots'],
                 'bad number for --minmass')
    expect_error(['locate', '-d', '9', '--percentile', '120', good], ['--percentile'],
                 'percentile out of range')
    expect_error(['locate', '-d', '9', '--topn', '-3', good], ['--topn'], 'negative topn')
    expect_error(['locate', '-d', '9', '-j', '0', good], ['-j'], 'zero threads')
    expect_error(['locate', '-d', '5,9,9', good], ['--diameter', '3 values'],
                 'three diameters for a 2-D image')
    expect_error(['locate', '-d', '9,,9', good], ['--diameter'], 'empty list item')
    expect_error(['locate', good], ['--diameter', 'required'], 'missing diameter')
    expect_error(['locate', '-d', '9'], ['INPUT'], 'no input')
    expect_error(['locate', '-d', '9', '--minmass'], ['--minmass', 'needs a value'],
                 'option without its value')
    expect_error(['frobnicate'], ['frobnicate'], 'unknown command')
    pattern = os.path.join(tmp, 'nothing-*.png')
    expect_error(['locate', '-d', '9', pattern], [pattern], 'pattern matching nothing')
    nodir = os.path.join(tmp, 'no', 'such', 'dir', 'out.csv')
    expect_error(['locate', '-d', '9', '-o', nodir, good], [nodir], 'unwritable output')
    expect_error(['locate', '-d', '9', '--volume', good], [good, '--volume'],
                 '--volume with a PNG')

    # -- help and version
    r = locus('--help')
    check(r.returncode == 0 and 'locate' in r.stdout and 'synth' in r.stdout, 'locus --help')
    r = locus('locate', '--help')
    check(r.returncode == 0 and '--diameter' in r.stdout and 'exit status' in r.stdout,
          'locus locate --help lists options and exit codes')
    r = locus('--version')
    check(r.returncode == 0 and r.stdout.startswith('locus '), 'locus --version', r.stdout)
    r = locus()
    check(r.returncode == 2 and 'usage' in r.stderr, 'locus without a command: usage, exit 2')

    # -- good input
    r = locus('locate', '--quiet', '-d', '9', good)
    rows = rows_of(r.stdout)
    check(r.returncode == 0 and rows[0] == ['y', 'x', 'mass', 'size', 'ecc', 'signal',
                                            'raw_mass', 'ep', 'frame'],
          'header: trackpy columns then frame', r.stdout[:300] + r.stderr)
    found = sorted((round(float(a[0])), round(float(a[1]))) for a in rows[1:])
    check(found == [(20, 20), (30, 45)], 'both spots found at their centres', found)
    blank = write(os.path.join(tmp, 'blank.png'), grey8(32, 32, lambda y, x: 7))
    r = locus('locate', '-d', '9', blank)
    check(r.returncode == 0 and len(rows_of(r.stdout)) == 1 and 'blank' in r.stderr,
          'a blank frame: header only, exit 0, summary says blank', r.stdout + r.stderr)
    out = os.path.join(tmp, 'out.csv')
    r = locus('locate', '--quiet', '-d', '9', '-o', out, good)
    check(r.returncode == 0 and open(out).read() == locus('locate', '--quiet', '-d', '9',
                                                          good).stdout,
          '-o FILE writes what standard output gets')
    r = locus('locate', '-d', '9', good, '-o', out)
    check(r.returncode == 0 and 'frames' in r.stderr and 'frames/s' in r.stderr,
          'a one-line summary on stderr', r.stderr)
    r = locus('locate', '--quiet', '-d', '9', '-o', out, good)
    check(r.stderr == '', '--quiet prints nothing', r.stderr)

    # frames: directory (sorted by name), glob, multi-page TIFF, numbering in input order
    d = os.path.join(tmp, 'movie')
    os.mkdir(d)
    for i, c in enumerate([(20, 20), (24, 30), (28, 40)]):
        write(os.path.join(d, f'f{2 - i}.png'), spots(64, 48, [c]))
    write(os.path.join(d, 'readme.txt'), b'not an image')
    r = locus('locate', '--quiet', '-d', '9', d)
    rows = rows_of(r.stdout)[1:]
    by_frame = {int(a[-1]): round(float(a[1])) for a in rows}
    check(r.returncode == 0 and by_frame == {0: 40, 1: 30, 2: 20},
          'a directory: its images sorted by name, frames from 0', by_frame)
    r = locus('locate', '--quiet', '-d', '9', os.path.join(d, 'f[01].png'), good)
    frames = sorted({int(a[-1]) for a in rows_of(r.stdout)[1:]})
    check(r.returncode == 0 and frames == [0, 1, 2], 'a glob then a file: frames 0..2', frames)
    r = locus('locate', '--quiet', '-d', '9', '--minmass', '5000',
              os.path.join(SHARED, 'data', 'synthetic', 'spots16.tif'))
    frames = sorted({int(a[-1]) for a in rows_of(r.stdout)[1:]})
    check(r.returncode == 0 and frames == list(range(10)),
          'a 10-page TIFF gives frames 0..9', frames)

    # a run that fails before its first frame leaves no output behind, and
    # never truncates an existing file (a finished run's table, say)
    fresh = os.path.join(tmp, 'never.csv')
    r = locus('locate', '--quiet', '-d', '501', '-o', fresh, good)
    check(r.returncode == 2 and not os.path.exists(fresh),
          'a run that fails before its first frame creates no output file', r.stderr)
    kept = os.path.join(tmp, 'kept.csv')
    write(kept, b'y,x,mass\n1,2,3\n')
    r = locus('locate', '--quiet', '-d', '501', '-o', kept, good)
    check(r.returncode == 2 and open(kept, 'rb').read() == b'y,x,mass\n1,2,3\n',
          'nor does it truncate an existing one', r.stderr)
    r = locus('locate', '--quiet', '-d', '9', '-o', kept, good)
    check(r.returncode == 0 and open(kept).read().startswith('y,x,mass,size'),
          'a run that succeeds replaces it', r.stderr)

    # a switch given a value names the switch (getopt's code was printed raw)
    for cmd in (['locate', '-d', '9', '--invert=True', good], ['locate', '-d', '9',
                '--no-preprocess=1', good], ['synth', os.path.join(tmp, 's'), '--stack=yes'],
                ['diag', kept, '--print=1'], ['annotate', good, kept, '-o', 'x.png',
                '--minmax=1']):
        r = locus(*cmd)
        opt = [a for a in cmd if '=' in a][0].split('=')[0]
        line = r.stderr.strip()
        check(r.returncode == 2 and len(line.splitlines()) == 1 and f'{opt}: takes no value' in line
              and line.isprintable(), f'{cmd[0]} {opt}=...: "{opt}: takes no value"', line)
    r = locus('locate', '--help')
    check(r.stdout.startswith('usage: locus locate -d DIAMETER'), 'locate --help: the usage line',
          r.stdout[:80])
    r = locus('locate', '--bogus', good)
    check('try locus locate --help' in r.stderr, 'the hint names the command once', r.stderr)

    # every number reads back as the same double, written as short as possible
    r = locus('locate', '--quiet', '-d', '13', '--invert', '--channel', '0', first)
    rows = rows_of(r.stdout)[1:]
    texts = [v for a in rows for v in a[:-1] if v]
    check(all(repr(float(v)) == v or (float(v).is_integer() and v == str(int(float(v))))
              for v in texts), 'numbers are written in their shortest round-trip form')
    return status()


if __name__ == '__main__':
    sys.exit(main())
