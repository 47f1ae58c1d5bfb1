#!/usr/bin/env bash
# `locus synth`: the files it writes, truth.csv, reproducibility, and usage
# errors. Prints TAP-style "ok N - ..." / "not ok N - ..." lines.
set -u
cd "$(dirname "$0")/../.."
BIN=${LOCUS_BIN:-${BUILD:-build}/locus}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

n=0
fails=0
ok() { # status description
    n=$((n + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $n - $2"
    else
        echo "not ok $n - $2"
        fails=$((fails + 1))
    fi
}

if [ ! -x "$BIN" ]; then
    echo "not ok 1 - $BIN not built"
    exit 1
fi

# Decode our own PNG/TIFF output (standard library only) and compare pixels
# with the noise-free model evaluated at every truth position.
cat >"$T/check.py" <<'EOF'
import math, struct, sys, zlib, csv

def read_png(path):
    data = open(path, 'rb').read()
    assert data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
    pos, idat, hdr = 8, b'', None
    while pos < len(data):
        ln, typ = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + ln]
        if typ == b'IHDR':
            hdr = struct.unpack('>IIBBBBB', body)
        elif typ == b'IDAT':
            idat += body
        pos += 12 + ln
    w, h, depth, ctype, _, _, interlace = hdr
    assert ctype == 0 and interlace == 0, 'not plain grey'
    bpp = depth // 8
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev, p = [], bytearray(stride), 0
    for _ in range(h):
        f = raw[p]
        line = bytearray(raw[p + 1:p + 1 + stride])
        p += 1 + stride
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1: line[i] = (line[i] + a) & 255
            elif f == 2: line[i] = (line[i] + b) & 255
            elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pr) & 255
        prev = line
        if bpp == 1:
            rows.append(list(line))
        else:
            rows.append([line[2 * i] << 8 | line[2 * i + 1] for i in range(w)])
    return depth, [rows]

def read_tiff(path):
    data = open(path, 'rb').read()
    e = {b'II': '<', b'MM': '>'}[data[:2]]
    assert struct.unpack(e + 'H', data[2:4])[0] == 42, 'not a classic TIFF'
    off = struct.unpack(e + 'I', data[4:8])[0]
    pages, depth = [], None
    sizes = {3: 2, 4: 4, 16: 8}
    codes = {3: 'H', 4: 'I', 16: 'Q'}
    while off:
        cnt = struct.unpack(e + 'H', data[off:off + 2])[0]
        tags = {}
        for k in range(cnt):
            tag, typ, num, val = struct.unpack(e + 'HHI4s', data[off + 2 + 12 * k:off + 14 + 12 * k])
            sz = sizes.get(typ, 1) * num
            raw = val if sz <= 4 else data[struct.unpack(e + 'I', val)[0]:][:sz]
            if typ in codes:
                tags[tag] = list(struct.unpack(e + codes[typ] * num, raw[:sz]))
        w, h, depth = tags[256][0], tags[257][0], tags[258][0]
        assert tags.get(259, [1])[0] == 1, 'compressed'
        buf = b''.join(data[o:o + c] for o, c in zip(tags[273], tags[279]))
        if depth == 8:
            px = list(buf)
        else:
            px = list(struct.unpack(e + 'H' * (w * h), buf[:2 * w * h]))
        pages.append([px[y * w:(y + 1) * w] for y in range(h)])
        off = struct.unpack(e + 'I', data[off + 2 + 12 * cnt:off + 6 + 12 * cnt])[0]
    return depth, pages

def integral(c, sigma, i):
    k = 1 / (math.sqrt(2) * sigma)
    return math.sqrt(2 * math.pi) * sigma * 0.5 * (math.erf((i + 0.5 - c) * k) - math.erf((i - 0.5 - c) * k))

