"""The inference path: Network.forward/predict/predict_proba through one
compiled ForwardPass call, its fast path for ready arrays, its errors, its
fresh outputs and its BLAS thread choice."""
import threading

import numpy as np
import pytest

import fastnn
from fastnn import _dense
from fastnn.network._prediction import fast_forward


def _net(sizes=(6, 9, 7, 4), dtype="float32", acts=("tanh", ("leaky_relu", {"alpha": 0.2}),
                                                        "softmax")):
    net = fastnn.Network(list(sizes), list(acts), dtype=dtype, seed=3)
    rng = np.random.default_rng(1)
    net.set_params([(rng.normal(size=W.shape), rng.normal(size=b.shape))
                    for W, b in net.params])
    return net


def _reference(net, X):
    """The forward pass in float64 NumPy."""
    A = np.asarray(X, np.float64)
    for (W, b), act in zip(net.params, net._acts):
        Z = A @ W.astype(np.float64) + b
        if act.name == "softmax":
            E = np.exp(Z - Z.max(axis=1, keepdims=True))
            A = E / E.sum(axis=1, keepdims=True)
        else:
            A = act.forward(Z)
    return A


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("rows", [0, 1, 2, 33])
def test_forward_matches_a_float64_reference(dtype, rows):
    net = _net(dtype=dtype)
    X = np.random.default_rng(rows).normal(size=(rows, 6)).astype(dtype)
    out = net.forward(X)
    assert out.shape == (rows, 4) and out.dtype == np.dtype(dtype)
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(out, _reference(net, X), rtol=tol, atol=tol)


class _Subclass(np.ndarray):
    """Not exactly a numpy.ndarray: the slow path."""


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fast_and_slow_paths_are_bitwise_identical(dtype):
    net = _net(dtype=dtype)
    X = np.random.default_rng(0).normal(size=(17, 6)).astype(dtype)
    fast = net.forward(X)
    assert net._predictor._pass.accepts(X)
    slow_inputs = [X.tolist(),                                   # a list
                   np.asfortranarray(X),                          # F order: fast, no copy
                   np.repeat(X, 2, axis=1)[:, ::2],               # strided view
                   X.astype(np.float64 if dtype == "float32" else np.float32),
                   X.astype(X.dtype.newbyteorder()),              # swapped bytes
                   X.view(_Subclass)]                             # a subclass
    for arr in slow_inputs:
        got = net.forward(arr)
        if arr is slow_inputs[3]:
            expected = net.forward(np.asarray(arr).astype(dtype))
        else:
            expected = fast
        assert got.tobytes() == expected.tobytes(), type(arr)
    assert not net._predictor._pass.accepts(slow_inputs[2])
    assert not net._predictor._pass.accepts(slow_inputs[5])


def test_fast_forward_is_network_forward():
    net = _net()
    X = np.random.default_rng(0).normal(size=(5, 6)).astype(np.float32)
    assert fast_forward(net, X).tobytes() == net.forward(X).tobytes()
    assert net.predict(X).tolist() == net.forward(X).argmax(axis=1).tolist()
    assert net.predict_proba(X).tobytes() == net.forward(X).tobytes()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("order", ["C", "F"])
def test_non_finite_X_raises_on_the_fast_path(dtype, bad, order):
    net = _net(dtype=dtype)
    X = np.zeros((40, 6), dtype, order=order)
    X[37, 5] = bad
    assert net._predictor is None or net._predictor._pass.accepts(X)
    with pytest.raises(ValueError, match="X holds NaN or inf"):
        net.forward(X)
    with pytest.raises(ValueError, match="X holds NaN or inf"):
        net.predict(X)
    assert np.isfinite(net.forward(np.nan_to_num(X, posinf=1, neginf=-1))).all()


def test_a_large_finite_value_is_not_taken_for_inf():
    net = _net()
    X = np.full((2, 6), np.finfo(np.float32).max, np.float32)
    X[1] = -np.finfo(np.float32).tiny / 2                    # subnormal
    assert net.forward(X).shape == (2, 4)


@pytest.mark.parametrize("X, error, match", [
    (np.zeros((3, 5), np.float32), ValueError, "has 5 features but the network expects 6"),
    (np.zeros(6, np.float32), ValueError, "must be 2-D"),
    (np.zeros((3, 6), complex), TypeError, "must hold real numbers"),
    ([[1, 2], [3]], TypeError, "array-like"),
    (np.array([["a"] * 6]), TypeError, "must hold real numbers"),
])
def test_wrong_X_goes_through_the_full_checks(X, error, match):
    with pytest.raises(error, match=match):
        _net().forward(X)


def test_every_output_is_a_new_array():
    net = _net()
    X = np.random.default_rng(0).normal(size=(8, 6)).astype(np.float32)
    first = net.forward(X)
    kept = first.copy()
    first[...] = 123.0
    second = net.predict_proba(X)
    assert second.tobytes() == kept.tobytes()
    assert not np.shares_memory(first, second)
    assert first.flags.owndata and first.flags.writeable


