"""Shared start of the Python-module tests (test_link.py, test_pictures.py,
test_pip.py): re-run with Debian's /usr/bin/python3 when this python3 lacks
NumPy or pandas, build the module (`make python BUILD=$BUILD`, a no-op when
up to date) and put $BUILD/python first on sys.path.

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
        run = subprocess.run(cmd, capture_output=True, text=True)
        if run.returncode != 0:
            print(f'not ok 1 - `{" ".join(cmd)}` failed (exit {run.returncode})')
            for line in (run.stdout + run.stderr).strip().splitlines()[-30:]:
                print('#  ' + line)
            sys.exit(1)
    sys.path.insert(0, os.path.join(BUILD_DIR, 'python'))
    import locus
    return locus, np, pd
