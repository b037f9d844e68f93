"""The training epoch on fastnn's own threads (fnn_pool.h): with more than
one thread, a large product is split into single-threaded BLAS calls, and
the optimizer update and the gather into shares, while BLAS is held at one
thread.  Reproducible for a given thread count, close to one thread, BLAS's
count restored, and safe with two Python threads training at once."""
import os
import threading
import time

import numpy as np
import pytest

import fastnn

threadpoolctl = pytest.importorskip("threadpoolctl")

# Large enough that every split applies: products of 128 x 256 x 300
# multiply-adds (> 2^20), W_0 of 76,800 parameters and batches of
# 128 x 300 inputs (> 2^15).
SIZES, BATCH, ROWS = [300, 256, 10], 128, 1024

def _cpus():
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


needs_two_cpus = pytest.mark.skipif(_cpus() < 2 or not fastnn._kernels.openmp_enabled(),
                                    reason="one CPU (or no OpenMP): epochs run on one thread")


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((ROWS, SIZES[0])), rng.integers(0, SIZES[-1], ROWS)


def _trained(data, dtype, threads, epochs=2):
    fastnn.set_num_threads(threads)
    net = fastnn.Network(SIZES, ["relu", "softmax"], loss="cross_entropy", dtype=dtype, seed=0)
    net.fit(*data, epochs=epochs, batch_size=BATCH)
    return net._flat.copy()


def _scipy_blas_threads():
    """Thread counts of the OpenBLAS libraries loaded (scipy's among them)."""
    return sorted(info["num_threads"] for info in threadpoolctl.threadpool_info()
                  if info["internal_api"] == "openblas")


@needs_two_cpus
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_two_thread_epochs_are_reproducible_and_close_to_one_thread(data, dtype,
                                                                    restore_threads):
    two = _trained(data, dtype, 2)
    assert np.array_equal(two, _trained(data, dtype, 2))
    one = _trained(data, dtype, 1)
    # Only BLAS's rounding may differ (its own threads at one fastnn
    # thread, split single-threaded calls at two): two epochs stay close.
    tolerance = 1e-4 if dtype == "float32" else 1e-10
    assert np.isfinite(two).all() and np.abs(one - two).max() <= tolerance


@needs_two_cpus
def test_blas_is_held_at_one_thread_during_the_epoch_and_restored(data, restore_threads):
    with threadpoolctl.threadpool_limits(2, user_api="blas"):   # so that 1 means held
        _held_during_the_epoch(data)


def _held_during_the_epoch(data):
    before = _scipy_blas_threads()
    assert 1 not in before, before
    seen = []
    done = threading.Event()

    def fit():
        try:
            _trained(data, "float32", 2, epochs=60)
        finally:
            done.set()

    thread = threading.Thread(target=fit)
    thread.start()
    while not done.is_set():
        seen.append(_scipy_blas_threads())
        time.sleep(0.005)
    thread.join()
    assert any(1 in counts for counts in seen)         # held at one while training
    assert _scipy_blas_threads() == before             # and put back after


@needs_two_cpus
def test_a_blas_limit_of_one_keeps_the_epoch_on_one_thread(data, restore_threads):
    """threadpoolctl's BLAS limit bounds the epoch's threads: at BLAS 1 a
    two-thread fastnn trains as one thread does."""
    with threadpoolctl.threadpool_limits(1, user_api="blas"):
        limited = _trained(data, "float64", 2)
        one = _trained(data, "float64", 1)
    assert np.array_equal(limited, one)


@needs_two_cpus
def test_two_python_threads_training_at_once(data, restore_threads):
    """The pool takes one epoch at a time; the other runs on its own thread,
    and BLAS's count comes back once both have finished."""
    before = _scipy_blas_threads()
    alone = {dtype: _trained(data, dtype, 2) for dtype in ("float32", "float64")}
    results, errors = {}, []

    def fit(dtype):
        try:
            for _ in range(3):
                results[dtype] = _trained(data, dtype, 2)
        except Exception as exc:          # noqa: BLE001 -- reported below
            errors.append(exc)

    threads = [threading.Thread(target=fit, args=(dtype,)) for dtype in alone]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors and not any(thread.is_alive() for thread in threads)
    for dtype, expected in alone.items():
        tolerance = 1e-4 if dtype == "float32" else 1e-10
        assert np.abs(results[dtype] - expected).max() <= tolerance
    assert _scipy_blas_threads() == before


