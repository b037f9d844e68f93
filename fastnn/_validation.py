"""Argument checks shared by the Python-level API (dense layer, network)."""
import numpy as np


def as_real_array(x, name):
    """``np.asarray(x)`` if it holds bool, integer or float values.

    Raises
    ------
    TypeError
        Naming `name`, if x is not array-like (ragged lists) or holds
        complex, object or string values.
    """
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be array-like of real numbers: {exc}") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    return arr


def check_seed(seed):
    """seed as int or None, checked here so that errors name the argument
    (numpy's "expected non-negative integer" does not).

    Raises
    ------
    TypeError
        If seed is not None or an integer (bool included).
    ValueError
        If seed is negative.
    """
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be a non-negative integer or None, got {seed!r}")
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer or None, got {seed}")
    return int(seed)
