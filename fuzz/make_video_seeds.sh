#!/usr/bin/env bash
# Seeds for the video harness (fuzz_video.c): small videos made by
# Debian's ffmpeg, one of each container, codec and timestamp pattern the
# reader handles, each a few KiB (32 x 24 pixels, a dozen frames).
#
#   bash fuzz/make_video_seeds.sh DIR      (build.sh seeds runs it)
set -euo pipefail
out=${1:?usage: make_video_seeds.sh DIR}
mkdir -p "$out"
command -v ffmpeg >/dev/null || { echo "make_video_seeds: ffmpeg not found" >&2; exit 2; }
src=(-f lavfi -i "testsrc2=size=32x24:rate=25:duration=0.48")
ff() { ffmpeg -nostdin -v error -y "$@"; }
x265=(-c:v libx265 -x265-params log-level=error:keyint=5:bframes=2)
ff "${src[@]}" -vf format=gray -c:v ffv1 -g 4 "$out/ffv1.mkv"
ff "${src[@]}" -vf format=gray16le -c:v ffv1 -level 3 -slicecrc 1 "$out/ffv1-16-crc.mkv"
ff "${src[@]}" -vf format=gray -c:v ffv1 "$out/ffv1.avi"
ff "${src[@]}" -vf format=yuv420p -c:v libx264 -bf 3 -g 5 "$out/h264-b.mp4"
ff "${src[@]}" -vf format=yuv420p -c:v libx264 -bf 2 -g 5 "$out/h264-b.mkv"
ff "${src[@]}" -vf format=yuv420p -c:v libx264 -bf 2 -g 5 "$out/h264-b.avi"
ff "${src[@]}" -vf format=yuv420p "${x265[@]}" "$out/h265.mov"
ff "${src[@]}" -c:v mjpeg "$out/mjpeg.avi"
ff "${src[@]}" -vf format=yuv420p -c:v rawvideo "$out/raw.avi"
ff "${src[@]}" -vf format=rgb24 -c:v rawvideo "$out/rgb.mov"
ff "${src[@]}" -vf format=gray16be -c:v rawvideo "$out/gray16.mov"
ff "${src[@]}" -vf format=yuv420p10le "${x265[@]}" "$out/p10.mkv"
ff "${src[@]}" -vf "select='not(eq(mod(n\,4)\,1))',format=yuv420p" -fps_mode vfr \
    -c:v libx264 -bf 2 "$out/vfr.mp4"
ff -f lavfi -i "testsrc2=size=32x24:rate=25:duration=1" -vf format=yuv420p -c:v libx264 \
    -bf 2 -g 8 "$out/long.mp4"
ff -ss 0.5 -i "$out/long.mp4" -c copy "$out/edit.mp4"
rm "$out/long.mp4"
ff -f lavfi -i sine=duration=0.1 -c:a pcm_s16le "$out/audio.avi"
ls "$out" | wc -l | xargs echo "make_video_seeds: wrote" | sed 's/$/ seeds/'
