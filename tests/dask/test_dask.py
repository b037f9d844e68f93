"""fastnn on a real distributed cluster: model search, out-of-core training,
batch inference and worker thread limits."""
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
pytest.importorskip("sklearn")
pytest.importorskip("threadpoolctl")

import dask                                   # noqa: E402
import joblib                                 # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_validate  # noqa: E402

import fastnn                                 # noqa: E402
import fastnn.dask as fdask                   # noqa: E402
from fastnn.bench.threads import pin_threads  # noqa: E402

pytestmark = pytest.mark.timeout(120)

PARAMS = dict(hidden_layer_sizes=(8,), max_iter=15, random_state=0)


def _data(n=240, features=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, features))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(np.int64)
    return X, y


def _blas_threads(libraries):
    return [threads for api, _, threads in libraries if api == "blas"]


def _task_thread_reports(client):
    """What a task (on each worker's task thread) runs with."""
    workers = list(client.scheduler_info()["workers"])
    from _counting import thread_report
    futures = [client.submit(thread_report, pure=False, workers=[w]) for w in workers]
    return client.gather(futures)


# ------------------------------------------------------------------ threads

def test_each_single_threaded_worker_runs_one_blas_and_kernel_thread(client):
    reports = _task_thread_reports(client)
    assert len(reports) == 2
    for libraries, kernel_threads in reports:
        assert _blas_threads(libraries), libraries
        assert {threads for _, _, threads in libraries} == {1}, libraries
        assert kernel_threads == 1


def test_thread_limits_plugin_lowers_workers_started_with_more_threads():
    # A worker started with 2 threads per library (the nanny's env overrides
    # distributed's one-thread pre-spawn environment).
    environ = {"OMP_NUM_THREADS": "2", "OPENBLAS_NUM_THREADS": "2", "MKL_NUM_THREADS": "2"}
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None,
                                  env=environ) as cluster, \
            distributed.Client(cluster) as client:
        (before, _), = _task_thread_reports(client)
        fdask.limit_worker_threads(client)
        (after, kernel_threads), = _task_thread_reports(client)
    if len(os.sched_getaffinity(0)) >= 2:      # the environment took effect
        assert max(threads for _, _, threads in before) == 2, before
    # BLAS limits are process-wide; fastnn's kernels follow set_num_threads.
    # (Other OpenMP libraries keep OMP_NUM_THREADS: OpenMP's setting is per thread.)
    assert set(_blas_threads(after)) == {1}, after
    assert kernel_threads == 1


@pytest.mark.parametrize("threads, error", [(0, ValueError), (1.5, TypeError), (True, TypeError)])
def test_thread_limits_rejects_bad_counts(threads, error):
    with pytest.raises(error, match="threads"):
        fdask.ThreadLimits(threads)


# ------------------------------------------------------------------ model search

GRID = {"alpha": [1e-4, 1e-2], "learning_rate_init": [1e-3, 1e-2]}


def test_grid_search_on_the_dask_joblib_backend_matches_one_process(client):
    X, y = _data()
    with pin_threads(1):            # as on the workers
        local = GridSearchCV(fastnn.MLPClassifier(**PARAMS), GRID, cv=2, n_jobs=1).fit(X, y)
    with joblib.parallel_config(backend="dask"):
        remote = GridSearchCV(fastnn.MLPClassifier(**PARAMS), GRID, cv=2).fit(X, y)
    np.testing.assert_array_equal(remote.cv_results_["mean_test_score"],
                                  local.cv_results_["mean_test_score"])
    assert remote.best_params_ == local.best_params_
    np.testing.assert_array_equal(remote.predict(X), local.predict(X))


def test_cross_validate_returns_the_estimators_from_the_workers(client):
    X, y = _data()
    with joblib.parallel_config(backend="dask"):
        result = cross_validate(fastnn.MLPClassifier(**PARAMS), X, y, cv=2,
                                return_estimator=True)
    assert len(result["estimator"]) == 2
    for fitted in result["estimator"]:
        assert isinstance(fitted, fastnn.MLPClassifier)
        assert fitted.predict(X[:3]).shape == (3,)


def test_dask_ml_grid_search_matches_scikit_learn(client):
    dcv = pytest.importorskip("dask_ml.model_selection")
    X, y = _data()
    with pin_threads(1):            # as on the workers
        local = GridSearchCV(fastnn.MLPClassifier(**PARAMS), GRID, cv=2, n_jobs=1).fit(X, y)
    remote = dcv.GridSearchCV(fastnn.MLPClassifier(**PARAMS), GRID, cv=2).fit(X, y)
    np.testing.assert_array_equal(remote.cv_results_["mean_test_score"],
                                  local.cv_results_["mean_test_score"])
    assert remote.best_params_ == local.best_params_


