#!/usr/bin/env bash
# The tree's layers, as docs/ARCHITECTURE.md draws them, hold: a file
# includes only headers of its own layer or of the layers below it, and
# the programs (cli/, mpi/) include only the public header and the one
# documented internal header, run/run.h. Prints TAP lines.
set -u
cd "$(dirname "$0")/../.."
n=0
fail=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }

# layer: the layers whose headers it may include
declare -A may=(
    [common]="common"
    [locate]="common locate"
    [io]="common io"
    [link]="common link"
    [synth]="common synth"
    [render]="common io render"
    [run]="common locate io link synth render run"
)
for layer in "${!may[@]}"; do
    [ -d "src/$layer" ] || continue
    bad=""
    for f in src/"$layer"/*.c src/"$layer"/*.h src/"$layer"/*.cc; do
        [ -f "$f" ] || continue
        for inc in $(grep -o '#include "[^"]*"' "$f" | sed 's/#include "//;s/"//'); do
            [ "$inc" = "locus.h" ] && continue
            top=${inc%%/*}
            [ "$top" = "$inc" ] && { bad="$bad $f:$inc(no layer)"; continue; }
            case " ${may[$layer]} " in *" $top "*) ;; *) bad="$bad $f:$inc" ;; esac
        done
    done
    [ -z "$bad" ]
    ok $? "src/$layer includes only ${may[$layer]}${bad:+ (but:$bad)}"
done
bad=""
for f in cli/*.c cli/*.h mpi/*.c; do
    for inc in $(grep -o '#include "[^"]*"' "$f" | sed 's/#include "//;s/"//'); do
        case "$inc" in
        locus.h | run/run.h) ;;
        */*) bad="$bad $f:$inc" ;;
        *) [ -f "cli/$inc" ] || bad="$bad $f:$inc" ;;
        esac
    done
done
[ -z "$bad" ]
ok $? "cli/ and mpi/ include only locus.h, run/run.h and cli's own headers${bad:+ (but:$bad)}"
