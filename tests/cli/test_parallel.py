#!/usr/bin/env python3
"""The parallel batch engine through `locus locate`: byte-identical output
for any number of threads; a bad frame mid-run stops the run with exit 2
and keeps every whole frame before it; --skip-bad goes on and exits 3;
SIGINT/SIGTERM leave a CSV of whole frames and exit 130/143; progress is
shown when asked. Standard library only.
"""
import csv
import io
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from tap import check, status  # noqa: E402

LOCUS = os.environ.get('LOCUS_BIN', 'build/locus')
SHARED = os.environ.get('LOCUS_SHARED', '../shared')
BULK = os.path.join(SHARED, 'data', 'bulk_water')
ARGS = ['-d', '13', '--invert', '--channel', '0']



def locate(*args):
    return subprocess.run([LOCUS, 'locate', *args], capture_output=True)


def frames_of(text):
    """{frame: [rows]} of a CSV text, and whether every line is whole."""
    lines = text.split('\n')
    whole = text == '' or text.endswith('\n')
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], rows[1:]
    out = {}
    for r in body:
        out.setdefault(int(r[-1]), []).append(r)
    ncols = len(header)
    whole = whole and all(len(r) == ncols for r in body) and len(lines) >= 1
    return out, whole


def main():
    tmp = tempfile.mkdtemp(prefix='locus-par-')
    try:
        run(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return status()


def run(tmp):
    # -- the same bytes whatever the number of threads
    outs = {}
    for j in (1, 2, 7):
        r = locate('--quiet', '-j', str(j), *ARGS, BULK)
        outs[j] = r.stdout
        check(r.returncode == 0, f'-j{j} on 100 bulk_water frames: exit 0', r.stderr)
    check(outs[1] == outs[2] == outs[7] and len(outs[1]) > 100000,
          '-j1, -j2 and -j7 give byte-identical output')
    stack = os.path.join(SHARED, 'data', 'synthetic', 'spots16.tif')
    a = locate('--quiet', '-j', '1', '-d', '9', stack).stdout
    b = locate('--quiet', '-j', '3', '-d', '9', stack).stdout
    check(a == b and a.count(b'\n') > 100, 'a multi-page TIFF read by 3 threads: identical')
    full, _ = frames_of(outs[1].decode())

    # -- a truncated frame in the middle stops the run, keeping what came before
    movie = os.path.join(tmp, 'movie')
    os.mkdir(movie)
    for i in range(30):
        shutil.copy(os.path.join(BULK, f'bulk_water_{i:03d}.png'), movie)
    bad = os.path.join(movie, 'bulk_water_017.png')
    with open(bad, 'r+b') as fh:
        fh.truncate(os.path.getsize(bad) // 2)
    for j in (1, 2):
        out = os.path.join(tmp, f'stopped{j}.csv')
        r = locate('-j', str(j), *ARGS, movie, '-o', out)
        err = r.stderr.decode()
        text = open(out).read()
        got, whole = frames_of(text)
        check(r.returncode == 2 and bad in err and 'truncated' in err,
              f'-j{j}: a truncated frame 17 stops the run with exit 2 naming the file', err)
        check(whole and sorted(got) == list(range(17)),
              f'-j{j}: the output holds frames 0-16, whole lines only', sorted(got))
        check(all(got[f] == full[f] for f in got),
              f'-j{j}: those frames are exactly what a full run gives')

    # -- --skip-bad goes on, lists the skipped file at the end, exits 3
    out = os.path.join(tmp, 'skipped.csv')
    r = locate('-j', '2', '--skip-bad', *ARGS, movie, '-o', out)
    err = r.stderr.decode().strip().splitlines()
    got, whole = frames_of(open(out).read())
    check(r.returncode == 3, '--skip-bad: exit 3', r.stderr)
    check(sorted(got) == [f for f in range(30) if f != 17] and whole,
          '--skip-bad: every other frame is there, numbered as in the input', sorted(got))
    check(any(bad in line and 'frame 17' in line for line in err[-3:]),
          '--skip-bad: the skipped file is listed at the end', err)
    empty = os.path.join(movie, 'bulk_water_005.png')
    open(empty, 'wb').close()
    r = locate('--skip-bad', '--quiet', *ARGS, movie, '-o', out)
    got, _ = frames_of(open(out).read())
    check(r.returncode == 3 and 5 not in got and 17 not in got and 29 in got,
          '--skip-bad also skips a file found empty while listing the inputs', r.stderr)
    fresh = os.path.join(tmp, 'refused.csv')
    r = locate('--quiet', *ARGS, movie, '-o', fresh)
    check(r.returncode == 2 and empty in r.stderr.decode() and not os.path.exists(fresh),
          'without --skip-bad, an empty file is refused before any work', r.stderr)

    # -- signals: a valid CSV of whole frames, exit 130 / 143
    many = [BULK] * 20  # 2000 frames: long enough to interrupt
    for sig, code in ((signal.SIGINT, 130), (signal.SIGTERM, 143)):
        out = os.path.join(tmp, f'sig{code}.csv')
        p = subprocess.Popen([LOCUS, 'locate', '-j', '2', *ARGS, *many, '-o', out],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(1.0)
        p.send_signal(sig)
        _, err = p.communicate(timeout=60)
        text = open(out).read()
        got, whole = frames_of(text)
        done = sorted(got)
        name = signal.Signals(sig).name
        check(p.returncode == code, f'{name}: exit {code}', f'exit {p.returncode}: {err}')
        check(whole and done == list(range(len(done))) and 0 < len(done) < 2000,
              f'{name}: the CSV holds frames 0..{len(done) - 1}, whole lines only', err)
        check(all([row[:-1] for row in got[f]] == [row[:-1] for row in full[f % 100]]
                  for f in got),
              f'{name}: every frame in it is complete and right')
        check(name in err.decode(), f'{name}: the message names the signal', err)

    # -- progress on request, summary by default
    r = locate('--progress', *ARGS, BULK, '-o', os.devnull)
    err = r.stderr.decode()
    check(r.returncode == 0 and 'frames/s' in err and '/100 frames' in err and 'left' in err,
          '--progress shows frames done/total, frames/s and time left', err[-300:])
    r = locate(*ARGS, BULK, '-o', os.devnull)
    lines = r.stderr.decode().strip().splitlines()
    check(len(lines) == 1 and '100 frames' in lines[0] and 'features' in lines[0]
          and 'frames/s' in lines[0], 'not a terminal: no progress, a one-line summary', lines)


if __name__ == '__main__':
    sys.exit(main())
