#!/usr/bin/env python3
"""The same bytes whatever the CPU's vector units: every conformance case
located with glibc's generic code paths (its FMA, AVX and AVX2 variants of
exp, log, cos, ... switched off through GLIBC_TUNABLES) gives the same
output as with the paths glibc picks for this CPU. NumPy's own dispatched
math is what makes trackpy's output CPU-dependent (README: "What
bit-identical means"); locus's results must not be.
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from tap import check, status  # noqa: E402
from conformance import command  # noqa: E402

GENERIC = 'glibc.cpu.hwcaps=-AVX2,-FMA,-AVX,-AVX512F'
LD_SO = '/lib64/ld-linux-x86-64.so.2'


def hwcaps(env):
    """glibc's view of the CPU under env, from the dynamic loader itself."""
    r = subprocess.run([LD_SO, '--list-diagnostics'], capture_output=True, text=True, env=env)
    return [line for line in r.stdout.splitlines()
            if line.startswith('dl_hwcaps_subdirs_active') or '.active[' in line]


def main():
    binary = os.environ.get('LOCUS_BIN', 'build/locus')
    shared = os.environ.get('LOCUS_SHARED', '../shared')
    generic = dict(os.environ, GLIBC_TUNABLES=GENERIC)
    native_caps, generic_caps = hwcaps(os.environ), hwcaps(generic)
    # on a CPU without AVX2 and FMA there would be nothing to switch off;
    # then the two runs below are the same run, and this says so
    check(native_caps != generic_caps or not native_caps,
          f'GLIBC_TUNABLES={GENERIC} changes the CPU features glibc uses',
          f'native: {native_caps}\ngeneric: {generic_caps}')
    with open(os.path.join(shared, 'reference', 'cases.json')) as fh:
        cases = json.load(fh)
    with tempfile.TemporaryDirectory() as tmp:
        for case in cases:
            outs = []
            for k, env in enumerate((os.environ, generic)):
                out = os.path.join(tmp, f'{case["name"]}.{k}.csv')
                r = subprocess.run(command(binary, shared, case, out), capture_output=True,
                                   env=env)
                outs.append(open(out, 'rb').read() if r.returncode == 0 else None)
            check(outs[0] is not None and outs[0] == outs[1],
                  f'{case["name"]}: the same bytes with glibc\'s generic math')
    return status()


if __name__ == '__main__':
    sys.exit(main())
