"""The training loop's fast paths: the per-layer (fused) optimizer update,
results independent of fastnn's thread count, the compiled finiteness
check and the reused shuffle buffer of fit."""
import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import fastnn
from fastnn import _kernels, _trainer

needs_openmp = pytest.mark.skipif(not _kernels.openmp_enabled(),
                                  reason="built without OpenMP: one thread only")


@pytest.fixture
def restore_threads():
    before = fastnn.get_num_threads()
    yield
    fastnn.set_num_threads(before)


def _data(n, n_in, n_out, dtype, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, n_in)).astype(dtype)
    return X, rng.integers(0, n_out, n).astype(np.int64)


def _train(threads, optimizer, dtype=np.float32, epochs=2):
    """Weights and Adam state after fit on a net whose first layer (784 x 64
    = 50,176 weights) and batches (128 x 784) exceed the kernels' parallel
    threshold (the epoch runs them on the calling thread)."""
    fastnn.set_num_threads(threads)
    X, y = _data(600, 784, 10, dtype)
    net = fastnn.Network([784, 64, 10], ["relu", "softmax"], seed=3, dtype=np.dtype(dtype).name)
    with threadpool_limits(1, user_api="blas"):      # BLAS's own split stays fixed
        net.fit(X, y, epochs=epochs, batch_size=128, optimizer=optimizer)
    state = [s.copy() for s in net.optimizer._state if s is not None]
    return net._flat.copy(), state


@needs_openmp
@pytest.mark.parametrize("optimizer", ["adam", "sgd_momentum", "sgd_nesterov", "sgd"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_training_is_bitwise_thread_independent(restore_threads, optimizer, dtype):
    def make():
        return {"adam": "adam", "sgd": "sgd",
                "sgd_momentum": fastnn.SGD(0.01, momentum=0.9),
                "sgd_nesterov": fastnn.SGD(0.01, momentum=0.9, nesterov=True)}[optimizer]
    one, one_state = _train(1, make(), dtype)
    two, two_state = _train(2, make(), dtype)
    again, again_state = _train(2, make(), dtype)
    assert np.array_equal(one, two)
    assert np.array_equal(two, again)
    for a, b in zip(one_state, two_state):
        assert np.array_equal(a, b)


def test_fused_adam_step_matches_the_formula():
    """One batch through the compiled loop (each layer updated right after
    its gradient) equals Adam's formula applied to the gradient of that
    batch, computed without an update."""
    X, y = _data(32, 20, 5, np.float64, seed=1)
    net = fastnn.Network([20, 16, 5], ["tanh", "softmax"], seed=0, dtype="float64")
    trainer = net._make_trainer(32)
    w0 = net._flat.copy()
    perm = np.arange(32, dtype=np.int64)
    trainer.run(X, None, y, perm)                    # gradient only
    g = net._grads.copy()
    m = np.zeros_like(w0)
    v = np.zeros_like(w0)
    args = dict(kind=_trainer.OPTIMIZER_IDS["adam"], lr=1e-2, momentum=0.0, nesterov=0,
                beta1=0.9, beta2=0.999, eps=1e-8, step=0, s1=m, s2=v)
    _, _, bad, step = trainer.run(X, None, y, perm, args)
    assert bad == -1 and step == 1
    m_ref = 0.1 * g
    v_ref = 0.001 * g * g
    w_ref = w0 - (1e-2 / 0.1) * (m_ref / (np.sqrt(v_ref) / np.sqrt(0.001) + 1e-8))
    np.testing.assert_allclose(m, m_ref, rtol=1e-14, atol=0)
    np.testing.assert_allclose(v, v_ref, rtol=1e-14, atol=0)
    np.testing.assert_allclose(net._flat, w_ref, rtol=1e-12, atol=1e-15)
    assert not np.array_equal(net._flat, w0)


def test_check_finite_reports_nonfinite_parameters():
    X, y = _data(16, 4, 3, np.float32)
    net = fastnn.Network([4, 3, 3], ["relu", "softmax"], seed=0)
    trainer = net._make_trainer(16)
    m = np.zeros_like(net._flat)
    v = np.zeros_like(net._flat)
    args = dict(kind=_trainer.OPTIMIZER_IDS["adam"], lr=1e-3, momentum=0.0, nesterov=0,
                beta1=0.9, beta2=0.999, eps=1e-8, step=0, s1=m, s2=v)
    perm = np.arange(16, dtype=np.int64)
    assert trainer.run(X, None, y, perm, args, None, True)[2] == -1
    v[-1] = np.inf                    # a state entry no batch can repair
    assert trainer.run(X, None, y, perm, args, None, True)[2] == _trainer.PARAMS_NOT_FINITE
    assert trainer.run(X, None, y, perm, args)[2] == -1       # unchecked


def test_fit_shuffles_as_generator_permutation():
    """fit's reused buffer draws what Generator.permutation drew: two
    one-epoch fits equal one two-epoch fit, and the rows of the first epoch
    are those of permutation(n) of a fresh generator of the same state."""
    X, y = _data(100, 6, 3, np.float32)
    a = fastnn.Network([6, 8, 3], ["relu", "softmax"], seed=5)
    b = fastnn.Network([6, 8, 3], ["relu", "softmax"], seed=5)
    state = a._shuffle_rng.bit_generator.state
    expected = np.random.Generator(type(a._shuffle_rng.bit_generator)())
    expected.bit_generator.state = state
    perm = expected.permutation(100)
    a.fit(X, y, epochs=1, batch_size=100, optimizer="sgd")
    # One full batch: the order of rows changes only the summation order;
    # feeding the permuted rows unshuffled must give the same weights.
    b.fit(X[perm], y[perm], epochs=1, batch_size=100, optimizer="sgd", shuffle=False)
    assert np.array_equal(a._flat, b._flat)
    assert a._shuffle_rng.bit_generator.state == expected.bit_generator.state


@needs_openmp
def test_training_leaves_no_flush_to_zero_in_the_thread_pool(restore_threads):
    """The epoch runs with flush-to-zero on the calling thread (it starts no
    OpenMP region); it must restore the caller's mode, so that later kernels,
    whose pool threads start in the mode of the thread that first forks
    them, give the same bits on 1 and 2 threads."""
    _train(2, "adam", np.float32, epochs=1)
    x = np.random.default_rng(4).standard_normal(300_000).astype(np.float32) * 6
    gelu = fastnn.get_activation("gelu")
    one = _with(1, gelu.forward, x)
    two = _with(2, gelu.forward, x)
    assert np.array_equal(one.view(np.uint32), two.view(np.uint32))


def _with(threads, fn, *args):
    fastnn.set_num_threads(threads)
    return fn(*args)

