#!/usr/bin/env python3
"""Packaging: `pip install --no-build-isolation --no-deps --target TMP ./python`
(offline: --no-index) builds the module, which then imports from TMP and
is the module `make python` builds: the same version, the same Python
files, the same functions and the same results; `python -m locus
--version` prints the version. Skipped only when pip is absent.
"""
import atexit
import filecmp
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
import pymodule  # noqa: E402
from tap import check, status  # noqa: E402

locus, np, pd = pymodule.setup('test_pip')
python = sys.executable
if pymodule.sanitized():
    print('# SKIP test_pip: a sanitizer build (pip builds the module without ASan; make test '
          'runs this)')
    sys.exit(0)
if subprocess.run([python, '-m', 'pip', '--version'], capture_output=True).returncode != 0:
    print(f'# SKIP test_pip: {python} has no pip (apt-get install python3-pip)')
    sys.exit(0)

target = tempfile.mkdtemp(prefix='locus-pip-')
atexit.register(shutil.rmtree, target, ignore_errors=True)
run = subprocess.run([python, '-m', 'pip', 'install', '--no-build-isolation', '--no-deps',
                      '--no-index', '--disable-pip-version-check', '--target', target,
                      os.path.join(pymodule.ROOT, 'python')],
                     capture_output=True, text=True,
                     env=dict(os.environ, PIP_ROOT_USER_ACTION='ignore'))
if not check(run.returncode == 0, 'pip install --no-build-isolation --no-deps --target TMP '
             './python (offline)', (run.stdout + run.stderr)[-3000:]):
    sys.exit(status())

CODE = r'''
import json, sys
import numpy as np, pandas as pd
import locus
f = pd.read_csv(sys.argv[1])
t = locus.link(f, 5, memory=3)
print(json.dumps(dict(file=locus.__file__, version=locus.__version__,
                      names=sorted(n for n in dir(locus) if not n.startswith('__')),
                      c=sorted(n for n in dir(locus._locus) if not n.startswith('__')),
                      ids=int(t['particle'].sum()),
                      png=len(locus.diag(f).png))))
'''
seed = os.path.join(pymodule.SHARED, 'reference', 'bulk_water_seed.csv')


def probe(path):
    r = subprocess.run([python, '-c', CODE, seed], capture_output=True, text=True,
                       cwd=tempfile.gettempdir(), env=dict(os.environ, PYTHONPATH=path))
    import json
    return (json.loads(r.stdout) if r.returncode == 0 else None), r.stderr[-2000:]


made = os.path.join(pymodule.BUILD_DIR, 'python')
pip_info, err = probe(target)
check(pip_info is not None and pip_info['file'].startswith(target),
      'the pip-installed module imports from TMP and links', err)
make_info, err2 = probe(made)
if pip_info and make_info:
    for key in ('version', 'names', 'c', 'ids', 'png'):
        check(pip_info[key] == make_info[key],
              f'pip and make python give the same module: {key}',
              f'pip {pip_info[key]!r}\nmake {make_info[key]!r}')
else:
    check(False, 'make python\'s module imports', err2)
pkg = os.path.join(pymodule.ROOT, 'python', 'locus')
py_files = sorted(n for n in os.listdir(pkg) if n.endswith('.py'))
same = [n for n in py_files if os.path.exists(os.path.join(target, 'locus', n)) and
        filecmp.cmp(os.path.join(pkg, n), os.path.join(target, 'locus', n), shallow=False)]
check(same == py_files, 'every python/locus/*.py is installed as it is', set(py_files) - set(same))
for where, path in (('pip', target), ('make python', made)):
    r = subprocess.run([python, '-m', 'locus', '--version'], capture_output=True, text=True,
                       cwd=tempfile.gettempdir(), env=dict(os.environ, PYTHONPATH=path))
    check(r.returncode == 0 and r.stdout.strip() == f'locus {locus.__version__}',
          f'python -m locus --version ({where}): "locus {locus.__version__}"', r.stdout + r.stderr)
sys.exit(status())