# check.py TRUTH FRAME SIGMA IMAGE [IMAGE ...]   (one image file per frame, or a stack)
truth, frame, sigma = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
files = sys.argv[4:]
rows = list(csv.reader(open(truth)))
ndim = len(rows[0]) - 2
parts = [list(map(float, r[1:])) for r in rows[1:] if int(r[0]) == frame]
if files[0].endswith('movie.tif'):
    depth, pages = read_tiff(files[0])
    vol = [pages[frame]]                 # a stack: page = frame
elif files[0].endswith('.tif'):
    depth, vol = read_tiff(files[0])     # one file (2-D: 1 page, 3-D: z pages)
else:
    depth, vol = read_png(files[0])
shape = (len(vol), len(vol[0]), len(vol[0][0]))
base = 30 if depth == 8 else 2000
worst = 0
for p in parts:
    c = ([0.0] if ndim == 2 else []) + p[:ndim]
    idx = [int(math.floor(v + 0.5)) for v in c]
    axes = range(3 - ndim, 3)
    m = base * (1 + 0.3 * sum(idx[a] / (shape[a] - 1) for a in axes) / ndim)
    for q in parts:
        cq = ([0.0] if ndim == 2 else []) + q[:ndim]
        if all(abs(cq[a] - idx[a]) <= 6 * sigma for a in axes):
            w = q[ndim]
            for a in axes:
                w *= integral(cq[a], sigma, idx[a])
            m += w
    got = vol[idx[0]][idx[1]][idx[2]]
    worst = max(worst, abs(got - min(m, 2 ** depth - 1)))
print('shape', 'x'.join(map(str, shape if ndim == 3 else shape[1:])), 'depth', depth,
      'particles', len(parts), 'pages', len(vol), 'worst', round(worst, 6))
sys.exit(0 if worst <= 0.5 + 1e-6 and parts else 1)
EOF

# --- a PNG movie --------------------------------------------------------
out=$("$BIN" synth "$T/a/b" --frames 12 --particles 30 --seed 5 2>"$T/err")
rc=$?
ok $rc "synth into a new nested directory (exit $rc)"
[ -z "$(cat "$T/err")" ] && [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] &&
    printf '%s' "$out" | grep -q "wrote 12 frames"
ok $? "one line on stdout: $out"
[ "$(ls "$T/a/b" | grep -c '^frame_[0-9][0-9][0-9]\.png$')" -eq 12 ] &&
    [ -f "$T/a/b/frame_000.png" ] && [ -f "$T/a/b/frame_011.png" ] && [ ! -e "$T/a/b/frame_012.png" ]
ok $? "frame_000.png .. frame_011.png"
[ "$(head -1 "$T/a/b/truth.csv")" = "frame,y,x,amplitude" ]
ok $? "truth.csv header frame,y,x,amplitude"
awk -F, 'NR > 1 { if (NF != 4) bad = 1; cnt[$1]++; rows++ }
    END { for (f = 0; f < 12; f++) if (cnt[f] != 30) bad = 1; exit bad || rows != 360 }' "$T/a/b/truth.csv"
ok $? "truth.csv: 30 rows of 4 fields for each of frames 0..11"
awk -F, 'NR > 1 { if ($2 < 7 || $2 > 376 || $3 < 7 || $3 > 504 || $4 < 90 || $4 > 180) bad = 1 }
    END { exit bad }' "$T/a/b/truth.csv"
ok $? "truth positions within the margin, amplitudes in [90, 180]"
grep -q '^0,[0-9.]*,[0-9.]*,[0-9.]*$' "$T/a/b/truth.csv" &&
    awk -F, 'NR == 2 { exit length($2) < 15 }' "$T/a/b/truth.csv"
ok $? "truth numbers printed in full precision"

