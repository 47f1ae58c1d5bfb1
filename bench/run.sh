#!/usr/bin/env bash
# `make bench`: how fast locus locates, end to end and stage by stage, on
# two workloads; prints the numbers and writes bench/results.md.
#
#   (a) bulk_water: the 100 real frames of ../shared/data/bulk_water
#       (640x424 RGBA PNG), -d 13 --invert --channel 0
#   (c) the same 100 frames as videos (made once with ffmpeg into
#       build/bench-data/): channel 0 as FFV1 in MKV (lossless, -d 13
#       --invert) and as H.264 in MP4 with B-frames (--channel 0)
#   (b) synth2k: a 40-page 2048x2048 uint16 TIFF stack with 3000 spots
#       from `locus synth` (generated once into build/bench-data/),
#       -d 7 --minmass M, M chosen from a minmass-0 run against truth.csv
#
# Environment: BENCH_RUNS (repetitions, default 7, at least 5 is sensible),
# BENCH_REGEN=1 (regenerate the synthetic stack and its minmass),
# BENCH_OUT (default bench/results.md), BUILD (default build),
# SHARED (default ../shared), MPIRUN_FLAGS (extra mpirun options),
# MPI_THREADS (threads per MPI rank, default 1), BASELINE=<commit> (also
# build that commit in a temporary worktree beside this one and time it
# against this build, run by run alternating, on (a) and (b)).
# See bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
SHARED=${SHARED:-../shared}
RUNS=${BENCH_RUNS:-7}
OUT=${BENCH_OUT:-bench/results.md}
DATA=$BUILD/bench-data
NPROC=$(nproc)
HELPERS=$BUILD/bench
# The binaries are copied here at the start, so that one run measures one
# build even when build/ is rebuilt meanwhile (others may be working).
SNAP=$HELPERS/bin
LOCUS=$SNAP/locus
RUNSTAT=$HELPERS/runstat
FRAMES=$HELPERS/bench_frames
BULK=$SHARED/data/bulk_water
MPI_PROBE=(-d 13 --invert --channel 0 "$BULK/bulk_water_000.png")
T_START=$(date +%s)

die() {
    echo "bench: $*" >&2
    exit 1
}

# ---- preconditions ----------------------------------------------------

[[ $RUNS =~ ^[0-9]+$ && $RUNS -ge 1 ]] || die "BENCH_RUNS must be a positive integer, not '$RUNS'"
[[ -d $SHARED ]] || die "$SHARED is missing: the benchmark data live in ../shared (set SHARED=...)"
[[ -d $BULK ]] || die "$BULK is missing: workload (a) needs the 100 bulk_water frames"
nbulk=$(find "$BULK" -maxdepth 1 -name '*.png' | wc -l)
[[ $nbulk -eq 100 ]] || die "$BULK holds $nbulk PNG frames, expected 100"
[[ -x $BUILD/locus ]] || die "$BUILD/locus is missing: run \`make\` first (\`make bench\` does)"
command -v python3 >/dev/null || die "python3 is needed to score workload (b) against its truth"

# ---- helpers, built with the Makefile's own flags -----------------------

# The Makefile's variables, without touching the Makefile.
make_var() {
    # shellcheck disable=SC2016 # $(...) is make's, not the shell's
    printf 'print-var:\n\t@echo $(%s)\n' "$1" |
        make -s --no-print-directory -f Makefile -f - BUILD="$BUILD" print-var
}
CFLAGS_ALL=$(make_var CFLAGS_ALL)
LDLIBS_ALL=$(make_var LDLIBS_ALL)
CC=$(make_var CC)
[[ -f $BUILD/liblocus.a ]] || die "$BUILD/liblocus.a is missing: run \`make\` first"
mkdir -p "$HELPERS" "$SNAP"
rm -f "$SNAP/locus" "$SNAP/locus-mpi"
cp -p "$BUILD/locus" "$SNAP/locus"
[[ -x $BUILD/locus-mpi ]] && cp -p "$BUILD/locus-mpi" "$SNAP/locus-mpi"
cp -p "$BUILD/liblocus.a" "$SNAP/liblocus.a"
"$LOCUS" locate --help >/dev/null || die "$LOCUS (copied from $BUILD/locus) does not run"
# shellcheck disable=SC2086 # the flags are word lists
$CC $CFLAGS_ALL bench/runstat.c -o "$RUNSTAT"
# shellcheck disable=SC2086
$CC $CFLAGS_ALL bench/bench_frames.c -o "$FRAMES" "$SNAP/liblocus.a" $LDLIBS_ALL

# ---- the baseline (BASELINE=<commit>) -------------------------------------
#
# That commit's build/locus (and bench_frames against its liblocus.a, with
# its own include/locus.h) made in a temporary git worktree beside this
# checkout, copied into $SNAP and the worktree removed again: every
# measurement of (a) and (b) then runs both builds in turn.
BASE_LOCUS="" BASE_FRAMES="" BASE_COMMIT=""
baseline_build() {
    local wt log src
    BASE_COMMIT=$(git rev-parse --short "$BASELINE^{commit}" 2>/dev/null) ||
        die "BASELINE=$BASELINE is not a commit of this repository"
    wt=$(cd .. && pwd)/$(basename "$PWD")-bench-baseline-$BASE_COMMIT
    log=$HELPERS/baseline-build.log
    git worktree remove --force "$wt" 2>/dev/null || rm -rf "$wt"
    git worktree add --detach "$wt" "$BASE_COMMIT" >/dev/null 2>&1 || die "git worktree add $wt failed"
    echo "  building the baseline $BASE_COMMIT in $wt (log: $log)"
    if ! make -C "$wt" -j"$NPROC" CC="$CC" build/locus build/liblocus.a >"$log" 2>&1; then
        git worktree remove --force "$wt"
        die "building the baseline $BASE_COMMIT failed (see $log)"
    fi
    cp -p "$wt/build/locus" "$SNAP/locus-base"
    BASE_LOCUS=$SNAP/locus-base
    # its own bench_frames.c when it has one (the same file, so far)
    src=$wt/bench/bench_frames.c
    [[ -f $src ]] || src=$PWD/bench/bench_frames.c
    # shellcheck disable=SC2086 # -Iinclude is the baseline's own, from its worktree
    if (cd "$wt" && $CC $CFLAGS_ALL "$src" -o "$OLDPWD/$HELPERS/bench_frames-base" build/liblocus.a \
        $LDLIBS_ALL) >>"$log" 2>&1; then
        BASE_FRAMES=$HELPERS/bench_frames-base
    else
        echo "  bench_frames does not build against the baseline's API: locate only is not compared"
    fi
    git worktree remove --force "$wt"
}
[[ -n ${BASELINE:-} ]] && baseline_build

