#!/usr/bin/env python3
"""Video input against PyAV, the reference for pims users: frame counts
and pixels of every kind of video (codecs, containers, B-frames, variable
frame rate, edit lists), located features identical to those of the same
pixels as PNG files, and the errors of damaged or hostile files.

LOCUS_VIDEO_TESTS=h264,damaged (say) runs only those test_* functions.
Videos are made at test time with Debian's ffmpeg in a temporary
directory. Pixels come from locus through build/tests/io/test_video
--dump, and from PyAV 10 as frame.to_ndarray(format='rgb24') (what
`--channel N` must equal) and as the stored luma plane (what `--luma`
must equal). Needs python3-av and python3-numpy: run by tests/run.sh with
the first `python3` on PATH, it re-runs itself with Debian's
/usr/bin/python3 when that one has them.
"""
import os
import subprocess
import sys

DEBIAN_PYTHON = '/usr/bin/python3'

try:
    import av
    import numpy as np
except ImportError:
    if os.path.realpath(sys.executable) != os.path.realpath(DEBIAN_PYTHON) \
            and os.path.exists(DEBIAN_PYTHON) and subprocess.run(
                [DEBIAN_PYTHON, '-c', 'import av, numpy'], capture_output=True).returncode == 0:
        os.execv(DEBIAN_PYTHON, [DEBIAN_PYTHON, os.path.abspath(__file__)] + sys.argv[1:])
    print("# SKIP test_video.py: python3-av or python3-numpy is not installed "
          "(bash scripts/install-deps.sh --python)")
    sys.exit(0)

import shutil
import struct
import tempfile
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'tests'))
from tap import check, status  # noqa: E402

BUILD = os.environ.get('BUILD', 'build')
LOCUS = os.path.join(ROOT, os.environ.get('LOCUS_BIN', os.path.join(BUILD, 'locus')))
DUMP = os.path.join(ROOT, BUILD, 'tests', 'io', 'test_video')
SHARED = os.environ.get('LOCUS_SHARED', os.path.join(ROOT, '..', 'shared'))
BULK = os.path.join(SHARED if os.path.isabs(SHARED) else os.path.join(ROOT, SHARED),
                    'data', 'bulk_water')
TMP = tempfile.mkdtemp(prefix='locus-video-')
av.logging.set_level(av.logging.PANIC)  # PyAV's own FFmpeg messages: not ours to show


def tmp(name):
    return os.path.join(TMP, name)


def ffmpeg(*args):
    r = subprocess.run(['ffmpeg', '-nostdin', '-v', 'error', '-y'] + list(args),
                       capture_output=True, text=True)
    return r.returncode == 0, r.stderr


def make(name, *args):
    ok, err = ffmpeg(*args, tmp(name))
    check(ok, f'ffmpeg makes {name}', err)
    return ok


def bulk_input(frames=100):
    return ['-framerate', '25', '-i', os.path.join(BULK, 'bulk_water_%03d.png'),
            '-frames:v', str(frames)]


# ---------------------------------------------------------------------
# Pixels from both sides
# ---------------------------------------------------------------------

def locus_frames(path, channel=None, luma=False, shuffle=False):
    """(frames array, None) or (None, error line) from locus."""
    args = [DUMP, '--dump', path]
    if channel is not None:
        args += ['--channel', str(channel)]
    if luma:
        args.append('--luma')
    if shuffle:
        args.append('--shuffle')
    out = subprocess.run(args, capture_output=True).stdout
    head, _, body = out.partition(b'\n')
    if head.startswith(b'error'):
        return None, head.decode()
    n, h, w, size = map(int, head.split())
    dtype = np.uint8 if size == 1 else np.uint16
    return np.frombuffer(body, dtype).reshape(n, h, w), None


