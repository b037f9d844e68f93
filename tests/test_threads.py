"""OpenMP threading: 1 and 2 threads give bitwise-identical results above
the parallel threshold (2**15 elements), the thread-count controls, the GIL
being released during a kernel, and fork() safety."""
import os
import signal
import threading
import time

import numpy as np
import pytest

import fastnn
from fastnn import _kernels

needs_openmp = pytest.mark.skipif(not _kernels.openmp_enabled(),
                                  reason="built without OpenMP: one thread only")

NAMES = ["identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus",
         "silu", "gelu", "gelu_tanh"]
N_LARGE = 300_000          # > PARALLEL_MIN (2**15): split across threads


def _with_threads(n, fn, *args, **kwargs):
    fastnn.set_num_threads(n)
    return fn(*args, **kwargs)


@pytest.fixture(scope="module")
def large_inputs():
    rng = np.random.default_rng(4)
    x = rng.standard_normal(N_LARGE) * 6
    g = rng.standard_normal(N_LARGE)
    return {np.float32: (x.astype(np.float32), g.astype(np.float32)),
            np.float64: (x, g)}


@pytest.mark.parametrize("name", NAMES)
def test_one_and_two_threads_bitwise_equal(name, dtype, large_inputs, restore_threads):
    x, g = large_inputs[dtype]
    entry = fastnn.get_activation(name)
    saved = entry.forward(x) if entry.saves == "output" else x
    for fn, args in ((entry.forward, (x,)), (entry.derivative, (x,)),
                     (entry.backward, (g, saved))):
        one = _with_threads(1, fn, *args)
        two = _with_threads(2, fn, *args)
        np.testing.assert_array_equal(one.view(np.uint8), two.view(np.uint8))


@pytest.mark.parametrize("shape", [(600, 500), (3, 100_000), (150_000, 2)])
def test_softmax_family_one_and_two_threads_bitwise_equal(shape, dtype, restore_threads):
    rng = np.random.default_rng(5)
    x = (rng.standard_normal(shape) * 5).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    y = fastnn.softmax(x)
    for fn, args in ((fastnn.softmax, (x,)), (fastnn.log_softmax, (x,)),
                     (fastnn.softmax_backward, (g, y))):
        one = _with_threads(1, fn, *args)
        two = _with_threads(2, fn, *args)
        np.testing.assert_array_equal(one.view(np.uint8), two.view(np.uint8))


def test_two_threads_match_a_serial_loop_over_chunks(restore_threads):
    """The split itself is right: the 2-thread result over the whole array
    equals the 1-thread result computed on small pieces."""
    x = np.linspace(-10, 10, N_LARGE)
    fastnn.set_num_threads(2)
    whole = fastnn.silu(x)
    pieces = np.concatenate([fastnn.silu(c) for c in np.array_split(x, 37)])
    np.testing.assert_array_equal(whole, pieces)


@needs_openmp
def _cpus():
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def test_set_get_num_threads_round_trip(restore_threads):
    for n in sorted({1, min(2, _cpus()), _cpus()}) + [1]:
        fastnn.set_num_threads(n)
        assert fastnn.get_num_threads() == (n if _kernels.openmp_enabled() else 1)


@pytest.mark.parametrize("n", [_cpus() + 1, 600, 30_000, 100_000, 2**40])
def test_counts_above_the_cpus_are_capped(n, restore_threads):
    fastnn.set_num_threads(n)
    assert fastnn.get_num_threads() == (_cpus() if _kernels.openmp_enabled() else 1)


def _run_python(code, timeout=60):
    import subprocess
    import sys
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=timeout)


def test_huge_thread_count_then_a_parallel_kernel_does_not_crash():
    # Uncapped, 100000 threads overflowed libgomp's stack (SIGSEGV) and
    # 600..30000 failed thread creation (exit 1).
    run = _run_python("import numpy as np, fastnn\n"
                      "for n in (100000, 30000, 600):\n"
                      "    fastnn.set_num_threads(n)\n"
                      "    y = fastnn.sigmoid(np.zeros(2_000_000, np.float32))\n"
                      "    assert float(y[0]) == 0.5\n"
                      "print(fastnn.get_num_threads())")
    assert run.returncode == 0, run.stderr
    assert int(run.stdout) <= _cpus()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork() on this platform")
