"""Shared start of the Python-module tests (test_link.py, test_pictures.py,
test_pip.py): re-run with Debian's /usr/bin/python3 when this python3 lacks
NumPy or pandas, build the module (`make python BUILD=$BUILD`, a no-op when
up to date) and put $BUILD/python first on sys.path. Under `make
test-sanitize` (liblocus.a built with ASan) the module is built with the
same flags and the test re-runs itself with the ASan runtime preloaded,
as test_python.py does.

    import pymodule
    locus, np, pd = pymodule.setup('test_link')
"""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEBIAN_PYTHON = '/usr/bin/python3'
BUILD = os.environ.get('BUILD', 'build')
BUILD_DIR = os.path.join(ROOT, BUILD)
SHARED = os.path.abspath(os.environ.get('LOCUS_SHARED', os.path.join(ROOT, '..', 'shared')))


SAN_FLAGS = '-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer'


def sanitized_build():
    try:
        with open(os.path.join(BUILD_DIR, 'liblocus.a'), 'rb') as fh:
            return b'__asan_init' in fh.read()
    except OSError:
        return False


def sanitized():
    """This process runs under the preloaded ASan runtime."""
    return 'libasan' in os.environ.get('LD_PRELOAD', '')


def _has(python):
    return subprocess.run([python, '-c', 'import numpy, pandas'],
                          capture_output=True).returncode == 0


def setup(name, build=True):
    try:
        import numpy as np
        import pandas as pd
    except ImportError:
        if os.path.realpath(sys.executable) != os.path.realpath(DEBIAN_PYTHON) \
                and os.path.exists(DEBIAN_PYTHON) and _has(DEBIAN_PYTHON):
            os.execv(DEBIAN_PYTHON, [DEBIAN_PYTHON] + sys.argv)
        print(f"# SKIP {name}: Debian's python3-numpy or python3-pandas is not installed "
              '(bash scripts/install-deps.sh --python)')
        sys.exit(0)
    if build:
        cmd = ['make', '-s', '--no-print-directory', '-C', ROOT, 'python', f'BUILD={BUILD}']
        if sanitized_build():
            cmd += ['OPT=-O1', f'SAN={SAN_FLAGS}']
        run = subprocess.run(cmd, capture_output=True, text=True)
        if run.returncode != 0:
            print(f'not ok 1 - `{" ".join(cmd)}` failed (exit {run.returncode})')
            for line in (run.stdout + run.stderr).strip().splitlines()[-30:]:
                print('#  ' + line)
            sys.exit(1)
    if sanitized_build() and not sanitized():
        libasan = subprocess.run(['cc', '-print-file-name=libasan.so'], capture_output=True,
                                 text=True).stdout.strip()
        env = dict(os.environ, LD_PRELOAD=libasan,
                   ASAN_OPTIONS='detect_leaks=0:abort_on_error=0')  # CPython keeps its objects
        print(f'# {name}: sanitizer build, run under ASan + UBSan')
        sys.stdout.flush()
        os.execve(sys.executable, [sys.executable] + sys.argv, env)
    sys.path.insert(0, os.path.join(BUILD_DIR, 'python'))
    import locus
    return locus, np, pd
