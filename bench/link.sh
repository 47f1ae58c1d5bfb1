#!/usr/bin/env bash
# The linking benchmarks.
#
# Linking alone (docs/LINKING.md, "Speed"'s speed anchor): the speed_5000x200 input
# (5000 particles, 200 frames, 950,318 rows), search range 6, memory 3.
#
#   (1) link only, through the API (bench_link: locus_link_table on a table
#       read beforehand), median of BENCH_RUNS runs
#   (2) `locus link` end to end (CSV in, CSV out to a file), median of
#       BENCH_RUNS runs after a warm-up, timed by runstat
#
# The input is generated once into bench/data/ with
# $SHARED/reference/link/make_synthetic.py (needs /usr/bin/python3 with
# NumPy); without it (1) and (2) are skipped.
#
# Locating and linking in one run:
#
#   (3) `locus track` on the 100 bulk_water frames (-d 13 --invert --channel 0
#       --search-range 5 --memory 3) against `locus locate` alone, at -j1 and
#       -jNPROC: BENCH_RUNS runs of each, locate and track alternating, after
#       a warm-up; medians of frames/s
#
# Writes bench/results-link.md. Called by bench/run.sh (`make bench`);
# runs on its own too (after `make`).
# Environment: BENCH_RUNS (default 7), BUILD (default build), SHARED
# (default ../shared), BENCH_LINK_OUT (default bench/results-link.md),
# LOCUS (default $BUILD/locus: the binary measured).
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
SHARED=${SHARED:-../shared}
RUNS=${BENCH_RUNS:-7}
OUT=${BENCH_LINK_OUT:-bench/results-link.md}
LOCUS=${LOCUS:-$BUILD/locus}
DATA=bench/data
INPUT=$DATA/speed_5000x200.csv
BULK=$SHARED/data/bulk_water
HELPERS=$BUILD/bench
NPROC=$(nproc)
TRACKPY_S=19.5 TARGET_LINK=0.2 TARGET_E2E=0.5 TARGET_TRACK=0.9

die() {
    echo "bench/link.sh: $*" >&2
    exit 1
}

make_var() {
    # shellcheck disable=SC2016 # $(...) is make's, not the shell's
    printf 'print-var:\n\t@echo $(%s)\n' "$1" |
        make -s --no-print-directory -f Makefile -f - BUILD="$BUILD" print-var
}

[[ -x $LOCUS && -f $BUILD/liblocus.a ]] || die "run make first"
[[ $RUNS =~ ^[0-9]+$ && $RUNS -ge 1 ]] || die "BENCH_RUNS must be a positive integer, not '$RUNS'"
have_input=1
if [[ ! -f $INPUT ]]; then
    if ! /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
        echo "bench/link.sh: /usr/bin/python3 has no NumPy to generate $INPUT: (1) and (2) skipped"
        have_input=0
    else
        mkdir -p "$DATA"
        /usr/bin/python3 "$SHARED/reference/link/make_synthetic.py" speed_5000x200 "$INPUT.tmp"
        mv "$INPUT.tmp" "$INPUT"
    fi
fi
mkdir -p "$HELPERS"
CC=$(make_var CC)
# shellcheck disable=SC2046 # the flags are word lists
$CC $(make_var CFLAGS_ALL) bench/bench_link.c -o "$HELPERS/bench_link" "$BUILD/liblocus.a" \
    $(make_var LDLIBS_ALL)
