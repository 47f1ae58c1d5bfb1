"""`locus link` against the shared reference cases, and its command line.

Every case of $LOCUS_SHARED/reference/link/cases.json is linked through the
CLI and scored with $LOCUS_SHARED/tools/compare_tracks.py (same partition);
the canonical `particle` column must be byte-identical to the expected
file's and every other column carried verbatim. Standard library only.
"""
import csv
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))
from tap import check, status  # noqa: E402

LOCUS = os.environ.get('LOCUS_BIN', 'build/locus')
SHARED = os.environ.get('LOCUS_SHARED', '../shared')
REF = os.path.join(SHARED, 'reference', 'link')
COMPARE = os.path.join(SHARED, 'tools', 'compare_tracks.py')
TMP = tempfile.mkdtemp(prefix='locus-link-')
PREDICTORS = {'DriftPredict': 'drift', 'NearestVelocityPredict': 'nearest',
              'ChannelPredict': 'channel'}


def run(*args):
    return subprocess.run([LOCUS, 'link', *args], capture_output=True, text=True)


def case_args(params):
    """The CLI options for a case's trackpy arguments."""
    sr = params['search_range']
    args = ['--search-range', ','.join(map(str, sr)) if isinstance(sr, list) else str(sr)]
    for key, opt in (('memory', '--memory'), ('adaptive_stop', '--adaptive-stop'),
                     ('adaptive_step', '--adaptive-step'), ('link_strategy', '--link-strategy')):
        if key in params:
            args += [opt, str(params[key])]
    pred = params.get('predictor')
    if pred:
        args += ['--predict', PREDICTORS[pred['class']]]
        a = pred['args']
        for key, opt in (('span', '--predict-span'), ('bin_size', '--channel-bin-size'),
                         ('flow_axis', '--channel-flow-axis'),
                         ('minsamples', '--channel-min-samples')):
            if key in a:
                args += [opt, str(a[key])]
        guess = a.get('initial_profile_guess')
        if guess:
            args += ['--predict-guess', ';'.join(','.join(map(repr, r)) for r in guess)]
    return args


def read_rows(path):
    with open(path, newline='') as fh:
        rows = list(csv.reader(fh))
    return rows[0], [r for r in rows[1:] if r]


def compare(expected, actual):
    r = subprocess.run([sys.executable, COMPARE, expected, actual], capture_output=True,
                       text=True)
    return r.returncode == 0, (r.stdout + r.stderr).strip().splitlines()[-1:]


def verbatim(input_path, output_path):
    """Output rows = input lines sorted by frame (stably), plus the particle
    field; returns a problem or ''."""
    with open(input_path, newline='') as fh:
        lines = [l.rstrip('\r\n') for l in fh.read().split('\n')]
    header, body = lines[0], [l for l in lines[1:] if l.strip()]
    ti = next(csv.reader([header])).index('frame')
    frames = [int(float(next(csv.reader([l]))[ti])) for l in body]
    order = sorted(range(len(body)), key=lambda k: frames[k])
    with open(output_path, newline='') as fh:
        out = fh.read().split('\n')
    if out[0] != header + ',particle':
        return f'header {out[0]!r}'
    if out[-1] != '':
        return 'no final newline'
    out = out[1:-1]
    if len(out) != len(body):
        return f'{len(out)} rows, want {len(body)}'
    for k, i in enumerate(order):
        if out[k].rsplit(',', 1)[0] != body[i]:
            return f'row {k}: {out[k]!r} is not input line {i + 2} {body[i]!r} + particle'
    return ''


def particle_column(path):
    head, rows = read_rows(path)
    pi = head.index('particle')
    return [r[pi] for r in rows]


def linked_case(case):
    name = case['name']
    src = os.path.join(REF, case['input'])
    out = os.path.join(TMP, name + '.csv')
    r = run(src, *case_args(case['params']), '-o', out)
    if not check(r.returncode == 0, f'{name}: links (exit 0)', r.stderr):
        return
    expected = os.path.join(REF, case['expected'])
    ok, detail = compare(expected, out)
    check(ok, f'{name}: same trajectories as trackpy ({case["trajectories"]})', detail)
    check(particle_column(out) == particle_column(expected),
          f'{name}: particle column byte-identical to the expected file (canonical IDs)')
    problem = verbatim(src, out)
    check(not problem, f'{name}: every input column carried verbatim, rows sorted by frame',
          problem)