@needs_two_cpus
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("row", [0, 63, 64, 127, ROWS - 1])
def test_a_non_finite_row_is_found_by_either_part_of_a_split_gather(data, dtype, row,
                                                                    restore_threads):
    # Batches of 128 x 300 inputs split over the two threads: rows 0..63 in
    # the first part, 64..127 in the second (shuffled, so any row may land
    # in either part; the check must not depend on which).
    fastnn.set_num_threads(2)
    X, y = data
    X_bad = X.astype(dtype)
    X_bad[row, 123] = np.nan
    net = fastnn.Network(SIZES, ["relu", "softmax"], loss="cross_entropy", dtype=dtype, seed=0)
    before = net._flat.copy()
    with pytest.raises(ValueError, match="X holds NaN or inf"):
        net.fit(X_bad, y, epochs=2, batch_size=BATCH, shuffle=False)
    with pytest.raises(ValueError, match="X holds NaN or inf"):
        net.fit(X_bad, y, epochs=1, batch_size=BATCH)
    assert net._flat.tobytes() == before.tobytes() and net.epochs_trained == 0


@needs_two_cpus
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(fastnn.ACTIVATIONS))
@pytest.mark.parametrize("rows, cols", [(128, 256), (129, 300), (1, 40000)])
def test_split_layer_passes_give_the_bits_of_one_thread(data, dtype, name, rows, cols,
                                                        restore_threads):
    # At least 2^15 elements, so two threads split them by rows (a single
    # row cannot be split: one share); the last share is short at 129 rows.
    from fastnn import _trainer
    # The pool's helper started inside an epoch, with flush-to-zero on, and
    # the passes then called without it: a part must still compute in its
    # caller's floating-point mode (float32 gelu_tanh makes denormals).
    _trained(data, "float32", 2, epochs=1)
    act = fastnn.activations.get_activation(name)
    act_id = fastnn._kernels.SOFTMAX_ID if act.kernel_id is None else act.kernel_id
    rng = np.random.default_rng(3)
    z = (rng.standard_normal((rows, cols)) * 3).astype(dtype)
    b = rng.standard_normal(cols).astype(dtype)
    grad = rng.standard_normal((rows, cols)).astype(dtype)
    one = _trainer._layer_passes(z, b, grad, act_id, act.param, 1)
    two = _trainer._layer_passes(z, b, grad, act_id, act.param, 2)
    for a, c in zip(one, two):
        assert a.tobytes() == c.tobytes()
    # Against the public one-thread kernels: the passes compute what they
    # name, not merely the same thing twice.
    zb, a, dz = one
    assert np.array_equal(zb, z + b)
    assert np.array_equal(a, act.forward(zb))
    assert np.array_equal(dz, act.backward(grad, a if act.kernel_id is None else zb))


@needs_two_cpus
@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork() on this platform")
def test_a_fork_during_another_threads_epoch_leaves_the_child_blas_as_set(data,
                                                                          restore_threads):
    # The epoch holds scipy's BLAS at one thread; fork() copies only the
    # forking thread, so the child must not inherit the hold (BLAS stuck at
    # one thread) or a held lock (a hang at its first product).
    fastnn.set_num_threads(2)
    with threadpoolctl.threadpool_limits(2, user_api="blas"):   # the user's count: 2
        _fork_during_an_epoch(data)


def _fork_during_an_epoch(data):
    user_count = _scipy_blas_threads()
    assert 1 not in user_count, user_count
    X, y = data
    net = fastnn.Network(SIZES, ["relu", "softmax"], loss="cross_entropy", seed=0)
    stop = threading.Event()
    errors = []

    def train():
        # 60 epochs in one compiled call: one hold, open nearly all the time.
        try:
            while not stop.is_set():
                net.fit(X, y, epochs=60, batch_size=BATCH)
        except BaseException as exc:            # reported below, not lost in the thread
            errors.append(exc)
            raise

    trainer = threading.Thread(target=train)
    trainer.start()
    try:
        deadline = time.monotonic() + 10
        while 1 not in _scipy_blas_threads() and time.monotonic() < deadline:
            time.sleep(0.001)                   # until an epoch holds BLAS
        held = 1 in _scipy_blas_threads()
        pid = os.fork()
        if pid == 0:                            # the child: report by exit code only
            code = 1
            try:
                fresh = fastnn.Network([4, 8, 3], ["relu", "softmax"], seed=0)
                fresh.fit(np.ones((64, 4)), np.arange(64) % 3, epochs=2)
                code = 0 if _scipy_blas_threads() == user_count else 3
            finally:
                os._exit(code)
        deadline = time.monotonic() + 60
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done or time.monotonic() > deadline:
                break
            time.sleep(0.01)
        if not done:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
    finally:
        stop.set()
        trainer.join()
    assert not errors, errors
    assert done, "the forked child hung"
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
    assert held, f"no epoch was seen holding BLAS at one thread ({user_count})"
