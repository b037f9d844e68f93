"""Ctrl-C during a compiled training epoch: the epoch runs without the GIL
but takes it every ~20 ms to run Python's signal handlers, so SIGINT raises
KeyboardInterrupt within a mini-batch or two, and the network keeps the
finite weights of the epoch's start."""
import os
import signal
import subprocess
import sys
import time

import pytest

_CHILD = r"""
import sys, time
import numpy as np
import fastnn
rng = np.random.default_rng(0)
X = rng.standard_normal((%(rows)d, 64)).astype(np.float32)
y = rng.integers(0, 10, X.shape[0])
net = fastnn.Network([64, 1024, 1024, 10], ["relu", "relu", "softmax"], loss="cross_entropy", seed=0)
net.fit(X[:64], y[:64], epochs=1, batch_size=32)        # builds the trainer
before = net._flat.copy()
print("fitting", flush=True)
try:
    net.fit(X, y, epochs=1, batch_size=32)
    print("finished", flush=True)
except KeyboardInterrupt:
    caught = time.monotonic()
    same = bool(np.array_equal(net._flat, before))
    print(f"interrupted {caught!r} {bool(np.isfinite(net._flat).all())} {same} "
          f"{net.epochs_trained}", flush=True)
    # The network is usable afterwards.
    net.fit(X[:256], y[:256], epochs=1, batch_size=32)
    print("usable", bool(np.isfinite(net._flat).all()), flush=True)
"""


@pytest.mark.skipif(not hasattr(signal, "SIGINT") or os.name == "nt",
                    reason="needs POSIX signals")
def test_sigint_interrupts_a_compiled_epoch_quickly():
    latencies = []
    for _ in range(3):
        child = subprocess.Popen([sys.executable, "-c", _CHILD % {"rows": 200_000}],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert child.stdout.readline().strip() == "fitting"
            time.sleep(0.5)                   # well inside the epoch (tens of seconds)
            sent = time.monotonic()
            child.send_signal(signal.SIGINT)
            out, err = child.communicate(timeout=60)
        finally:
            child.kill()
        lines = out.split("\n")
        assert lines[0].startswith("interrupted"), (out, err)
        _, caught, finite, same, epochs = lines[0].split()
        assert finite == "True" and same == "True" and epochs == "1"
        assert lines[1] == "usable True"
        latencies.append(float(caught) - sent)
    latencies.sort()
    print(f"SIGINT -> KeyboardInterrupt latency: median {latencies[1] * 1e3:.1f} ms, "
          f"max {latencies[-1] * 1e3:.1f} ms")
    # The target is 0.2 s; 1 s leaves room for a loaded machine.
    assert latencies[1] < 1.0, latencies