# ---- measuring ----------------------------------------------------------

# Run a command under runstat; print "SECONDS MAXRSS_KB CPU_SECONDS". Stops the
# benchmark, showing the command's stderr, if it fails.
measure() {
    local err
    if ! err=$("$RUNSTAT" "$@" 2>&1 >/dev/null); then
        echo "bench: failed: $*" >&2
        echo "$err" >&2
        exit 1
    fi
    awk '$1 == "runstat" { s = $2; kb = $3; c = $4 } END { print s, kb, c }' <<<"$err"
}

# in_turn TAG N CMD...: three runs each of CMD -j1 and CMD -jNPROC, in
# turn, so that the machine's drift falls on both; frames/s (N frames)
# and peak RSS (KB) into $tmp/TAG.fps.{1,N} and $tmp/TAG.rss.{1,N}.
in_turn() {
    local tag=$1 n=$2 j jj res secs kb
    shift 2
    for j in 1 N; do
        : >"$tmp/$tag.fps.$j"
        : >"$tmp/$tag.rss.$j"
    done
    for _ in 1 2 3; do
        for j in 1 N; do
            jj=$j
            [[ $j == N ]] && jj=$NPROC
            res=$(measure "$@" -j "$jj" -o /dev/null --quiet)
            read -r secs kb _ <<<"$res"
            echo "$kb" >>"$tmp/$tag.rss.$j"
            calc "$n / $secs" >>"$tmp/$tag.fps.$j"
            echo >>"$tmp/$tag.fps.$j"
        done
    done
}

# Numbers on stdin, one per line -> "MEDIAN MIN MAX".
stats() {
    sort -g | awk '{ v[NR] = $1 }
        END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
              printf "%.6g %.6g %.6g\n", m, v[1], v[NR] }'
}

fmt() { awk -v v="$2" -v f="$1" 'BEGIN { printf f, v }'; }             # fmt FORMAT VALUE
calc() { awk "BEGIN { printf \"%.6g\", $* }"; }                         # calc EXPR
judge() { awk -v v="$1" -v t="$3" -v op="$2" 'BEGIN { ok = op == "<=" ? v <= t : v >= t
                                                     print ok ? "PASS" : "MISS" }'; }

declare -A R          # results: R[workload.measure]
declare -a REPRO=()   # the commands, for results.md
SUMMARY=""            # the target lines

repro() { REPRO+=("$*"); }

# e2e W NFRAMES LOCATE_ARGS... : RUNS runs each of -j1 and -jNPROC,
# alternating, after one warm-up run (the page cache); frames/s and peak RSS.
e2e() {
    local w=$1 n=$2
    shift 2
    local j r s kb c res
    measure "$LOCUS" locate "$@" -o /dev/null --quiet >/dev/null # warm-up
    for j in 1 "$NPROC"; do
        : >"$tmp/$w.fps.$j"
        : >"$tmp/$w.rss.$j"
        : >"$tmp/$w.cpu.$j"
        repro "$RUNSTAT $LOCUS locate $* -j $j -o /dev/null --quiet    # x$RUNS"
    done
    local vs=${VS:-0}
    [[ -n $BASE_LOCUS ]] || vs=0
    if ((vs)); then
        measure "$BASE_LOCUS" locate "$@" -o /dev/null --quiet >/dev/null # warm-up
        for j in 1 "$NPROC"; do
            : >"$tmp/$w.bfps.$j"
            : >"$tmp/$w.brss.$j"
            repro "$RUNSTAT $BASE_LOCUS locate $* -j $j -o /dev/null --quiet    # x$RUNS, baseline $BASE_COMMIT, alternating"
        done
    fi
    for ((r = 0; r < RUNS; r++)); do
        for j in 1 "$NPROC"; do
            res=$(measure "$LOCUS" locate "$@" -j "$j" -o /dev/null --quiet)
            read -r s kb c <<<"$res"
            calc "$n / $s" >>"$tmp/$w.fps.$j"
            echo >>"$tmp/$w.fps.$j"
            echo "$kb" >>"$tmp/$w.rss.$j"
            calc "1000 * $c / $n" >>"$tmp/$w.cpu.$j"
            echo >>"$tmp/$w.cpu.$j"
            ((vs)) || continue
            res=$(measure "$BASE_LOCUS" locate "$@" -j "$j" -o /dev/null --quiet)
            read -r s kb c <<<"$res"
            calc "$n / $s" >>"$tmp/$w.bfps.$j"
            echo >>"$tmp/$w.bfps.$j"
            echo "$kb" >>"$tmp/$w.brss.$j"
        done
    done
    for j in 1 N; do
        local jj=$j
        [[ $j == N ]] && jj=$NPROC
        read -r "R[$w.fps$j]" "R[$w.fps${j}_min]" "R[$w.fps${j}_max]" < <(stats <"$tmp/$w.fps.$jj")
        read -r "R[$w.rss$j]" "R[$w.rss${j}_min]" "R[$w.rss${j}_max]" < <(stats <"$tmp/$w.rss.$jj")
        read -r "R[$w.cpu$j]" "R[$w.cpu${j}_min]" "R[$w.cpu${j}_max]" < <(stats <"$tmp/$w.cpu.$jj")
        printf '  end to end -j%-2s %8.1f frames/s  (min %.1f, max %.1f)   CPU %.2f ms/frame   peak RSS %.1f MB\n' \
            "$jj" "${R[$w.fps$j]}" "${R[$w.fps${j}_min]}" "${R[$w.fps${j}_max]}" \
            "${R[$w.cpu$j]}" "$(calc "${R[$w.rss$j]} / 1024")"
    done
    R[$w.speedup]=$(calc "${R[$w.fpsN]} / ${R[$w.fps1]}")
    printf '  speed-up -j%s/-j1  %.2fx\n' "$NPROC" "${R[$w.speedup]}"
    ((vs)) || return 0
    for j in 1 N; do
        local jj=$j
        [[ $j == N ]] && jj=$NPROC
        read -r "R[$w.bfps$j]" _ _ < <(stats <"$tmp/$w.bfps.$jj")
        read -r "R[$w.brss$j]" _ _ < <(stats <"$tmp/$w.brss.$jj")
        R[$w.vs_fps$j]=$(calc "${R[$w.fps$j]} / ${R[$w.bfps$j]}")
        printf '  baseline %s -j%-2s %8.1f frames/s, peak RSS %.1f MB: this build %.2fx as fast\n' \
            "$BASE_COMMIT" "$jj" "${R[$w.bfps$j]}" "$(calc "${R[$w.brss$j]} / 1024")" "${R[$w.vs_fps$j]}"
    done
    R[$w.bspeedup]=$(calc "${R[$w.bfpsN]} / ${R[$w.bfps1]}")
}