# --- reproducibility ----------------------------------------------------
"$BIN" synth "$T/c" --frames 12 --particles 30 --seed 5 --quiet >"$T/out" 2>&1
ok $? "a second run with the same seed"
[ ! -s "$T/out" ]
ok $? "--quiet prints nothing"
same=0
for f in "$T"/a/b/*; do cmp -s "$f" "$T/c/$(basename "$f")" || same=1; done
ok $same "same seed: identical files"
"$BIN" synth "$T/d" --frames 12 --particles 30 --seed 6 --quiet
! cmp -s "$T/a/b/frame_000.png" "$T/d/frame_000.png" && ! cmp -s "$T/a/b/truth.csv" "$T/d/truth.csv"
ok $? "different seed: different frames and truth"

# --- pixels against the model (noise-free) ------------------------------
"$BIN" synth "$T/e" --frames 2 --particles 40 --snr inf --sigma 1.2 --quiet &&
    python3 "$T/check.py" "$T/e/truth.csv" 1 1.2 "$T/e/frame_001.png" >"$T/out"
ok $? "PNG frame 1 = the model at every truth position ($(cat "$T/out"))"
"$BIN" synth "$T/e16" --bit-depth 16 --frames 1 --particles 30 --snr inf --shape 100x90 --quiet &&
    python3 "$T/check.py" "$T/e16/truth.csv" 0 1.5 "$T/e16/frame_000.png" >"$T/out" &&
    grep -q "depth 16" "$T/out"
ok $? "16-bit PNG = the model ($(cat "$T/out"))"
"$BIN" synth "$T/f" --format tiff --bit-depth 16 --frames 3 --particles 25 --snr inf --quiet &&
    python3 "$T/check.py" "$T/f/truth.csv" 2 1.5 "$T/f/frame_002.tif" >"$T/out"
ok $? "16-bit TIFF frame 2 = the model ($(cat "$T/out"))"
grep -q "depth 16" "$T/out" && grep -q "pages 1" "$T/out" && grep -q "shape 384x512" "$T/out"
ok $? "16-bit TIFF: one 384x512 uint16 page per file"
"$BIN" synth "$T/g" --format tiff --stack --frames 5 --particles 10 --snr inf --shape 64x80 --quiet &&
    python3 "$T/check.py" "$T/g/truth.csv" 3 1.5 "$T/g/movie.tif" >"$T/out"
ok $? "--stack: page 3 of movie.tif = frame 3 of the model ($(cat "$T/out"))"
[ "$(ls "$T/g")" = "$(printf 'movie.tif\ntruth.csv')" ]
ok $? "--stack writes only movie.tif and truth.csv"
python3 - "$T/g/movie.tif" <<'EOF'
import struct, sys
d = open(sys.argv[1], 'rb').read()
off, pages = struct.unpack('<I', d[4:8])[0], 0
while off:
    cnt = struct.unpack('<H', d[off:off + 2])[0]
    off = struct.unpack('<I', d[off + 2 + 12 * cnt:off + 6 + 12 * cnt])[0]
    pages += 1
sys.exit(pages != 5)
EOF
ok $? "--stack: movie.tif has 5 pages"

# --- 3-D ------------------------------------------------------------------
"$BIN" synth "$T/h" --shape 24x96x80 --format tiff --frames 2 --particles 20 --snr inf --quiet
ok $? "3-D movie 24x96x80"
[ "$(head -1 "$T/h/truth.csv")" = "frame,z,y,x,amplitude" ] &&
    awk -F, 'NR > 1 { if (NF != 5) bad = 1; rows++ } END { exit bad || rows != 40 }' "$T/h/truth.csv"
ok $? "3-D truth.csv: frame,z,y,x,amplitude, 20 rows per frame"
python3 "$T/check.py" "$T/h/truth.csv" 1 1.5 "$T/h/frame_001.tif" >"$T/out"
ok $? "3-D frame 1: 24 z pages = the model ($(cat "$T/out"))"
grep -q "pages 24" "$T/out"
ok $? "3-D frame file has 24 pages"

# --- names are padded to the frame count ----------------------------------
"$BIN" synth "$T/i/" --frames 1001 --shape 16x16 --particles 0 --quiet &&
    [ -f "$T/i/frame_0000.png" ] && [ -f "$T/i/frame_1000.png" ] &&
    [ "$(ls "$T/i" | grep -c '^frame_[0-9]\{4\}\.png$')" -eq 1001 ]
ok $? "1001 frames: frame_0000.png .. frame_1000.png (OUTDIR with a trailing slash)"
[ "$(wc -l <"$T/i/truth.csv")" -eq 1 ]
ok $? "no particles: truth.csv is just the header"

# --- help -----------------------------------------------------------------
"$BIN" synth --help >"$T/out" 2>&1 && grep -q "usage: locus synth OUTDIR" "$T/out" &&
    grep -q "SNR = A / s" "$T/out"
ok $? "--help describes usage and the SNR"

# --- bad usage: exit 2, one line "locus synth: OPTION: reason" ------------
bad() { # expected-prefix args...
    local want=$1
    shift
    "$BIN" synth "$@" >"$T/out" 2>"$T/err"
    local rc=$?
    local lines
    lines=$(wc -l <"$T/err")
    if [ $rc -eq 2 ] && [ "$lines" -eq 1 ] && grep -q "^locus synth: $want" "$T/err" && [ ! -s "$T/out" ]; then
        ok 0 "$* -> exit 2: $(cat "$T/err")"
    else
        ok 1 "$* -> exit $rc, want 2 and 'locus synth: $want...': $(cat "$T/err")"
    fi
}
bad "--frames: '1x'" "$T/x" --frames 1x
bad "--frames: '-1'" "$T/x" --frames -1
bad "--frames: '0'" "$T/x" --frames 0
bad "--frames: ' 3'" "$T/x" --frames " 3"
bad "--particles: '-3'" "$T/x" --particles -3
bad "--sigma: '0'" "$T/x" --sigma 0
bad "--sigma: 'abc'" "$T/x" --sigma abc
bad "--sigma: '1.5e'" "$T/x" --sigma 1.5e
bad "--snr: '-1'" "$T/x" --snr -1
bad "--snr: 'nan'" "$T/x" --snr nan
bad "--bit-depth: '12'" "$T/x" --bit-depth 12
bad "--format: 'jpg'" "$T/x" --format jpg
bad "--shape: '384'" "$T/x" --shape 384
bad "--shape: '4x512'" "$T/x" --shape 4x512
bad "--shape: '8x8x8x8'" "$T/x" --shape 8x8x8x8
bad "--shape: '384x'" "$T/x" --shape 384x
bad "--shape: '65537x8'" "$T/x" --shape 65537x8
bad "--seed: '-1'" "$T/x" --seed -1
bad "--seed: '18446744073709551616'" "$T/x" --seed 18446744073709551616
bad "--min-separation: '-1'" "$T/x" --min-separation -1
bad "--step: 'inf'" "$T/x" --step inf
bad "--bogus: unknown option" "$T/x" --bogus
bad "-x: unknown option" "$T/x" -x
bad "--frames: needs a value" "$T/x" --frames
bad "OUTDIR: missing" --frames 3
bad "--format: 3-D" "$T/x" --shape 8x16x16
bad "--stack: needs --format tiff" "$T/x" --stack
bad "--stack: only for 2-D" "$T/x" --stack --format tiff --shape 16x32x32
bad "--particles: cannot all be placed: 1000 with --min-separation 8 in a 32x32 image" \
    "$T/x" --shape 32x32 --particles 1000
bad "$T/y: unexpected argument" "$T/x" "$T/y"
[ ! -e "$T/x" ]
ok $? "usage errors create nothing"
"$BIN" synth "$T/ok" --seed 18446744073709551615 --frames 1 --particles 3 --shape 32x32 --quiet
ok $? "--seed 2^64-1 is accepted"

# --- files that cannot be written: exit 2, "locus synth: PATH: reason" ----
: >"$T/file"
bad "$T/file: cannot create directory" "$T/file"
bad "$T/file/sub: cannot create directory" "$T/file/sub"
mkdir -p "$T/ro/truth.csv"
bad "$T/ro/truth.csv: cannot create" "$T/ro" --frames 1
mkdir -p "$T/ro2/frame_001.png"
bad "$T/ro2/frame_001.png: " "$T/ro2" --frames 3

echo "# $n checks, $fails failed"
[ "$fails" -eq 0 ]
