#!/usr/bin/env bash
# Regenerate the pictures of README.md's "Choosing parameters" walkthrough
# and of its "Trajectories" section
# from the current code: a synthetic movie, located with too small a
# diameter and with the right one, drawn by `locus diag` and
# `locus annotate`. Run from anywhere after `make`:
#
#   bash docs/make_pictures.sh        # or LOCUS_BIN=... bash docs/make_pictures.sh
#
# The movie is seeded, so the pictures only change when the code does.
set -eu
cd "$(dirname "$0")/.."
BIN=$(realpath "${LOCUS_BIN:-build/locus}")
DOCS=$PWD/docs
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T" # so that the sheets are titled with the names below

# 100 spots of standard deviation 2 px per 400 x 300 frame, 20 frames
"$BIN" synth movie --frames 20 --shape 300x400 --particles 100 --sigma 2 --snr 12 --quiet

# Too small a diameter: positions are pulled to whole pixels, so the
# sub-pixel histograms (panel c) peak at 0 and 1.
"$BIN" locate -d 5 'movie/*.png' -o d5.csv --quiet
"$BIN" diag d5.csv --minmass 80 -o "$DOCS/diag_small.png"

# The right diameter: flat sub-pixel histograms; minmass 400 sits in the
# gap of the mass histogram between noise and particles.
"$BIN" locate -d 9 'movie/*.png' -o d9.csv --quiet
"$BIN" diag d9.csv --minmass 400 -o "$DOCS/diag.png"

# What those parameters find in frame 0.
"$BIN" locate -d 9 --minmass 400 'movie/*.png' -o chosen.csv --quiet
"$BIN" annotate movie/frame_000.png chosen.csv --frame 0 --color yellow -o "$DOCS/annotate.png"

# Trajectories: the same kind of movie with larger steps, located and
# linked in one run; frame 19 with every trajectory's path so far.
"$BIN" synth walk --frames 20 --shape 300x400 --particles 60 --sigma 2 --snr 12 --step 1.5 --quiet
"$BIN" track -d 9 --minmass 400 --search-range 6 --memory 2 'walk/*.png' -o tracks.csv --quiet
"$BIN" annotate walk/frame_019.png tracks.csv --frame 19 --color yellow -o "$DOCS/tracks.png"

ls -l "$DOCS"/*.png