# stages W LOCATE_ARGS... INPUTS: decode-only and locate-only (bench_frames).
stages() {
    local w=$1
    shift
    repro "$FRAMES --runs $RUNS --threads $NPROC $*"
    local key a b c d e
    while read -r key a b c d e; do
        case $key in
        frames) R[$w.frames]=$a ;;
        decode1) R[$w.dec1]=$a R[$w.dec1_min]=$b R[$w.dec1_max]=$c ;;
        decodeN) R[$w.decN]=$b R[$w.decN_min]=$c R[$w.decN_max]=$d ;;
        locate) R[$w.loc]=$a R[$w.loc_mean]=$b R[$w.loc_min]=$c R[$w.loc_max]=$d R[$w.feat]=$e ;;
        locatecpu) R[$w.loccpu]=$a ;;
        esac
    done < <("$FRAMES" --runs "$RUNS" --threads "$NPROC" "$@" || echo "failed")
    [[ -n ${R[$w.loc]:-} ]] || die "$FRAMES $* failed"
    printf '  decode only, 1 thread   %8.1f frames/s  (min %.1f, max %.1f)\n' \
        "${R[$w.dec1]}" "${R[$w.dec1_min]}" "${R[$w.dec1_max]}"
    if [[ -n ${R[$w.decN]:-} ]]; then
        printf '  decode only, %s threads  %8.1f frames/s  (min %.1f, max %.1f)\n' \
            "$NPROC" "${R[$w.decN]}" "${R[$w.decN_min]}" "${R[$w.decN_max]}"
    fi
    printf '  locate only             %8.2f ms/frame median (mean %.2f; run medians %.2f-%.2f; CPU time %.2f), %.0f features/frame\n' \
        "${R[$w.loc]}" "${R[$w.loc_mean]}" "${R[$w.loc_min]}" "${R[$w.loc_max]}" "${R[$w.loccpu]}" "${R[$w.feat]}"
    if [[ ${VS:-0} == 1 && -n $BASE_FRAMES ]]; then
        versus_stages "$w" "$@"
    fi
}

# versus_stages W LOCATE_ARGS... INPUTS: locate only and decode only of
# this build and the baseline, one bench_frames run each in turn, RUNS
# times; the medians of the per-run medians and their ratio.
versus_stages() {
    local w=$1 r b key a rest
    shift
    repro "for r in 1..$RUNS: $FRAMES --runs 1 $*; $BASE_FRAMES --runs 1 $*    # alternating"
    for b in cur base; do : >"$tmp/$w.vsloc.$b"; : >"$tmp/$w.vsdec.$b"; done
    for ((r = 0; r < RUNS; r++)); do
        for b in cur base; do
            local bin=$FRAMES
            [[ $b == base ]] && bin=$BASE_FRAMES
            while read -r key a rest; do
                case $key in
                locate) echo "$a" >>"$tmp/$w.vsloc.$b" ;;
                decode1) echo "$a" >>"$tmp/$w.vsdec.$b" ;;
                esac
            done < <("$bin" --runs 1 "$@" || echo "failed")
        done
    done
    for b in cur base; do
        [[ -s $tmp/$w.vsloc.$b ]] || die "bench_frames ($b) $* failed"
        read -r "R[$w.vsloc_$b]" _ _ < <(stats <"$tmp/$w.vsloc.$b")
        read -r "R[$w.vsdec_$b]" _ _ < <(stats <"$tmp/$w.vsdec.$b")
    done
    R[$w.vs_loc]=$(calc "${R[$w.vsloc_base]} / ${R[$w.vsloc_cur]}")
    R[$w.vs_dec]=$(calc "${R[$w.vsdec_cur]} / ${R[$w.vsdec_base]}")
    printf '  against %s, alternating: locate only %.2f vs %.2f ms/frame (%.2fx as fast), decode only %.1f vs %.1f frames/s (%.2fx)\n' \
        "$BASE_COMMIT" "${R[$w.vsloc_cur]}" "${R[$w.vsloc_base]}" "${R[$w.vs_loc]}" \
        "${R[$w.vsdec_cur]}" "${R[$w.vsdec_base]}" "${R[$w.vs_dec]}"
}

# ---- MPI ------------------------------------------------------------------
#
# mpi_rows W NFRAMES LOCATE_ARGS...: end-to-end frames/s of
#   mpirun -n R build/locus-mpi locate -j T LOCATE_ARGS -o /dev/null --quiet
# for R = 1 and 2 ranks of T = MPI_THREADS threads each (default 1, so
# that 2 ranks use the 2 cores as -j2 does; a rank's default is every
# core, which oversubscribes), median of RUNS after a warm-up, min, max,
# peak RSS of the largest process; and the fixed cost of an MPI run (the
# median of 3 runs on MPI_PROBE, one bulk_water frame). Markdown rows go to $tmp/W.mpi.md;
# a note instead when build/locus-mpi or mpirun is missing.
mpi_rows() {
    local w=$1 n=$2
    shift 2
    local mpi=$SNAP/locus-mpi threads=${MPI_THREADS:-1}
    if [[ ! -x $mpi ]] || ! command -v mpirun >/dev/null; then
        echo "| MPI (\`mpirun -n 1/2 $BUILD/locus-mpi locate\`) | $BUILD/locus-mpi not built (or no mpirun): skipped | | | | |" >"$tmp/$w.mpi.md"
        echo "  MPI: $BUILD/locus-mpi not built, skipped"
        return 0
    fi
    local flags=()
    read -ra flags <<<"${MPIRUN_FLAGS:-}"
    [[ $(id -u) -eq 0 ]] && mpirun --version 2>&1 | grep -q 'Open MPI' && flags+=(--allow-run-as-root)
    local ranks r s kb c res med lo hi rss start
    : >"$tmp/$w.mpi.md"
    for ranks in 1 2; do
        : >"$tmp/$w.mpi.$ranks"
        : >"$tmp/$w.mpirss.$ranks"
        repro "$RUNSTAT mpirun -n $ranks ${flags[*]} $mpi locate -j $threads $* -o /dev/null --quiet    # x$RUNS"
        measure mpirun -n "$ranks" "${flags[@]}" "$mpi" locate -j "$threads" "$@" -o /dev/null --quiet >/dev/null
        for ((r = 0; r < RUNS; r++)); do
            res=$(measure mpirun -n "$ranks" "${flags[@]}" "$mpi" locate -j "$threads" "$@" -o /dev/null --quiet)
            read -r s kb c <<<"$res"
            calc "$n / $s" >>"$tmp/$w.mpi.$ranks"
            echo >>"$tmp/$w.mpi.$ranks"
            echo "$kb" >>"$tmp/$w.mpirss.$ranks"
        done
        read -r med lo hi < <(stats <"$tmp/$w.mpi.$ranks")
        read -r rss _ _ < <(stats <"$tmp/$w.mpirss.$ranks")
        # The fixed cost of an MPI run (mpirun, MPI_Init, ...): one frame.
        repro "$RUNSTAT mpirun -n $ranks ${flags[*]} $mpi locate -j $threads ${MPI_PROBE[*]} -o /dev/null --quiet    # x3, start-up"
        : >"$tmp/$w.mpistart"
        for ((r = 0; r < 3; r++)); do
            res=$(measure mpirun -n "$ranks" "${flags[@]}" "$mpi" locate -j "$threads" \
                "${MPI_PROBE[@]}" -o /dev/null --quiet)
            echo "${res%% *}" >>"$tmp/$w.mpistart"
        done
        read -r start _ _ < <(stats <"$tmp/$w.mpistart")
        R[$w.mpi$ranks]=$med
        printf '  MPI %s rank(s) x -j%s  %8.1f frames/s  (min %.1f, max %.1f); start-up (a 1-frame run) %.2f s\n' \
            "$ranks" "$threads" "$med" "$lo" "$hi" "$start"
        # shellcheck disable=SC2016 # backquotes are markdown
        printf '| end to end, `mpirun -n %s locus-mpi locate -j %s` (frames/s) | %.1f | %.1f – %.1f | | | peak RSS %.1f MB (largest process); a 1-frame run takes %.2f s |\n' \
            "$ranks" "$threads" "$med" "$lo" "$hi" "$(calc "$rss / 1024")" "$start" >>"$tmp/$w.mpi.md"
    done
    local sp
    sp=$(calc "${R[$w.mpi2]} / ${R[$w.mpi1]}")
    printf '  MPI speed-up 2 ranks / 1 rank  %.2fx\n' "$sp"
    printf '| MPI speed-up, 2 ranks / 1 rank (ratio of medians) | %.2f× | | | | |\n' "$sp" >>"$tmp/$w.mpi.md"
}

