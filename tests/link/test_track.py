#!/usr/bin/env python3
"""`locus track`: locate and link in one run gives the bytes of `locus
locate` then `locus link`, at every -j, with a predictor, on volumes; a
killed checkpointed run resumes to the same bytes; memory stays flat with
the movie's length; bad link options are refused before any work.
"""
import os
import resource
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
LOCATE = ['-d', '13', '--invert', '--channel', '0']


def run(*args, **kw):
    return subprocess.run([LOCUS, *args], capture_output=True, **kw)


def locate_then_link(tmp, locate_args, link_args, inputs):
    loc, out = os.path.join(tmp, 'loc.csv'), os.path.join(tmp, 'lnk.csv')
    a = run('locate', '--quiet', *locate_args, *inputs, '-o', loc)
    b = run('link', '--quiet', *link_args, loc, '-o', out)
    if a.returncode or b.returncode:
        return None, (a.stderr + b.stderr).decode()
    return open(out, 'rb').read(), ''


def same_as_two_steps(tmp, what, locate_args, link_args, inputs, jobs=('1', '2')):
    want, why = locate_then_link(tmp, locate_args, link_args, inputs)
    check(want is not None and len(want) > 1000, f'{what}: locate then link', why)
    for j in jobs:
        out = os.path.join(tmp, f'track-{j}.csv')
        r = run('track', '--quiet', '-j', j, *locate_args, *link_args, *inputs, '-o', out)
        got = open(out, 'rb').read() if r.returncode == 0 else None
        check(got == want, f'{what}: track -j{j} gives the same bytes', r.stderr.decode())


def peak_rss_kb(cmd):
    pid = os.fork()
    if pid == 0:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        os.execv(cmd[0], cmd)
    _, st, usage = os.wait4(pid, 0)
    return usage.ru_maxrss, os.WEXITSTATUS(st)


def main():
    tmp = tempfile.mkdtemp(prefix='locus-track-')
    try:
        same_as_two_steps(tmp, 'bulk_water, range 5, memory 3', LOCATE,
                          ['--search-range', '5', '--memory', '3'], [BULK])
        same_as_two_steps(tmp, 'bulk_water, drift predictor', LOCATE,
                          ['--search-range', '7', '--predict', 'drift'], [BULK], jobs=('2',))
        # volumes: a synthetic 3-D movie
        vols = os.path.join(tmp, 'vols')
        run('synth', vols, '--shape', '24x64x64', '--particles', '30', '--frames', '6',
            '--format', 'tiff', '--quiet')
        same_as_two_steps(tmp, '3-D volumes, per-axis range', ['-d', '5,7,7', '--volume'],
                          ['--search-range', '2,4,4', '--memory', '1'],
                          [os.path.join(vols, 'frame_00%d.tif' % i) for i in range(6)],
                          jobs=('2',))

        # a checkpointed track killed at several points resumes to the same bytes
        inputs = [BULK] * 2
        want, _ = locate_then_link(tmp, LOCATE, ['--search-range', '5', '--memory', '3'], inputs)
        out, ckpt = os.path.join(tmp, 'ck.csv'), os.path.join(tmp, 'ck')
        cmd = [LOCUS, 'track', '--quiet', '-j2', '--checkpoint', ckpt, '--chunk', '8', *LOCATE,
               '--search-range', '5', '--memory', '3', *inputs, '-o', out]
        resume.sweep('track -j2', cmd, out, ckpt, want, [0, 2, 9, 17, 24], resume.kill_job)
        resume.constructed('track -j2', cmd, out, ckpt, want)

        # memory: 100 frames or 500, the same peak (within a few MB)
        small, rc1 = peak_rss_kb([LOCUS, 'track', '-j1', *LOCATE, '--search-range', '5',
                                  '--memory', '3', BULK, '-o', os.devnull])
        big, rc2 = peak_rss_kb([LOCUS, 'track', '-j1', *LOCATE, '--search-range', '5',
                                '--memory', '3', *([BULK] * 5), '-o', os.devnull])
        check(rc1 == 0 and rc2 == 0 and big < small * 1.25 + 4096,
              f'memory is flat: {small} KB for 100 frames, {big} KB for 500')

        # bad link options are refused before any frame is located
        for args, opt in ((['--search-range', '0'], '--search-range'),
                          (['--search-range', '5', '--memory', '-1'], '--memory'),
                          (['--search-range', '5', '--adaptive-step', '1.5'], '--adaptive-step'),
                          ([], '--search-range')):
            fresh = os.path.join(tmp, 'never.csv')
            r = run('track', *LOCATE, *args, BULK, '-o', fresh)
            err = r.stderr.decode().strip()
            check(r.returncode == 2 and opt in err and len(err.splitlines()) == 1
                  and not os.path.exists(fresh),
                  f'track {" ".join(args) or "(no range)"}: refused naming {opt}', err)
        # trackpy's error, with --oversize raise, ends the run with exit 2
        dense = os.path.join(SHARED, 'reference', 'link', 'oversize_error_features.csv')
        r = run('link', '--quiet', '--search-range', '6', '--oversize', 'raise', dense,
                '-o', os.path.join(tmp, 'x.csv'))
        check(r.returncode == 2 and b'SubnetOversizeException' in r.stderr,
              'link --oversize raise: trackpy\'s error, exit 2', r.stderr.decode())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return status()


if __name__ == '__main__':
    sys.exit(main())
