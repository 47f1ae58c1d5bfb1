#!/usr/bin/env python3
"""locus-mpi on one machine (ranks oversubscribed): the same bytes as
`locus locate -j1` for 1 to 4 ranks; a rank killed mid-run, then the same
command again with the checkpoint, gives the same bytes; a checkpoint of
other parameters is refused; an input missing on one rank ends the job
with exit 2 and the file's name, not a hang. `locus-mpi track` gives the
bytes of `locus track` (and of locate then link) for 1 to 3 ranks and
any chunk size, refuses a bad link option in one line, and resumes a
killed run to the same bytes. Without MPI (no mpirun or no
build/locus-mpi) every check is reported as skipped, with the reason.
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from tap import check, status  # noqa: E402
import resume  # noqa: E402

BUILD = os.environ.get('BUILD', 'build')
LOCUS = os.environ.get('LOCUS_BIN', os.path.join(BUILD, 'locus'))
LOCUS_MPI = os.path.join(os.path.dirname(LOCUS), 'locus-mpi')
SHARED = os.environ.get('LOCUS_SHARED', '../shared')
BULK = os.path.join(SHARED, 'data', 'bulk_water')
ARGS = ['-d', '13', '--invert', '--channel', '0']
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT='1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM='1',
           OMPI_MCA_rmaps_base_oversubscribe='1')
if 'ASAN_OPTIONS' in ENV:
    # Under `make test-sanitize`: Open MPI dlcloses its components at exit,
    # so LeakSanitizer reports their allocations as "<unknown module>",
    # which no suppression can name. Leak checking is off for the MPI
    # processes only; ASan's memory-error checks and UBSan stay on, and the
    # code they share with `locus locate` (chunks, output, checkpoints) is
    # leak-checked by the other tests.
    ENV['ASAN_OPTIONS'] = ENV['ASAN_OPTIONS'].replace('detect_leaks=1', 'detect_leaks=0')
    if 'detect_leaks' not in ENV['ASAN_OPTIONS']:
        ENV['ASAN_OPTIONS'] += ':detect_leaks=0'




def mpirun(ranks, *args, timeout=300, command='locate'):
    return subprocess.run(['mpirun', '-n', str(ranks), LOCUS_MPI, command, *args],
                          capture_output=True, env=ENV, timeout=timeout)


def main():
    if not shutil.which('mpirun') or not os.path.exists(LOCUS_MPI):
        why = 'mpirun not found' if not shutil.which('mpirun') else f'{LOCUS_MPI} not built'
        print(f'# SKIP test_mpi: {why} (scripts/install-deps.sh installs Open MPI)')
        return 0
    tmp = tempfile.mkdtemp(prefix='locus-mpi-')
    try:
        run(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return status()


def identical_for_any_ranks(tmp):
    ref = subprocess.run([LOCUS, 'locate', '--quiet', '-j1', *ARGS, BULK], capture_output=True)
    check(ref.returncode == 0 and len(ref.stdout) > 100000, 'locus locate -j1 reference run')
    for ranks in (1, 2, 3, 4):
        out = os.path.join(tmp, f'ranks{ranks}.csv')
        r = mpirun(ranks, '-j', '1', '--chunk', '7', *ARGS, BULK, '-o', out)
        same = r.returncode == 0 and open(out, 'rb').read() == ref.stdout
        check(same, f'{ranks} rank(s): byte-identical to locus locate -j1', r.stderr.decode(), last=True)
    stack = os.path.join(SHARED, 'data', 'synthetic', 'spots16.tif')
    ref16 = subprocess.run([LOCUS, 'locate', '--quiet', '-j1', '-d', '9', stack],
                           capture_output=True).stdout
    r = mpirun(3, '--quiet', '-j', '2', '--chunk', '1', '-d', '9', stack)
    check(r.returncode == 0 and r.stdout == ref16,
          '3 ranks on the pages of one multi-page TIFF: identical', r.stderr.decode())
    r = mpirun(2, '-j', '1', *ARGS, BULK, '-o', os.path.join(tmp, 'summary.csv'))
    lines = r.stderr.decode().strip().splitlines()
    check(len(lines) == 1 and lines[0].startswith('locus-mpi locate: 100 frames'),
          'progress and summary come from rank 0 only: one summary line', lines)
    return ref.stdout


def descends_from(pid, parent):
    while pid > 1:
        if pid == parent:
            return True
        try:
            stat = open(f'/proc/{pid}/stat').read()
        except OSError:
            return False
        pid = int(stat[stat.rindex(')') + 2:].split()[1])
    return False


def rank_pids(parent):
    """{rank: pid} of the locus-mpi processes started by mpirun `parent`."""
    pids = {}
    for pid in os.listdir('/proc'):
        if not pid.isdigit():
            continue
        try:
            env = open(f'/proc/{pid}/environ', 'rb').read().split(b'\0')
            cmd = open(f'/proc/{pid}/cmdline', 'rb').read()
        except OSError:
            continue
        if b'locus-mpi' not in cmd or not descends_from(int(pid), parent):
            continue
        for e in env:
            if e.startswith(b'OMPI_COMM_WORLD_RANK='):
                pids[int(e.split(b'=')[1])] = int(pid)
    return pids


def kill_and_resume(tmp, reference):
    inputs = [BULK] * 6  # 600 frames
    full = subprocess.run([LOCUS, 'locate', '--quiet', '-j1', *ARGS, *inputs],
                          capture_output=True).stdout
    ckpt = os.path.join(tmp, 'ckpt')
    out = os.path.join(tmp, 'resumed.csv')
    cmd = ['mpirun', '-n', '3', LOCUS_MPI, 'locate', '-j', '1', '--chunk', '8',
           '--checkpoint', ckpt, *ARGS, *inputs, '-o', out]
    p = subprocess.Popen(cmd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    killed = None
    for _ in range(200):  # wait until a few chunks are durable
        time.sleep(0.05)
        if os.path.isdir(ckpt) and len([f for f in os.listdir(ckpt) if f.startswith('chunk')]) >= 4:
            pids = rank_pids(p.pid)
            if 2 in pids:
                os.kill(pids[2], signal.SIGKILL)
                killed = pids[2]
            break
    try:
        p.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
    chunks = len([f for f in os.listdir(ckpt) if f.startswith('chunk')]) if os.path.isdir(ckpt) else 0
    check(killed is not None and p.returncode != 0 and 0 < chunks < 75,
          f'rank 2 killed with SIGKILL mid-run: the job ends, {chunks} of 75 chunks durable',
          f'killed={killed} exit={p.returncode}')
    r = subprocess.run(cmd, env=ENV, capture_output=True, timeout=300)
    err = r.stderr.decode()
    check(r.returncode == 0 and 'from the checkpoint' in err,
          'the same command again resumes from the checkpoint', err)
    check(os.path.exists(out) and open(out, 'rb').read() == full,
          'the resumed output is byte-identical to an uninterrupted -j1 run')
    r = subprocess.run([LOCUS, 'locate', '-j', '2', '--chunk', '8', '--checkpoint', ckpt, *ARGS,
                        *inputs, '-o', out + '.single'], capture_output=True)
    check(r.returncode == 0 and open(out + '.single', 'rb').read() == full,
          'locus locate reuses the checkpoint locus-mpi made', r.stderr.decode())
    r = mpirun(2, '-j', '1', '--chunk', '8', '--checkpoint', ckpt, '--minmass', '50', *ARGS,
               *inputs, '-o', os.path.join(tmp, 'other.csv'))
    err = r.stderr.decode()
    check(r.returncode == 2 and ckpt in err and 'other inputs or parameters' in err
          and 'minmass' in err, 'a checkpoint made with other parameters is refused', err)
    r = mpirun(2, '-j', '1', '--chunk', '8', '--checkpoint', ckpt, *ARGS, *inputs[:5],
               '-o', os.path.join(tmp, 'other.csv'))
    check(r.returncode == 2 and 'other inputs or parameters' in r.stderr.decode(),
          'a checkpoint made with other inputs is refused', r.stderr.decode())


def missing_on_one_rank(tmp):
    """Rank 0 lists frames/ in its working directory; rank 1 runs in a
    directory whose frames/ is empty, as on a node with a stale mount."""
    a, b = os.path.join(tmp, 'nodeA'), os.path.join(tmp, 'nodeB')
    os.makedirs(os.path.join(a, 'frames'))
    os.makedirs(os.path.join(b, 'frames'))
    for i in range(40):
        shutil.copy(os.path.join(BULK, f'bulk_water_{i:03d}.png'), os.path.join(a, 'frames'))
    common = ['locate', '-j', '1', '--chunk', '1', *ARGS, 'frames', '-o', 'out.csv']
    cmd = ['mpirun', '-n', '1', '--wdir', a, os.path.abspath(LOCUS_MPI), *common, ':',
           '-n', '1', '--wdir', b, os.path.abspath(LOCUS_MPI), *common]
    t0 = time.time()
    try:
        r = subprocess.run(cmd, env=ENV, capture_output=True, timeout=120)
        code, err = r.returncode, r.stderr.decode()
    except subprocess.TimeoutExpired:
        code, err = None, 'timed out: the job hung'
    lines = [x for x in err.splitlines() if x.startswith('locus-mpi locate: ')]
    check(code == 2, f'an input missing on rank 1: the job exits 2 ({time.time() - t0:.1f} s)', err)
    check(any('rank 1 on ' in x and 'frames/bulk_water_0' in x and 'No such file' in x
              for x in lines), 'the message names the rank, the missing file and the reason', err)


def kill_worker(p):
    """SIGKILL rank 2 of the job mpirun `p` started (then mpirun ends the job)."""
    for _ in range(500):
        pids = rank_pids(p.pid)
        if 2 in pids:
            os.kill(pids[2], signal.SIGKILL)
            return
        if p.poll() is not None:
            return
        time.sleep(0.01)
    resume.kill_job(p)


def kill_whole_job(p):
    """SIGKILL every process of the job at once: mpirun and every rank."""
    pids = rank_pids(p.pid)
    resume.kill_job(p)
    for pid in pids.values():
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def resume_sweep(tmp):
    """Kill a worker rank, and separately the whole job, at many points of
    a 300-frame run (30 chunks); every rerun must finish with the bytes of
    an uninterrupted run. A rerun that waited for a chunk nobody would
    compute used to hang here (the window was measured from the written
    output, which checkpointed chunks never moved)."""
    inputs = [BULK] * 3
    ref = subprocess.run([LOCUS, 'locate', '--quiet', '-j1', *ARGS, *inputs],
                         capture_output=True).stdout
    out, ckpt = os.path.join(tmp, 'sweep.csv'), os.path.join(tmp, 'sweep-ck')
    cmd = ['mpirun', '-n', '3', LOCUS_MPI, 'locate', '--quiet', '-j', '1', '--chunk', '10',
           '--checkpoint', ckpt, *ARGS, *inputs, '-o', out]
    points = [0, 1, 3, 6, 10, 15, 20, 25, 29]
    resume.sweep('locus-mpi -n 3, a worker killed', cmd, out, ckpt, ref, points, kill_worker,
                 env=ENV)
    resume.sweep('locus-mpi -n 3, the whole job killed', cmd, out, ckpt, ref, points,
                 kill_whole_job, env=ENV)
    resume.constructed('locus-mpi -n 3', cmd, out, ckpt, ref, env=ENV)


LINK = ['--search-range', '5', '--memory', '3']


def locate_then_link(tmp, locate_args, link_args, inputs):
    loc, out = os.path.join(tmp, 'two-steps-loc.csv'), os.path.join(tmp, 'two-steps.csv')
    a = subprocess.run([LOCUS, 'locate', '--quiet', '-j1', *locate_args, *inputs, '-o', loc],
                       capture_output=True)
    b = subprocess.run([LOCUS, 'link', '--quiet', *link_args, loc, '-o', out],
                       capture_output=True)
    return open(out, 'rb').read() if a.returncode == 0 and b.returncode == 0 else None


def track_identical(tmp, what, locate_args, link_args, inputs, cases):
    """locus-mpi track at each (ranks, chunk) == locus track == locate then link."""
    ref = subprocess.run([LOCUS, 'track', '--quiet', '-j1', *locate_args, *link_args, *inputs],
                         capture_output=True)
    two = locate_then_link(tmp, locate_args, link_args, inputs)
    check(ref.returncode == 0 and len(ref.stdout) > 1000 and ref.stdout == two,
          f'{what}: locus track -j1 equals locus locate then locus link', ref.stderr.decode())
    for ranks, chunk in cases:
        out = os.path.join(tmp, f'track{ranks}.csv')
        r = mpirun(ranks, '-j', '1', '--chunk', str(chunk), *locate_args, *link_args, *inputs,
                   '-o', out, command='track')
        same = r.returncode == 0 and open(out, 'rb').read() == ref.stdout
        check(same, f'{what}: track on {ranks} rank(s), --chunk {chunk}: byte-identical to '
              'locus track', r.stderr.decode(), last=True)
    return ref.stdout


def track_checks(tmp):
    track_identical(tmp, 'bulk_water', ARGS, LINK, [BULK], [(1, 7), (2, 7), (3, 7), (3, 1)])
    movie = os.path.join(tmp, 'synth')
    subprocess.run([LOCUS, 'synth', movie, '--shape', '96x128', '--particles', '40',
                    '--frames', '25', '--quiet'], check=True)
    track_identical(tmp, 'a synthetic movie, drift predictor', ['-d', '7'],
                    ['--search-range', '4', '--memory', '1', '--predict', 'drift'], [movie],
                    [(1, 4), (2, 3), (3, 2)])
    r = mpirun(2, '-j', '1', *ARGS, '--search-range', '5', '--memory', '3', BULK,
               command='track')
    lines = r.stderr.decode().strip().splitlines()
    mine = [x for x in lines if x.startswith('locus-mpi track: ')]
    check(r.returncode == 0 and len(mine) == 2 and mine[0].startswith('locus-mpi track: 100 frames')
          and mine[1].endswith(' trajectories'),
          'track: summary and trajectories come from rank 0 only', lines)
    # bad link options: exit 2 with one line (from rank 0), before any work
    for args, opt in ((['--search-range', '0'], '--search-range'),
                      (['--search-range', '5', '--memory', '-1'], '--memory'),
                      ([], '--search-range'),
                      (['--search-range', '5', '--predict-guess', '1,2'], '--predict')):
        fresh = os.path.join(tmp, 'never.csv')
        r = mpirun(2, *ARGS, *args, BULK, '-o', fresh, command='track')
        mine = [x for x in r.stderr.decode().splitlines() if x.startswith('locus-mpi ')]
        check(r.returncode == 2 and len(mine) == 1 and opt in mine[0]
              and not os.path.exists(fresh),
              f'track {" ".join(args) or "(no range)"}: exit 2, one line naming {opt}',
              r.stderr.decode())
    # --skip-bad: the linker sees a skipped frame as one without features
    bad = os.path.join(tmp, 'bad')
    os.makedirs(bad)
    for i in range(30):
        name = f'bulk_water_{i:03d}.png'
        data = open(os.path.join(BULK, name), 'rb').read()
        open(os.path.join(bad, name), 'wb').write(data[:3000] if i in (12, 20) else data)
    ref = subprocess.run([LOCUS, 'track', '--quiet', '--skip-bad', '-j1', *ARGS, *LINK, bad],
                         capture_output=True)
    r = mpirun(3, '--quiet', '--skip-bad', '-j', '1', '--chunk', '4', *ARGS, *LINK, bad,
               command='track')
    check(ref.returncode == 3 and r.returncode == 3 and r.stdout == ref.stdout
          and b'skipped frame 12' in r.stderr,
          'track --skip-bad on 3 ranks: exit 3, the bytes of locus track', r.stderr.decode())
    r = subprocess.run([LOCUS_MPI, 'track', '--help'], capture_output=True, env=ENV)
    check(r.returncode == 0 and b'usage: locus-mpi track' in r.stdout
          and b'--search-range' in r.stdout and b'--predict' in r.stdout,
          'locus-mpi track --help lists the link options')
    r = subprocess.run([LOCUS_MPI, '--help'], capture_output=True, env=ENV)
    check(r.returncode == 0 and b'locus-mpi track' in r.stdout, 'locus-mpi --help names track')


def track_resume(tmp):
    """A checkpointed track killed (a worker, or the whole job) resumes to
    the bytes of an uninterrupted run: the linker sees the checkpointed
    chunks too, in order."""
    inputs = [BULK] * 3
    ref = subprocess.run([LOCUS, 'track', '--quiet', '-j1', *ARGS, *LINK, *inputs],
                         capture_output=True).stdout
    out, ckpt = os.path.join(tmp, 'track-sweep.csv'), os.path.join(tmp, 'track-sweep-ck')
    cmd = ['mpirun', '-n', '3', LOCUS_MPI, 'track', '--quiet', '-j', '1', '--chunk', '10',
           '--checkpoint', ckpt, *ARGS, *LINK, *inputs, '-o', out]
    resume.sweep('locus-mpi track -n 3, a worker killed', cmd, out, ckpt, ref, [3, 17],
                 kill_worker, env=ENV)
    resume.sweep('locus-mpi track -n 3, the whole job killed', cmd, out, ckpt, ref, [10],
                 kill_whole_job, env=ENV)
    resume.constructed('locus-mpi track -n 3', cmd, out, ckpt, ref, env=ENV)
    # the checkpoint holds locate's rows: locus track and locus-mpi locate reuse it
    single = out + '.single'
    r = subprocess.run([LOCUS, 'track', '--quiet', '-j', '2', '--chunk', '10', '--checkpoint',
                        ckpt, *ARGS, *LINK, *inputs, '-o', single], capture_output=True)
    check(r.returncode == 0 and open(single, 'rb').read() == ref,
          'locus track reuses the checkpoint locus-mpi track made', r.stderr.decode())


def run(tmp):
    reference = identical_for_any_ranks(tmp)
    kill_and_resume(tmp, reference)
    resume_sweep(tmp)
    missing_on_one_rank(tmp)
    track_checks(tmp)
    track_resume(tmp)


if __name__ == '__main__':
    sys.exit(main())
