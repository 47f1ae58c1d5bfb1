#!/usr/bin/env bash
# Install the Debian packages locus needs that this machine lacks.
#   scripts/install-deps.sh            build and test dependencies
#   scripts/install-deps.sh --python   also what `make python` and its tests need
#   scripts/install-deps.sh --fuzz     also clang and libFuzzer for `make fuzz`
# Uses sudo when not root. Installs nothing that is already there.
set -eu
packages=(build-essential pkg-config libpng-dev libtiff-dev libdeflate-dev zlib1g-dev libdragonbox-dev libfast-float-dev python3
          libexpat1-dev libjpeg62-turbo-dev python3-numpy python3-pil
          libavformat-dev libavcodec-dev libswscale-dev libavutil-dev ffmpeg
          libopenmpi-dev openmpi-bin)
for flag in "$@"; do
    case "$flag" in
    --python) packages+=(python3-dev python3-numpy python3-pandas python3-ipyparallel python3-venv python3-av python3-tqdm) ;;
    --fuzz) packages+=(clang libclang-rt-14-dev llvm) ;;
    *) echo "install-deps: unknown option $flag" >&2; exit 2 ;;
    esac
done
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
echo "install-deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