def test_forked_child_refuses_more_threads_and_never_deadlocks():
    code = """
import os, numpy as np, fastnn
fastnn.set_num_threads(2)
fastnn.sigmoid(np.zeros(2_000_000, np.float32))        # the parent's pool is up
pid = os.fork()
if pid == 0:
    status = 0
    try:
        fastnn.set_num_threads(2)
        status = 3                                     # accepted: would deadlock
    except RuntimeError as exc:
        status = 0 if "fork" in str(exc) else 4
    fastnn.set_num_threads(1)                          # one thread stays allowed
    y = fastnn.sigmoid(np.zeros(2_000_000, np.float32))
    os._exit(status if fastnn.get_num_threads() == 1 and float(y[0]) == 0.5 else 5)
_, code = os.waitpid(pid, 0)
print(os.waitstatus_to_exitcode(code))
"""
    run = _run_python(code, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "0"


@pytest.mark.parametrize("bad", [0, -1])
def test_set_num_threads_rejects_non_positive(bad, restore_threads):
    before = fastnn.get_num_threads()
    with pytest.raises(ValueError, match="n"):
        fastnn.set_num_threads(bad)
    assert fastnn.get_num_threads() == before


def test_set_num_threads_rejects_non_integers(restore_threads):
    with pytest.raises(TypeError):
        fastnn.set_num_threads("2")
    with pytest.raises(TypeError):
        fastnn.set_num_threads(1.5)
    with pytest.raises(TypeError):
        fastnn.set_num_threads(True)
    fastnn.set_num_threads(np.int64(1))
    assert fastnn.get_num_threads() == 1


@needs_openmp
def test_threadpoolctl_controls_the_kernels(restore_threads):
    import threadpoolctl            # in the test extra
    fastnn.set_num_threads(2)
    with threadpoolctl.threadpool_limits(1, user_api="openmp"):
        assert fastnn.get_num_threads() == 1
        x = np.linspace(-3, 3, N_LARGE)
        np.testing.assert_array_equal(fastnn.tanh(x), np.asarray(fastnn.tanh(x)))
    assert fastnn.get_num_threads() == 2
    # fastnn's OpenMP runtime is among the libraries threadpoolctl sees
    apis = {info["user_api"] for info in threadpoolctl.threadpool_info()}
    assert "openmp" in apis


def test_kernels_release_the_gil():
    """The main thread sees a kernel's output partly written: some sampled
    elements done, others not yet.  That state exists only in the middle of
    a call, so Python code ran while the kernel did, which needs the GIL
    released (holding it, the main thread could only see before or after).
    With two threads each half of the array fills from its own start, in
    either order, so several positions are sampled.  Not a timing test: it
    retries a few rounds in case the scheduler never ran the main thread
    during a call."""
    x = np.linspace(-5, 5, 4_000_000, dtype=np.float32)
    out = np.empty_like(x)
    sentinel = np.float32(-7.0)          # gelu(x) > -0.2 everywhere
    probes = np.linspace(0, x.size - 1, 9).astype(np.intp)
    start, finished = threading.Event(), threading.Event()
    stop = [False]

    def worker():
        while True:
            start.wait()
            start.clear()
            if stop[0]:
                return
            fastnn.gelu(x, out=out)      # exact form: tens of ms
            finished.set()

    thread = threading.Thread(target=worker, daemon=True)
    thread.start()
    seen_mid_call = False
    try:
        for _ in range(20):
            out.fill(sentinel)
            finished.clear()
            start.set()
            while not finished.is_set():
                written = out[probes] != sentinel
                if written.any() and not written.all():
                    seen_mid_call = True
            if seen_mid_call:
                break
    finally:
        stop[0] = True
        start.set()
        thread.join(30)
    assert seen_mid_call
    np.testing.assert_array_equal(out, fastnn.gelu(x))


def test_thread_count_applies_to_every_python_thread(restore_threads):
    """OpenMP's own setting is per thread; fastnn's holds for all of them."""
    fastnn.set_num_threads(1)
    seen = []
    worker = threading.Thread(target=lambda: seen.append(fastnn.get_num_threads()))
    worker.start()
    worker.join()
    assert seen == [1]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@needs_openmp
def test_forked_child_runs_threaded_sizes_without_hanging(restore_threads):
    """GNU OpenMP's pool does not survive fork(): after a parallel call in the
    parent, a child entering a parallel region would hang.  fastnn's at-fork
    handler makes the child run on one thread instead."""
    fastnn.set_num_threads(2)
    x = np.linspace(-5, 5, 1 << 20)
    expected = fastnn.sigmoid(x)                 # the parent's pool now exists
    pid = os.fork()
    if pid == 0:                                 # child: exit code says it all
        ok = fastnn.get_num_threads() == 1 and np.array_equal(fastnn.sigmoid(x), expected)
        os._exit(0 if ok else 1)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            assert os.waitstatus_to_exitcode(status) == 0
            return
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    pytest.fail("the forked child hung in a parallel kernel")


_SPIN_PROBE = """
import json, os, sys
import numpy as np                                  # loads no OpenMP runtime
def gomp_loaded():
    with open("/proc/self/maps") as maps:
        return "libgomp" in maps.read()
seen = {"before": gomp_loaded()}
class Probe:
    # Records the environment while fastnn._kernels, whose import loads
    # libgomp (which reads GOMP_SPINCOUNT once, then), is being found.
    def find_spec(self, name, path=None, target=None):
        if name == "fastnn._kernels":
            seen["spin_at_load"] = os.environ.get("GOMP_SPINCOUNT")
        return None
sys.meta_path.insert(0, Probe())
import fastnn
seen["after"] = gomp_loaded()
seen["spin_after"] = os.environ.get("GOMP_SPINCOUNT")
print(json.dumps(seen))
"""


@pytest.mark.skipif(not os.path.exists("/proc/self/maps") or not fastnn._kernels.openmp_enabled(),
                    reason="needs Linux's /proc and an OpenMP build")
@pytest.mark.parametrize("user_env, expected", [
    ({}, "10000"),                                   # fastnn's short spin
    ({"OMP_WAIT_POLICY": "ACTIVE"}, None),           # the user's policy wins
    ({"GOMP_SPINCOUNT": "5"}, "5"),
])
def test_openmp_runtime_loads_with_a_short_spin_unless_the_user_chose(user_env, expected):
    import json
    import subprocess
    import sys
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    env.update(user_env)
    env["PYTHONPATH"] = os.path.dirname(os.path.dirname(fastnn.__file__))
    run = subprocess.run([sys.executable, "-c", _SPIN_PROBE], capture_output=True, text=True,
                         timeout=60, env=env)
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout)
    assert seen["before"] is False and seen["after"] is True
    assert seen["spin_at_load"] == expected
    assert seen["spin_after"] == user_env.get("GOMP_SPINCOUNT")   # environment restored
