"""Two training figures the report does not give, as the README quotes them.

``threads``: the 784-256-10 epoch (60,000 rows, batch 128, Adam) and its
GEMMs alone at 1 and 2 threads, alternating thread counts round by round in
one process, so that a drifting machine moves both sides alike; medians.

``fit50``: the 64-64-10 digits epoch inside one ``fit(epochs=50)`` call (all
epochs in one compiled call), one thread, median over 20 fits.

Run with OpenBLAS's tuning variables unset, as every benchmark here::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/epoch_scaling.py threads --dtype float64
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/epoch_scaling.py fit50

A benchmark, never a test: it prints figures and fails on nothing.
"""
import argparse
import time

import numpy as np

import fastnn
from fastnn.bench.network_cases import (DIGITS_BATCH, DIGITS_SIZES, MNIST_BATCH, MNIST_SAMPLES,
                                        MNIST_SIZES, FastnnTrainer, GemmOnlyEpoch,
                                        load_digits_data, split, synthetic_data)
from fastnn.bench.threads import pin_threads


def thread_scaling(dtype, rounds):
    """Median seconds of the epoch and of its GEMMs at 1 and 2 threads."""
    X, y = synthetic_data(MNIST_SAMPLES, MNIST_SIZES[0], MNIST_SIZES[-1], dtype)
    sides = {"epoch": FastnnTrainer(MNIST_SIZES, X, y, MNIST_BATCH).epoch,
             "gemm only": GemmOnlyEpoch(MNIST_SIZES, X, MNIST_BATCH).epoch}
    times = {(name, threads): [] for name in sides for threads in (1, 2)}
    for round_no in range(rounds + 1):               # round 0 warms up
        for threads in (1, 2):
            with pin_threads(threads):
                for name, run in sides.items():
                    start = time.perf_counter()
                    run()
                    if round_no:
                        times[name, threads].append(time.perf_counter() - start)
    return {key: float(np.median(values)) for key, values in times.items()}


def fit50_epoch(dtype, fits=20, epochs=50):
    """Median seconds per epoch of the digits network inside fit(epochs=50)."""
    X, y = load_digits_data()
    X_train, y_train, _, _ = split(X, y)
    X_train = X_train.astype(dtype)
    per_epoch = []
    with pin_threads(1):
        for _ in range(fits):
            net = fastnn.Network(DIGITS_SIZES, ["relu", "softmax"], loss="cross_entropy",
                                 dtype=dtype, seed=0)
            start = time.perf_counter()
            net.fit(X_train, y_train, epochs=epochs, batch_size=DIGITS_BATCH,
                    optimizer=fastnn.Adam(learning_rate=1e-3))
            per_epoch.append((time.perf_counter() - start) / epochs)
    return float(np.median(per_epoch))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=["threads", "fit50"])
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    if args.what == "fit50":
        print(f"digits epoch inside fit(epochs=50), {args.dtype}, 1 thread: "
              f"{fit50_epoch(args.dtype) * 1e6:.1f} us")
        return
    t = thread_scaling(args.dtype, args.rounds)
    print(f"784-256-10 epoch, {args.dtype}, medians of {args.rounds} alternating rounds:")
    for name in ("epoch", "gemm only"):
        one, two = t[name, 1], t[name, 2]
        print(f"  {name:9s}  1 thread {one * 1e3:7.1f} ms  2 threads {two * 1e3:7.1f} ms"
              f"  speed-up {one / two:.2f}x")


if __name__ == "__main__":
    main()
