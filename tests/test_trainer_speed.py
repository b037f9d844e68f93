"""The training loop's fast paths: the per-layer (fused) optimizer update,
results independent of fastnn's thread count, the compiled finiteness
check, the reused shuffle buffer of fit, and all epochs of a fit in one
compiled call (the compiled shuffle, per-epoch snapshots, Ctrl-C)."""
import signal
import time

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import fastnn
from fastnn import _kernels, _trainer

needs_openmp = pytest.mark.skipif(not _kernels.openmp_enabled(),
                                  reason="built without OpenMP: one thread only")


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



# ------------------------------------------------ all epochs in one compiled call

def _adam_args(net):
    m, v = np.zeros_like(net._flat), np.zeros_like(net._flat)
    return dict(kind=_trainer.OPTIMIZER_IDS["adam"], lr=1e-3, momentum=0.0, nesterov=0,
                beta1=0.9, beta2=0.999, eps=1e-8, step=0, s1=m, s2=v)


def _fit_epochs_outputs(epochs):
    return (np.zeros(epochs), np.zeros(epochs, np.int64), np.zeros(epochs),
            np.zeros(2, np.int64))


@pytest.mark.parametrize("n", [1, 2, 3, 17, 1797, 70_000])
def test_compiled_shuffle_is_generator_shuffle(n):
    """Before each epoch perm holds what ``perm[:] = arange(n);
    Generator.shuffle(perm)`` gives, and the generator ends in numpy's state."""
    X, y = _data(n, 3, 2, np.float32)
    net = fastnn.Network([3, 4, 2], ["tanh", "softmax"], seed=0)
    trainer = net._make_trainer(64)
    args = _adam_args(net)
    snapshot = (np.empty_like(net._flat), np.empty_like(net._flat), np.empty_like(net._flat))
    ours = np.random.Generator(np.random.PCG64(7))
    numpys = np.random.Generator(np.random.PCG64(7))
    perm = np.empty(n, np.int64)
    for _ in range(3):
        assert trainer.fit_epochs(X, None, y, perm, args, ours, snapshot,
                                  *_fit_epochs_outputs(1)) == -1
        expected = np.arange(n)
        numpys.shuffle(expected)
        assert np.array_equal(perm, expected)
    assert ours.bit_generator.state == numpys.bit_generator.state


def test_bounded_draws_mask_and_reject_above_32_bits():
    """The shuffle's draw for ranges of 2^32 rows and more (no data that
    large in a test): masked 64-bit draws, rejected above the bound."""
    for high in (2**32, 3 * 2**32 + 5, 2**40 - 1, 2**62 + 1):
        ours = np.random.Generator(np.random.PCG64(3))
        raw = np.random.PCG64(3)
        draws = _trainer._bounded_draws(ours, high, 50)
        mask = (1 << high.bit_length()) - 1
        expected = []
        while len(expected) < 50:
            value = int(raw.random_raw()) & mask
            if value <= high:
                expected.append(value)
        assert [int(d) for d in draws] == expected
        assert ours.bit_generator.state == raw.state


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_one_call_for_all_epochs_equals_one_call_per_epoch(optimizer):
    """fit without per-epoch Python work runs all epochs in one compiled
    call; with validation it runs one call per epoch.  Both train bitwise
    alike and report the same losses."""
    X, y = _data(300, 8, 4, np.float32)
    a = fastnn.Network([8, 16, 4], ["relu", "softmax"], seed=2)
    b = fastnn.Network([8, 16, 4], ["relu", "softmax"], seed=2)
    hist_a = a.fit(X, y, epochs=6, batch_size=32, optimizer=optimizer)
    hist_b = b.fit(X, y, epochs=6, batch_size=32, optimizer=optimizer,
                   validation_data=(X[:50], y[:50]))
    assert np.array_equal(a._flat, b._flat)
    assert hist_a["loss"] == hist_b["loss"] and hist_a["accuracy"] == hist_b["accuracy"]
    assert hist_a.epoch == hist_b.epoch == [1, 2, 3, 4, 5, 6]
    assert len(hist_a.seconds) == 6 and all(s > 0 for s in hist_a.seconds)
    assert a.optimizer.step == b.optimizer.step and a.epochs_trained == 6
    for s, t in zip(a.optimizer._state, b.optimizer._state):
        assert (s is None and t is None) or np.array_equal(s, t)


