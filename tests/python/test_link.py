#!/usr/bin/env python3
"""locus.link, locus.predict and locus.filter_stubs: every case of
$LOCUS_SHARED/reference/link/cases.json through the Python module, scored
with $LOCUS_SHARED/tools/compare_tracks.py (the same partition of rows into
trajectories) and, as the IDs are canonical, the same IDs; the predictor
cases through the predict classes; oversize='raise' on the oversize cases;
the rows, index and dtypes trackpy returns; link_iter and link_df_iter;
NaN, empty and bad-parameter inputs; the GIL released and Ctrl-C;
filter_stubs. One TAP line per check.
"""
import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
import _thread
import threading
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
import pymodule  # noqa: E402
from tap import check, status  # noqa: E402

locus, np, pd = pymodule.setup('test_link')
from locus.link import guess_pos_columns  # noqa: E402  (the module, not the function)
REF = os.path.join(pymodule.SHARED, 'reference', 'link')
COMPARE = os.path.join(pymodule.SHARED, 'tools', 'compare_tracks.py')
TMP = tempfile.mkdtemp(prefix='locus-pylink-')
atexit.register(shutil.rmtree, TMP, ignore_errors=True)
if not os.path.exists(os.path.join(REF, 'cases.json')):
    print(f'# SKIP test_link: {REF}/cases.json not found (set LOCUS_SHARED)')
    sys.exit(0)


def raises(exc_type, words, fn, *args, **kw):
    """(ok, detail): fn raises exc_type with every one of `words` in its message."""
    try:
        fn(*args, **kw)
    except exc_type as e:
        missing = [w for w in words if w not in str(e)]
        return not missing, f'{type(e).__name__}: {e}' + (f' (lacks {missing})' if missing
                                                         else '')
    except Exception as e:  # noqa: BLE001
        return False, f'raised {type(e).__name__}: {e}'
    return False, 'did not raise'


def check_raised(ok, detail, what):
    return check(ok, what, detail)


def score(expected, tracks, name):
    """compare_tracks.py's verdict on tracks against the expected file."""
    path = os.path.join(TMP, f'{name}.csv')
    tracks.to_csv(path, index=False)
    run = subprocess.run([sys.executable, COMPARE, os.path.join(REF, expected), path],
                         capture_output=True, text=True)
    last = (run.stdout.strip().splitlines() or [''])[-1]
    return run.returncode == 0, last + '\n' + run.stderr[-2000:]


def predictor_of(spec, pos_columns):
    cls = getattr(locus.predict, spec['class'])
    return cls(**spec['args'], pos_columns=pos_columns)


def link_case(case, f, **extra):
    params = dict(case['params'], **extra)
    pred = params.pop('predictor', None)
    if pred:
        return predictor_of(pred, guess_pos_columns(f)).link_df(f, **params)
    return locus.link(f, **params)


cases = json.load(open(os.path.join(REF, 'cases.json')))
inputs = {}
for case in cases:
    path = os.path.join(REF, case['input'])
    f = inputs.setdefault(path, pd.read_csv(path))
    before = f.copy()
    name = case['name']
    if 'expected' in case:
        try:
            t = link_case(case, f)
        except Exception as e:  # noqa: BLE001
            check(False, f'{name}: links', f'{type(e).__name__}: {e}')
            continue
        ok, detail = score(case['expected'], t, name)
        check(ok, f'{name}: the same trajectories as trackpy (compare_tracks.py)', detail)
        exp = pd.read_csv(os.path.join(REF, case['expected']))
        pos = guess_pos_columns(exp)
        same_rows = len(exp) == len(t) and np.allclose(exp[pos].to_numpy(),
                                                       t[pos].to_numpy(), atol=1e-9)
        check(same_rows and np.array_equal(exp['particle'].to_numpy(), t['particle'].to_numpy()),
              f'{name}: rows in frame order with the canonical IDs of the expected file',
              f'{len(t)} rows, expected {len(exp)}')
        check(t['particle'].dtype == np.int64 and t['particle'].nunique() == case['trajectories'],
              f'{name}: int64 particle, {case["trajectories"]} trajectories',
              f'{t["particle"].dtype}, {t["particle"].nunique()}')
        check(f.equals(before), f'{name}: the input DataFrame is left as it was')
    else:
        ok, detail = raises(locus.SubnetOversizeException, ['too large'], link_case, case, f,
                            oversize='raise')
        check(ok, f'{name}: oversize="raise" raises locus.SubnetOversizeException', detail)
        if 'expected_unlimited' in case:
            t = link_case(case, f)
            ok, detail = score(case['expected_unlimited'], t, name + '_unlimited')
            check(ok, f"{name}: by default, trackpy's answer without its size limit", detail)
        else:
            t = link_case(case, f)
            check(len(t) == len(f), f'{name}: by default, oversize subnets are solved')

