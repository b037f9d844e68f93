"""Small data sets for examples and tests.

- :func:`load_digits`: the UCI 8x8 handwritten digits (CC BY 4.0, see
  ``fastnn/data/README.md``), shipped inside the package.
- :func:`make_spirals`: interleaved spirals, a classic problem that a linear
  model cannot solve.
"""
from importlib import resources

import numpy as np

# Shared with Network so that every seed error names the argument.
from fastnn._validation import check_seed

__all__ = ["load_digits", "make_spirals", "train_test_split"]


def load_digits():
    """The 8x8 handwritten digits (UCI "Optical Recognition of Handwritten
    Digits", Alpaydin & Kaynak, CC BY 4.0).

    Returns
    -------
    X : numpy.ndarray, shape (1797, 64), float64
        Pixel counts 0..16, row by row of the 8x8 image.
    y : numpy.ndarray, shape (1797,), int64
        The digit, 0..9.
    """
    with resources.files("fastnn").joinpath("data", "digits.npz").open("rb") as f:
        with np.load(f, allow_pickle=False) as data:
            return data["X"].astype(np.float64), data["y"].astype(np.int64)


def make_spirals(n_samples=200, n_classes=2, noise=0.1, turns=1.0, seed=None):
    """Points on interleaved spiral arms, one arm per class.

    Parameters
    ----------
    n_samples : int, default 200
        Total number of points (split as evenly as possible between arms).
    n_classes : int, default 2
        Number of arms, at least 2.
    noise : float, default 0.1
        Standard deviation of the Gaussian noise added to each coordinate.
    turns : float, default 1.0
        Turns of each arm around the origin.
    seed : int or None
        Seed of the ``numpy.random.Generator``.

    Returns
    -------
    X : numpy.ndarray, shape (n_samples, 2), float64
        Coordinates, within about [-1, 1].
    y : numpy.ndarray, shape (n_samples,), int64
        The arm (class) of each point.

    Raises
    ------
    ValueError
        If n_samples < 1, n_classes < 2, noise or turns is negative, or
        seed is negative.
    TypeError
        If seed is neither an integer nor None.
    """
    if n_samples < 1:
        raise ValueError(f"n_samples must be at least 1, got {n_samples}")
    if n_classes < 2:
        raise ValueError(f"n_classes must be at least 2, got {n_classes}")
    if noise < 0 or turns < 0:
        raise ValueError("noise and turns must be non-negative")
    rng = np.random.default_rng(check_seed(seed))
    y = np.arange(n_samples) % n_classes
    radius = rng.uniform(0.05, 1.0, n_samples)
    angle = 2 * np.pi * (turns * radius + y / n_classes)
    X = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
    X += rng.normal(0.0, noise, X.shape) if noise else 0.0
    return X, y.astype(np.int64)


def train_test_split(X, y, test_size=0.25, seed=0):
    """Shuffled, stratified split into train and test parts.

    Parameters
    ----------
    X : numpy.ndarray, shape (n_samples, ...)
    y : numpy.ndarray, shape (n_samples,)
        Class labels (the split keeps each class's share).
    test_size : float, default 0.25
        Fraction of each class in the test part, in (0, 1).
    seed : int, default 0

    Returns
    -------
    X_train, X_test, y_train, y_test : numpy.ndarray

    Raises
    ------
    ValueError
        If test_size is not in (0, 1), X and y differ in length, or seed is
        negative.
    TypeError
        If seed is neither an integer nor None.
    """
    if not 0 < test_size < 1:
        raise ValueError(f"test_size must lie in (0, 1), got {test_size}")
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)}")
    rng = np.random.default_rng(check_seed(seed))
    test = []
    for label in np.unique(y):
        rows = rng.permutation(np.flatnonzero(y == label))
        test.append(rows[:int(round(len(rows) * test_size))])
    is_test = np.zeros(len(y), bool)
    is_test[np.concatenate(test)] = True
    train_rows = rng.permutation(np.flatnonzero(~is_test))
    test_rows = np.flatnonzero(is_test)
    return X[train_rows], X[test_rows], y[train_rows], y[test_rows]