def test_outputs_follow_set_params_and_restoring():
    net = _net()
    X = np.random.default_rng(0).normal(size=(4, 6)).astype(np.float32)
    before = net.forward(X)
    net.set_params([(W * 2, b) for W, b in net.params])
    assert net.forward(X).tobytes() != before.tobytes()
    np.testing.assert_allclose(net.forward(X), _reference(net, X), rtol=1e-5, atol=1e-6)
    import pickle
    copy = pickle.loads(pickle.dumps(net))
    assert copy.forward(X).tobytes() == net.forward(X).tobytes()


def test_scratch_cache_is_bounded():
    net = _net()
    for rows in range(1, 20):
        net.forward(np.zeros((rows, 6), np.float32))
    assert len(net._predictor._scratch) <= 4


def test_concurrent_predictions_give_the_serial_answers():
    net = _net(sizes=(6, 64, 64, 4))
    inputs = [np.random.default_rng(i).normal(size=(50 + i, 6)).astype(np.float32)
              for i in range(4)]
    expected = [net.forward(X).tobytes() for X in inputs]
    wrong = []

    def work(i):
        for _ in range(200):
            if net.forward(inputs[i]).tobytes() != expected[i]:
                wrong.append(i)
    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not wrong


# ---------------------------------------------------------------- BLAS threads

@pytest.fixture
def two_blas_threads():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    if not _dense.blas_threads_bound():
        pytest.fail("openblas_set_num_threads was not found in scipy's BLAS")
    threshold = _dense.single_thread_work()
    try:
        with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
            yield threadpoolctl
    finally:
        _dense.single_thread_work(threshold)


def test_small_products_run_on_one_blas_thread(two_blas_threads):
    # 72 hidden units: beyond the kernel's 64 (as the output's padded width
    # and as the second product's k), so both products go to BLAS.
    net = fastnn.Network([64, 72, 10], ["relu", "softmax"], seed=0)
    X = np.zeros((32, 64), np.float32)
    _dense.single_thread_work(64 * 72 * 32 + 1)     # the first product is below it
    net.forward(X)
    assert _dense.observed_blas_threads() == [1, 1]
    _dense.single_thread_work(64 * 72 * 32)         # now the first one reaches it
    net.forward(X)
    assert _dense.observed_blas_threads() == [2, 1]
    _dense.single_thread_work(0)
    net.forward(X)
    assert _dense.observed_blas_threads() == [2, 2]


def test_products_on_the_small_kernel_leave_the_blas_pool_alone(two_blas_threads):
    # 32 x 64 -> 64 and -> 16 run fastnn's own kernel on the calling thread
    # (1), a 100-wide layer BLAS, whatever the threshold says; a 10-wide one
    # where the dispatch sends its padded width to BLAS at this level.
    if not _dense.small_product_fits(32, 64, 64, np.float32):
        pytest.skip("no small-product kernel (MSVC build or the baseline SIMD level)")
    _dense.single_thread_work(0)
    ten_wide = 1 if _dense.small_product_fits(32, 10, 64, np.float32) else 2
    for sizes, observed in (([64, 64, 100], [1, 2]), ([64, 64, 16], [1, 1]),
                            ([64, 64, 10], [1, ten_wide])):
        net = fastnn.Network(sizes, ["relu", "softmax"], seed=0)
        net.forward(np.zeros((32, 64), np.float32))
        assert _dense.observed_blas_threads() == observed


def test_the_pool_size_is_restored(two_blas_threads):
    net = fastnn.Network([64, 64, 10], ["relu", "softmax"], seed=0)
    net.forward(np.zeros((3, 64), np.float32))
    assert _dense.observed_blas_threads() == [1, 1]
    blas = [i for i in two_blas_threads.threadpool_info()
            if "scipy.libs" in i["filepath"] or "scipy_openblas-" in i["filepath"]]
    assert blas and all(i["num_threads"] == 2 for i in blas)


def test_single_thread_work_is_checked():
    with pytest.raises(ValueError, match="non-negative"):
        _dense.single_thread_work(-1)


def test_forward_pass_rejects_a_layout_that_does_not_fit():
    params = np.zeros(10, np.float32)
    with pytest.raises(ValueError, match="does not fit"):
        _dense.ForwardPass(params, [3, 3], [0], [9], [0], [0.0])
    with pytest.raises(TypeError, match="float32 or float64"):
        _dense.ForwardPass(np.zeros(10, np.int64), [2, 2], [0], [4], [0], [0.0])
    with pytest.raises(ValueError, match="unknown activation"):
        _dense.ForwardPass(params, [2, 2], [0], [4], [999], [0.0])
    fp = _dense.ForwardPass(params, [2, 2], [0], [4], [0], [0.0])
    with pytest.raises(ValueError, match="out must have shape"):
        fp.run(np.zeros((3, 2), np.float32), np.zeros((2, 2), np.float32),
               np.zeros(0, np.float32))
    with pytest.raises(TypeError, match="dtype"):
        fp.run(np.zeros((3, 2)), np.zeros((3, 2), np.float32), np.zeros(0, np.float32))
