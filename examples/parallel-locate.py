#!/usr/bin/env python3
"""trackpy's "Parallelized Feature Finding" tutorial, with locus.

The tutorial starts an IPython-parallel cluster, maps a curried
`tp.locate(image, 13, invert=True)` over the bulk_water frames with a
load-balanced view, and compares the time with a serial map. Here the same
steps run `locus.locate`, and two more lines show what locus adds: the
whole movie on C threads in one call, from arrays (`locus.batch(frames)`)
or straight from the files (`locus.batch('bulk_water/*.png')`, decoded on
the C threads too). Every route gives the same table, checked at the end.

    make python
    PYTHONPATH=build/python /usr/bin/python3 examples/parallel-locate.py
        [--frames 32] [--engines 2] [--repeat 5] [--data ../shared/data/bulk_water]

Needs Debian's python3-numpy, python3-pandas and python3-ipyparallel
(`bash scripts/install-deps.sh --python`).
"""
import argparse
import glob
import os
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
try:
    import locus
except ImportError:  # run from the source tree without PYTHONPATH
    sys.path.insert(0, os.path.join(ROOT, 'build', 'python'))
    import locus
import ipyparallel
import pandas as pd

locus.quiet()  # as tp.quiet(): no "Frame N: M features" lines in the timings


def best_of(repeat, fn):
    """The fastest of `repeat` runs, in seconds, and the last result."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return min(times), result


def numbered(tables):
    """trackpy's pd.concat of per-frame results, with a frame column."""
    for i, features in enumerate(tables):
        features['frame'] = i
    return pd.concat(tables, ignore_index=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--frames', type=int, default=32)
    ap.add_argument('--engines', type=int, default=2)
    ap.add_argument('--repeat', type=int, default=5)
    ap.add_argument('--data', default=os.path.join(ROOT, '..', 'shared', 'data', 'bulk_water'))
    a = ap.parse_args()

    paths = sorted(glob.glob(os.path.join(a.data, 'bulk_water_*.png')))[:a.frames]
    if not paths:
        sys.exit(f'parallel-locate: no bulk_water_*.png in {a.data} (use --data)')
    # pims.open('bulk_water/*.png') then frame[..., 0] in trackpy's tutorial
    frames = [locus.imread(p, channel=0) for p in paths]
    print(f'{len(frames)} frames of {frames[0].shape[1]}x{frames[0].shape[0]} {frames[0].dtype}, '
          f'{locus.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}, '
          f'locus {locus.__version__}')

    # The cluster: `ipcluster start -n 2` in the tutorial; here from Python,
    # stopped at the end whatever happens.
    os.environ.setdefault('IPYTHONDIR', tempfile.mkdtemp(prefix='ipython-'))
    cluster = ipyparallel.Cluster(n=a.engines, log_level=40)
    t = time.perf_counter()
    client = cluster.start_and_connect_sync()
    try:
        client.wait_for_engines(a.engines, timeout=120)
        print(f'cluster of {len(client.ids)} engines up in {time.perf_counter() - t:.1f} s')
        client[:].execute('import locus', block=True)
        view = client.load_balanced_view()

        curried_locate = lambda image: locus.locate(image, 13, invert=True)  # noqa: E731
        view.map(curried_locate, frames[:4]).get()  # prime each engine

        def parallel():
            amr = view.map_async(curried_locate, frames)
            amr.wait()
            return numbered(amr.get())

        runs = [
            ('ipyparallel load-balanced map of locus.locate', parallel),
            ('serial map of locus.locate', lambda: numbered(list(map(curried_locate, frames)))),
            ('locus.batch(frames): arrays, C threads',
             lambda: locus.batch(frames, 13, invert=True)),
            ('locus.batch(paths, channel=0): files, C threads',
             lambda: locus.batch(paths, 13, invert=True, channel=0)),
        ]
        results = {}
        print(f'\n{"":48} {"best of " + str(a.repeat):>12} {"frames/s":>9} {"features":>9}')
        for name, fn in runs:
            seconds, table = best_of(a.repeat, fn)
            results[name] = table
            print(f'{name:48} {seconds * 1e3:9.1f} ms {len(frames) / seconds:9.0f} '
                  f'{len(table):9d}')
        tables = list(results.values())
        same = all(t.equals(tables[0]) for t in tables[1:])
        print(f'\nevery route gives the same table: {same}')
        return 0 if same else 1
    finally:
        client.close()
        cluster.stop_cluster_sync()


if __name__ == '__main__':
    sys.exit(main())
