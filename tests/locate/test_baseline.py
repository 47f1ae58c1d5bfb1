#!/usr/bin/env python3
"""Byte-identical to the baseline: the speed work of issue 14 must not
change a single output byte. Runs this build's locus and a baseline build
(commit dd40fb1, issue 14's starting point) on every locate case of
../shared/reference/cases.json and on a small synthetic 2048x2048 uint16
stack, and compares the CSV files byte for byte. TAP output.

Environment: LOCUS_BIN (default build/locus), LOCUS_SHARED (default
../shared), BASELINE_BIN (a baseline build of locus; when unset the
baseline commit is built once into build/baseline-<commit>/ from `git
archive`, which needs the git history: without it the test prints
`# SKIP`), BASELINE_COMMIT (default dd40fb1), BUILD (default build).
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'cli'))
import conformance  # noqa: E402  (the cases' command lines, one way)
import json  # noqa: E402

# The synthetic stack: 2048x2048 as workload (b) of bench/run.sh, 3 frames.
SYNTH = ['--shape', '2048x2048', '--bit-depth', '16', '--format', 'tiff', '--stack',
         '--particles', '3000', '--frames', '3', '--seed', '7']


def skip(reason):
    print(f'# SKIP {reason}')
    sys.exit(0)


def build_baseline(commit, build):
    """build/baseline-COMMIT/src/build/locus, made once from git archive.

    Always under build/, whatever BUILD is: the baseline is a reference, a
    plain build serves a sanitizer run too, and is made only once."""
    root = os.path.join('build', f'baseline-{commit}')
    binary = os.path.join(root, 'src', 'build', 'locus')
    if os.access(binary, os.X_OK):
        return binary
    if subprocess.run(['git', 'cat-file', '-e', commit + '^{commit}'],
                      capture_output=True).returncode != 0:
        skip(f'baseline commit {commit} not in the git history (set BASELINE_BIN)')
    src = os.path.join(root, 'src')
    os.makedirs(src, exist_ok=True)
    archive = subprocess.Popen(['git', 'archive', commit], stdout=subprocess.PIPE)
    subprocess.run(['tar', '-x', '-C', src], stdin=archive.stdout, check=True)
    if archive.wait() != 0:
        skip(f'git archive {commit} failed')
    # the baseline's own defaults, not this run's build directory or
    # sanitizer flags (make test-sanitize exports them)
    env = {k: v for k, v in os.environ.items()
           if k not in ('BUILD', 'SAN', 'OPT', 'MAKEFLAGS', 'MFLAGS', 'MAKELEVEL')}
    make = subprocess.run(['make', '-C', src, f'-j{os.cpu_count() or 1}', 'build/locus'],
                          capture_output=True, text=True, env=env)
    if make.returncode != 0:
        print(make.stderr[-2000:], file=sys.stderr)
        print(f'not ok 1 - building the baseline {commit} failed')
        sys.exit(1)
    return binary


def run_pair(n, name, cur, base, args_of, tmp):
    outs = []
    for tag, binary in (('cur', cur), ('base', base)):
        out = os.path.join(tmp, f'{name}.{tag}.csv')
        run = subprocess.run(args_of(binary, out), capture_output=True, text=True)
        if run.returncode != 0:
            print(f'not ok {n} - {name}: {tag} exited {run.returncode}: {run.stderr.strip()}')
            return False
        outs.append(out)
    with open(outs[0], 'rb') as a, open(outs[1], 'rb') as b:
        same = a.read() == b.read()
    print(f'{"ok" if same else "not ok"} {n} - {name}: output bytes '
          f'{"identical to" if same else "DIFFER from"} the baseline\'s')
    return same


def main():
    cur = os.environ.get('LOCUS_BIN', 'build/locus')
    shared = os.environ.get('LOCUS_SHARED', '../shared')
    build = os.environ.get('BUILD', 'build')
    commit = os.environ.get('BASELINE_COMMIT', 'dd40fb1')
    base = os.environ.get('BASELINE_BIN') or build_baseline(commit, build)
    with open(os.path.join(shared, 'reference', 'cases.json')) as fh:
        cases = json.load(fh)
    ok = True
    n = 0
    with tempfile.TemporaryDirectory() as tmp:
        for case in cases:
            n += 1
            ok &= run_pair(n, case['name'], cur, base,
                           lambda b, o, c=case: conformance.command(b, shared, c, o), tmp)
        synth = os.path.join(tmp, 'synth')
        subprocess.run([cur, 'synth', synth, *SYNTH, '--quiet'], check=True)
        movie = os.path.join(synth, 'movie.tif')
        for j in ('1', '2'):
            for extra in ([], ['--minmass', '11000']):
                n += 1
                name = f'synth2048 -j{j} {" ".join(extra)}'.strip()
                ok &= run_pair(n, name, cur, base, lambda b, o, e=extra, jj=j: [
                    b, 'locate', '-d', '7', *e, '-j', jj, movie, '-o', o, '--quiet'], tmp)
    print(f'1..{n}')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