# ---- the machine ----------------------------------------------------------

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)
[[ -n $cpu ]] || cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
hyper=$(lscpu 2>/dev/null | sed -n 's/^Hypervisor vendor: *//p' | head -1)
mem=$(awk '/^MemTotal/ { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git status --porcelain --untracked-files=no 2>/dev/null | wc -l)
[[ $dirty -gt 0 ]] && commit="$commit + uncommitted changes in $dirty tracked files"
compiler=$($CC --version | head -1)
when=$(date -u '+%Y-%m-%d %H:%M UTC')
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
LOAD_START=$(loadavg)
# CPU ticks: busy on the whole machine; used by this script and its children.
busy_ticks() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }
own_ticks() { awk '{ print $14 + $15 + $16 + $17 }' "/proc/$$/stat"; }
BUSY0=$(busy_ticks) OWN0=$(own_ticks) NS0=$(date +%s%N)

echo "== locus bench: $cpu, $NPROC cores${hyper:+ ($hyper guest)}, $RUNS runs per measurement"
echo "   commit $commit; $compiler"
echo "   load average $LOAD_START"
if awk -v l="${LOAD_START%% *}" -v n="$NPROC" 'BEGIN { exit !(l > 0.25 * n) }'; then
    echo "   warning: the machine is busy (load $LOAD_START): the numbers will be noisy;"
    echo "   results.md records the load at the start and the end"
fi

# ---- (a) bulk_water -------------------------------------------------------

A_ARGS=(-d 13 --invert --channel 0)
echo
echo "== (a) bulk_water: 100 frames 640x424 RGBA PNG, ${A_ARGS[*]}"
VS=1 e2e a 100 "${A_ARGS[@]}" "$BULK"
VS=1 stages a "${A_ARGS[@]}" "$BULK"

# Memory must not grow with the number of frames: 1000 frames (the
# directory given 10 times) against 100.
echo "  peak RSS, 1000 frames vs 100 (median of 3 runs each):"
bulk10=()
for _ in 1 2 3 4 5 6 7 8 9 10; do bulk10+=("$BULK"); done
repro "$RUNSTAT $LOCUS locate ${A_ARGS[*]} $BULK [x10] -j 1|$NPROC -o /dev/null --quiet    # x3 each"
in_turn a1000 1000 "$LOCUS" locate "${A_ARGS[@]}" "${bulk10[@]}"
for j in 1 N; do
    jj=$j
    [[ $j == N ]] && jj=$NPROC
    read -r "R[a.rss1000_$j]" "R[a.rss1000_${j}_min]" "R[a.rss1000_${j}_max]" \
        < <(stats <"$tmp/a1000.rss.$j")
    read -r "R[a.fps1000_$j]" _ _ < <(stats <"$tmp/a1000.fps.$j")
    R[a.rssratio_$j]=$(calc "${R[a.rss1000_$j]} / ${R[a.rss$j]}")
    printf '    -j%-2s  100 frames %.1f MB, 1000 frames %.1f MB: ratio %.3f  (1000 frames at %.1f frames/s)\n' \
        "$jj" "$(calc "${R[a.rss$j]} / 1024")" "$(calc "${R[a.rss1000_$j]} / 1024")" \
        "${R[a.rssratio_$j]}" "${R[a.fps1000_$j]}"
done
mpi_rows a 100 "${A_ARGS[@]}" "$BULK"

# ---- (c) bulk_water as video -------------------------------------------------

