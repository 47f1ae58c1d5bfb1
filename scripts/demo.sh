#!/usr/bin/env bash
# `make demo`: write a synthetic movie with known positions, locate it on
# every core, compare what was found with the truth, and link it into
# trajectories.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
out=${DEMO_DIR:-$BUILD/demo}
rm -rf "$out"
echo "== locus synth: 50 frames of 512x512, 300 particles, signal-to-noise 25"
"$BUILD/locus" synth "$out/movie" --frames 50 --shape 512x512 --particles 300 --snr 25 \
    --min-separation 12 --seed 2026
echo
echo "== locus locate -d 9 --minmass 300 $out/movie -o $out/features.csv"
"$BUILD/locus" locate -d 9 --minmass 300 "$out/movie" -o "$out/features.csv"
echo
echo "== first rows of $out/features.csv"
head -4 "$out/features.csv"
echo
echo "== pictures to judge the parameters by"
"$BUILD/locus" annotate "$out/movie/frame_000.png" "$out/features.csv" --frame 0 -o "$out/annotate.png"
"$BUILD/locus" diag "$out/features.csv" -o "$out/diag.png"
echo "rings around the features of frame 0: $out/annotate.png"
echo "mass, size and sub-pixel histograms: $out/diag.png"
echo
echo "== compared with $out/movie/truth.csv"
python3 - "$out/movie/truth.csv" "$out/features.csv" <<'PY'
import csv, math, sys
from collections import defaultdict
truth = list(csv.DictReader(open(sys.argv[1])))
found = list(csv.DictReader(open(sys.argv[2])))
by_frame = defaultdict(list)
for r in found:
    by_frame[int(r['frame'])].append((float(r['y']), float(r['x'])))
matched, sq = 0, 0.0
for t in truth:
    y, x = float(t['y']), float(t['x'])
    d2 = min(((a - y) ** 2 + (b - x) ** 2 for a, b in by_frame[int(t['frame'])]), default=9)
    if d2 < 1:
        matched += 1
        sq += d2
print(f'{len(truth)} true spots, {len(found)} features: recall {matched / len(truth):.3f}, '
      f'RMS position error {math.sqrt(sq / max(matched, 1)):.3f} px')
PY
echo
echo "== locus track: the same, linked into trajectories in the same run (trackpy's link, search range 5)"
"$BUILD/locus" track -d 9 --minmass 300 --search-range 5 --memory 2 "$out/movie" -o "$out/tracks.csv"
"$BUILD/locus" annotate "$out/movie/frame_049.png" "$out/tracks.csv" --frame 49 -o "$out/tracks.png"
echo "every trajectory's path up to frame 49: $out/tracks.png"
