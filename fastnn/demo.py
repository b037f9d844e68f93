"""``python -m fastnn demo``: train 64-64(relu)-10(softmax) on the digits.

Uses only what ships with fastnn (the digits data, tqdm and matplotlib when
installed).  Prints the test accuracy and the time per epoch.
"""
import time

import numpy as np

from fastnn._cli import at_least, check_plot_file, positive_float, save_figure
from fastnn.datasets import load_digits, train_test_split
from fastnn.network import Network

DESCRIPTION = "Train a 64-64-10 network on the 8x8 digits."

# The validation loss comes from the last fifth of the training rows: the
# test set stays unseen until the final accuracy.
VALIDATION_SPLIT = 0.2


def add_arguments(parser):
    """The demo's options, on `parser` (an argparse parser)."""
    parser.add_argument("--epochs", type=at_least(1), default=50,
                        help="training epochs (default 50)")
    parser.add_argument("--seed", type=at_least(0), default=0,
                        help="seed of weights and shuffling")
    parser.add_argument("--batch-size", type=at_least(1), default=32)
    parser.add_argument("--learning-rate", type=positive_float, default=3e-3,
                        help="Adam step size (default 3e-3)")
    parser.add_argument("--plot", metavar="FILE.png",
                        help="save the loss curves (needs matplotlib)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args):
    """Train and report; returns exit status 0.

    Raises
    ------
    fastnn._cli.CommandError
        Before training, if ``--plot`` is given and matplotlib or the
        output folder is missing.
    """
    if args.plot:
        check_plot_file(args.plot)
    X, y = load_digits()
    X = X / 16.0                    # pixel counts 0..16 -> [0, 1]
    # A fixed, stratified 75/25 split: the same test set for every run.
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, seed=0)
    net = Network([64, 64, 10], activations=["relu", "softmax"], loss="cross_entropy",
                  dtype="float32", seed=args.seed)
    n_val = round(len(X_train) * VALIDATION_SPLIT)
    print(f"digits: {len(X_train) - n_val} training, {n_val} validation and "
          f"{len(X_test)} test images; {net}")
    start = time.perf_counter()
    history = net.fit(X_train, y_train, epochs=args.epochs, batch_size=args.batch_size,
                      optimizer="adam", learning_rate=args.learning_rate,
                      validation_split=VALIDATION_SPLIT, verbose=not args.quiet)
    wall = time.perf_counter() - start
    accuracy = net.score(X_test, y_test)
    per_epoch = 1e3 * float(np.median(history.seconds))
    print(f"test accuracy: {accuracy:.4f}")
    print(f"time per epoch: {per_epoch:.2f} ms (median training pass; "
          f"{1e3 * wall / args.epochs:.2f} ms with validation and progress)")
    if args.plot:
        plot_history(history, args.plot)
        print(f"loss curves saved to {args.plot}")
    return 0


def plot_history(history, path):
    """Draw the training (and validation) loss per epoch to `path`.

    Parameters
    ----------
    history : fastnn.History
        As returned by ``Network.fit``.
    path : str
        Output image file (format by its extension).

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    fastnn._cli.CommandError
        If the file cannot be written.
    """
    from fastnn._plotting import new_figure
    figure = new_figure(6, 4, dpi=100)
    ax = figure.add_subplot()
    ax.plot(history.epoch, history["loss"], label="training loss")
    if "val_loss" in history.history:
        ax.plot(history.epoch, history["val_loss"], label="validation loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("cross-entropy")
    ax.set_yscale("log")
    ax.set_title("fastnn: 64-64-10 on the digits")
    ax.legend()
    figure.tight_layout()
    save_figure(figure, path)