# video_rows: FFV1 MKV and H.264 MP4 of the bulk_water frames, made once;
# end to end and decode only, as for (a). Markdown rows go to $tmp/c.md.
video_rows() {
    if ! command -v ffmpeg >/dev/null; then
        echo "  ffmpeg not found: skipped"
        echo "ffmpeg was not found: skipped." >"$tmp/c.md"
        return 0
    fi
    mkdir -p "$DATA"
    local mkv=$DATA/bulk_water-ffv1.mkv mp4=$DATA/bulk_water-h264-bf3.mp4
    local in=(-framerate 25 -i "$BULK/bulk_water_%03d.png")
    [[ -f $mkv ]] || ffmpeg -nostdin -v error -y "${in[@]}" -vf extractplanes=r -c:v ffv1 "$mkv"
    [[ -f $mp4 ]] || ffmpeg -nostdin -v error -y "${in[@]}" -vf format=yuv420p -c:v libx264 \
        -bf 3 "$mp4"
    repro "ffmpeg ${in[*]} -vf extractplanes=r -c:v ffv1 $mkv    # once, cached"
    repro "ffmpeg ${in[*]} -vf format=yuv420p -c:v libx264 -bf 3 $mp4    # once, cached"
    echo "  FFV1 in MKV ($(du -k "$mkv" | cut -f1) KB), -d 13 --invert:"
    e2e cmkv 100 -d 13 --invert "$mkv"
    stages cmkv -d 13 --invert "$mkv"
    echo "  H.264 in MP4 with B-frames ($(du -k "$mp4" | cut -f1) KB), -d 13 --invert --channel 0:"
    e2e cmp4 100 "${A_ARGS[@]}" "$mp4"
    stages cmp4 "${A_ARGS[@]}" "$mp4"
    local w
    {
        echo "| input | end to end \`-j1\` (frames/s, min – max) | end to end \`-j$NPROC\` (frames/s, min – max) | decode only, 1 / $NPROC threads (frames/s) | \`-j1\` against the PNGs |"
        echo "|---|---:|---:|---:|---:|"
        printf '| PNG (a) | %.1f (%.1f – %.1f) | %.1f (%.1f – %.1f) | %.1f / %.1f | 1.00× |\n' \
            "${R[a.fps1]}" "${R[a.fps1_min]}" "${R[a.fps1_max]}" "${R[a.fpsN]}" "${R[a.fpsN_min]}" \
            "${R[a.fpsN_max]}" "${R[a.dec1]}" "${R[a.decN]:-0}"
        for w in cmkv cmp4; do
            printf '| %s | %.1f (%.1f – %.1f) | %.1f (%.1f – %.1f) | %.1f / %.1f | %.2f× |\n' \
                "$([[ $w == cmkv ]] && echo "FFV1 in MKV, $(du -k "$mkv" | cut -f1) KB" ||
                    echo "H.264 in MP4, B-frames, $(du -k "$mp4" | cut -f1) KB")" \
                "${R[$w.fps1]}" "${R[$w.fps1_min]}" "${R[$w.fps1_max]}" "${R[$w.fpsN]}" \
                "${R[$w.fpsN_min]}" "${R[$w.fpsN_max]}" "${R[$w.dec1]}" "${R[$w.decN]:-0}" \
                "$(calc "${R[$w.fps1]} / ${R[a.fps1]}")"
        done
    } >"$tmp/c.md"
}
echo
echo "== (c) bulk_water as video: the 100 frames' channel 0"
video_rows

# ---- (b) synthetic 2048x2048 uint16 stack ---------------------------------

B_SYNTH=(--shape 2048x2048 --bit-depth 16 --format tiff --stack --particles 3000 --frames 40 --seed 7)
B_DIR=$DATA/synth-2048x2048-u16-p3000-f40-seed7
B_MOVIE=$B_DIR/movie.tif
B_LOCATE=(-d 7)
echo
echo "== (b) synth2k: 40 frames 2048x2048 uint16 TIFF stack, 3000 spots"
if [[ ${BENCH_REGEN:-0} == 1 || ! -f $B_DIR/params.txt || $(cat "$B_DIR/params.txt") != "${B_SYNTH[*]}" ||
    ! -f $B_MOVIE || ! -f $B_DIR/truth.csv ]]; then
    echo "  generating $B_DIR (once; reused while its parameters stay the same)"
    rm -rf "$B_DIR" "$B_DIR.tmp"
    mkdir -p "$DATA"
    "$LOCUS" synth "$B_DIR.tmp" "${B_SYNTH[@]}" --quiet
    echo "${B_SYNTH[*]}" >"$B_DIR.tmp/params.txt"
    mv "$B_DIR.tmp" "$B_DIR"
else
    echo "  reusing $B_DIR"
fi
repro "$LOCUS synth $B_DIR ${B_SYNTH[*]}    # once, cached"

# minmass: from a minmass-0 run scored against the truth (cached too).
CALIB=$B_DIR/minmass.txt
calib_key="locate ${B_LOCATE[*]} --minmass 0; match_truth.py --radius 1"
if [[ ${BENCH_REGEN:-0} == 1 || ! -f $CALIB || $(head -1 "$CALIB") != "$calib_key" ]]; then
    echo "  choosing minmass: locating with minmass 0 and matching to truth.csv"
    "$LOCUS" locate "${B_LOCATE[@]}" --minmass 0 "$B_MOVIE" -o "$tmp/f0.csv" --quiet
    { echo "$calib_key"; python3 bench/match_truth.py "$B_DIR/truth.csv" "$tmp/f0.csv"; } >"$CALIB.tmp"
    rm -f "$tmp/f0.csv"
    mv "$CALIB.tmp" "$CALIB"
fi
repro "$LOCUS locate ${B_LOCATE[*]} --minmass 0 $B_MOVIE -o f0.csv; python3 bench/match_truth.py $B_DIR/truth.csv f0.csv    # once, cached"
while read -r key val; do R[b.cal_$key]=$val; done < <(tail -n +2 "$CALIB")
MINMASS=${R[b.cal_minmass]}
[[ -n $MINMASS ]] || die "$CALIB holds no minmass"
B_ARGS=("${B_LOCATE[@]}" --minmass "$MINMASS")
printf '  minmass %s: between noise features (99.9th pct %.0f, max %.0f) and real ones (0.1th pct %.0f, min %.0f)\n' \
    "$MINMASS" "${R[b.cal_noise_p999]}" "${R[b.cal_noise_max]}" "${R[b.cal_real_p001]}" "${R[b.cal_real_min]}"

# Accuracy at that minmass, from a real run with --minmass.
"$LOCUS" locate "${B_ARGS[@]}" "$B_MOVIE" -o "$tmp/fb.csv" --quiet
while read -r key val; do R[b.acc_$key]=$val; done < <(python3 bench/match_truth.py \
    --minmass "$MINMASS" "$B_DIR/truth.csv" "$tmp/fb.csv")
rm -f "$tmp/fb.csv"
repro "$LOCUS locate ${B_ARGS[*]} $B_MOVIE -o fb.csv; python3 bench/match_truth.py --minmass $MINMASS $B_DIR/truth.csv fb.csv"
printf '  at minmass %s: recall %.4f, precision %.4f (%s features, %s not within 1 px of a true spot,\n    %s of them merged pairs; recall at minmass 0: %.4f)\n' \
    "$MINMASS" "${R[b.acc_recall]}" "${R[b.acc_precision]}" "${R[b.acc_features]}" \
    "${R[b.acc_noise]}" "${R[b.acc_noise_pairs]}" "${R[b.cal_recall0]}"

