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
