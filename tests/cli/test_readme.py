#!/usr/bin/env python3
"""Every example in README.md runs as written.

Each ```sh block runs under bash -e, and each ```python block under
Debian's /usr/bin/python3 with the module built, in a scratch directory
that holds what the examples name: build/ (this build), frames/ and
bulk_water/ (bulk_water PNGs), movie.tif (a 16-bit stack), stacks/
(3-D TIFFs); a block of `make` commands runs in the checkout, as a user
would type it there. A block that cannot run here says so in the README itself,
on the line before it: <!-- not run: why -->. Every such block is listed
in this test's output with its reason, so none is passed over silently.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from tap import check, status  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                'python'))
import pymodule  # noqa: E402  (tests/python: how the module is built and run)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.abspath(os.environ.get('BUILD', os.path.join(ROOT, 'build')))
SHARED = os.path.abspath(os.environ.get('LOCUS_SHARED', os.path.join(ROOT, '..', 'shared')))
PYTHON = '/usr/bin/python3'
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT='1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM='1')
if 'ASAN_OPTIONS' in ENV:  # as in tests/mpi/test_mpi.py: Open MPI's own leaks
    ENV['ASAN_OPTIONS'] = ENV['ASAN_OPTIONS'].replace('detect_leaks=1', 'detect_leaks=0')


def blocks(text):
    """(language, code, line, reason-not-run or None) for every fenced block."""
    out, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        m = re.match(r'^```(\w*)\s*$', lines[i])
        if not m:
            i += 1
            continue
        lang, start = m.group(1), i
        j = i + 1
        while j < len(lines) and not lines[j].startswith('```'):
            j += 1
        note = None
        for k in (start - 1, start - 2):
            if k >= 0:
                n = re.match(r'^<!-- not run: (.*) -->$', lines[k].strip())
                if n:
                    note = n.group(1)
        out.append((lang, '\n'.join(lines[start + 1:j]), start + 1, note))
        i = j + 1
    return out


def run(cmd, cwd, timeout=600):
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=ENV,
                          timeout=timeout)


def fixtures(tmp):
    os.symlink(BUILD, os.path.join(tmp, 'build'))
    pngs = sorted(os.path.join(SHARED, 'data', 'bulk_water', n)
                  for n in os.listdir(os.path.join(SHARED, 'data', 'bulk_water'))
                  if n.endswith('.png'))[:8]
    for d in ('frames', 'bulk_water'):
        os.mkdir(os.path.join(tmp, d))
        for p in pngs:
            shutil.copy(p, os.path.join(tmp, d))
    locus = os.path.join(BUILD, 'locus')
    run([locus, 'synth', 'fx-movie', '--frames', '3', '--shape', '128x160', '--particles', '40', '--bit-depth', '16',
         '--format', 'tiff', '--stack', '--quiet'], tmp)
    shutil.move(os.path.join(tmp, 'fx-movie', 'movie.tif'), os.path.join(tmp, 'movie.tif'))
    run([locus, 'synth', 'fx-vols', '--frames', '2', '--shape', '24x64x64', '--particles', '20',
         '--format', 'tiff', '--quiet'], tmp)
    os.mkdir(os.path.join(tmp, 'stacks'))
    for n in sorted(os.listdir(os.path.join(tmp, 'fx-vols'))):
        if n.endswith('.tif'):
            shutil.move(os.path.join(tmp, 'fx-vols', n), os.path.join(tmp, 'stacks', n))
    for d in ('fx-movie', 'fx-vols'):
        shutil.rmtree(os.path.join(tmp, d))


def python_module():
    """The module the Python examples import (make python builds it)."""
    cmd = ['make', '--no-print-directory', 'python', f'BUILD={BUILD}']
    if pymodule.sanitized_build():  # as the Python tests build it
        cmd += ['OPT=-O1', f'SAN={pymodule.SAN_FLAGS}']
        libasan = subprocess.run(['cc', '-print-file-name=libasan.so'], capture_output=True,
                                 text=True).stdout.strip()
        ENV['PYTHON_LD_PRELOAD'] = libasan
    run(cmd, ROOT)  # a no-op when the module is up to date
    ENV['PYTHONPATH'] = os.path.join(BUILD, 'python')


def run_python(code, cwd):
    """A Python example; under a sanitizer build with ASan preloaded (and
    its leak report off: CPython keeps its objects to the end)."""
    env = dict(ENV)
    if 'PYTHON_LD_PRELOAD' in env:
        env['LD_PRELOAD'] = env.pop('PYTHON_LD_PRELOAD')
        env['ASAN_OPTIONS'] = 'detect_leaks=0:abort_on_error=0'
    return subprocess.run([PYTHON, '-c', code], cwd=cwd, capture_output=True, text=True,
                          env=env, timeout=600)


def main():
    text = open(os.path.join(ROOT, 'README.md')).read()
    found = blocks(text)
    tmp = tempfile.mkdtemp(prefix='locus-readme-')
    try:
        fixtures(tmp)
        python_module()
        ran = 0
        for lang, code, line, note in found:
            if lang not in ('sh', 'python'):
                continue
            first = code.strip().splitlines()[0] if code.strip() else ''
            if note:
                print(f'# not run: README.md:{line} ({first[:50]}): {note}')
                continue
            if lang == 'sh':
                where = ROOT if re.search(r'^make ', code, re.M) else tmp
                r = run(['bash', '-e', '-o', 'pipefail', '-c', code], where)
            else:
                r = run_python(code, tmp)
            ran += 1
            check(r.returncode == 0, f'README.md:{line}: the {lang} example runs ({first[:60]})',
                  r.stderr + r.stdout, last=True)
        check(ran >= 8, f'{ran} README examples were run')
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return status()


if __name__ == '__main__':
    sys.exit(main())