def luma_plane(frame):
    """The stored Y (or grey) plane as integers: PyAV's planes[0], unpadded."""
    p, fmt = frame.planes[0], frame.format
    if fmt.components[0].bits <= 8:
        dtype = np.dtype(np.uint8)
    else:
        dtype = np.dtype('>u2' if fmt.name.endswith('be') else '<u2')
    a = np.frombuffer(p, dtype).reshape(frame.height, p.line_size // dtype.itemsize)
    return a[:, :frame.width].astype(np.uint8 if dtype.itemsize == 1 else np.uint16)


_decoded = {}


def pyav_frames(path, how):
    """Every frame PyAV's container.decode(video=0) gives, as `how` says."""
    key = (path, how)
    if key not in _decoded:
        _decoded[key] = _pyav_frames(path, how)
    return _decoded[key]


def _pyav_frames(path, how):
    with av.open(path) as c:
        out = []
        for f in c.decode(video=0):
            if how == 'luma':
                out.append(luma_plane(f))
            elif how == 'gray':
                out.append(f.to_ndarray(format='gray'))
            elif how == 'native':
                out.append(f.to_ndarray())
            else:
                out.append(f.to_ndarray(format=how))
        return np.stack(out)


def first_difference(a, b):
    if a.shape != b.shape:
        return f'shapes {a.shape} vs {b.shape}'
    bad = np.argwhere(a != b)
    return f'{len(bad)} pixels differ, first at {tuple(bad[0])}' if len(bad) else 'same'


def check_pixels(name, channel=None, luma=False, ref=None, what=None):
    path = tmp(name)
    got, err = locus_frames(path, channel, luma)
    if ref is None:
        if luma:
            ref = pyav_frames(path, 'luma')
        else:
            fmt = 'rgb48le' if got is not None and got.dtype == np.uint16 else 'rgb24'
            ref = pyav_frames(path, fmt)[..., channel]
    what = what or ('--luma is the luma plane' if luma else
                    f"--channel {channel} is to_ndarray(format='rgb24')[..., {channel}]")
    if got is None:
        return check(False, f'{name}: {what}', err)
    ok = check(got.shape == ref.shape and np.array_equal(got, ref),
               f'{name}: {len(ref)} frames; {what}', first_difference(got, ref))
    shuffled, err = locus_frames(path, channel, luma, shuffle=True)
    check(shuffled is not None and np.array_equal(shuffled, got),
          f'{name}: the same read in a shuffled order', err or '')
    return ok


# ---------------------------------------------------------------------
# Features
# ---------------------------------------------------------------------

def locate(inputs, *opts, jobs=1):
    r = subprocess.run([LOCUS, 'locate', '-d', '13', '--invert', '-j', str(jobs), '--quiet'] +
                       list(opts) + list(inputs), capture_output=True)
    return r.returncode, r.stdout, r.stderr.decode()


def write_png(path, a):
    """A grey 8-bit PNG from a 2-D uint8 array (standard library only)."""
    rows = b''.join(b'\0' + a[y].tobytes() for y in range(a.shape[0]))

    def chunk(t, d):
        return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d))
    with open(path, 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack(
            '>IIBBBBB', a.shape[1], a.shape[0], 8, 0, 0, 0, 0)) +
            chunk(b'IDAT', zlib.compress(rows, 1)) + chunk(b'IEND', b''))


def check_same_features(name, frames, *opts):
    """Locating the video equals locating these pixels written as PNG."""
    d = tmp(name + '.png.d')
    os.makedirs(d, exist_ok=True)
    for i, a in enumerate(frames):
        write_png(os.path.join(d, f'{i:04d}.png'), a)
    rc1, want, e1 = locate([d])
    rc2, got, e2 = locate([tmp(name)], *opts, jobs=2)
    check(rc1 == 0 and rc2 == 0 and want == got and len(want.splitlines()) > 100,
          f'{name}: locating it {" ".join(opts)} gives the CSV of locating its PyAV pixels '
          f'as PNG ({len(want.splitlines()) - 1} rows)', e1 + e2)


# ---------------------------------------------------------------------
# The tests
# ---------------------------------------------------------------------

