#!/usr/bin/env python3
"""Accuracy against ground truth: `locus synth` writes movies with known
spot positions; `locus locate` must find them (recall) and place them
(RMS position error). The bounds are ones a broken refinement fails: a
locator returning whole-pixel positions has an RMS error near 0.41 px
(sqrt(2/12)), one that drops spots has low recall. Each line also
reports the numbers measured. Standard library only.
"""
import csv
import math
import os
import subprocess
import sys
import tempfile
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from tap import check, status  # noqa: E402

LOCUS = os.environ.get('LOCUS_BIN', 'build/locus')



def run(args):
    r = subprocess.run([LOCUS] + args, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f'not ok - locus {" ".join(args)} exited {r.returncode}: {r.stderr}')


def score(truth_csv, found_csv):
    """Match each true spot to the nearest feature of its frame (within
    1 px): recall, RMS error of the matched, and the fraction of features
    that match a true spot (precision)."""
    truth = list(csv.DictReader(open(truth_csv)))
    found = list(csv.DictReader(open(found_csv)))
    axes = [a for a in ('z', 'y', 'x') if a in truth[0]]
    by_frame = defaultdict(list)
    for r in found:
        by_frame[int(r['frame'])].append([float(r[a]) for a in axes])
    matched, sq = 0, 0.0
    for t in truth:
        p = [float(t[a]) for a in axes]
        cands = by_frame[int(t['frame'])]
        if not cands:
            continue
        d2 = min(sum((a - b) ** 2 for a, b in zip(q, p)) for q in cands)
        if d2 < 1:
            matched += 1
            sq += d2
    recall = matched / len(truth)
    rms = math.sqrt(sq / matched) if matched else math.inf
    precision = matched / len(found) if found else 0
    return recall, rms, precision


CASES = [
    # name, synth options, locate options, recall >, rms <, precision >
    ('2-D 8-bit PNG, snr 30', ['--frames', '6', '--particles', '200', '--snr', '30',
                               '--min-separation', '14', '--seed', '11'],
     ['-d', '9', '--minmass', '300'], 0.95, 0.15, 0.95),
    ('2-D 16-bit TIFF stack, snr 30', ['--frames', '4', '--particles', '200', '--snr', '30',
                                       '--min-separation', '14', '--bit-depth', '16',
                                       '--format', 'tiff', '--stack', '--seed', '12'],
     ['-d', '9', '--minmass', '15000'], 0.95, 0.15, 0.95),
    ('2-D 8-bit PNG, snr 200', ['--frames', '4', '--particles', '200', '--snr', '200',
                                '--min-separation', '14', '--seed', '13'],
     ['-d', '9', '--minmass', '300'], 0.98, 0.06, 0.98),
    ('3-D volumes, snr 30', ['--frames', '3', '--shape', '32x96x96', '--particles', '40',
                             '--snr', '30', '--min-separation', '12', '--format', 'tiff',
                             '--seed', '14'],
     ['-d', '9', '--minmass', '2000', '--volume'], 0.95, 0.2, 0.95),
]


def main():
    with tempfile.TemporaryDirectory() as tmp:
        for k, (name, synth, locate, min_recall, max_rms, min_precision) in enumerate(CASES):
            movie = os.path.join(tmp, f'm{k}')
            out = os.path.join(tmp, f'm{k}.csv')
            run(['synth', movie, '--quiet'] + synth)
            run(['locate', '--quiet', '-o', out] + locate + [movie])
            recall, rms, precision = score(os.path.join(movie, 'truth.csv'), out)
            check(recall > min_recall, f'{name}: recall {recall:.3f} > {min_recall}')
            check(rms < max_rms, f'{name}: RMS position error {rms:.4f} px < {max_rms}')
            check(precision > min_precision,
                  f'{name}: precision {precision:.3f} > {min_precision}')
    return status()


if __name__ == '__main__':
    sys.exit(main())