# ----------------------------------------------------------------------
# What trackpy returns: rows, index, dtypes
# ----------------------------------------------------------------------
rng = np.random.default_rng(7)
f = pd.DataFrame({'frame': [2.0, 0.0, 1.0, 0.0, 1.7, 2.0], 'x': [10.5, 10.0, 10.2, 50.0, 50.1, 50.3],
                  'y': [5.0, 5.0, 5.1, 20.0, 20.2, 20.1], 'mass': np.arange(6.0)},
                 index=[f'r{i}' for i in range(6)])
t = locus.link(f, 2)
check(list(t.index) == ['r1', 'r3', 'r2', 'r4', 'r0', 'r5'],
      'rows sorted by frame, input order within a frame, index labels kept', list(t.index))
check(t['frame'].dtype.kind == 'i' and list(t['frame']) == [0, 0, 1, 1, 2, 2],
      'a float frame column is truncated to integers, as trackpy', t['frame'].tolist())
check(list(t.columns) == ['frame', 'x', 'y', 'mass', 'particle'],
      'every column carried, particle appended', list(t.columns))
check(t.groupby('particle').size().tolist() == [3, 3] and t['particle'].tolist()[:2] == [0, 1],
      'two trajectories, canonical IDs', t['particle'].tolist())
t2 = locus.link(t.drop(columns='particle').assign(particle=99), 2)
check(t2['particle'].tolist() == t['particle'].tolist() and list(t2.columns) == list(t.columns),
      'an existing particle column is overwritten in place')
check(locus.link_df is locus.link, 'locus.link_df is locus.link')
g = f.set_index('frame', drop=False)
t3 = locus.link(g, 2)
check(t3.index.name == 'frame_index' and g.index.name == 'frame',
      "an index named like t_column is renamed on the copy (trackpy's pandas_sort)",
      t3.index.name)
f3 = pd.DataFrame({'frame': [0, 0, 1, 1], 'z': [1.0, 5.0, 1.2, 5.1], 'y': [1.0, 1.0, 1.0, 1.0],
                   'x': [0.0, 0.0, 0.1, 0.2]})
check(locus.link(f3, (0.5, 3, 3))['particle'].tolist() == [0, 1, 0, 1],
      'z, y, x guessed with a z column; per-axis search_range in that order')
check(locus.link(f3, 1, pos_columns=['x', 'y'])['particle'].tolist() == [0, 1, 0, 1],
      'pos_columns chosen: z is ignored (rows 0 and 1 coincide in x, y)')
ft = pd.DataFrame({'t': [0, 1], 'a': [0.0, 0.5]})
check(locus.link(ft, 1, pos_columns=['a'], t_column='t')['particle'].tolist() == [0, 0],
      '1-D positions and a t_column of another name')
gap = pd.DataFrame({'frame': [3, 5], 'y': [0.0, 0.5], 'x': [0.0, 0.5]})
check(locus.link(gap, 2)['particle'].tolist() == [0, 1] and
      locus.link(gap, 2, memory=1)['particle'].tolist() == [0, 0],
      'link: memory counts frame numbers (4 is missing)')
