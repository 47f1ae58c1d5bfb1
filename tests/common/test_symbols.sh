#!/usr/bin/env bash
# Every global symbol of liblocus.a carries the locus_ prefix, so the
# library can be linked into any program (and into Python) without
# colliding with libpng's png_*, libtiff's TIFF* or a caller's own names.
# Prints TAP lines.
set -u
cd "$(dirname "$0")/../.."
lib=${BUILD:-build}/liblocus.a
if [ ! -f "$lib" ]; then
    echo "not ok 1 - $lib exists"
    exit 1
fi
# AddressSanitizer adds its own __odr_asan.NAME for every global it
# instruments (test-sanitize builds); those are its names, not ours.
bad=$(nm -g --defined-only "$lib" | awk 'NF == 3 && $2 ~ /^[TDBRVWC]$/ {print $3}' |
      grep -v '^locus_' | grep -v '^__odr_asan\.locus_' | sort -u)
if [ -z "$bad" ]; then
    echo "ok 1 - every global symbol of $lib starts with locus_"
else
    echo "not ok 1 - global symbols without the locus_ prefix: $(echo $bad | tr '\n' ' ')"
fi
count=$(nm -g --defined-only "$lib" | awk 'NF == 3 && $2 ~ /^[T]$/' | wc -l)
if [ "$count" -gt 50 ]; then
    echo "ok 2 - the library defines $count functions (the check looked at real symbols)"
else
    echo "not ok 2 - only $count functions found in $lib"
fi
