#!/usr/bin/env python3
"""Checkpoints without MPI: `locus locate -j2 --checkpoint` killed with
SIGKILL at many points of a 400-frame run and rerun gives the same bytes
every time (also after a finished run, and from checkpoints with holes);
a checkpoint that is not this run's, or is damaged, is refused with the
directory and the reason, and nothing in it (nor the old output) changes.
"""
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from tap import check, status  # noqa: E402
import resume  # noqa: E402

BUILD = os.environ.get('BUILD', 'build')
LOCUS = os.environ.get('LOCUS_BIN', os.path.join(BUILD, 'locus'))
SHARED = os.environ.get('LOCUS_SHARED', '../shared')
BULK = os.path.join(SHARED, 'data', 'bulk_water')
ARGS = ['-d', '13', '--invert', '--channel', '0']


def frames(times):
    names = sorted(os.path.join(BULK, n) for n in os.listdir(BULK) if n.endswith('.png'))
    return names * times


def snapshot(path):
    """Every file below path with its size, mtime and content hash."""
    out = {}
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            p = os.path.join(root, name)
            st = os.lstat(p)
            digest = ''
            if os.path.isfile(p):
                digest = hashlib.sha256(open(p, 'rb').read()).hexdigest()
            out[os.path.relpath(p, path)] = (st.st_size, st.st_mtime_ns, digest)
    return out


def kill_sweep(tmp):
    inputs = frames(4)
    ref = subprocess.run([LOCUS, 'locate', '--quiet', '-j1', *ARGS, *inputs],
                         capture_output=True).stdout
    check(len(ref) > 1000000, f'reference: {len(inputs)} frames located without a checkpoint')
    out, ckpt = os.path.join(tmp, 'out.csv'), os.path.join(tmp, 'ck')
    cmd = [LOCUS, 'locate', '--quiet', '-j2', '--checkpoint', ckpt, '-o', out, *ARGS, *inputs]
    # 400 frames in chunks of 16: 25 chunks
    resume.sweep('locate -j2', cmd, out, ckpt, ref, [0, 1, 2, 4, 7, 11, 15, 19, 22, 24],
                 resume.kill_job)
    resume.constructed('locate -j2', cmd, out, ckpt, ref)


def refused(tmp, name, prepare, why):
    """Prepare a checkpoint directory; the run must be refused with the
    directory and `why` in one line, changing nothing."""
    inputs = frames(1)[:40]
    ckpt, out = os.path.join(tmp, 'ck-' + name), os.path.join(tmp, 'old-output.csv')
    shutil.rmtree(ckpt, ignore_errors=True)
    ok = subprocess.run([LOCUS, 'locate', '--quiet', '--checkpoint', ckpt, '-o', out, *ARGS,
                         *inputs], capture_output=True).returncode == 0
    prepare(ckpt)
    before, old = snapshot(ckpt), open(out, 'rb').read()
    r = subprocess.run([LOCUS, 'locate', '--quiet', '--checkpoint', ckpt, '-o', out, *ARGS, *inputs],
                       capture_output=True)
    err = r.stderr.decode().strip()
    check(ok and r.returncode == 2 and len(err.splitlines()) == 1 and ckpt in err and why in err,
          f'{name}: refused with exit 2, naming the directory and "{why}"',
          f'exit {r.returncode}: {err}')
    check(snapshot(ckpt) == before, f'{name}: nothing in the checkpoint directory changed')
    check(open(out, 'rb').read() == old, f'{name}: the existing output file is untouched')


def refusals(tmp):
    def manifest_is_directory(ck):
        os.unlink(os.path.join(ck, 'manifest'))
        os.mkdir(os.path.join(ck, 'manifest'))

    def truncated_manifest(ck):
        path = os.path.join(ck, 'manifest')
        data = open(path, 'rb').read()
        open(path, 'wb').write(data[:len(data) // 2])

    def other_run(ck):
        path = os.path.join(ck, 'manifest')
        data = open(path).read().replace('minmass 0\n', 'minmass 50\n')
        open(path, 'w').write(data)

    def wrong_size_chunk(ck):
        with open(os.path.join(ck, 'chunk-000001.csv'), 'ab') as f:
            f.write(b'1,2,3\n')

    def damaged_chunk_header(ck):
        path = os.path.join(ck, 'chunk-000000.csv')
        data = open(path, 'rb').read()
        open(path, 'wb').write(data.replace(b'# locus chunk 0 ', b'# locus chunk 7 ', 1))

    def chunks_without_manifest(ck):
        os.unlink(os.path.join(ck, 'manifest'))

    def older_format(ck):
        path = os.path.join(ck, 'manifest')
        data = open(path).read().replace('locus checkpoint 2\n', 'locus checkpoint 1\n')
        open(path, 'w').write(data)

    refused(tmp, 'manifest is a directory', manifest_is_directory, 'Is a directory')
    refused(tmp, 'truncated manifest', truncated_manifest, 'damaged')
    refused(tmp, 'manifest of another run', other_run, 'other inputs or parameters')
    refused(tmp, 'chunk file of the wrong size', wrong_size_chunk, 'damaged checkpoint chunk')
    refused(tmp, 'chunk file with another index', damaged_chunk_header, 'damaged checkpoint chunk')
    refused(tmp, 'chunks but no manifest', chunks_without_manifest, 'no manifest')
    refused(tmp, 'a checkpoint of another format', older_format, 'another version')


def fresh_directory(tmp):
    """A run killed while writing leaves temporaries; an accepted rerun
    clears them, a fresh directory gets a manifest."""
    inputs = frames(1)[:20]
    ckpt, out = os.path.join(tmp, 'ck-tmp'), os.path.join(tmp, 'tmp.csv')
    cmd = [LOCUS, 'locate', '--quiet', '--checkpoint', ckpt, '-o', out, *ARGS, *inputs]
    r1 = subprocess.run(cmd, capture_output=True)
    stray = os.path.join(ckpt, '.chunk-000000.csv.tmp.12345')
    open(stray, 'w').write('half a chunk')
    r2 = subprocess.run(cmd, capture_output=True)
    check(r1.returncode == 0 and r2.returncode == 0 and not os.path.exists(stray),
          'a temporary left by a killed run is removed once the checkpoint is accepted',
          r2.stderr.decode())
    check(open(os.path.join(ckpt, 'manifest')).read().endswith('end\n'),
          'the manifest ends with its end line')


def main():
    tmp = tempfile.mkdtemp(prefix='locus-resume-')
    try:
        refusals(tmp)
        fresh_directory(tmp)
        kill_sweep(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return status()


if __name__ == '__main__':
    sys.exit(main())