check(locus.predict.NullPredict().link_df(gap, 2)['particle'].tolist() == [0, 0] and
      locus.predict.NullPredict().link_df(gap, 2)['frame'].tolist() == [3, 5],
      "pred.link_df: frames without rows are skipped (trackpy's predictors)")
drift = pd.DataFrame({'frame': np.repeat(np.arange(6), 2),
                      'y': np.tile([0.0, 40.0], 6), 'x': np.repeat(np.arange(6) * 3.0, 2)})
d1 = locus.predict.DriftPredict().link_df(drift, 3.5)
d2 = locus.link(drift, 3.5, predictor=locus.predict.DriftPredict())
check(d1['particle'].nunique() == 2 and d1.equals(d2),
      'DriftPredict.link_df, and link(predictor=DriftPredict()) the same')
d3 = locus.predict.DriftPredict([0, 3.0], pos_columns=['y', 'x']).link_df(drift, 1)
check(d3['particle'].nunique() == 2, 'DriftPredict with an initial_guess', d3['particle'].nunique())
n3 = locus.predict.NearestVelocityPredict([[0, 0], [40, 0]], [[0, 3.0], [0, 3.0]],
                                          pos_columns=['y', 'x']).link_df(drift, 1)
check(n3['particle'].nunique() == 2, 'NearestVelocityPredict with an initial guess')
it = list(locus.predict.DriftPredict().link_df_iter((g for _, g in drift.groupby('frame')), 3.5))
check(len(it) == 6 and np.array_equal(np.concatenate([x['particle'] for x in it]),
                                      d1['particle'].to_numpy()),
      'link_df_iter: one linked DataFrame per input frame')

# ----------------------------------------------------------------------
# Streaming: link_iter, link_df_iter
# ----------------------------------------------------------------------
sparse = inputs[os.path.join(REF, 'sparse2d_features.csv')]
whole = locus.link(sparse, 5)
per_frame = [g for _, g in sparse.groupby('frame')]
streamed = list(locus.link_df_iter(iter(per_frame), 5))
check(len(streamed) == len(per_frame) and
      pd.concat(streamed).sort_index().equals(whole.sort_index()),
      'link_df_iter, frame by frame: the same as link (no frame numbers missing)')
coords = [g[['y', 'x']].to_numpy() for g in per_frame]
pairs = list(locus.link_iter(coords, 5))
check([t for t, _ in pairs] == list(range(len(coords))) and
      np.array_equal(np.concatenate([ids for _, ids in pairs]), whole['particle'].to_numpy()),
      'link_iter on arrays: numbered frames, the IDs of link')
numbered = list(locus.link_iter(((int(g['frame'].iloc[0]), g[['y', 'x']].to_numpy())
                                 for g in per_frame), 5))
check([t for t, _ in numbered] == sorted(sparse['frame'].unique()),
      'link_iter on (t, array) pairs yields their t')
gaps = inputs[os.path.join(REF, 'gaps_memory_features.csv')]
g_iter = pd.concat(locus.link_df_iter((g for _, g in gaps.groupby('frame')), 5, memory=2))
g_null = locus.predict.NullPredict().link_df(gaps, 5, memory=2)
check(g_iter.equals(g_null) and not g_iter['particle'].equals(
          locus.link(gaps, 5, memory=2)['particle']),
      'link_df_iter: memory counts the frames given, as NullPredict.link_df (not link)')
spec = next(c for c in cases if c['name'] == 'predict_drift')
pf = inputs[os.path.join(REF, spec['input'])]
drifted = pd.concat(locus.predict.DriftPredict().link_df_iter(
    (g for _, g in pf.groupby('frame')), spec['params']['search_range']))
