"""``python -m fastnn demo``: train 64-64(relu)-10(softmax) on the digits.

Uses only what ships with fastnn (the digits data, tqdm and matplotlib when
installed).  Prints the test accuracy and the time per epoch.
"""
import argparse
import sys
import time

import numpy as np

from fastnn.datasets import load_digits, train_test_split
from fastnn.network import Network


def _parser():
    p = argparse.ArgumentParser(prog="python -m fastnn demo",
                                description="Train a 64-64-10 network on the 8x8 digits.")
    p.add_argument("--epochs", type=int, default=50, help="training epochs (default 50)")
    p.add_argument("--seed", type=int, default=0, help="seed of weights and shuffling")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--learning-rate", type=float, default=3e-3, help="Adam step size (default 3e-3)")
    p.add_argument("--plot", metavar="FILE.png", help="save the loss curves (needs matplotlib)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def main(argv=None):
    """Run the demo; returns the exit status (0, or 2 for bad arguments)."""
    args = _parser().parse_args(argv)
    if args.epochs < 1 or args.batch_size < 1 or not args.learning_rate > 0:
        print("epochs and batch size must be at least 1, the learning rate positive",
              file=sys.stderr)
        return 2
    X, y = load_digits()
    X = X / 16.0                    # pixel counts 0..16 -> [0, 1]
    # A fixed, stratified 75/25 split: the same test set for every run.
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, seed=0)
    net = Network([64, 64, 10], activations=["relu", "softmax"], loss="cross_entropy",
                  dtype="float32", seed=args.seed)
    print(f"digits: {len(X_train)} training and {len(X_test)} test images; {net}")
    start = time.perf_counter()
    history = net.fit(X_train, y_train, epochs=args.epochs, batch_size=args.batch_size,
                      optimizer="adam", learning_rate=args.learning_rate,
                      validation_data=(X_test, y_test), verbose=not args.quiet)
    wall = time.perf_counter() - start
    accuracy = net.score(X_test, y_test)
    per_epoch = 1e3 * float(np.median(history.seconds))
    print(f"test accuracy: {accuracy:.4f}")
    print(f"time per epoch: {per_epoch:.2f} ms (median training pass; "
          f"{1e3 * wall / args.epochs:.2f} ms with validation and progress)")
    if args.plot:
        _plot(history, args.plot)
    return 0


def _plot(history, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("--plot needs matplotlib (pip install matplotlib); no plot saved",
              file=sys.stderr)
        return
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(history.epoch, history["loss"], label="training loss")
    if "val_loss" in history.history:
        ax.plot(history.epoch, history["val_loss"], label="test loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("cross-entropy")
    ax.set_yscale("log")
    ax.set_title("fastnn: 64-64-10 on the digits")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print(f"loss curves saved to {path}")