def test_lossless():
    """FFV1 of bulk_water's channel 0: pixels and CSV identical to the PNGs."""
    pngs, err = locus_frames(BULK, channel=0)
    check(pngs is not None and len(pngs) == 100, 'bulk_water: 100 PNG frames', err or '')
    for name in ('bulk.mkv', 'bulk.avi'):
        if not make(name, *bulk_input(), '-vf', 'extractplanes=r', '-c:v', 'ffv1'):
            continue
        got, err = locus_frames(tmp(name))
        check(got is not None and pngs is not None and np.array_equal(got, pngs),
              f'{name}: frames are the PNGs\' channel 0, pixel for pixel',
              err or first_difference(got, pngs))
        check(np.array_equal(pyav_frames(tmp(name), 'native'), pngs),
              f'{name}: and PyAV decodes the same pixels')
        rc, want, e = locate([BULK], '--channel', '0')
        for j in (1, 2, 3):
            rc2, got_csv, e2 = locate([tmp(name)], jobs=j)
            check(rc == 0 and rc2 == 0 and got_csv == want,
                  f'{name}: locate -d 13 --invert -j{j} gives the PNGs\' CSV byte for byte',
                  e + e2)
        check_mpi(name, want)


def check_mpi(name, want):
    """locus-mpi: ranks read chunks of the video through the packed index."""
    mpi = os.path.join(ROOT, BUILD, 'locus-mpi')
    if not shutil.which('mpirun') or not os.path.exists(mpi):
        return
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT='1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM='1',
               OMPI_MCA_rmaps_base_oversubscribe='1')
    # under ASan, as tests/mpi/test_mpi.py does: Open MPI's dlclosed components
    # leave allocations LSan cannot attribute (no leak checking for these runs)
    if 'ASAN_OPTIONS' in env:
        env['ASAN_OPTIONS'] = env['ASAN_OPTIONS'].replace('detect_leaks=1', '') + \
            ':detect_leaks=0'
    r = subprocess.run(['mpirun', '-n', '3', mpi, 'locate', '-j', '1', '--chunk', '7', '--quiet',
                        '-d', '13', '--invert', tmp(name)], capture_output=True, env=env,
                       timeout=300)
    check(r.returncode == 0 and r.stdout == want,
          f'{name}: mpirun -n 3 locus-mpi (chunks of 7) gives the same CSV',
          r.stderr.decode()[-2000:])


def test_h264():
    """H.264 with B-frames: RGB channels and luma as PyAV gives them."""
    if not make('bulk.mp4', *bulk_input(), '-vf', 'format=yuv420p', '-c:v', 'libx264',
                '-bf', '3', '-g', '24'):
        return
    with av.open(tmp('bulk.mp4')) as c:
        pts = [p.pts for p in c.demux(video=0) if p.size]
    check(pts != sorted(pts), 'bulk.mp4: has B-frames (packets out of presentation order)')
    for ch in (0, 1, 2):
        check_pixels('bulk.mp4', channel=ch)
    check_pixels('bulk.mp4', luma=True)
    check_same_features('bulk.mp4', pyav_frames(tmp('bulk.mp4'), 'rgb24')[..., 0],
                        '--channel', '0')
    check_same_features('bulk.mp4', pyav_frames(tmp('bulk.mp4'), 'luma'), '--luma')
    # PyAV's to_ndarray(format='gray') stretches limited-range luma to 0-255:
    # not the stored plane, which is what --luma gives
    g, y = pyav_frames(tmp('bulk.mp4'), 'gray'), pyav_frames(tmp('bulk.mp4'), 'luma')
    check(not np.array_equal(g, y), "bulk.mp4: to_ndarray(format='gray') is not the luma plane "
          '(limited range is rescaled), hence --luma gives the plane as stored')