# ------------------------------------------------------------------ out-of-core training

def _in_memory_partial_fits(estimator, X, y, bounds, orders, classes=None):
    """The reference, at 1 thread like the workers (OpenBLAS's last bits
    depend on its thread count)."""
    with pin_threads(1):
        return _partial_fits(estimator, X, y, bounds, orders, classes)


def _partial_fits(estimator, X, y, bounds, orders, classes):
    for order in orders:
        for i in order:
            start, stop = bounds[i], bounds[i + 1]
            kwargs = {} if classes is None else {"classes": classes}
            classes = None
            estimator.partial_fit(X[start:stop], y[start:stop], **kwargs)
    return estimator


def _assert_same_parameters(a, b):
    for wa, wb in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        np.testing.assert_array_equal(wa, wb)


CHUNK = 60


def test_incremental_matches_partial_fit_on_the_same_blocks(client):
    wrappers = pytest.importorskip("dask_ml.wrappers")
    X, y = _data()
    model = wrappers.Incremental(fastnn.MLPClassifier(**PARAMS), shuffle_blocks=False)
    model.fit(da.from_array(X, chunks=CHUNK), da.from_array(y, chunks=CHUNK),
              classes=[0, 1])
    bounds = list(range(0, len(X) + 1, CHUNK))
    expected = _in_memory_partial_fits(fastnn.MLPClassifier(**PARAMS), X, y, bounds,
                                       [range(4)], classes=[0, 1])
    _assert_same_parameters(model.estimator_, expected)


def test_fit_blocks_matches_partial_fit_in_memory_bitwise(client):
    X, y = _data()
    epochs, seed = 3, 7
    start = fastnn.MLPClassifier(**PARAMS)
    trained = fdask.fit_blocks(start, da.from_array(X, chunks=CHUNK),
                               da.from_array(y, chunks=CHUNK), epochs=epochs,
                               random_state=seed)
    assert not hasattr(start, "coefs_")             # the argument is untouched
    rng = np.random.default_rng(seed)
    orders = [rng.permutation(4) for _ in range(epochs)]
    assert any(list(o) != list(orders[0]) for o in orders[1:])   # really shuffled
    expected = _in_memory_partial_fits(fastnn.MLPClassifier(**PARAMS), X, y,
                                       list(range(0, len(X) + 1, CHUNK)), orders,
                                       classes=np.array([0, 1]))
    _assert_same_parameters(trained, expected)
    np.testing.assert_array_equal(trained.classes_, [0, 1])


def test_fit_blocks_streams_a_dataframe_into_a_network(client):
    pd = pytest.importorskip("pandas")
    X, y = _data()
    y2 = np.eye(2)[y]
    frame = dd.from_pandas(pd.DataFrame(X), npartitions=4)
    labels = dd.from_pandas(pd.DataFrame(y2), npartitions=4)
    net = fastnn.Network([5, 8, 2], ["tanh", "softmax"], seed=0)
    trained = fdask.fit_blocks(net, frame, labels, epochs=2, shuffle_blocks=False,
                               batch_size=16)
    expected = fastnn.Network([5, 8, 2], ["tanh", "softmax"], seed=0)
    bounds = list(np.cumsum([0] + list(frame.map_partitions(len).compute())))
    with pin_threads(1):
        for _ in range(2):
            for i in range(4):
                expected.partial_fit(X[bounds[i]:bounds[i + 1]], y2[bounds[i]:bounds[i + 1]],
                                     batch_size=16)
    np.testing.assert_array_equal(trained.predict_proba(X), expected.predict_proba(X))


def test_fit_blocks_rejects_bad_arguments():
    X, y = _data(40)
    Xd, yd = da.from_array(X, chunks=20), da.from_array(y, chunks=20)
    with pytest.raises(TypeError, match="X must be a dask"):
        fdask.fit_blocks(fastnn.MLPClassifier(), X, yd)
    with pytest.raises(ValueError, match="epochs"):
        fdask.fit_blocks(fastnn.MLPClassifier(), Xd, yd, epochs=0)
    with pytest.raises(ValueError, match="same rows"):
        fdask.fit_blocks(fastnn.MLPClassifier(), Xd, yd[:30])
    with pytest.raises(TypeError, match="partial_fit"):
        fdask.fit_blocks(object(), Xd, yd)


# ------------------------------------------------------------------ batch inference

def _in_memory_blocks(method, X, rows):
    """`method` on consecutive blocks of `rows` rows, at 1 BLAS and kernel
    thread like the workers: OpenBLAS picks its kernel (and so the last bits)
    by matrix size and thread count, so this, not one call on the whole of
    `X`, is the bitwise reference."""
    with pin_threads(1):
        return np.concatenate([np.asarray(method(X[i:i + rows]))
                               for i in range(0, len(X), rows)])


