"""The fused dense layer: ``A = f(X @ W + b)`` and its backward pass.

Convention as scikit-learn's ``coefs_``: ``X`` is (n_samples, n_in), ``W`` is
(n_in, n_out), ``b`` is (n_out,).  The matrix products run in scipy's BLAS
without the GIL; the bias add and the activation run in one pass over the
product while it is in cache, and the backward pass computes
``dZ = grad_A * f'(.)`` and the column sums ``grad_b`` in one pass too.  ``X``
and ``W`` may be C- or F-contiguous: BLAS reads either without a copy.
"""
from typing import Any, Optional, Union

import numpy as np

from fastnn import _kernels
from fastnn._validation import as_aligned_native, as_real_array
from fastnn.activations import get_activation

__all__ = ["dense_forward", "dense_backward"]


def _kernel_of(activation: str) -> tuple[int, float, bool]:
    """(kernel id, parameter, saves output?) of an activation name."""
    act = get_activation(activation)
    if act.kernel_id is None:                       # softmax
        return _kernels.SOFTMAX_ID, 0.0, True
    return act.kernel_id, act.param, act.saves == "output"


def _as_float_matrix(x: Any, name: str, dtype: Any = None) -> np.ndarray:
    """x as a 2-D, aligned, native-byte-order float32/float64 ndarray, kept
    C- or F-contiguous when it is."""
    arr = as_aligned_native(as_real_array(x, name))
    if dtype is not None and arr.dtype != dtype:
        raise TypeError(f"{name} must have dtype {np.dtype(dtype)} (as X), got {arr.dtype}")
    if arr.dtype not in (np.float32, np.float64):
        raise TypeError(f"{name} must be float32 or float64, got {arr.dtype}")
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D, got shape {arr.shape}")
    if not (arr.flags.c_contiguous or arr.flags.f_contiguous):
        arr = np.ascontiguousarray(arr)
    return arr


def _check_out(out: Any, shape: tuple[int, int], dtype: np.dtype[Any], name: str) -> None:
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(out).__name__}")
    if out.dtype.newbyteorder("=") != dtype:
        raise TypeError(f"{name} must have dtype {np.dtype(dtype)}, got {out.dtype}")
    if out.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {out.shape}")
    if not out.flags.c_contiguous or not out.flags.writeable:
        raise ValueError(f"{name} must be C-contiguous and writeable")