# shellcheck disable=SC2046
$CC $(make_var CFLAGS_ALL) bench/runstat.c -o "$HELPERS/runstat"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
median() { sort -g | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
range() { sort -g | awk -v f="$1" 'NR == 1 { lo = $1 } { hi = $1 } END { printf f " – " f, lo, hi }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.6g\n", n / s }'; } # rate N SECONDS
calc() { awk "BEGIN { printf \"%.6g\", $* }"; }
fmt() { awk -v v="$2" -v f="$1" 'BEGIN { printf f, v }'; }
at_most() { awk -v v="$1" -v t="$2" 'BEGIN { print (v <= t ? "PASS" : "MISS") }'; }
at_least() { awk -v v="$1" -v t="$2" 'BEGIN { print (v >= t ? "PASS" : "MISS") }'; }

# One run under runstat: prints "WALL_SECONDS CPU_SECONDS"; stops the
# benchmark, showing the command's stderr, if it fails.
timed() {
    if ! "$HELPERS/runstat" "$@" 2>"$tmp/rs" >/dev/null; then
        echo "bench/link.sh: failed: $*" >&2
        cat "$tmp/rs" >&2
        exit 1
    fi
    awk '$1 == "runstat" { print $2, $4 }' "$tmp/rs"
}

# ---- (1), (2): linking alone --------------------------------------------

link_md="(skipped: no NumPy to generate \`$INPUT\`)"
if ((have_input)); then
    echo "== linking: $INPUT, --search-range 6 --memory 3, $RUNS runs"
    "$HELPERS/bench_link" "$INPUT" --search-range 6 --memory 3 --runs "$RUNS" >"$tmp/api"
    read -r _ rows < <(grep '^rows' "$tmp/api")
    read -r _ link_med link_min link_max < <(grep '^link' "$tmp/api")
    link_rate=$(calc "$rows / $link_med")
    printf '  link only (API)              %.3f s median (min %.3f, max %.3f), %.0f features/s\n' \
        "$link_med" "$link_min" "$link_max" "$link_rate"

    LINK_ARGS=(link "$INPUT" --search-range 6 --memory 3 --quiet -o "$tmp/tracks.csv")
    timed "$LOCUS" "${LINK_ARGS[@]}" >/dev/null # warm-up
    : >"$tmp/e2e"
    : >"$tmp/cpu"
    for ((r = 0; r < RUNS; r++)); do
        read -r s c < <(timed "$LOCUS" "${LINK_ARGS[@]}")
        echo "$s" >>"$tmp/e2e"
        echo "$c" >>"$tmp/cpu"
    done
    e2e=$(median <"$tmp/e2e")
    e2e_range=$(range %.3f <"$tmp/e2e")
    cpu=$(median <"$tmp/cpu")
    e2e_rate=$(calc "$rows / $e2e")
    printf '  locus link (CSV in and out)  %.3f s median (CPU %.3f s), %.0f features/s; trackpy link alone %s s\n' \
        "$e2e" "$cpu" "$e2e_rate" "$TRACKPY_S"
    link_md=$(
        cat <<MD
Input: \`speed_5000x200\` (docs/LINKING.md, "Speed": 5000 particles in 1500 × 1500 px,
200 frames, 5% missing, $rows rows), search range 6, memory 3.

| measurement | median | min – max | features/s | target | |
|---|---:|---:|---:|---|---|
| link only, \`locus_link_table\` (s) | $(fmt %.3f "$link_med") | $(fmt %.3f "$link_min") – $(fmt %.3f "$link_max") | $(fmt %.0f "$link_rate") | ≤ $TARGET_LINK | $(at_most "$link_med" "$TARGET_LINK") |
| \`locus link\` end to end, CSV in and out (s) | $(fmt %.3f "$e2e") | $e2e_range (CPU $(fmt %.3f "$cpu")) | $(fmt %.0f "$e2e_rate") | ≤ $TARGET_E2E | $(at_most "$e2e" "$TARGET_E2E") |
| trackpy \`link\` alone, measured beforehand (s) | $TRACKPY_S | | $(fmt %.0f "$(calc "$rows / $TRACKPY_S")") | | |

\`\`\`sh
$HELPERS/bench_link $INPUT --search-range 6 --memory 3 --runs $RUNS
$HELPERS/runstat $LOCUS ${LINK_ARGS[*]/#$tmp\//}    # x$RUNS
\`\`\`
MD
    )
fi

# ---- (3): locus track against locus locate --------------------------------

track_md="(skipped: \`$BULK\` not found)"
if [[ -d $BULK ]]; then
    nframes=$(find "$BULK" -maxdepth 1 -name '*.png' | wc -l)
    LOC=(-d 13 --invert --channel 0)
    TRK=(--search-range 5 --memory 3)
    declare -A fps span
    echo "== locus track against locus locate: bulk_water ($nframes frames), $RUNS runs each, alternating"
    for j in 1 "$NPROC"; do
        timed "$LOCUS" locate --quiet -j"$j" "${LOC[@]}" "$BULK" -o /dev/null >/dev/null # warm-up
        : >"$tmp/locate.$j"
        : >"$tmp/track.$j"
        : >"$tmp/pair.$j"
        : >"$tmp/cpu_locate.$j"
        : >"$tmp/cpu_track.$j"
        for ((r = 0; r < RUNS; r++)); do
            read -r sl cl < <(timed "$LOCUS" locate --quiet -j"$j" "${LOC[@]}" "$BULK" -o /dev/null)
            read -r st ct < <(timed "$LOCUS" track --quiet -j"$j" "${LOC[@]}" "${TRK[@]}" "$BULK" \
                -o /dev/null)
            rate "$nframes" "$sl" >>"$tmp/locate.$j"
            rate "$nframes" "$st" >>"$tmp/track.$j"
            rate "$sl" "$st" >>"$tmp/pair.$j" # this pair's track / locate frames/s
            rate "$cl" 0.001 >>"$tmp/cpu_locate.$j"
            rate "$ct" 0.001 >>"$tmp/cpu_track.$j"
        done
        for w in locate track pair cpu_locate cpu_track; do
            fps[$w.$j]=$(median <"$tmp/$w.$j")
        done
        span[locate.$j]=$(range %.1f <"$tmp/locate.$j")
        span[track.$j]=$(range %.1f <"$tmp/track.$j")
        span[pair.$j]=$(range %.3f <"$tmp/pair.$j")
        fps[ratio.$j]=$(calc "${fps[track.$j]} / ${fps[locate.$j]}")
        printf '  -j%-3s locate %6.1f frames/s, track %6.1f frames/s: %.3f of locate (pairs: median %.3f); CPU %.0f ms, %.0f ms\n' \
            "$j" "${fps[locate.$j]}" "${fps[track.$j]}" "${fps[ratio.$j]}" "${fps[pair.$j]}" \
            "${fps[cpu_locate.$j]}" "${fps[cpu_track.$j]}"
    done
    row() {
        local j=$1 target=$2 want="" verdict=""
        if [[ -n $target ]]; then
            want="≥ $target"
            verdict=$(at_least "${fps[ratio.$j]}" "$target")
        fi
        # shellcheck disable=SC2016 # the backquotes are Markdown's
        printf '| `-j%s` | %s (%s) | %s (%s) | %s | %s (%s) | %s / %s | %s | %s |\n' "$j" \
            "$(fmt %.1f "${fps[locate.$j]}")" "${span[locate.$j]}" \
            "$(fmt %.1f "${fps[track.$j]}")" "${span[track.$j]}" \
            "$(fmt %.3f "${fps[ratio.$j]}")" "$(fmt %.3f "${fps[pair.$j]}")" "${span[pair.$j]}" \
            "$(fmt %.0f "${fps[cpu_locate.$j]}")" "$(fmt %.0f "${fps[cpu_track.$j]}")" \
            "$want" "$verdict"
    }
    track_md=$(
        cat <<MD
The $nframes bulk_water frames, located with \`${LOC[*]}\`; \`locus
track\` also links them (\`${TRK[*]}\`) as they are written. Runs of
locate and track alternate ($RUNS of each per thread count, after a
warm-up), output to /dev/null; frames/s = $nframes / wall-clock seconds
(runstat): median (min – max). track / locate is the ratio of the
medians (the target's measure); "pairs" is the median of each
locate-then-track pair's own ratio, which the machine's load, shared by
the two runs of a pair, sways less; CPU is user + system time per run.

| | \`locus locate\` frames/s | \`locus track\` frames/s | track / locate | pairs | CPU ms, locate / track | target | |
|---|---:|---:|---:|---:|---:|---|---|
$(row 1 "$TARGET_TRACK")
$(row "$NPROC" "")

\`\`\`sh
$HELPERS/runstat $LOCUS locate --quiet -jJ ${LOC[*]} $BULK -o /dev/null
$HELPERS/runstat $LOCUS track --quiet -jJ ${LOC[*]} ${TRK[*]} $BULK -o /dev/null
\`\`\`
MD
    )
fi

load=$(cut -d' ' -f1-3 /proc/loadavg)
cat >"$OUT" <<MD
# Linking benchmark

Generated by \`bench/link.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'), $NPROC cores,
load average $load (other work on the machine slows every figure).

## Linking alone

$link_md

## Locating and linking in one run: \`locus track\`

$track_md
MD
echo "  wrote $OUT"