def error_case(case, cases):
    """expect_error: fails with --oversize raise; solves by default."""
    name = case['name']
    src = os.path.join(REF, case['input'])
    out = os.path.join(TMP, name + '.csv')
    r = run(src, *case_args(case['params']), '--oversize', 'raise', '-o', out)
    msg = r.stderr.strip()
    check(r.returncode == 2 and 'SubnetOversizeException' in msg and 'frame ' in msg
          and 'sources' in msg and msg.count('\n') == 0,
          f'{name}: --oversize raise fails, exit 2, one line naming frame and size', msg)
    check(not os.path.exists(out), f'{name}: no output file left behind')
    r = run(src, *case_args(case['params']), '-o', out)
    check(r.returncode == 0 and 'larger than trackpy' in r.stderr and 'largest: ' in r.stderr,
          f'{name}: by default solved, with one line counting the oversize subnets', r.stderr)
    if 'expected_unlimited' in case:
        want = os.path.join(REF, case['expected_unlimited'])
        ok, detail = compare(want, out)
        check(ok, f'{name}: the default result is trackpy\'s with the limit lifted', detail)
    else:
        # Without adaptive search every subnet is solved exactly and on its
        # own (LINK.md §12); recursive solves the same subnets exactly with no
        # candidate limit, so the partitions agree (no ties in this input).
        rec = next(c for c in cases if c['name'] == name + '_recursive')
        ok, detail = compare(os.path.join(REF, rec['expected']), out)
        check(ok, f'{name}: default + solve gives {rec["name"]}\'s trajectories', detail)


def write(name, text):
    path = os.path.join(TMP, name)
    with open(path, 'w', newline='') as fh:
        fh.write(text)
    return path


def bad_input():
    cases = [
        ('ragged.csv', 'y,x,frame\n1,2,0\n1,2\n', 'ragged.csv:3: 2 fields, but the header has 3'),
        ('nocol.csv', 'y,z0,frame\n1,2,0\n', "nocol.csv:1: no column 'x'"),
        ('text.csv', 'y,x,frame\n1,2,0\n1,abc,1\n', "text.csv:3: column 'x': 'abc' is not a number"),
        ('nan.csv', 'y,x,frame\n1,2,0\n1,,1\n', "nan.csv:3: column 'x': position '' is not finite"),
        ('inf.csv', 'y,x,frame\n1,2,0\n1,inf,1\n', "inf.csv:3: column 'x': position 'inf' is not finite"),
        ('nanframe.csv', 'y,x,frame\n1,2,0\n1,2,nan\n', 'nanframe.csv:3: frame'),
        ('quote.csv', 'y,x,frame\n1,"2,0\n', 'quote.csv:2: unterminated quote'),
        ('empty.csv', '', 'empty.csv:1: empty file'),
    ]
    for name, text, want in cases:
        r = run(write(name, text), '--search-range', '5', '-o', os.path.join(TMP, 'x.csv'))
        msg = r.stderr.strip()
        check(r.returncode == 2 and want in msg and msg.count('\n') == 0,
              f'bad table {name}: exit 2, {want!r}', msg)


def bad_options():
    good = write('good.csv', 'y,x,frame\n1,2,0\n1,3,1\n')
    cases = [
        (['--search-range', '0'], '--search-range'),
        (['--search-range', '-2'], '--search-range'),
        ([], '--search-range'),
        (['--search-range', '5', '--memory', '-1'], '--memory'),
        (['--search-range', '5', '--memory', '1.5'], '--memory'),
        (['--search-range', '5', '--adaptive-step', '1'], '--adaptive-step'),
        (['--search-range', '5', '--adaptive-step', '0'], '--adaptive-step'),
        (['--search-range', '5', '--adaptive-stop', '0'], '--adaptive-stop'),
        (['--search-range', '5', '--link-strategy', 'kdtree'], '--link-strategy'),
        (['--search-range', '5', '--oversize', 'maybe'], '--oversize'),
        (['--search-range', '5,6,7'], '--search-range'),
        (['--search-range', '5', '--predict', 'channel'], '--channel-bin-size'),
        (['--search-range', '5', '--predict', 'wind'], '--predict'),
        (['--search-range', '5', '--pos-columns', 'y,q'], "no column 'q'"),
    ]
    for args, want in cases:
        r = run(good, *args)
        msg = r.stderr.strip()
        check(r.returncode == 2 and want in msg and msg.count('\n') == 0,
              f'bad options {" ".join(args) or "(none)"}: exit 2 naming {want}', msg)