ok, detail = score(spec['expected'], drifted, 'predict_drift_iter')
check(ok, "predict_drift through DriftPredict().link_df_iter: trackpy's trajectories", detail)
one = pd.DataFrame({'frame': [0], 'y': [0.0], 'x': [0.0]})
two = pd.DataFrame({'frame': [2], 'y': [0.5], 'x': [0.0]})
hole = [one, one.iloc[:0], two]
check([df['particle'].tolist() for df in locus.link_df_iter(hole, 1)] == [[0], [], [1]] and
      [df['particle'].tolist() for df in locus.link_df_iter(hole, 1, memory=1)] ==
      [[0], [], [0]], 'link_df_iter: an empty DataFrame is a frame memory counts')
check_raised(*raises(ValueError, ['increase'], lambda: list(locus.link_df_iter([two, one], 1))),
             'link_df_iter: frames must increase')
check_raised(*raises(ValueError, ['not finite'], lambda: list(locus.link_iter(
    [np.array([[0.0, np.nan]])], 1))), 'link_iter: a NaN position is a ValueError')

# ----------------------------------------------------------------------
# Errors
# ----------------------------------------------------------------------
nan = f.copy()
nan.loc['r2', 'x'] = np.nan
check_raised(*raises(ValueError, ['row 2', "'r2'", 'not finite'], locus.link, nan, 2),
      'a NaN position: ValueError naming the row')
nanf = f.copy()
nanf.loc['r4', 'frame'] = np.nan
check_raised(*raises(ValueError, ['row 4', 'frame'], locus.link, nanf, 2),
      'a NaN frame: ValueError naming the row')
empty = f.iloc[:0]
e = locus.link(empty, 2)
check(len(e) == 0 and e['particle'].dtype == np.int64 and list(e.columns)[-1] == 'particle',
      'an empty table links to an empty table')
for what, kw, words in (
        ('search_range <= 0', dict(search_range=-1), ['search_range']),
        ('search_range of the wrong count', dict(search_range=(1, 2, 3)), ['search_range']),
        ('memory < 0', dict(search_range=2, memory=-1), ['memory']),
        ('adaptive_stop <= 0', dict(search_range=2, adaptive_stop=0), ['adaptive_stop']),
        ('adaptive_step >= 1', dict(search_range=2, adaptive_step=1.5), ['adaptive_step']),
        ('unknown link_strategy', dict(search_range=2, link_strategy='fast'), ['link_strategy']),
        ('unknown oversize', dict(search_range=2, oversize='ignore'), ['oversize']),
        ('neighbor_strategy BTree', dict(search_range=2, neighbor_strategy='BTree'),
         ['neighbor_strategy']),
        ('dist_func', dict(search_range=2, dist_func=lambda a, b: 0), ['dist_func']),
        ('a predictor function', dict(search_range=2, predictor=lambda t, p: p), ['predictor'])):
    check_raised(*raises(ValueError, words, locus.link, f, **kw), f'{what}: ValueError naming it')
check_raised(*raises(TypeError, ['memory'], locus.link, f, 2, memory=1.5),
      'memory 1.5: TypeError, as trackpy')
check_raised(*raises(TypeError, ['bogus'], locus.link, f, 2, bogus=1), 'an unknown keyword: TypeError')
check_raised(*raises(KeyError, ['z'], locus.link, f, 2, pos_columns=['z', 'y', 'x']),
      'a missing position column: KeyError')
check_raised(*raises(ValueError, ['span'], locus.predict.DriftPredict(span=0).link_df, f, 2),
      'DriftPredict(span=0): ValueError naming span')
check_raised(*raises(ValueError, ['bin_size'], locus.predict.ChannelPredict(-1).link_df, f, 2),
      'ChannelPredict(bin_size=-1): ValueError naming bin_size')
check_raised(*raises(ValueError, ['minsamples'],
              locus.predict.ChannelPredict(5, minsamples=-2).link_df, f, 2),
      'ChannelPredict(minsamples=-2): ValueError naming minsamples')
