#!/usr/bin/env bash
# Run the whole suite: unit-test programs (build/tests/test_*), then the
# command-line, conformance and accuracy tests. Every test prints TAP-style
# "ok" / "not ok" lines; this script counts them and ends with the total.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export LOCUS_BIN=${LOCUS_BIN:-$BUILD/locus}
export LOCUS_SHARED=${LOCUS_SHARED:-../shared}
export BUILD

pass=0; fail=0; skipped=(); broken=()
run_one() {
    local name=$1; shift
    local log; log=$(mktemp)
    local t0=$SECONDS
    "$@" >"$log" 2>&1
    local rc=$? secs=$((SECONDS - t0))
    local p f
    p=$(grep -c '^ok ' "$log"); f=$(grep -c '^not ok ' "$log")
    pass=$((pass + p)); fail=$((fail + f))
    if [ "$rc" -eq 0 ] && [ "$p" -eq 0 ] && grep -q '^# SKIP' "$log"; then
        skipped+=("$(grep -m1 '^# SKIP' "$log" | sed 's/^# SKIP //')")
        echo "SKIP $name: $(grep -m1 '^# SKIP' "$log" | sed 's/^# SKIP //')"
    elif [ "$rc" -ne 0 ] || [ "$f" -gt 0 ] || [ "$p" -eq 0 ]; then
        broken+=("$name")
        echo "FAIL $name (exit $rc, $p passed, $f failed, ${secs} s)"
        grep -v '^ok ' "$log" | head -40 | sed 's/^/    /'
        # a program that died without reporting counts as one failure
        [ "$f" -eq 0 ] && fail=$((fail + 1))
    else
        echo "pass $name ($p checks, ${secs} s)"
    fi
    rm -f "$log"
}

if [ ! -d "$LOCUS_SHARED/reference" ]; then
    echo "tests/run.sh: $LOCUS_SHARED/reference not found (set LOCUS_SHARED)"; exit 2
fi
for t in "$BUILD"/tests/*/test_*; do
    [ -x "$t" ] || continue
    run_one "$(basename "$t")" "$t"
done
for t in tests/*/test_*.sh; do
    [ -f "$t" ] || continue
    run_one "$(basename "$t")" bash "$t"
done
for t in tests/*/test_*.py tests/cli/conformance.py; do
    [ -f "$t" ] || continue
    run_one "$(basename "$t")" python3 "$t"
done

echo
if [ ${#skipped[@]} -gt 0 ]; then
    echo "${#skipped[@]} test program(s) skipped:"; printf '  %s\n' "${skipped[@]}"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