def table_forms():
    # header only: header + particle
    out = os.path.join(TMP, 'o.csv')
    r = run(write('head.csv', 'y,x,frame\n'), '--search-range', '5', '-o', out)
    check(r.returncode == 0 and open(out).read() == 'y,x,frame,particle\n',
          'header-only table: header + particle', r.stderr)
    # pandas to_csv with the index column, quoted text, CRLF, a particle column
    # overwritten in place, float frames truncated toward zero
    text = ('"",y,x,frame,particle,note\r\n'
            '0,10.0,10.0,1.0,7,"a, b"\r\n'
            '1,50,50,0,8,x\r\n'
            '2,10.5,10.5,2.7,9,"say ""hi"""\r\n'
            '3,50.5,50.5,1,10,\r\n')
    r = run(write('pandas.csv', text), '--search-range', '2', '-o', out)
    want = ('"",y,x,frame,particle,note\n'
            '1,50,50,0,0,x\n'
            '0,10.0,10.0,1.0,1,"a, b"\n'
            '3,50.5,50.5,1,0,\n'
            '2,10.5,10.5,2.7,1,"say ""hi"""\n')
    got = open(out).read() if r.returncode == 0 else r.stderr
    check(got == want, 'pandas table: index column, quotes, CRLF, particle overwritten in place, '
          'frame 2.7 is frame 2', got)
    # --min-length (filter_stubs keeps trajectories of >= N rows), IDs kept
    r = run(write('stubs.csv', 'y,x,frame\n0,0,0\n9,9,0\n0,1,1\n0,2,2\n'), '--search-range',
            '2', '--min-length', '3', '-o', out)
    check(r.returncode == 0 and open(out).read() == 'y,x,frame,particle\n0,0,0,0\n0,1,1,0\n'
          '0,2,2,0\n', '--min-length 3 drops the 1-row trajectory', r.stderr)
    # 1-D, --pos-columns and --t-column; to standard output
    r = run(write('one.csv', 't,x\n0,0\n0,10\n1,9.5\n1,0.5\n'), '--search-range', '1',
            '--pos-columns', 'x', '--t-column', 't', '--quiet')
    check(r.returncode == 0 and r.stdout == 't,x,particle\n0,0,0\n0,10,1\n1,9.5,1\n1,0.5,0\n'
          and r.stderr == '', '1-D with --pos-columns x --t-column t, to stdout, quiet',
          r.stdout + r.stderr)
    # the summary line
    r = run(write('sum.csv', 'y,x,frame\n0,0,0\n0,1,1\n'), '--search-range', '2', '-o', out)
    check(r.returncode == 0 and r.stderr.startswith('locus link: 2 frames, 2 features, '
                                                     '1 trajectories'), 'summary line', r.stderr)


def predictor_guesses():
    """Guesses inline and from a file give the same result; a drift guess links
    a flow too fast to link without one."""
    rows = ['y,x,frame']
    for t in range(6):
        for k in range(5):
            rows.append(f'{10 + 20 * k + 0.01 * t},{5 + 6 * t + 0.1 * k},{t}')
    src = write('flow.csv', '\n'.join(rows) + '\n')
    out1, out2, out3 = (os.path.join(TMP, f'g{k}.csv') for k in range(3))
    r1 = run(src, '--search-range', '2', '--predict', 'drift', '--predict-guess', '0,6', '-o', out1)
    gfile = write('guess.csv', 'vy,vx\n0 6\n')
    r2 = run(src, '--search-range', '2', '--predict', 'drift', '--predict-guess-file', gfile,
             '-o', out2)
    r3 = run(src, '--search-range', '2', '-o', out3)
    ok = r1.returncode == r2.returncode == r3.returncode == 0
    check(ok and particle_column(out1) == particle_column(out2),
          'drift guess inline and from a file agree', r1.stderr + r2.stderr)
    check(ok and len(set(particle_column(out1))) == 5 and len(set(particle_column(out3))) == 30,
          'drift guess (0, 6): 5 trajectories; without a predictor: 30')
    r = run(src, '--search-range', '2', '--predict', 'nearest', '--predict-guess',
            '0,0,0,6;100,100,0,6', '-o', out1)
    check(r.returncode == 0 and len(set(particle_column(out1))) == 5,
          'nearest-velocity guess field: 5 trajectories', r.stderr)
    r = run(src, '--search-range', '2', '--predict', 'drift', '--predict-guess', '0,6,1')
    check(r.returncode == 2 and '--predict-guess' in r.stderr, 'a guess of the wrong width: exit 2',
          r.stderr)


def main():
    with open(os.path.join(REF, 'cases.json')) as fh:
        cases = json.load(fh)
    for case in cases:
        if 'expect_error' in case:
            error_case(case, cases)
        else:
            linked_case(case)
    bad_input()
    bad_options()
    table_forms()
    predictor_guesses()
    return status()


if __name__ == '__main__':
    sys.exit(main())