check_raised(*raises(ValueError, ['flow_axis'], locus.predict.ChannelPredict(5, flow_axis='q').link_df,
              f, 2), 'ChannelPredict with a flow_axis not among pos_columns')
check_raised(*raises(ValueError, ['2 dimensions'], locus.predict.ChannelPredict(5).link_df, f3, 2),
      'ChannelPredict on 3-D positions')
check_raised(*raises(ValueError, ['ambiguous'], locus.predict.DriftPredict, [1, 2]),
      'DriftPredict(initial_guess) without pos_columns, as trackpy')
check_raised(*raises(ValueError, ['initial_guess'],
              locus.predict.DriftPredict([1, 2, 3], pos_columns=['y', 'x']).link_df, f, 2),
      'an initial_guess of the wrong length')
check_raised(*raises(ValueError, ['conflicts'],
              locus.predict.DriftPredict(pos_columns=['y', 'x']).link_df, f, 2,
              pos_columns=['x', 'y']), 'pos_columns conflicting with the predictor\'s')

# ----------------------------------------------------------------------
# The GIL and Ctrl-C
# ----------------------------------------------------------------------

walk = np.random.default_rng(1)
p = walk.uniform(0, 1000, (4000, 2))
steps = []
for frame in range(150):
    p = p + walk.normal(0, 0.7, p.shape)
    steps.append(np.c_[np.full(len(p), frame), p])
big = np.vstack(steps)
big = pd.DataFrame({'frame': big[:, 0].astype(np.int64), 'y': big[:, 1], 'x': big[:, 2]})
spins, done = [0], threading.Event()


def spin():
    while not done.is_set():
        spins[0] += 1


th = threading.Thread(target=spin)
th.start()
start = time.perf_counter()
t_big = locus.link(big, 4, memory=2)
took = time.perf_counter() - start
done.set()
th.join()
check(t_big['particle'].nunique() >= 4000 and spins[0] > 1000,
      'the GIL is released while linking (another thread runs meanwhile)',
      f'{spins[0]} spins in {took:.2f} s')
start = time.perf_counter()
locus.link(big, 4, memory=2)
took = time.perf_counter() - start  # alone
timer = threading.Timer(took / 5, _thread.interrupt_main)
start = time.perf_counter()
try:
    timer.start()
    locus.link(big, 4, memory=2)
    interrupted = False
    timer.join()
except KeyboardInterrupt:
    interrupted = time.perf_counter() - start < took  # not after the link
    timer.join()
check(interrupted and time.perf_counter() - start < took,
      'Ctrl-C stops a link between frames (KeyboardInterrupt)',
      f'interrupted={interrupted}, {time.perf_counter() - start:.2f} s of {took:.2f}')

# ----------------------------------------------------------------------
# filter_stubs
# ----------------------------------------------------------------------
bulk = locus.link(inputs[os.path.join(REF, '../bulk_water_seed.csv')], 5, memory=3)
lengths = bulk.groupby('particle').size()
for threshold in (1, 25, int(lengths.max()), int(lengths.max()) + 1):
    kept = locus.filter_stubs(bulk, threshold)
    want = bulk.reset_index(drop=True)
    want = want[want['particle'].isin(lengths.index[lengths >= threshold])]
    check(kept.index.name == 'frame' and np.array_equal(kept.index, kept['frame']) and
          kept.reset_index(drop=True).equals(want.reset_index(drop=True)),
          f'filter_stubs(threshold={threshold}): the trajectories of >= {threshold} rows, in '
          'order, indexed by frame', f'{len(kept)} rows, {len(want)} wanted')
check_raised(*raises(ValueError, ['particle'], locus.filter_stubs, f), 'filter_stubs without particle')
with warnings.catch_warnings():
    warnings.simplefilter('error')
    check(len(locus.filter_stubs(bulk.iloc[:0])) == 0, 'filter_stubs of an empty table')

sys.exit(status())
