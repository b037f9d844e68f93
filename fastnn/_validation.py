"""Argument checks of the Python-level API, each written once.

One contract for every public function of the network, optimizers, losses,
dense layer and data sets: a value of the wrong *type* raises ``TypeError``,
a value of the right type outside its range raises ``ValueError``; both
name the argument and say what was expected.

- :func:`check_real`, :func:`check_int`, :func:`check_seed`,
  :func:`check_choice`: scalars, with bounds;
- :func:`check_params`: a declarative table ``{name: check}`` applied to
  keyword arguments (as scikit-learn's ``_parameter_constraints``);
- :func:`as_real_array`: any array-like of bool/int/float values;
- :func:`as_aligned_native` (keeps C or F order) and :func:`as_c_native`
  (C order, given dtype): the two layouts the compiled code reads;
- :func:`all_finite`: no NaN or inf (the compiled bit test, else one reduction).
"""
import math
from typing import Any, Callable, Collection, Mapping, Optional

import numpy as np
import numpy.typing as npt

from fastnn import _kernels

__all__ = ["check_real", "check_int", "check_seed", "check_choice", "check_params",
           "as_real_array", "as_aligned_native", "as_c_native", "all_finite"]

_REAL_TYPES = (int, float, np.integer, np.floating)


def _requirement(low: Optional[float], high: Optional[float], low_open: bool,
                 high_open: bool) -> str:
    """What the bounds require, in words: "lie in [0, 1)", "be positive"..."""
    if low is not None and high is not None:
        return f"lie in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
    if low == 0:
        return "be positive" if low_open else "be non-negative"
    if low is not None:
        return f"be {'greater than' if low_open else 'at least'} {low}"
    if high is not None:
        return f"be {'less than' if high_open else 'at most'} {high}"
    return "be finite"


def check_real(value: Any, name: str, low: Optional[float] = None,
               high: Optional[float] = None, low_open: bool = False,
               high_open: bool = False) -> float:
    """value as a finite float within the bounds.

    Examples
    --------
    >>> check_real(0.5, "momentum", 0, 1, high_open=True)
    0.5

    Raises
    ------
    TypeError
        If value is not an int or float (bool is refused: ``True`` as a
        learning rate is a mistake, not 1.0).
    ValueError
        If value is NaN, infinite or outside the bounds.
    """
    if isinstance(value, bool) or not isinstance(value, _REAL_TYPES):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    number = float(value)
    ok = math.isfinite(number)
    if ok and low is not None:
        ok = number > low if low_open else number >= low
    if ok and high is not None:
        ok = number < high if high_open else number <= high
    if not ok:
        finite = "" if low is None and high is None else " and finite"
        raise ValueError(f"{name} must {_requirement(low, high, low_open, high_open)}"
                         f"{finite}, got {number}")
    return number


def check_int(value: Any, name: str, low: Optional[int] = None,
              high: Optional[int] = None) -> int:
    """value as an int within [low, high].

    Raises
    ------
    TypeError
        If value is not an integer (bool and float refused).
    ValueError
        If value is outside the bounds.
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{name} must {_requirement(low, high, False, False)}, got {value}")
    return int(value)


def check_seed(seed: Any) -> Optional[int]:
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


def check_choice(value: Any, name: str, choices: Collection[str]) -> str:
    """value as one of the string choices.

    Raises
    ------
    TypeError
        If value is not a string.
    ValueError
        If it is not one of choices (the message lists them).
    """
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {type(value).__name__}")
    if value not in choices:
        raise ValueError(f"unknown {name} {value!r}; known: {', '.join(sorted(choices))}")
    return value


def check_params(values: Mapping[str, Any],
                 constraints: Mapping[str, Callable[[Any, str], Any]]) -> dict[str, Any]:
    """Apply ``constraints[name](value, name)`` to each named value.

    Examples
    --------
    >>> check_params({"epochs": 3}, {"epochs": lambda v, n: check_int(v, n, 1)})
    {'epochs': 3}
    """
    return {name: constraints[name](value, name) for name, value in values.items()}


def as_real_array(x: Any, name: str) -> np.ndarray:
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


def as_aligned_native(arr: np.ndarray) -> np.ndarray:
    """arr aligned and in native byte order, its dtype and C/F layout kept
    (a copy only if needed): BLAS reads either order, and the C loops read
    machine words at their natural addresses."""
    if not arr.dtype.isnative:
        arr = arr.astype(arr.dtype.newbyteorder("="))
    # order "A" in the copy keeps an F-contiguous array F-contiguous.
    return np.require(arr, requirements="A")


def as_c_native(arr: npt.ArrayLike, dtype: npt.DTypeLike) -> np.ndarray:
    """arr converted to dtype, C-contiguous, aligned and in native byte order
    (a copy only if needed): what the training loop indexes row by row."""
    return np.require(arr, dtype=np.dtype(dtype).newbyteorder("="),
                      requirements=["C", "A"])


def all_finite(arr: np.ndarray) -> bool:
    """No NaN or inf in a float array.  A contiguous float32/float64 array
    takes the compiled bit test; any other one reduction without a temporary
    in the common case: a finite sum proves every term finite (NaN and inf
    propagate); only a non-finite sum, which may be mere overflow, needs the
    elementwise test."""
    if type(arr) is np.ndarray:          # not a subclass (a masked array's mask counts)
        try:
            return _kernels.all_finite(arr)
        except TypeError:                # a layout or dtype it does not read
            pass
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(np.add.reduce(arr, axis=None)):
            return True
    return bool(np.all(np.isfinite(arr)))
