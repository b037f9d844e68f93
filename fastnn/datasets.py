"""Small data sets for examples and tests.

- :func:`load_digits`: the UCI 8x8 handwritten digits (CC BY 4.0, see
  ``fastnn/data/README.md``), shipped inside the package.
- :func:`make_spirals`: interleaved spirals, a classic problem that a linear
  model cannot solve.
"""
from importlib import resources
import math

from typing import Any, Optional

import numpy as np

from fastnn._validation import check_int, check_real, check_seed

__all__ = ["load_digits", "make_spirals", "train_test_split"]


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 8x8 handwritten digits (UCI "Optical Recognition of Handwritten
    Digits", Alpaydin & Kaynak, CC BY 4.0).

    Returns
    -------
    X : numpy.ndarray, shape (1797, 64), float64
        Pixel counts 0..16, row by row of the 8x8 image.
    y : numpy.ndarray, shape (1797,), int64
        The digit, 0..9.

    Examples
    --------
    >>> X, y = load_digits()
    >>> X.shape, int(y.max())
    ((1797, 64), 9)
    """
    with resources.files("fastnn").joinpath("data", "digits.npz").open("rb") as f:
        with np.load(f, allow_pickle=False) as data:
            return data["X"].astype(np.float64), data["y"].astype(np.int64)


def make_spirals(n_samples: int = 200, n_classes: int = 2, noise: float = 0.1,
                 turns: float = 1.0, seed: Optional[int] = None
                 ) -> tuple[np.ndarray, np.ndarray]:
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
        If n_samples or n_classes is not an integer, noise or turns not a
        real number, or seed neither an integer nor None.

    Examples
    --------
    >>> X, y = make_spirals(6, n_classes=3, seed=0)
    >>> X.shape, y.tolist()
    ((6, 2), [0, 1, 2, 0, 1, 2])
    """
    n_samples = check_int(n_samples, "n_samples", 1)
    n_classes = check_int(n_classes, "n_classes", 2)
    noise = check_real(noise, "noise", 0)
    turns = check_real(turns, "turns", 0)
    rng = np.random.default_rng(check_seed(seed))
    y = np.arange(n_samples) % n_classes
    radius = rng.uniform(0.05, 1.0, n_samples)
    angle = 2 * np.pi * (turns * radius + y / n_classes)
    X = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
    X += rng.normal(0.0, noise, X.shape) if noise else 0.0
    return X, y.astype(np.int64)


def _take(data: Any, rows: np.ndarray) -> Any:
    """Rows of data by position: ``.iloc`` for pandas objects (whose ``[]``
    selects by label), else NumPy indexing."""
    if hasattr(data, "iloc"):
        return data.iloc[rows]
    return np.asarray(data)[rows]


def _strata(stratify: Any, y: Any) -> Optional[np.ndarray]:
    """The labels to stratify by, or None for a plain shuffled split."""
    if isinstance(stratify, str) and stratify == "auto":
        labels = np.asarray(y)
        return labels if labels.ndim == 1 and labels.dtype.kind in "biuUSO" else None
    if stratify is None or stratify is False:
        return None
    labels = np.asarray(y if stratify is True else stratify)
    if labels.ndim != 1 or len(labels) != len(y):
        raise ValueError(f"stratify must be one label per row ({len(y)},), got shape "
                         f"{labels.shape}")
    return labels


def train_test_split(X: Any, y: Any, test_size: float = 0.25, seed: Optional[int] = 0,
                     stratify: Any = "auto") -> tuple[Any, Any, Any, Any]:
    """Shuffled split into train and test parts, stratified by class on request.

    Parameters
    ----------
    X : array_like or pandas object, shape (n_samples, ...)
    y : array_like or pandas object, shape (n_samples,) or (n_samples, n_outputs)
    test_size : float, default 0.25
        Fraction of the rows (of each class, when stratified) in the test
        part, in (0, 1); a plain split takes ``ceil(test_size * n)`` rows.
    seed : int, default 0
    stratify : "auto", None, bool or array_like, default "auto"
        ``None``/False: a plain shuffled split.  True: keep each class's
        share of y in both parts.  An array of one label per row: keep
        each of its classes' shares.  "auto" (the default, as before this
        option existed) stratifies by y when y holds class labels (1-D
        integer, bool or string values) and splits plainly for real-valued
        (continuous) targets.

    Returns
    -------
    X_train, X_test, y_train, y_test
        NumPy arrays; pandas inputs stay pandas (rows taken by position).

    Raises
    ------
    ValueError
        If test_size is not in (0, 1), X and y differ in length, stratify
        does not have one label per row, or seed is negative.
    TypeError
        If test_size is not a real number or seed neither an integer nor None.

    Examples
    --------
    >>> from typing import Any, Optional

import numpy as np
    >>> X, y = np.arange(20).reshape(10, 2), np.linspace(0, 1, 10)
    >>> [len(part) for part in train_test_split(X, y, test_size=0.25)]
    [7, 3, 7, 3]
    """
    test_size = check_real(test_size, "test_size", 0, 1, low_open=True, high_open=True)
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)}")
    rng = np.random.default_rng(check_seed(seed))
    strata = _strata(stratify, y)
    n = len(y)
    if strata is None:
        order = rng.permutation(n)
        n_test = math.ceil(test_size * n)
        test_rows, train_rows = np.sort(order[:n_test]), order[n_test:]
    else:
        test = []
        for label in np.unique(strata):
            rows = rng.permutation(np.flatnonzero(strata == label))
            test.append(rows[:int(round(len(rows) * test_size))])
        is_test = np.zeros(n, bool)
        is_test[np.concatenate(test)] = True
        train_rows = rng.permutation(np.flatnonzero(~is_test))
        test_rows = np.flatnonzero(is_test)
    return _take(X, train_rows), _take(X, test_rows), _take(y, train_rows), _take(y, test_rows)