def test_codecs():
    """Other codecs and containers, counts and pixels against PyAV."""
    src = ['-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=25:duration=2']
    x265 = ['-c:v', 'libx265', '-x265-params', 'log-level=error:keyint=10:bframes=4']
    cases = [
        ('h265.mp4', src + ['-vf', 'format=yuv420p'] + x265),
        ('h265.mkv', src + ['-vf', 'format=yuv420p'] + x265),
        ('mjpeg.avi', src + ['-c:v', 'mjpeg', '-q:v', '3']),
        ('raw.avi', src + ['-vf', 'format=yuv420p', '-c:v', 'rawvideo']),
        ('rawrgb.mov', src + ['-vf', 'format=rgb24', '-c:v', 'rawvideo']),
        ('h264.mov', src + ['-vf', 'format=yuv420p', '-c:v', 'libx264', '-bf', '2']),
        ('h264.avi', src + ['-vf', 'format=yuv420p', '-c:v', 'libx264', '-bf', '2']),
        ('h264_444.mkv', src + ['-vf', 'format=yuv444p', '-c:v', 'libx264']),
        ('p10.mkv', src + ['-vf', 'format=yuv420p10le', '-c:v', 'libx265', '-x265-params',
                           'log-level=error']),
        ('ffv1rgb.mkv', src + ['-vf', 'format=gbrp', '-c:v', 'ffv1']),
        ('gray10.mkv', src + ['-vf', 'format=gray10le', '-c:v', 'ffv1']),
        ('gray16.mov', src + ['-vf', 'format=gray16be', '-c:v', 'rawvideo']),
    ]
    for name, args in cases:
        if not make(name, *args):
            continue
        with av.open(tmp(name)) as c:
            fmt = c.streams.video[0].codec_context.pix_fmt
        if fmt.startswith('gray'):
            check_pixels(name, ref=pyav_frames(tmp(name), 'luma'),
                         what=f'a grey video ({fmt}) as its integer samples')
            continue
        check_pixels(name, channel=1)
        if not fmt.startswith(('rgb', 'bgr', 'gbr')):
            check_pixels(name, luma=True)


def test_timestamps():
    """Variable frame rate and edit lists: PyAV's count and frames."""
    src = ['-f', 'lavfi', '-i', 'testsrc2=size=128x96:rate=25:duration=4']
    # drop frames at irregular times: a variable frame rate with gaps
    vfr = ['-vf', "select='not(eq(mod(n\\,7)\\,3))*not(eq(mod(n\\,11)\\,5))',format=yuv420p",
           '-fps_mode', 'vfr']
    for name in ('vfr.mp4', 'vfr.mkv'):
        if make(name, *src, *vfr, '-c:v', 'libx264', '-bf', '3', '-g', '15'):
            with av.open(tmp(name)) as c:
                n = sum(1 for _ in c.decode(video=0))
            check(n == 100 - 15 - 9 + 2, f'{name}: PyAV sees the variable-rate frames ({n})')
            check_pixels(name, channel=0)
    # irregular timestamps from setpts
    if make('setpts.mkv', *src, '-vf', "setpts='N/25/TB+if(mod(N\\,3)\\,0\\,0.013/TB)'"
            ',format=yuv420p', '-fps_mode', 'passthrough', '-c:v', 'libx264', '-bf', '2'):
        check_pixels('setpts.mkv', luma=True)
    # edit lists: a cut that is not at a keyframe, and a start offset
    if make('long.mp4', *src, '-vf', 'format=yuv420p', '-c:v', 'libx264', '-bf', '3', '-g', '30'):
        ok, err = ffmpeg('-ss', '1.3', '-i', tmp('long.mp4'), '-c', 'copy', tmp('edit.mp4'))
        check(ok, 'ffmpeg -ss 1.3 -c copy makes an MP4 with an edit list', err)
        if ok:
            check_pixels('edit.mp4', luma=True)
            check_pixels('edit.mp4', channel=2)
        ok, err = ffmpeg('-itsoffset', '0.5', '-i', tmp('long.mp4'), '-c', 'copy',
                         tmp('offset.mov'))
        check(ok, 'ffmpeg -itsoffset 0.5 -c copy makes a MOV with a start offset', err)
        if ok:
            check_pixels('offset.mov', luma=True)


# ---------------------------------------------------------------------
# Damaged and hostile files
# ---------------------------------------------------------------------

def check_refused(name, why, *opts, status=2):
    path = tmp(name)
    r = subprocess.run([LOCUS, 'locate', '-d', '13', '--quiet', '--luma'] + list(opts) + [path],
                       capture_output=True, text=True)
    lines = r.stderr.strip().splitlines()
    ok = r.returncode == status and len(lines) == 1 and path in lines[0] and \
        r.returncode < 128
    check(ok, f'{name} ({why}): exit {r.returncode}, one line naming the file',
          r.stderr[-2000:])
    return lines[0] if lines else ''