def _fitted_counting_model():
    from _counting import CountingClassifier
    X, y = _data()
    return CountingClassifier(**PARAMS).fit(X, y), X


def _unpickles_per_worker(client):
    """{worker address: unpickles of the counting model there so far}."""
    from _counting import unpickles
    return client.run(unpickles)


def test_predict_blocks_sends_the_model_once_per_worker(client):
    model, X = _fitted_counting_model()
    before = _unpickles_per_worker(client)
    Xd = da.from_array(X, chunks=20)                     # 12 blocks
    labels = fdask.predict_blocks(model, Xd).compute()
    proba = fdask.predict_blocks(model, Xd, "predict_proba").compute()
    after = _unpickles_per_worker(client)
    # One broadcast per call: each worker unpickled the model once per call
    # (2), not once per block (6 blocks per worker per call).  Dask may still
    # move a copy between workers on a slow machine (an ASan run saw one
    # worker at 3), so up to one more per call is allowed.
    received = {worker: after[worker] - before.get(worker, 0) for worker in after}
    assert len(received) == 2 and all(2 <= n <= 4 for n in received.values()), received
    np.testing.assert_array_equal(labels, _in_memory_blocks(model.predict, X, 20))
    np.testing.assert_array_equal(proba, _in_memory_blocks(model.predict_proba, X, 20))


def test_predict_blocks_on_a_dataframe_keeps_the_index(client):
    pd = pytest.importorskip("pandas")
    net = fastnn.Network([5, 8, 2], ["tanh", "softmax"], seed=0)
    X, y = _data()
    net.fit(X, np.eye(2)[y], epochs=2)
    frame = dd.from_pandas(pd.DataFrame(X, index=np.arange(len(X)) * 3), npartitions=3)
    assert list(frame.map_partitions(len).compute()) == [80, 80, 80]
    proba = fdask.predict_blocks(net, frame, "predict_proba").compute()
    np.testing.assert_array_equal(proba.index, np.arange(len(X)) * 3)
    np.testing.assert_array_equal(proba.to_numpy(), _in_memory_blocks(net.predict_proba, X, 80))


def test_parallel_post_fit_predicts_as_in_memory(client):
    wrappers = pytest.importorskip("dask_ml.wrappers")
    model, X = _fitted_counting_model()
    Xd = da.from_array(X, chunks=20)
    wrapped = wrappers.ParallelPostFit(model)
    np.testing.assert_array_equal(wrapped.predict(Xd).compute(),
                                  _in_memory_blocks(model.predict, X, 20))
    np.testing.assert_array_equal(wrapped.predict_proba(Xd).compute(),
                                  _in_memory_blocks(model.predict_proba, X, 20))


def test_map_blocks_with_a_scattered_network_matches_in_memory(client):
    net = fastnn.Network([5, 8, 2], ["tanh", "softmax"], seed=0)
    X, y = _data()
    net.fit(X.astype(np.float32), np.eye(2, dtype=np.float32)[y], epochs=2)
    X32 = X.astype(np.float32)
    [placed] = client.scatter([net], broadcast=True)
    out = da.from_array(X32, chunks=40).map_blocks(
        lambda block, model: model.predict_proba(block), placed, dtype=np.float32)
    np.testing.assert_array_equal(out.compute(), _in_memory_blocks(net.predict_proba, X32, 40))


def test_predict_blocks_rejects_bad_arguments():
    net = fastnn.Network([5, 8, 2], ["tanh", "softmax"], seed=0)
    X, _ = _data(40)
    with pytest.raises(TypeError, match="X must be a dask"):
        fdask.predict_blocks(net, X)
    with pytest.raises(ValueError, match="no method"):
        fdask.predict_blocks(net, da.from_array(X), "transform")


# ------------------------------------------------------------------ examples

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize("script", ["dask_model_search.py", "dask_out_of_core.py",
                                    "dask_batch_inference.py"])
def test_example_runs_to_the_end(client, script):
    pytest.importorskip("dask_ml")
    path = EXAMPLES / script
    assert path.is_file(), f"{path} is missing"
    # The script imports the fastnn these tests import (in place or installed)
    # and runs on this module's cluster, as on a real one (--scheduler).
    env = dict(os.environ)
    fastnn_root = str(pathlib.Path(fastnn.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join([fastnn_root, env.get("PYTHONPATH", "")])
    done = subprocess.run([sys.executable, str(path), "--small",
                           "--scheduler", client.cluster.scheduler_address],
                          env=env, cwd=str(EXAMPLES), capture_output=True, text=True,
                          timeout=100)
    errors = "\n".join(line for line in done.stderr.splitlines()
                       if "distributed." not in line)
    assert done.returncode == 0, done.stdout + errors[-3000:]
    assert done.stdout.strip(), "the example printed no result"
