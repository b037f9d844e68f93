"""Fit never leaves non-finite weights, serialises threads on one network,
and frees what a failed call allocated."""
import gc
import pickle
import threading
import tracemalloc

import numpy as np
import pytest

import fastnn
from fastnn import _kernels


def _regression(rows=64, scale=10.0):
    rng = np.random.default_rng(0)
    return rng.normal(size=(rows, 4)), rng.normal(size=(rows, 1)) * scale


@pytest.mark.parametrize("epochs", [1, 3])
def test_an_overflowing_update_is_never_returned_or_kept(epochs):
    X, Y = _regression()
    net = fastnn.Network([4, 16, 1], ["relu", "identity"], seed=0)
    start = net._flat.copy()
    # One full-batch SGD step of 3e38 overflows float32: the loss of the
    # last batch was finite, the update after it is not.
    with pytest.raises(FloatingPointError, match="epoch 1"):
        net.fit(X, Y, epochs=epochs, batch_size=64, optimizer="sgd", learning_rate=3e38)
    assert np.all(np.isfinite(net._flat))
    assert net._flat.tobytes() == start.tobytes()          # the verified epoch start
    assert net.epochs_trained == 0
    assert np.all(np.isfinite(net.predict(X)))


def test_rollback_keeps_the_last_verified_epoch_and_optimizer_state():
    X, Y = _regression(scale=1.0)
    net = fastnn.Network([4, 16, 1], ["relu", "identity"], seed=0)
    net.fit(X, Y, epochs=2, batch_size=16, optimizer="adam", learning_rate=1e-3)
    weights = net._flat.copy()
    adam = net.optimizer
    moments = [s.copy() for s in adam._state]
    with pytest.raises(FloatingPointError, match="epoch 3"):
        net.fit(X, Y * 1e30, epochs=3, batch_size=16, optimizer="sgd", learning_rate=1e30)
    assert net._flat.tobytes() == weights.tobytes() and net.epochs_trained == 2
    # The failed call used another optimizer; the Adam state is untouched.
    assert all(a.tobytes() == b.tobytes() for a, b in zip(moments, adam._state))
    assert adam.step == 2 * 4


def _blobs(rows=20000):
    rng = np.random.default_rng(1)
    return rng.normal(size=(rows, 20)), rng.integers(0, 3, rows)


def _run_threads(*targets, timeout=120):
    errors = []

    def guarded(fn):
        def run():
            try:
                fn()
            except BaseException as exc:          # reported by the test thread
                errors.append(exc)
        return run
    threads = [threading.Thread(target=guarded(fn)) for fn in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
        assert not t.is_alive(), "a thread did not finish"
    assert not errors, errors


@pytest.mark.timeout(300)
def test_two_threads_fitting_one_network_train_one_after_the_other():
    X, y = _blobs()
    net = fastnn.Network([20, 64, 3], ["relu", "softmax"], seed=0)
    _run_threads(lambda: net.fit(X, y, epochs=5), lambda: net.fit(X, y, epochs=5))
    assert net.epochs_trained == 10
    assert np.all(np.isfinite(net._flat))


@pytest.mark.timeout(300)
def test_set_params_save_and_pickle_during_fit_see_a_whole_state(tmp_path):
    X, y = _blobs()
    net = fastnn.Network([20, 64, 3], ["relu", "softmax"], seed=0)
    zeros = [(np.zeros_like(W), np.zeros_like(b)) for W, b in net.params]
    started = threading.Event()
    seen = []

    def train():
        started.set()
        net.fit(X, y, epochs=5)

    def meddle():
        started.wait(10)
        for i in range(3):
            seen.append(pickle.loads(pickle.dumps(net)).epochs_trained)
            net.save(tmp_path / f"m{i}.npz")
            net.set_params(zeros)
            assert np.all(np.isfinite(net.predict(X[:10])))

    _run_threads(train, meddle)
    # Each copy was taken between whole fits, never in the middle of one.
    assert set(seen) <= {0, 5}
    for i in range(3):
        fastnn.Network.load(tmp_path / f"m{i}.npz")


@pytest.mark.timeout(300)
def test_predict_during_fit_is_memory_safe():
    X, y = _blobs()
    net = fastnn.Network([20, 64, 3], ["relu", "softmax"], seed=0)
    buffer = net._flat.__array_interface__["data"][0]
    done = threading.Event()
    shapes = []

    def train():
        try:
            net.fit(X, y, epochs=5)
        finally:
            done.set()

    def read():
        while not done.is_set():
            shapes.append(net.predict_proba(X[:50]).shape)

    _run_threads(train, read)
    assert shapes and set(shapes) == {(50, 3)}
    assert net._flat.__array_interface__["data"][0] == buffer


def _failing_trainer(*args, **kwargs):
    raise MemoryError("simulated: the training buffers do not fit")


def test_a_memory_error_frees_what_the_call_allocated(monkeypatch):
    X, y = _blobs(200)
    net = fastnn.Network([20, 50_000, 3], ["relu", "softmax"], seed=0)  # Adam state ~8 MB
    opt = fastnn.Adam()
    gc.collect()
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        monkeypatch.setattr(_kernels, "Trainer", _failing_trainer)
        with pytest.raises(MemoryError):
            net.fit(X, y, epochs=1, batch_size=200, optimizer=opt)
        gc.collect()
        leaked = tracemalloc.get_traced_memory()[0] - baseline
    finally:
        tracemalloc.stop()
    assert leaked < net.n_params * 4 // 2           # far below one state buffer
    assert net._trainer is None and net.optimizer is None
    assert opt._state is None and opt._owner is None and opt.step == 0
    monkeypatch.undo()
    net.fit(X, y, epochs=1, batch_size=50, optimizer=opt)         # the retry works
    assert opt.step == 4 and net.epochs_trained == 1


def test_a_memory_error_keeps_the_state_of_earlier_calls(monkeypatch):
    X, y = _blobs(100)
    net = fastnn.Network([20, 8, 3], ["relu", "softmax"], seed=0)
    opt = fastnn.Adam()
    net.fit(X, y, epochs=2, batch_size=25, optimizer=opt)
    moments = [s.copy() for s in opt._state]
    monkeypatch.setattr(_kernels, "Trainer", _failing_trainer)
    with pytest.raises(MemoryError):
        net.fit(X, y, epochs=1, batch_size=10, optimizer="adam")   # a new optimizer
    assert net.optimizer is opt and opt.step == 8
    assert all(a.tobytes() == b.tobytes() for a, b in zip(moments, opt._state))
    assert net._trainer is None