def patch(src, dst, edits):
    data = bytearray(open(tmp(src), 'rb').read())
    for off, b in edits:
        data[off:off + len(b)] = b
    open(tmp(dst), 'wb').write(bytes(data))


def test_damaged():
    src = ['-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=25:duration=2']
    if not make('ok.mkv', *src, '-vf', 'format=yuv420p', '-c:v', 'libx264', '-bf', '2',
                '-g', '10'):
        return
    if not make('ok.avi', *src, '-vf', 'format=yuv420p', '-c:v', 'rawvideo'):
        return
    data = open(tmp('ok.mkv'), 'rb').read()
    for frac in (0.002, 0.02, 0.5, 0.97):
        name = f'cut{frac * 100:g}.mkv'
        open(tmp(name), 'wb').write(data[:int(len(data) * frac)])
        r = subprocess.run([LOCUS, 'locate', '-d', '13', '--quiet', '--luma', tmp(name)],
                           capture_output=True, text=True)
        lines = r.stderr.strip().splitlines()
        # the whole frames before the cut are located, then the file's error
        check(r.returncode == 2 and len(lines) == 1 and tmp(name) in lines[0],
              f'{name} (cut at {frac * 100:g}%): exit {r.returncode}, one line naming the '
              'file', r.stderr[-2000:])
        # with --skip-bad, the frames before the cut are located
        r = subprocess.run([LOCUS, 'locate', '-d', '13', '--quiet', '--luma', '--skip-bad',
                            tmp(name)], capture_output=True, text=True)
        rows = r.stdout.splitlines()
        check(r.returncode == 3 and rows and rows[0].startswith('y,x,') and
              all(line.count(',') == rows[0].count(',') for line in rows),
              f'{name}: --skip-bad locates the frames before the cut, exit 3 '
              f'({len(rows) - 1} rows)', r.stderr)
    # corrupt bytes in the middle: FFV1 with slice CRCs tells; H.264 may not
    if make('crc.mkv', *src, '-vf', 'format=gray', '-c:v', 'ffv1', '-level', '3',
            '-slicecrc', '1', '-g', '12'):
        bad = bytearray(open(tmp('crc.mkv'), 'rb').read())
        for i in range(len(bad) // 2, len(bad) // 2 + 64):
            bad[i] ^= 0x5a
        open(tmp('corrupt.mkv'), 'wb').write(bytes(bad))
        r = subprocess.run([LOCUS, 'locate', '-d', '13', '--quiet', tmp('corrupt.mkv')],
                           capture_output=True, text=True)
        lines = r.stderr.strip().splitlines()
        # (then the command's own note of what the output holds)
        check(r.returncode == 2 and len(lines) in (1, 2) and
              lines[0].startswith(f'locus locate: {tmp("corrupt.mkv")}: frame ') and
              'damaged' in lines[0] and 'output holds' in lines[-1],
              f'corrupt.mkv: exit {r.returncode}, one line naming the file and the frame',
              r.stderr[-2000:])
        # a damaged frame and those decoded from it fail, the same for every -j
        outs = set()
        for j in (1, 2, 3):
            r = subprocess.run([LOCUS, 'locate', '-d', '13', '--skip-bad', '-j', str(j),
                                tmp('corrupt.mkv')], capture_output=True, text=True)
            outs.add((r.returncode, r.stdout, r.stderr.count('skipped frame')))
        check(len(outs) == 1 and list(outs)[0][0] == 3,
              '--skip-bad: the same frames skipped and the same CSV at -j1, -j2, -j3',
              str([(o[0], o[2]) for o in outs]))
    bad = bytearray(data)
    for i in range(len(bad) // 2, len(bad) // 2 + 64):
        bad[i] ^= 0x5a
    open(tmp('corrupt264.mkv'), 'wb').write(bytes(bad))
    r = subprocess.run([LOCUS, 'locate', '-d', '13', '--quiet', '--luma',
                        tmp('corrupt264.mkv')], capture_output=True, text=True)
    lines = r.stderr.strip().splitlines()
    check(r.returncode in (0, 2) and len(lines) <= 1 and
          (r.returncode == 0 or tmp('corrupt264.mkv') in lines[0]),
          f'corrupt264.mkv: exit {r.returncode}, no crash, at most one line naming the file',
          r.stderr[-2000:])
    # an audio-only file and a header with no frames
    if make('audio.mkv', '-f', 'lavfi', '-i', 'sine=duration=1', '-c:a', 'flac'):
        check_refused('audio.mkv', 'audio only')
    if make('empty.mp4', *src, '-frames:v', '0', '-c:v', 'libx264'):
        check_refused('empty.mp4', 'zero frames')
    # huge claimed dimensions and frame counts (AVI headers are plain fields)
    d = open(tmp('ok.avi'), 'rb').read()
    strf = d.index(b'strf') + 8  # BITMAPINFOHEADER: size, width, height
    patch('ok.avi', 'huge.avi', [(strf + 4, struct.pack('<i', 100000)),
                                 (strf + 8, struct.pack('<i', 100000))])
    line = check_refused('huge.avi', '100000 x 100000 pixels')
    check('frame size' in line, 'huge.avi: says the frame size is not valid', line)
    # 65535 x 65535 in MKV: FFmpeg's own limit (about 2^28 pixels) is below locus's
    if make('wide.mkv', '-f', 'lavfi', '-i', 'testsrc2=size=320x256:rate=25:duration=1',
            '-vf', 'format=gray', '-c:v', 'ffv1'):
        m = open(tmp('wide.mkv'), 'rb').read()
        w, h = m.index(b'\xb0\x82\x01\x40'), m.index(b'\xba\x82\x01\x00')
        patch('wide.mkv', 'huge.mkv', [(w + 2, b'\xff\xff'), (h + 2, b'\xff\xff')])
        line = check_refused('huge.mkv', '65535 x 65535 pixels')
        check('frame size' in line, 'huge.mkv: says the frame size is not valid', line)
    strh = d.index(b'strh') + 8  # dwLength at offset 32
    patch('ok.avi', 'billion.avi', [(strh + 32, struct.pack('<I', 1000000000))])
    line = check_refused('billion.avi', 'claims a billion frames')
    check('frames' in line, 'billion.avi: says it has too many frames', line)
    # a colour video without a channel, like colour PNGs
    r = subprocess.run([LOCUS, 'locate', '-d', '13', '--quiet', tmp('ok.mkv')],
                       capture_output=True, text=True)
    check(r.returncode == 2 and 'choose a channel' in r.stderr and
          len(r.stderr.strip().splitlines()) == 1,
          'a colour video without --channel or --luma is refused', r.stderr)
    # not a video at all, whatever its name
    open(tmp('text.mp4'), 'w').write('just some text, not a video\n' * 10)
    check_refused('text.mp4', 'text named .mp4')


def test_directory():
    d = tmp('dir')
    os.makedirs(d)
    for name in ('a.mkv', 'b.avi'):
        if os.path.exists(tmp('bulk.' + name.split('.')[1])):
            shutil.copy(tmp('bulk.' + name.split('.')[1]), os.path.join(d, name))
    r = subprocess.run([LOCUS, 'locate', '-d', '13', '--invert', d], capture_output=True,
                       text=True)
    frames = {line.split(',')[-1] for line in r.stdout.splitlines()[1:]}
    check(r.returncode == 0 and len(frames) == 200,
          'a directory picks up its .mkv and .avi files (200 frames)', r.stderr)


def main():
    if shutil.which('ffmpeg') is None:
        print("# SKIP test_video.py: Debian's ffmpeg is not installed")
        return 0
    tests = [test_lossless, test_h264, test_codecs, test_timestamps, test_damaged,
             test_directory]
    only = os.environ.get('LOCUS_VIDEO_TESTS')  # e.g. "h264,damaged": a subset
    try:
        for t in tests:
            if not only or t.__name__[5:] in only.split(','):
                t()
    finally:
        if not os.environ.get('LOCUS_KEEP_TMP'):
            shutil.rmtree(TMP, ignore_errors=True)
        else:
            print('# kept', TMP)
    return status()


if __name__ == '__main__':
    sys.exit(main())
