"""Kill-and-resume sweeps for the checkpoint tests (tests/run/test_resume.py
for `locus locate`, tests/mpi/test_mpi.py for `locus-mpi`). Not a test itself.

A sweep starts a checkpointed run, kills it with SIGKILL once the
checkpoint holds a given number of chunks (0 = as soon as it started),
reruns the same command under a timeout, and requires exit 0 and the same
bytes as an uninterrupted run. Killing by progress rather than by time
makes each kill point land where it is meant to on a fast or slow machine.
Constructed checkpoints cover what a kill cannot reach: every chunk but the
first, every other chunk, and a run that had already finished.
"""
import glob
import os
import shutil
import signal
import subprocess
import time

from tap import check


def chunks_in(ckpt):
    return len(glob.glob(os.path.join(ckpt, 'chunk-*.csv')))


def run_until(cmd, ckpt, target, kill, env=None, limit=120):
    """Start cmd; once ckpt holds `target` chunks (or at once for 0), kill it.
    Returns (chunks durable when killed, whether it was still running)."""
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                         start_new_session=True)
    t0 = time.monotonic()
    while p.poll() is None and chunks_in(ckpt) < target and time.monotonic() - t0 < limit:
        time.sleep(0.002)
    alive = p.poll() is None
    if alive:
        kill(p)
    try:
        p.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
    return chunks_in(ckpt), alive


def kill_job(p):
    """SIGKILL the command and everything it started (its session)."""
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def rerun(cmd, out, ref, what, env=None, timeout=120):
    """The same command again: it must finish, exit 0 and give ref's bytes."""
    try:
        r = subprocess.run(cmd, capture_output=True, env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        return check(False, f'{what}: the rerun finishes', f'still running after {timeout} s')
    got = open(out, 'rb').read() if os.path.exists(out) else b''
    return check(r.returncode == 0 and got == ref,
                 f'{what}: the rerun exits 0 with byte-identical output',
                 f'exit {r.returncode}, {len(got)} of {len(ref)} bytes; ' + r.stderr.decode(),
                 last=True)


def sweep(name, cmd, out, ckpt, ref, targets, kill, env=None):
    """Kill at each target chunk count, then rerun; one check per point.

    Under `make test-sanitize` (ASAN_OPTIONS set) the middle point and the
    last are run: the sanitizers look at the same code on each point, and
    more of the sweep there brought CI near its half hour on a slow day
    (28 minutes, half of it under the sanitizers). `make test` runs every
    point."""
    if os.environ.get('ASAN_OPTIONS'):
        kept = sorted({targets[len(targets) // 2], targets[-1]})
        print(f'# {name}: sanitizer build, {len(kept)} of the {len(targets)} kill points')
        targets = kept
    for target in targets:
        shutil.rmtree(ckpt, ignore_errors=True)
        if os.path.exists(out):
            os.unlink(out)
        durable, alive = run_until(cmd, ckpt, target, kill, env)
        where = f'{durable} chunks durable' if alive else 'it had finished'
        rerun(cmd, out, ref, f'{name}: killed at {target} chunks ({where})', env)


def constructed(name, cmd, out, ckpt, ref, env=None):
    """Checkpoints no kill can make, from one finished run."""
    shutil.rmtree(ckpt, ignore_errors=True)
    r = subprocess.run(cmd, capture_output=True, env=env, timeout=300)
    check(r.returncode == 0 and open(out, 'rb').read() == ref,
          f'{name}: a checkpointed run gives the same bytes as one without', r.stderr.decode())
    saved = os.path.join(os.path.dirname(ckpt), 'saved-checkpoint')
    shutil.rmtree(saved, ignore_errors=True)
    shutil.copytree(ckpt, saved)
    names = sorted(glob.glob(os.path.join(saved, 'chunk-*.csv')))

    def restore(keep):
        shutil.rmtree(ckpt, ignore_errors=True)
        shutil.copytree(saved, ckpt)
        for i, path in enumerate(names):
            if not keep(i):
                os.unlink(os.path.join(ckpt, os.path.basename(path)))

    # the run had finished: a rerun must rewrite the same output, whole
    rerun(cmd, out, ref, f'{name}: rerun after a finished run', env)
    check(chunks_in(ckpt) == len(names), f'{name}: the finished checkpoint is left as it was')
    restore(lambda i: i > 0)
    rerun(cmd, out, ref, f'{name}: every chunk but the first checkpointed', env)
    restore(lambda i: i % 2 == 1)
    rerun(cmd, out, ref, f'{name}: every other chunk checkpointed (holes)', env)
    restore(lambda i: i < len(names) - 1)
    rerun(cmd, out, ref, f'{name}: every chunk but the last checkpointed', env)
    shutil.rmtree(saved, ignore_errors=True)
