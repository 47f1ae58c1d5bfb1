#!/usr/bin/env bash
# Coverage-guided fuzzing of locus's image readers with libFuzzer.
#
#   bash fuzz/build.sh                  build the harnesses into build-fuzz/
#   bash fuzz/build.sh seeds            (re)write the seed corpus
#   bash fuzz/build.sh run SECONDS [NAME...]
#                                       build, write seeds, then run each
#                                       harness (all of them, or the NAMEs:
#                                       png tiff source jpeg ome imagej) for SECONDS, in
#                                       parallel; exit 1 if any crash, leak,
#                                       timeout, OOM or sanitizer report
#   bash fuzz/build.sh repro NAME FILE...   run a harness once on inputs
#   bash fuzz/build.sh coverage         line coverage of src/io/ by the corpora
#
# The library's I/O sources are compiled here with clang and the fuzzer,
# address and undefined-behaviour sanitizers (not the gcc-built
# build/liblocus.a). Found inputs are kept in build-fuzz/corpus/NAME/
# between runs; crashes go to build-fuzz/artifacts/. Environment:
# CLANG (default clang), FUZZ_JOBS (harnesses at once, default: cores),
# FUZZ_DATA (default ../shared/data), FUZZ_FLAGS (extra libFuzzer flags).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
OUT=build-fuzz
CLANG=${CLANG:-clang}
DATA=${FUZZ_DATA:-$ROOT/../shared/data}
HARNESSES=(png tiff source jpeg ome imagej video pack)

PKGS="libpng libtiff-4 libdeflate expat libjpeg libavformat libavcodec libswscale libavutil"
PKG_CFLAGS=$(pkg-config --cflags $PKGS 2>/dev/null || true)
PKG_LIBS=$(pkg-config --libs $PKGS 2>/dev/null ||
           echo -lpng16 -ltiff -ldeflate -lexpat -ljpeg -lavformat -lavcodec -lswscale -lavutil)
COMMON="-std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer -pthread -Iinclude -Isrc $PKG_CFLAGS"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all"
# what the readers need: every C file of the I/O and common layers (so a
# new reader or helper there is picked up without editing this list; two
# breakages came from a list that missed one) but the CSV reader and
# writer (their number conversions are C++: Debian's fast_float and
# dragonbox), and the parameter tables
LIB_SRC="$(ls src/common/*.c src/io/*.c | grep -v '/csv_') src/locate/params.c src/link/params.c
         src/run/params.c"

build() {
    command -v "$CLANG" >/dev/null || { echo "fuzz: $CLANG not found" >&2; exit 2; }
    mkdir -p "$OUT/obj" "$OUT/seedgen"
    local objs=()
    for s in $LIB_SRC; do
        local o="$OUT/obj/$(echo "${s%.c}" | tr / _).o"
        "$CLANG" $COMMON $SAN -fsanitize=fuzzer-no-link -c "$s" -o "$o"
        objs+=("$o")
    done
    for h in "${HARNESSES[@]}"; do
        local link=("${objs[@]}")
        "$CLANG" $COMMON $SAN -fsanitize=fuzzer "fuzz/fuzz_$h.c" "${link[@]}" \
            -o "$OUT/fuzz_$h" $PKG_LIBS -lz -lm
    done
    # the seed generator: plain (no fuzzer runtime), with the writers
    local sobjs=()
    for s in $LIB_SRC; do
        local o="$OUT/seedgen/$(echo "${s%.c}" | tr / _).o"
        "$CLANG" $COMMON -c "$s" -o "$o"
        sobjs+=("$o")
    done
    "$CLANG" $COMMON fuzz/make_seeds.c "${sobjs[@]}" -o "$OUT/make_seeds" $PKG_LIBS -lz -lm
    "$CLANG" $COMMON fuzz/make_seeds_formats.c -o "$OUT/make_seeds_formats" $PKG_LIBS -lz -lm
    echo "fuzz: built $OUT/fuzz_{$(IFS=,; echo "${HARNESSES[*]}")} and $OUT/make_seeds"
}

seeds() {
    rm -rf "$OUT/seeds"
    "$OUT/make_seeds" "$OUT/seeds" "$DATA"
    "$OUT/make_seeds_formats" "$OUT/seeds"
    # the multi-file harness starts from pairs of the single-file seeds
    bash fuzz/make_corpus.sh "$OUT/seeds"
    bash fuzz/make_video_seeds.sh "$OUT/seeds/video"
    "$OUT/fuzz_pack" -seeds "$OUT/seeds/pack" "$DATA"
}

# libFuzzer's flags for a harness: its corpus dirs come after.
flags() {
    local name=$1 dict=""
    case $name in
    png) dict=-dict=fuzz/png.dict ;;
    tiff) dict=-dict=fuzz/tiff.dict ;;
    jpeg) dict=-dict=fuzz/jpeg.dict ;;
    ome) dict=-dict=fuzz/ome.dict ;;
    imagej) dict=-dict=fuzz/imagej.dict ;;
    esac
    local max
    max=$(find "$OUT/seeds/$name" -type f -printf '%s\n' | sort -n | tail -1)
    max=$(( ${max:-0} > 65536 ? max : 65536 ))
    echo "-max_len=$max -rss_limit_mb=4096 -timeout=10 -print_final_stats=1 $dict" \
         "-artifact_prefix=$OUT/artifacts/$name- ${FUZZ_FLAGS:-}"
}

