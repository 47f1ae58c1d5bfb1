#!/usr/bin/env python3
"""Conformance: every case of ../shared/reference/cases.json, run through
the locus CLI and scored against trackpy's output with
../shared/tools/compare_features.py. Prints one TAP line per case.

Standard library only. Environment: LOCUS_BIN (default build/locus),
LOCUS_SHARED (default ../shared), LOCUS_JOBS (passed as -j, default: all cores).
"""
import json
import os
import subprocess
import sys
import tempfile

# cases.json parameter -> command-line option (the README's table)
FLAGS = {
    'diameter': '--diameter', 'minmass': '--minmass', 'maxsize': '--maxsize',
    'separation': '--separation', 'noise_size': '--noise-size',
    'smoothing_size': '--smoothing-size', 'threshold': '--threshold',
    'percentile': '--percentile', 'topn': '--topn', 'max_iterations': '--max-iterations',
}
SWITCHES = {  # boolean parameter -> (value that needs the switch, switch)
    'invert': (True, '--invert'),
    'preprocess': (False, '--no-preprocess'),
    'characterize': (False, '--no-characterize'),
}


def value(v):
    return ','.join(str(x) for x in v) if isinstance(v, list) else str(v)


def command(binary, shared, case, out):
    args = [binary, 'locate', '--quiet', '-o', out]
    if os.environ.get('LOCUS_JOBS'):
        args += ['-j', os.environ['LOCUS_JOBS']]
    if 'channel' in case:
        args += ['--channel', str(case['channel'])]
    if case.get('volume'):
        args.append('--volume')
    for name, v in case['params'].items():
        if name in FLAGS:
            args += [FLAGS[name], value(v)]
        elif name in SWITCHES:
            want, switch = SWITCHES[name]
            if v == want:
                args.append(switch)
        else:
            raise SystemExit(f'conformance.py: unknown parameter {name!r} in case {case["name"]}')
    args.append(os.path.join(shared, case['inputs']))
    return args


def main():
    binary = os.environ.get('LOCUS_BIN', 'build/locus')
    shared = os.environ.get('LOCUS_SHARED', '../shared')
    cases_path = os.path.join(shared, 'reference', 'cases.json')
    compare = os.path.join(shared, 'tools', 'compare_features.py')
    with open(cases_path) as fh:
        cases = json.load(fh)
    only = set(sys.argv[1:])
    failed = 0
    n = 0
    with tempfile.TemporaryDirectory() as tmp:
        for case in cases:
            if only and case['name'] not in only:
                continue
            n += 1
            out = os.path.join(tmp, case['name'] + '.csv')
            run = subprocess.run(command(binary, shared, case, out), capture_output=True, text=True)
            if run.returncode != 0:
                print(f'not ok {n} - conformance {case["name"]}: locus exited {run.returncode}: '
                      f'{run.stderr.strip()}')
                failed += 1
                continue
            ref = os.path.join(shared, 'reference', case['name'] + '.csv')
            score = subprocess.run([sys.executable, compare, ref, out, '--name', case['name']],
                                   capture_output=True, text=True)
            lines = score.stdout.strip().splitlines()
            last = lines[-1] if lines else score.stderr.strip()
            ok = score.returncode == 0
            failed += not ok
            print(f'{"ok" if ok else "not ok"} {n} - conformance {last}')
            if not ok:
                for line in lines[:-1]:
                    print('#  ' + line)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
