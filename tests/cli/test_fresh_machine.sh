#!/usr/bin/env bash
# Both README commands work on a fresh Debian 12 in either order: `make
# test` and `make demo` each install what is missing before they build,
# and the install script lists every library the build compiles against.
# (CI runs .ci/run on a fresh machine; this keeps the Makefile honest
# between CI runs.) Prints TAP lines.
set -u
cd "$(dirname "$0")/../.."
n=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }

for target in test demo test-sanitize; do
    plan=$(make -n "$target" 2>/dev/null | head -5)
    echo "$plan" | grep -q 'scripts/install-deps.sh'
    ok $? "make $target installs what is missing before it builds"
done
# every pkg-config package and header the Makefile builds with is installed by the script
for pair in libpng:libpng-dev libtiff-4:libtiff-dev libdeflate:libdeflate-dev \
            dragonbox:libdragonbox-dev mpicc:libopenmpi-dev; do
    name=${pair%%:*}; pkg=${pair##*:}
    grep -q "$name" Makefile && grep -q "$pkg" scripts/install-deps.sh
    ok $? "Makefile uses $name; scripts/install-deps.sh installs $pkg"
done