VS=1 e2e b 40 "${B_ARGS[@]}" "$B_MOVIE"
VS=1 stages b "${B_ARGS[@]}" "$B_MOVIE"
# -j scaling over a longer run: the movie given 3 times (120 frames)
echo "  120 frames (the movie 3 times), median of 3 runs each, -j1 and -j$NPROC in turn:"
repro "$RUNSTAT $LOCUS locate ${B_ARGS[*]} $B_MOVIE [x3] -j 1|$NPROC -o /dev/null --quiet    # x3 each"
in_turn b120 120 "$LOCUS" locate "${B_ARGS[@]}" "$B_MOVIE" "$B_MOVIE" "$B_MOVIE"
for j in 1 N; do
    jj=$j
    [[ $j == N ]] && jj=$NPROC
    read -r "R[b.fps120_$j]" _ _ < <(stats <"$tmp/b120.fps.$j")
    printf '    -j%-2s  %.1f frames/s\n' "$jj" "${R[b.fps120_$j]}"
done
mpi_rows b 40 "${B_ARGS[@]}" "$B_MOVIE"

# ---- targets --------------------------------------------------------------

TP_A_FPS=22 TP_A_MS=35 TP_B_SPF=0.58
TP_B_FPS=$(calc "1 / $TP_B_SPF")

target() { # LABEL VALUE OP GOAL UNIT
    local verdict
    verdict=$(judge "$2" "$3" "$4")
    local op=≥
    [[ $3 == "<=" ]] && op=≤
    printf '  %-4s %-42s %10s  (target %s %s)\n' "$verdict" "$1" "$(fmt "%.2f" "$2")" "$op" "$4$5"
    SUMMARY+="| $1 | $(fmt "%.2f" "$2") | $op $4$5 | **$verdict** |"$'\n'
}
echo
echo "== targets"
target "(a) locate only, ms/frame" "${R[a.loc]}" "<=" 3 ""
target "(a) end to end -j1, frames/s" "${R[a.fps1]}" ">=" 120 ""
target "(a) speed-up -j$NPROC / -j1" "${R[a.speedup]}" ">=" 1.8 "×"
target "(b) end to end -j1, frames/s" "${R[b.fps1]}" ">=" 15 ""
target "(b) speed-up -j$NPROC / -j1" "${R[b.speedup]}" ">=" 1.8 "×"
target "(a) RSS 1000 / 100 frames, -j$NPROC" "${R[a.rssratio_N]}" "<=" 1.10 ""
target "(a) RSS 1000 / 100 frames, -j1" "${R[a.rssratio_1]}" "<=" 1.10 ""

# Against the baseline (issue 14: locate twice as fast per core, the same bytes).
VS_MD=""
if [[ -n $BASE_LOCUS ]]; then
    scale_goal=$(calc "0.9 * $NPROC")
    [[ -n ${R[a.vs_loc]:-} ]] &&
        target "(a) locate only, ×$BASE_COMMIT" "${R[a.vs_loc]}" ">=" 2 "×"
    target "(b) synth2k end to end -j1, ×$BASE_COMMIT" "${R[b.vs_fps1]}" ">=" 2.5 "×"
    target "(c) bulk_water end to end -j1, ×$BASE_COMMIT" "${R[a.vs_fps1]}" ">=" 1.6 "×"
    target "bulk_water -j$NPROC / -j1 (this build)" "${R[a.speedup]}" ">=" "$scale_goal" "×"
    # the same over 1000 frames (the memory runs above): a 100-frame run
    # lasts about 0.1 s, and its fixed costs (process start, the header
    # scan, each worker's first frame) weigh on -j$NPROC's share
    R[a.speedup1000]=$(calc "${R[a.fps1000_N]} / ${R[a.fps1000_1]}")
    target "bulk_water -j$NPROC / -j1, 1000 frames (this build)" "${R[a.speedup1000]}" ">=" \
        "$scale_goal" "×"
    target "synth2k -j$NPROC / -j1 (this build)" "${R[b.speedup]}" ">=" "$scale_goal" "×"
    R[b.speedup120]=$(calc "${R[b.fps120_N]} / ${R[b.fps120_1]}")
    target "synth2k -j$NPROC / -j1, 120 frames (this build)" "${R[b.speedup120]}" ">=" \
        "$scale_goal" "×"
    for w in a b; do
        for j in 1 N; do
            R[$w.vs_rss$j]=$(calc "${R[$w.rss$j]} / ${R[$w.brss$j]}")
        done
    done
    target "peak RSS / baseline's, bulk_water -j1" "${R[a.vs_rss1]}" "<=" 1.00 ""
    target "peak RSS / baseline's, bulk_water -j$NPROC" "${R[a.vs_rssN]}" "<=" 1.00 ""
    target "peak RSS / baseline's, synth2k -j1" "${R[b.vs_rss1]}" "<=" 1.00 ""
    target "peak RSS / baseline's, synth2k -j$NPROC" "${R[b.vs_rssN]}" "<=" 1.00 ""
    vs_row() { # LABEL THIS BASELINE RATIO
        printf '| %s | %s | %s | %s |\n' "$1" "$(fmt %.2f "$2")" "$(fmt %.2f "$3")" "$(fmt %.2f× "$4")"
    }
    VS_MD="## Against the baseline $BASE_COMMIT