def test_a_failing_epoch_inside_one_call_keeps_the_epochs_before_it():
    """An epoch that turns the loss non-finite in the middle of a fit's one
    compiled call is undone; the epochs before it stay, with their history
    and optimizer step, equal to a fit that stopped there."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 4)).astype(np.float32)
    Y = (X @ rng.standard_normal((4, 2))).astype(np.float32) * 1e3
    def make():
        return fastnn.Network([4, 16, 2], ["relu", "identity"], loss="mse", seed=1)
    probe = make()
    epochs_ok = 0
    try:
        for _ in range(50):
            probe.fit(X, Y, epochs=1, batch_size=16, optimizer=fastnn.SGD(0.05))
            epochs_ok += 1
    except FloatingPointError:
        pass
    assert 1 <= epochs_ok < 50, "the set-up must diverge after a few epochs"
    net = make()
    with pytest.raises(FloatingPointError, match=f"in epoch {epochs_ok + 1} "):
        net.fit(X, Y, epochs=50, batch_size=16, optimizer=fastnn.SGD(0.05))
    assert net.epochs_trained == epochs_ok and net.history_.epoch == list(range(1, epochs_ok + 1))
    reference = make()
    reference.fit(X, Y, epochs=epochs_ok, batch_size=16, optimizer=fastnn.SGD(0.05))
    assert np.array_equal(net._flat, reference._flat)
    assert net.history_["loss"] == reference.history_["loss"]
    assert np.isfinite(net._flat).all()


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs POSIX interval timers")
def test_ctrl_c_inside_one_call_keeps_every_finished_epoch():
    """KeyboardInterrupt in the middle of a many-epoch compiled call undoes
    only the interrupted epoch: the finished ones are in the history and the
    weights are those of a fit of exactly that many epochs."""
    X, y = _data(2000, 16, 4, np.float32)
    net = fastnn.Network([16, 32, 4], ["relu", "softmax"], seed=4)
    def interrupt(signum, frame):
        raise KeyboardInterrupt
    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.3)
        start = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            net.fit(X, y, epochs=100_000, batch_size=32)      # minutes if not interrupted
        caught = time.monotonic() - start
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    # Each epoch (~1 ms) is shorter than the ~20 ms between signal checks,
    # which carry over from epoch to epoch; 5 s leaves room for a loaded machine.
    assert caught < 5, caught
    done = net.epochs_trained
    assert done >= 1 and net.history_.epoch == list(range(1, done + 1))
    reference = fastnn.Network([16, 32, 4], ["relu", "softmax"], seed=4)
    reference.fit(X, y, epochs=done, batch_size=32)
    assert np.array_equal(net._flat, reference._flat)
    assert net.optimizer.step == reference.optimizer.step
    net.fit(X[:100], y[:100], epochs=1)                  # still usable
    assert np.isfinite(net._flat).all()


def test_fit_epochs_refuses_outputs_and_snapshots_that_do_not_fit():
    X, y = _data(10, 3, 2, np.float32)
    net = fastnn.Network([3, 4, 2], ["tanh", "softmax"], seed=0)
    trainer = net._make_trainer(8)
    args = _adam_args(net)
    good = (np.empty_like(net._flat), np.empty_like(net._flat), np.empty_like(net._flat))
    perm = np.arange(10, dtype=np.int64)
    loss, correct, seconds, progress = _fit_epochs_outputs(2)
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="progress"):
        trainer.fit_epochs(X, None, y, perm, args, rng, good, loss, correct, seconds,
                           np.zeros(1, np.int64))
    with pytest.raises(ValueError, match="correct"):
        trainer.fit_epochs(X, None, y, perm, args, rng, good, loss, correct[:1], seconds,
                           progress)
    with pytest.raises(ValueError, match="seconds"):
        trainer.fit_epochs(X, None, y, perm, args, rng, good, loss, correct,
                           seconds.astype(np.float32), progress)
    with pytest.raises(TypeError, match="snapshot"):
        trainer.fit_epochs(X, None, y, perm, args, rng, list(good), loss, correct, seconds,
                           progress)
    with pytest.raises(TypeError, match="snapshot s2"):
        trainer.fit_epochs(X, None, y, perm, args, rng, good[:2] + (None,), loss, correct,
                           seconds, progress)
    with pytest.raises(ValueError, match="snapshot params"):
        trainer.fit_epochs(X, None, y, perm, args, rng, (good[0][:-1],) + good[1:], loss,
                           correct, seconds, progress)
    with pytest.raises(TypeError, match="rng"):
        trainer.fit_epochs(X, None, y, perm, args, np.random.RandomState(0), good, loss,
                           correct, seconds, progress)
    with pytest.raises(ValueError, match="writeable perm of the 10 rows"):
        trainer.fit_epochs(X, None, y, perm[:5], args, rng, good, loss, correct, seconds,
                           progress)
    with pytest.raises(ValueError, match="writeable"):
        trainer.fit_epochs(X, None, y, np.broadcast_to(perm, (10,)), args, rng, good, loss,
                           correct, seconds, progress)
    assert (loss == 0).all() and (progress == 0).all()     # nothing ran
