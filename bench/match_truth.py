#!/usr/bin/env python3
"""Score located features against `locus synth` ground truth (2-D).

    match_truth.py TRUTH.csv FEATURES.csv [--minmass M] [--radius R]

A true spot is found when some feature of its frame lies within R pixels
(default 1); a feature is real when some true spot of its frame lies
within R. Only features with mass > M count (default: all).

Without --minmass, FEATURES should be a minmass-0 run: the script then
chooses a minmass between the masses of real features and of noise
features, as the geometric mean of
  lo = the 99.9th percentile of the noise features' masses and
  hi = the 0.1th percentile of the real features' masses,
rounded to two significant digits, and reports it.

Prints `key value` lines: truths, features, real, noise, noise_pairs
(noise features with two true spots within 6 px: merged close pairs),
recall, precision (at mass > M), and without --minmass also recall0, precision0
(every feature), features0, noise_max, noise_p999, real_p001, real_min, minmass.
Standard-library Python only.
"""
import csv
import math
import sys
from collections import defaultdict

PAIR_RADIUS = 6.0  # noise_pairs: kept noise features with 2 true spots this near


def load(path, cols):
    with open(path, newline="") as f:
        rows = csv.DictReader(f)
        missing = [c for c in cols if c not in rows.fieldnames]
        if missing:
            sys.exit(f"match_truth.py: {path}: no column {missing[0]}")
        return [tuple(float(r[c]) for c in cols) for r in rows]


def quantile(sorted_values, q):
    if not sorted_values:
        return math.nan
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def round2(x):
    if not x > 0:
        return 0.0
    e = math.floor(math.log10(x)) - 1
    return round(x / 10**e) * 10**e


def main(argv):
    args, minmass, radius = [], None, 1.0
    it = iter(argv)
    for a in it:
        if a == "--minmass":
            minmass = float(next(it))
        elif a == "--radius":
            radius = float(next(it))
        else:
            args.append(a)
    if len(args) != 2:
        sys.exit(__doc__)
    truth = load(args[0], ("frame", "y", "x"))
    feats = load(args[1], ("frame", "y", "x", "mass"))

    cell = max(radius, 1.0)
    grid = defaultdict(list)  # (frame, gy, gx) -> true positions
    for f, y, x in truth:
        grid[(f, int(y // cell), int(x // cell))].append((y, x))
    r2 = radius * radius

    def near(f, y, x, r2=r2):
        reach = math.ceil(math.sqrt(r2) / cell)
        gy, gx = int(y // cell), int(x // cell)
        for dy in range(-reach, reach + 1):
            for dx in range(-reach, reach + 1):
                for a, b in grid.get((f, gy + dy, gx + dx), ()):
                    if (a - y) ** 2 + (b - x) ** 2 <= r2:
                        yield (f, a, b)

    # Each feature: its mass and the true spots it matches.
    scored = [(m, tuple(near(f, y, x))) for f, y, x, m in feats]
    real = sorted(m for m, t in scored if t)
    noise = sorted(m for m, t in scored if not t)

    def score(mm):
        kept = [t for m, t in scored if m > mm]
        found = set()
        for t in kept:
            found.update(t)
        nreal = sum(1 for t in kept if t)
        return len(found) / max(len(truth), 1), nreal / max(len(kept), 1), len(kept), nreal

    out = {"truths": len(truth)}
    if minmass is None:
        lo, hi = quantile(noise, 0.999), quantile(real, 0.001)
        minmass = round2(math.sqrt(lo * hi)) if lo > 0 and hi > 0 else 0.0
        rec0, prec0, _, _ = score(-math.inf)
        out.update(features0=len(feats), recall0=rec0, precision0=prec0,
                   noise_max=noise[-1] if noise else math.nan, noise_p999=lo,
                   real_p001=hi, real_min=real[0] if real else math.nan)
    rec, prec, nkept, nreal = score(minmass)
    # Noise features kept that lie near two true spots: merged close pairs.
    pairs = sum(1 for f, y, x, m in feats
                if m > minmass and not any(near(f, y, x))
                and len(tuple(near(f, y, x, PAIR_RADIUS ** 2))) >= 2)
    out.update(minmass=minmass, features=nkept, real=nreal, noise=nkept - nreal,
               noise_pairs=pairs, recall=rec, precision=prec)
    for k, v in out.items():
        print(k, f"{v:.6g}" if isinstance(v, float) else v)


if __name__ == "__main__":
    main(sys.argv[1:])