\`BASELINE=$BASELINE make bench\`: the baseline built in a temporary worktree
with the same compiler and flags; every figure below is the median of $RUNS
runs, this build's and the baseline's alternating.

| measurement | this build | baseline $BASE_COMMIT | ratio |
|---|---:|---:|---:|
$(vs_row "(a) bulk_water locate only (ms/frame)" "${R[a.vsloc_cur]:-0}" "${R[a.vsloc_base]:-0}" "${R[a.vs_loc]:-0}")
$(vs_row "bulk_water decode only (frames/s)" "${R[a.vsdec_cur]:-0}" "${R[a.vsdec_base]:-0}" "${R[a.vs_dec]:-0}")
$(vs_row "(c) bulk_water end to end \`-j1\` (frames/s)" "${R[a.fps1]}" "${R[a.bfps1]}" "${R[a.vs_fps1]}")
$(vs_row "bulk_water end to end \`-j$NPROC\` (frames/s)" "${R[a.fpsN]}" "${R[a.bfpsN]}" "${R[a.vs_fpsN]}")
$(vs_row "bulk_water \`-j$NPROC\` / \`-j1\`" "${R[a.speedup]}" "${R[a.bspeedup]}" "$(calc "${R[a.speedup]} / ${R[a.bspeedup]}")")
$(vs_row "bulk_water peak RSS \`-j1\` (MB)" "$(calc "${R[a.rss1]} / 1024")" "$(calc "${R[a.brss1]} / 1024")" "${R[a.vs_rss1]}")
$(vs_row "bulk_water peak RSS \`-j$NPROC\` (MB)" "$(calc "${R[a.rssN]} / 1024")" "$(calc "${R[a.brssN]} / 1024")" "${R[a.vs_rssN]}")
$(vs_row "synth2k locate only (ms/frame)" "${R[b.vsloc_cur]:-0}" "${R[b.vsloc_base]:-0}" "${R[b.vs_loc]:-0}")
$(vs_row "synth2k decode only (frames/s)" "${R[b.vsdec_cur]:-0}" "${R[b.vsdec_base]:-0}" "${R[b.vs_dec]:-0}")
$(vs_row "(b) synth2k end to end \`-j1\` (frames/s)" "${R[b.fps1]}" "${R[b.bfps1]}" "${R[b.vs_fps1]}")
$(vs_row "synth2k end to end \`-j$NPROC\` (frames/s)" "${R[b.fpsN]}" "${R[b.bfpsN]}" "${R[b.vs_fpsN]}")
$(vs_row "synth2k \`-j$NPROC\` / \`-j1\`" "${R[b.speedup]}" "${R[b.bspeedup]}" "$(calc "${R[b.speedup]} / ${R[b.bspeedup]}")")
$(vs_row "synth2k peak RSS \`-j1\` (MB)" "$(calc "${R[b.rss1]} / 1024")" "$(calc "${R[b.brss1]} / 1024")" "${R[b.vs_rss1]}")
$(vs_row "synth2k peak RSS \`-j$NPROC\` (MB)" "$(calc "${R[b.rssN]} / 1024")" "$(calc "${R[b.brssN]} / 1024")" "${R[b.vs_rssN]}")

Ratios are \"this build is that many times as fast\" (for RSS: this build's
over the baseline's). The outputs are byte-identical to the baseline's:
\`tests/locate/test_baseline.py\`.
"
fi

# ---- results.md -------------------------------------------------------------

mb() { fmt "%.1f" "$(calc "$1 / 1024")"; }
x() { fmt "%.1f×" "$(calc "$1")"; }

# table W E2E_GOAL LOC_GOAL TRACKPY_E2E TRACKPY_LOC: the rows common to
# both workloads (an empty goal: no target; trackpy cells are quoted text).
table() {
    local w=$1 ge=$2 gl=$3 te=$4 tl=$5 ve="" vl=""
    [[ -n $ge ]] && ve=$(judge "${R[$w.fps1]}" ">=" "$ge") && ge="≥ $ge"
    [[ -n $gl ]] && vl=$(judge "${R[$w.loc]}" "<=" "$gl") && gl="≤ $gl"
    cat <<EOF
| measurement | locus | min – max | target | | trackpy (reference) |
|---|---:|---:|---|---|---|
| end to end, \`-j1\` (frames/s) | $(fmt %.1f "${R[$w.fps1]}") | $(fmt %.1f "${R[$w.fps1_min]}") – $(fmt %.1f "${R[$w.fps1_max]}") | $ge | $ve | $te |
| end to end, \`-j$NPROC\` (frames/s) | $(fmt %.1f "${R[$w.fpsN]}") | $(fmt %.1f "${R[$w.fpsN_min]}") – $(fmt %.1f "${R[$w.fpsN_max]}") | | | |
| CPU time, user + system, \`-j1\` / \`-j$NPROC\` (ms/frame) | $(fmt %.2f "${R[$w.cpu1]}") / $(fmt %.2f "${R[$w.cpuN]}") | $(fmt %.2f "${R[$w.cpu1_min]}") – $(fmt %.2f "${R[$w.cpu1_max]}") / $(fmt %.2f "${R[$w.cpuN_min]}") – $(fmt %.2f "${R[$w.cpuN_max]}") | | | |
| speed-up \`-j$NPROC\` / \`-j1\` (ratio of medians) | $(fmt %.2f "${R[$w.speedup]}")× | | ≥ 1.8× | $(judge "${R[$w.speedup]}" ">=" 1.8) | |
| decode only, 1 thread (frames/s) | $(fmt %.1f "${R[$w.dec1]}") | $(fmt %.1f "${R[$w.dec1_min]}") – $(fmt %.1f "${R[$w.dec1_max]}") | | | |
| decode only, $NPROC threads (frames/s) | $(fmt %.1f "${R[$w.decN]:-0}") | $(fmt %.1f "${R[$w.decN_min]:-0}") – $(fmt %.1f "${R[$w.decN_max]:-0}") | | | |
| locate only (ms/frame; median over frames × runs) | $(fmt %.2f "${R[$w.loc]}") | $(fmt %.2f "${R[$w.loc_min]}") – $(fmt %.2f "${R[$w.loc_max]}") (per-run medians); mean $(fmt %.2f "${R[$w.loc_mean]}") | $gl | $vl | $tl |
| locate only, thread CPU time (ms/frame; median) | $(fmt %.2f "${R[$w.loccpu]}") | | | | |
| peak RSS, \`-j1\` (MB) | $(mb "${R[$w.rss1]}") | $(mb "${R[$w.rss1_min]}") – $(mb "${R[$w.rss1_max]}") | | | |
| peak RSS, \`-j$NPROC\` (MB) | $(mb "${R[$w.rssN]}") | $(mb "${R[$w.rssN_min]}") – $(mb "${R[$w.rssN_max]}") | | | |
| features per frame | $(fmt %.1f "${R[$w.feat]}") | | | | |
EOF
}

T_END=$(date +%s)
LOAD_END=$(loadavg)
# How many cores other processes kept busy, on average, while we ran.
OTHER=$(awk -v b="$(($(busy_ticks) - BUSY0))" -v o="$(($(own_ticks) - OWN0))" \
    -v ns="$(($(date +%s%N) - NS0))" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { v = (b - o) / hz / (ns / 1e9); printf "%.2f", v < 0 ? 0 : v }')
echo
echo "== other processes kept $OTHER of $NPROC cores busy on average during the bench"
BUSY_NOTE=""
if awk -v o="$OTHER" 'BEGIN { exit !(o > 0.25) }'; then
    BUSY_NOTE="
Other processes kept $OTHER of the $NPROC cores busy during this run: the
\`-j$NPROC\` figures and the speed-ups measure what was left of the machine, not
locus's scaling (compare the CPU time per frame at \`-j1\` and \`-j$NPROC\`:
equal CPU time means the threads add little work of their own). Rerun
\`make bench\` on an idle machine for the verdicts that matter.
"
    echo "   warning: the -j$NPROC figures and speed-ups are not meaningful under this load"
fi
B_ORIG_FPS=$(fmt %.2f "$TP_B_FPS")
{
    cat <<EOF
# locus benchmark results

Generated by \`make bench\` (bench/run.sh) on $when; it took $((T_END - T_START)) s.
Do not edit: run \`make bench\` again.

## Machine

| | |
|---|---|
| CPU | $cpu${hyper:+ ($hyper guest)} |
| cores (\`nproc\`) | $NPROC |
| memory | $mem |
| kernel | $(uname -sr) |
| date | $when |
| other work on the machine | other processes kept $OTHER of the $NPROC cores busy on average during the bench (load average $LOAD_START at the start, $LOAD_END at the end); anything above 0 makes the numbers noisier and the \`-j$NPROC\` ones lower |
| commit | $commit |
| compiler | $compiler |
| flags | \`$CFLAGS_ALL\` |

Every end-to-end figure is \`build/locus locate ... -o /dev/null --quiet\`
(CSV formatted, then discarded), timed from fork to exit by
\`build/bench/runstat\`, which also reports the peak RSS (wait4). Each is
the median of $RUNS runs, \`-j1\` and \`-j$NPROC\` runs alternating, after
one warm-up run that fills the page cache; min – max is the spread over
those runs. Decode and locate only are measured by \`build/bench/bench_frames\`
through the public API: decode only reads every frame with
\`locus_source_read\` and does nothing else ($RUNS runs; on $NPROC threads
each has its own reader); locate only decodes every frame into memory
first, then times \`locus_locate\` alone per frame with one workspace
warmed on frame 0. trackpy's figures were measured on this machine
beforehand and are quoted, not measured here.

## Targets

| target | measured | goal | |
|---|---:|---|---|
$SUMMARY$BUSY_NOTE
$VS_MD
## (a) bulk_water: 100 frames, 640×424 RGBA PNG

\`-d 13 --invert --channel 0\` on \`$BULK\`.

$(table a 120 3 "about $TP_A_FPS frames/s, one core, with decoding (locus -j1: $(x "${R[a.fps1]} / $TP_A_FPS"))" \
    "$TP_A_MS ms/frame (locus: $(x "$TP_A_MS / ${R[a.loc]}"))")
$(cat "$tmp/a.mpi.md")

Memory against the number of frames (1000 frames: the directory passed 10
times; median of 3 runs):

| | 100 frames (min – max) | 1000 frames (min – max) | ratio of medians | target | |
|---|---:|---:|---:|---|---|
| peak RSS \`-j1\` (MB) | $(mb "${R[a.rss1]}") ($(mb "${R[a.rss1_min]}") – $(mb "${R[a.rss1_max]}")) | $(mb "${R[a.rss1000_1]}") ($(mb "${R[a.rss1000_1_min]}") – $(mb "${R[a.rss1000_1_max]}")) | $(fmt %.3f "${R[a.rssratio_1]}") | ≤ 1.10 | $(judge "${R[a.rssratio_1]}" "<=" 1.10) |
| peak RSS \`-j$NPROC\` (MB) | $(mb "${R[a.rssN]}") ($(mb "${R[a.rssN_min]}") – $(mb "${R[a.rssN_max]}")) | $(mb "${R[a.rss1000_N]}") ($(mb "${R[a.rss1000_N_min]}") – $(mb "${R[a.rss1000_N_max]}")) | $(fmt %.3f "${R[a.rssratio_N]}") | ≤ 1.10 | $(judge "${R[a.rssratio_N]}" "<=" 1.10) |
| frames/s (1000 frames) | | $(fmt %.1f "${R[a.fps1000_1]}") (\`-j1\`), $(fmt %.1f "${R[a.fps1000_N]}") (\`-j$NPROC\`) | | | |

## (c) bulk_water as video

The 100 frames of (a) made into videos once with ffmpeg (\`$DATA/\`):
channel 0 (\`extractplanes=r\`) as FFV1 in MKV, located with \`-d 13
--invert\` (the same CSV as (a), byte for byte), and the RGBA frames as
H.264 (yuv420p, \`-bf 3\`) in MP4, located with \`-d 13 --invert --channel 0\`
(RGB through libswscale as PyAV gives it).

$(cat "$tmp/c.md")

## (b) synth2k: 40 frames, 2048×2048 uint16 TIFF stack, 3000 spots

\`locus synth ${B_SYNTH[*]}\` (cached in \`$B_DIR\`),
located with \`${B_ARGS[*]}\`.

$(table b 15 "" "$TP_B_SPF s/frame = $B_ORIG_FPS frames/s (locus -j1: $(x "${R[b.fps1]} / $TP_B_FPS"))" "")
$(cat "$tmp/b.mpi.md")

The minmass: a minmass-0 run on the stack finds $(fmt %.0f "$(calc "${R[b.cal_features0]} / 40")")
features per frame, most of them noise. Matched to \`truth.csv\` (a
feature is real when a true spot of its frame lies within 1 px), the
noise features' masses reach $(fmt %.0f "${R[b.cal_noise_p999]}") at the
99.9th percentile (max $(fmt %.0f "${R[b.cal_noise_max]}"): the heaviest are
merged pairs of close spots), the real ones start at $(fmt %.0f "${R[b.cal_real_min]}") (0.1th percentile
$(fmt %.0f "${R[b.cal_real_p001]}")); minmass $MINMASS is their geometric mean
to two digits (\`bench/match_truth.py\`).

| at \`--minmass $MINMASS\` | |
|---|---:|
| true spots (40 frames × 3000) | ${R[b.acc_truths]} |
| features found | ${R[b.acc_features]} |
| features not within 1 px of a true spot | ${R[b.acc_noise]} (${R[b.acc_noise_pairs]} of them with two true spots within 6 px: merged close pairs) |
| recall (true spots with a feature within 1 px) | $(fmt %.4f "${R[b.acc_recall]}") |
| precision (features within 1 px of a true spot) | $(fmt %.4f "${R[b.acc_precision]}") |
| recall at minmass 0, for comparison | $(fmt %.4f "${R[b.cal_recall0]}") (precision $(fmt %.4f "${R[b.cal_precision0]}")) |

## Reproduce

\`\`\`sh
make bench                     # all of this; BENCH_RUNS=N for more runs
# $SNAP/ holds copies of $BUILD/locus, locus-mpi and liblocus.a taken at the
# start, so that the whole run measures one build; the helpers, with the
# Makefile's flags (the flags row above):
$CC \$CFLAGS_ALL bench/runstat.c -o $RUNSTAT
$CC \$CFLAGS_ALL bench/bench_frames.c -o $FRAMES $SNAP/liblocus.a $LDLIBS_ALL
EOF
    printf '%s\n' "${REPRO[@]}"
    echo '```'
} >"$tmp/results.md"
mv "$tmp/results.md" "$OUT"
echo
echo "== wrote $OUT ($((T_END - T_START)) s)"

# Linking (trackpy's link) has its own benchmark and results file.
echo
BUILD=$BUILD SHARED=$SHARED BENCH_RUNS=$RUNS bash bench/link.sh || echo "bench: bench/link.sh failed"