run_one() {
    local name=$1 secs=$2 log="$OUT/logs/$name.log"
    mkdir -p "$OUT/corpus/$name" "$OUT/artifacts" "$OUT/logs"
    # shellcheck disable=SC2046
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
        "$OUT/fuzz_$name" $(flags "$name") -max_total_time="$secs" \
        "$OUT/corpus/$name" "$OUT/seeds/$name" >"$log" 2>&1
}

run() {
    local secs=${1:?usage: build.sh run SECONDS [NAME...]}
    shift
    local names=("$@")
    [ ${#names[@]} -gt 0 ] || names=("${HARNESSES[@]}")
    build
    seeds
    local jobs=${FUZZ_JOBS:-$(nproc)} pids=() status=0
    mkdir -p "$OUT/artifacts" "$OUT/logs"
    find "$OUT/artifacts" -type f | sort >"$OUT/artifacts.before"
    for name in "${names[@]}"; do
        while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
        echo "fuzz: $name for ${secs}s (log: $OUT/logs/$name.log)"
        run_one "$name" "$secs" &
        pids+=("$!:$name")
    done
    for p in "${pids[@]}"; do
        if ! wait "${p%%:*}"; then
            echo "fuzz: ${p#*:} FAILED; see $OUT/logs/${p#*:}.log" >&2
            status=1
        fi
    done
    for name in "${names[@]}"; do
        local log="$OUT/logs/$name.log"
        local done_line cov
        done_line=$(grep -E '^Done [0-9]+ runs' "$log" | tail -1 || true)
        cov=$(grep -E '^#[0-9]+' "$log" | tail -1 | grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9]+[a-zA-Z]*' || true)
        echo "fuzz: $name: ${done_line:-no summary} ${cov:+($cov)}"
        if grep -qE '^==[0-9]+==ERROR|runtime error:|locus fuzz invariant broken|^SUMMARY: ' "$log"; then
            grep -E 'ERROR:|runtime error:|invariant broken|^SUMMARY:|Test unit written' "$log" | head -5 >&2
            status=1
        fi
    done
    local new
    new=$(find "$OUT/artifacts" -type f | sort | comm -13 "$OUT/artifacts.before" -)
    if [ -n "$new" ]; then
        echo "fuzz: new artifacts (reproduce with: bash fuzz/build.sh repro NAME FILE):" >&2
        echo "$new" >&2
        status=1
    fi
    [ $status -eq 0 ] && echo "fuzz: no crash, leak, timeout or sanitizer report"
    return $status
}

# Line coverage of the readers by the corpora (seeds + what runs found),
# with clang's source-based coverage: build-fuzz/cov/.
coverage() {
    command -v llvm-profdata >/dev/null || { echo "fuzz: llvm-profdata not found" >&2; exit 2; }
    local dir=$OUT/cov cflags="$COMMON -fprofile-instr-generate -fcoverage-mapping"
    rm -rf "$dir" && mkdir -p "$dir"
    local objs=()
    for s in $LIB_SRC; do
        local o="$dir/$(basename "${s%.c}").o"
        "$CLANG" $cflags -fsanitize=fuzzer-no-link -c "$s" -o "$o"
        objs+=("$o")
    done
    local bins=()
    for h in "${HARNESSES[@]}"; do
        local link=("${objs[@]}")
        "$CLANG" $cflags -fsanitize=fuzzer "fuzz/fuzz_$h.c" "${link[@]}" -o "$dir/fuzz_$h" \
            $PKG_LIBS -lz -lm
        mkdir -p "$OUT/corpus/$h"
        LLVM_PROFILE_FILE="$dir/$h.profraw" "$dir/fuzz_$h" -runs=0 -rss_limit_mb=4096 \
            "$OUT/corpus/$h" "$OUT/seeds/$h" >"$dir/$h.log" 2>&1 || true
        bins+=(-object "$dir/fuzz_$h")
    done
    llvm-profdata merge -sparse "$dir"/*.profraw -o "$dir/all.profdata"
    llvm-cov report -instr-profile="$dir/all.profdata" "${bins[@]:1}" \
        src/io/png_read.c src/io/tiff_read.c src/io/source.c src/io/image.c src/io/jpeg_read.c \
        src/io/imagej_meta.c src/io/ome_meta.c src/io/tiff_axes.c src/io/video_read.c | tee "$dir/report.txt"
}

case ${1:-build} in
build) build ;;
seeds) seeds ;;
coverage) coverage ;;
run) shift; run "$@" ;;
repro)
    shift
    name=${1:?usage: build.sh repro NAME FILE...}
    shift
    "$OUT/fuzz_$name" -runs=1 -rss_limit_mb=4096 -timeout=10 "$@"
    ;;
*) echo "usage: bash fuzz/build.sh [build | seeds | run SECONDS [NAME...] | repro NAME FILE... | coverage]" >&2; exit 2 ;;
esac
