"""Model search on Dask: a 16-candidate GridSearchCV over fastnn.MLPClassifier
on a LocalCluster of 2 single-threaded worker processes, against the same
search with n_jobs=1 in this process (pinned to 1 thread as well).

    python benchmarks/bench_dask_search.py                 # ~30 s on 2 idle cores
    python benchmarks/bench_dask_search.py --scheduler tcp://host:8786

Prints both wall times, the speed-up and its fraction of the ideal (the
number of worker threads).  A measurement, not a test: on a busy machine the
figure is lower.
"""
import argparse
import os
import time
import warnings

import joblib
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

import fastnn
from fastnn.bench.threads import pin_threads

GRID = {"alpha": [1e-5, 1e-4, 1e-3, 1e-2],
        "learning_rate_init": [1e-3, 3e-3, 1e-2, 3e-2]}          # 16 candidates


def _search(X, y, max_iter):
    estimator = fastnn.MLPClassifier(hidden_layer_sizes=(64,), max_iter=max_iter,
                                     random_state=0, tol=0.0, n_iter_no_change=max_iter)
    # refit=False: the 32 fits are the search; a refit would run in this process.
    return GridSearchCV(estimator, GRID, cv=2, refit=False)


def _timed_fit(search, X, y):
    start = time.perf_counter()
    search.fit(X, y)
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=4000)
    parser.add_argument("--max-iter", type=int, default=150)
    parser.add_argument("--scheduler", default=None,
                        help="address of a running scheduler (default: a LocalCluster)")
    args = parser.parse_args(argv)
    # tol=0 runs every epoch on purpose; each of the 33 fits would warn so.
    warnings.simplefilter("ignore", ConvergenceWarning)
    os.environ["PYTHONWARNINGS"] = "ignore::UserWarning"   # the workers' copy
    from distributed import Client, LocalCluster

    rng = np.random.default_rng(0)
    X = rng.standard_normal((args.samples, 20))
    y = (X[:, :3].sum(axis=1) > 0).astype(np.int64)

    # The first fit in a fresh process costs several times a later one: warm
    # this process and (below) every worker with one fit of the real size.
    warm = _search(X, y, args.max_iter).estimator
    with pin_threads(1):
        warm.fit(X, y)
        serial = _search(X, y, args.max_iter).set_params(n_jobs=1)
        serial_s = _timed_fit(serial, X, y)

    cluster = None
    if args.scheduler is None:
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None)
    with Client(args.scheduler or cluster) as client:
        slots = sum(w["nthreads"] for w in client.scheduler_info()["workers"].values())
        client.gather([client.submit(warm.fit, X, y, pure=False, workers=[address])
                       for address in client.scheduler_info()["workers"]])
        with pin_threads(1), joblib.parallel_config(backend="dask"):
            parallel = _search(X, y, args.max_iter)
            parallel_s = _timed_fit(parallel, X, y)
    if cluster is not None:
        cluster.close()

    same = np.array_equal(serial.cv_results_["mean_test_score"],
                          parallel.cv_results_["mean_test_score"])
    speedup = serial_s / parallel_s
    print(f"16 candidates x 2 folds, {args.samples} rows, {args.max_iter} epochs")
    print(f"n_jobs=1:                    {serial_s:7.2f} s")
    print(f"dask, {slots} worker threads:      {parallel_s:7.2f} s")
    print(f"speed-up {speedup:.2f}x = {speedup / slots:.0%} of the ideal {slots}x; "
          f"same scores: {same}")


if __name__ == "__main__":
    main()