def dense_forward(X: Any, W: Any, b: Any, activation: str = "relu",
                  out: Optional[np.ndarray] = None, return_saved: bool = False
                  ) -> Union[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """Forward pass of a dense layer: ``A = f(X @ W + b)``.

    Parameters
    ----------
    X : array_like, shape (n_samples, n_in)
        Inputs, float32 or float64 (C- or F-contiguous, aligned,
        native-byte-order arrays are used without a copy; others are
        copied).
    W : array_like, shape (n_in, n_out)
        Weights, same dtype as ``X``.
    b : array_like, shape (n_out,)
        Biases, same dtype as ``X``.
    activation : str, default "relu"
        A name from :data:`fastnn.ACTIVATIONS` (including "softmax", taken
        along each row).
    out : numpy.ndarray, optional
        C-contiguous (n_samples, n_out) array of X's dtype (either byte
        order) for ``A``.  It may overlap ``X``, ``W`` or ``b``, be unaligned
        or byte-swapped (the result then goes through a temporary first).
    return_saved : bool, default False
        Also return what :func:`dense_backward` needs as ``saved``: ``A``
        itself for sigmoid, tanh and softmax, else the pre-activation ``Z``
        (then kept in a separate array, filled by the same pass).

    Returns
    -------
    A : numpy.ndarray, shape (n_samples, n_out)
        The activations (``out`` if given).
    saved : numpy.ndarray, shape (n_samples, n_out)
        Only with ``return_saved=True``.

    Raises
    ------
    TypeError
        If an input is not real-valued, the dtypes differ, or ``out`` has the
        wrong dtype.
    ValueError
        If the shapes do not fit (the message names the arrays), ``out`` has
        the wrong shape or is not C-contiguous and writeable, or the
        activation is unknown.
    """
    act_id, param, saves_output = _kernel_of(activation)
    X = _as_float_matrix(X, "X")
    W = _as_float_matrix(W, "W", X.dtype)
    b = _as_bias(b, X.dtype)
    n, n_in = X.shape
    if W.shape[0] != n_in:
        raise ValueError(f"X has {n_in} features (columns) but W has {W.shape[0]} rows; "
                         f"W must be (n_in, n_out) = ({n_in}, n_out)")
    n_out = W.shape[1]
    if b.shape[0] != n_out:
        raise ValueError(f"b must have shape ({n_out},) to match W's {n_out} columns, "
                         f"got {b.shape}")
    if out is None:
        out = np.empty((n, n_out), X.dtype)
    else:
        _check_out(out, (n, n_out), X.dtype, "out")
    # BLAS and the bias pass write the result while still reading X, W and b:
    # an `out` sharing memory with any of them is computed into a temporary
    # and copied over at the end; so is an unaligned or byte-swapped `out`,
    # which the compiled loops cannot write.
    overlaps = (any(np.may_share_memory(out, arr) for arr in (X, W, b))
                or not (out.flags.aligned and out.dtype.isnative))
    result = np.empty(out.shape, X.dtype) if overlaps else out
    if return_saved and not saves_output and act_id != 0:
        Z = np.empty((n, n_out), X.dtype)
    else:
        Z = result
    _kernels.dense_forward_into(X, W, b, act_id, param, Z, result)
    if overlaps:
        np.copyto(out, result)
        if Z is result:
            Z = out
    if return_saved:
        return out, (out if saves_output else Z)
    return out


def _as_bias(b: Any, dtype: np.dtype[Any]) -> np.ndarray:
    arr = as_aligned_native(as_real_array(b, "b"))
    if arr.dtype != dtype:
        raise TypeError(f"b must have dtype {np.dtype(dtype)} (as X), got {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"b must be 1-D (n_out,), got shape {arr.shape}")
    return np.ascontiguousarray(arr)


def dense_backward(grad_A: Any, X: Any, W: Any, saved: Any, activation: str = "relu",
                   need_grad_X: bool = True
                   ) -> tuple[Optional[np.ndarray], np.ndarray, np.ndarray]:
    """Backward pass of a dense layer.

    Computes ``dZ = grad_A * f'(.)`` (for softmax, its Jacobian-vector
    product) together with ``grad_b = dZ.sum(axis=0)`` in one pass, then
    ``grad_W = X.T @ dZ`` and ``grad_X = dZ @ W.T``.

    Parameters
    ----------
    grad_A : array_like, shape (n_samples, n_out)
        Gradient of the loss with respect to the layer's output ``A``.
    X : array_like, shape (n_samples, n_in)
        The layer's input in the forward pass.
    W : array_like, shape (n_in, n_out)
        The weights.
    saved : array_like, shape (n_samples, n_out)
        What :func:`dense_forward` returned as ``saved`` (with
        ``return_saved=True``): ``A`` for sigmoid/tanh/softmax, ``Z`` else.
    activation : str, default "relu"
        The activation of the forward pass.
    need_grad_X : bool, default True
        Compute ``grad_X``; False skips one matrix product (first layer).

    Returns
    -------
    grad_X : numpy.ndarray, shape (n_samples, n_in), or None
        None when ``need_grad_X`` is False.
    grad_W : numpy.ndarray, shape (n_in, n_out)
    grad_b : numpy.ndarray, shape (n_out,)
        All of X's dtype.

    Raises
    ------
    TypeError
        If an input is not real-valued or the dtypes differ.
    ValueError
        If the shapes do not fit (the message names the arrays) or the
        activation is unknown.
    """
    act_id, param, _ = _kernel_of(activation)
    X = _as_float_matrix(X, "X")
    W = _as_float_matrix(W, "W", X.dtype)
    grad_A = np.ascontiguousarray(_as_float_matrix(grad_A, "grad_A", X.dtype))
    saved = np.ascontiguousarray(_as_float_matrix(saved, "saved", X.dtype))
    n, n_in = X.shape
    if W.shape[0] != n_in:
        raise ValueError(f"X has {n_in} features (columns) but W has {W.shape[0]} rows")
    n_out = W.shape[1]
    for arr, name in ((grad_A, "grad_A"), (saved, "saved")):
        if arr.shape != (n, n_out):
            raise ValueError(f"{name} must have shape (n_samples, n_out) = ({n}, {n_out}) "
                             f"from X and W, got {arr.shape}")
    dZ = np.empty((n, n_out), X.dtype)
    grad_W = np.empty((n_in, n_out), X.dtype)
    grad_b = np.empty(n_out, X.dtype)
    grad_X = np.empty((n, n_in), X.dtype) if need_grad_X else None
    _kernels.dense_backward_into(grad_A, X, W, saved, act_id, param, dZ, grad_X, grad_W,
                                 grad_b)
    return grad_X, grad_W, grad_b
