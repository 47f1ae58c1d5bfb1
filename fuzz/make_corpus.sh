#!/usr/bin/env bash
# Seeds for the multi-file harness (fuzz_source.c), made from the
# single-file seeds that fuzz/make_seeds.c wrote in SEEDS/png and
# SEEDS/tiff: a flags byte, then files separated by "LCSF".
#
#   bash fuzz/make_corpus.sh SEEDS      (build.sh seeds runs it)
set -euo pipefail
seeds=${1:?usage: make_corpus.sh SEEDS}
out=$seeds/source
mkdir -p "$out"
# small seeds only: the harness decodes every file several times
mapfile -t png < <(find "$seeds/png" -type f -size -3k | sort | head -8)
mapfile -t tif < <(find "$seeds/tiff" -type f -size -3k | sort | head -8)
[ ${#png[@]} -ge 2 ] && [ ${#tif[@]} -ge 2 ] || { echo "make_corpus: too few seeds" >&2; exit 1; }

# one seed: FLAGS (a byte value), then the files
seed() {
    local name=$1 flags=$2
    shift 2
    {
        printf "\\$(printf '%03o' "$flags")"
        local first=1
        for f in "$@"; do
            [ $first -eq 1 ] || printf 'LCSF'
            first=0
            cat "$f"
        done
    } >"$out/$name"
}

n=0
for mode in 0 1 2 3; do
    # channel field 1 = channel 0; 0 = none
    seed "mix_m${mode}_a" $((mode | 0 << 3)) "${png[0]}" "${tif[0]}" "${png[1]}"
    seed "mix_m${mode}_b" $((mode | 1 << 3)) "${tif[1]}" "${png[2]}" "${tif[2]}"
    seed "mix_m${mode}_vol" $((mode | 4)) "${tif[3]}" "${tif[4]}"
    n=$((n + 3))
done
# JPEGs, and stacks with axis metadata, among the others
mapfile -t jpg < <(find "$seeds/jpeg" -type f -size -3k 2>/dev/null | sort | head -4)
mapfile -t axes < <(find "$seeds/tiff" -type f \( -name 'imagej_*' -o -name 'ome_*' \) 2>/dev/null | sort)
if [ ${#jpg[@]} -ge 2 ] && [ ${#axes[@]} -ge 2 ]; then
    seed "jpeg_mix" $((1 << 3)) "${jpg[0]}" "${png[0]}" "${jpg[1]}"
    seed "axes_mix" $((1 << 3)) "${axes[0]}" "${tif[0]}" "${axes[1]}"
    seed "axes_vol" $((4 | 1 << 3)) "${axes[0]}" "${axes[1]}"
    n=$((n + 3))
fi
seed "one_png" 0 "${png[3]}"
seed "empty_and_png" 0 /dev/null "${png[4]}"
seed "rgb_channel1" $((2 << 3)) "${png[5]}" "${png[6]}"
n=$((n + 3))
echo "make_corpus: $n multi-file seeds in $out"
