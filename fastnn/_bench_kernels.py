"""Benchmark cases for the activation kernels: fastnn and its baselines.

Every case is one activation's forward pass or fused backward pass at one
dtype and size, with a zero-argument callable per implementation:

- ``fastnn``: the public function with ``out=``;
- ``numpy``: the best pure-NumPy expression of the same formula, written with
  ``out=`` ufuncs into preallocated scratch arrays (nothing is allocated per
  call: a fresh float32 output costs about 1.5 ns/element in page faults,
  more than the math);
- ``copyto``: from COPY_REFERENCE_MIN elements on, ``np.copyto(out, x)``,
  the memory-bandwidth floor of a pass that reads one array and writes one;
- ``torch``: PyTorch's CPU op (the one autograd uses for the backward) on
  ``torch.from_numpy`` views of the same arrays, with ``out=``, when torch is
  installed.

All implementations of a case read the same input arrays and write the same
output array, so they are measured on the same memory.  The pytest-benchmark
suite in ``benchmarks/`` and ``python -m fastnn bench`` both build their
cases here, so the baselines are written once.
"""
from dataclasses import dataclass, field
import math
from typing import Callable, Dict

import numpy as np

import fastnn

# Input range: wide enough to reach both branches and the saturated tails.
X_RANGE = 5.0
# Softmax is row-wise; rows of 10 are a classifier's output layer.
SOFTMAX_ROW = 10
# The activations benchmarked, in the order tables and plots show them.
FUNCTIONS = ["identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus",
             "silu", "gelu", "gelu_tanh", "softmax"]
KINDS = ["forward", "backward"]
# From this size on every case also times np.copyto(out, x), interleaved with
# the others, as its bandwidth floor: the kernels are memory-bound there.
COPY_REFERENCE_MIN = 1_000_000
LEAKY_ALPHA = 0.01
ELU_ALPHA = 1.0
_GELU_C = math.sqrt(2.0 / math.pi)
_GELU_K = 0.044715


@dataclass
class Case:
    """One row of the kernel table: what is measured and how to call each side."""
    function: str
    kind: str           # "forward", "backward" or "copy" (the bandwidth reference)
    dtype: str
    n: int
    impls: Dict[str, Callable[[], object]]
    notes: Dict[str, str] = field(default_factory=dict)   # per implementation


def _touched(shape, dtype):
    """A zero-filled array whose pages are already mapped."""
    a = np.empty(shape, dtype)
    a.fill(0)
    return a


class Arrays:
    """The preallocated arrays every implementation of one (dtype, n) shares.

    Parameters
    ----------
    dtype : numpy dtype
        float32 or float64.
    n : int
        Number of elements (rounded up to a multiple of SOFTMAX_ROW for the
        softmax cases' 2-D views).
    seed : int
        Seed of the input data.
    """

    def __init__(self, dtype, n, seed=0):
        rng = np.random.default_rng(seed)
        self.dtype = np.dtype(dtype)
        self.n = int(n)
        self.x = rng.uniform(-X_RANGE, X_RANGE, self.n).astype(self.dtype)
        self.grad = rng.standard_normal(self.n).astype(self.dtype)
        # Written once here so that no timed call pays the first-touch page
        # faults (np.zeros would map its pages lazily).
        self.out, self.tmp, self.tmp2 = (_touched(self.n, self.dtype) for _ in range(3))
        self.mask = _touched(self.n, bool)
        self.rows = _touched((self.n // SOFTMAX_ROW, 1), self.dtype)
        self._saved = {}

    def saved(self, function):
        """What `function`'s backward takes: forward output or input."""
        activation = fastnn.get_activation(function)
        if activation.saves == "input":
            return self.x
        if function not in self._saved:
            x = self.x2d if function == "softmax" else self.x
            self._saved[function] = activation.forward(x)
        return self._saved[function]

    def view2d(self, a):
        """`a`'s first rows*SOFTMAX_ROW elements as (rows, SOFTMAX_ROW)."""
        rows = self.n // SOFTMAX_ROW
        return a[:rows * SOFTMAX_ROW].reshape(rows, SOFTMAX_ROW)

    @property
    def x2d(self):
        return self.view2d(self.x)


# --------------------------------------------------------------------------
# fastnn
# --------------------------------------------------------------------------

def _fastnn_impl(function, kind, a):
    act = fastnn.get_activation(function)
    if function == "softmax":
        x, g, out = a.x2d, a.view2d(a.grad), a.view2d(a.out)
        y = a.saved("softmax")
        if kind == "forward":
            return lambda: fastnn.softmax(x, out=out)
        return lambda: fastnn.softmax_backward(g, y, out=out)
    x, g, out = a.x, a.grad, a.out
    if kind == "forward":
        fwd = act.forward
        return lambda: fwd(x, out=out)
    bwd, saved = act.backward, a.saved(function)
    return lambda: bwd(g, saved, out=out)


# --------------------------------------------------------------------------
# NumPy: the same formulas with out= ufuncs, no allocation per call
# --------------------------------------------------------------------------

def _np_sigmoid_into(x, out):
    """out = 1 / (1 + exp(-x)) in four in-place passes."""
    np.negative(x, out=out)
    np.exp(out, out=out)
    np.add(out, 1, out=out)
    np.reciprocal(out, out=out)


def _np_forward(function, a):
    x, out, tmp = a.x, a.out, a.tmp
    if function == "identity":
        return lambda: np.copyto(out, x)
    if function == "sigmoid":
        return lambda: _np_sigmoid_into(x, out)
    if function == "tanh":
        return lambda: np.tanh(x, out=out)
    if function == "relu":
        return lambda: np.maximum(x, 0, out=out)
    if function == "leaky_relu":
        def run():      # max(x, alpha x) holds for alpha in [0, 1]; faster than np.where
            np.multiply(x, LEAKY_ALPHA, out=out)
            np.maximum(x, out, out=out)
        return run
    if function == "elu":
        def run():      # max(x, 0) + alpha * expm1(min(x, 0))
            np.minimum(x, 0, out=tmp)
            np.expm1(tmp, out=tmp)
            np.multiply(tmp, ELU_ALPHA, out=tmp)
            np.maximum(x, 0, out=out)
            np.add(out, tmp, out=out)
        return run
    if function == "softplus":
        def run():      # max(x, 0) + log1p(exp(-|x|)), the stable form
            np.abs(x, out=tmp)
            np.negative(tmp, out=tmp)
            np.exp(tmp, out=tmp)
            np.log1p(tmp, out=tmp)
            np.maximum(x, 0, out=out)
            np.add(out, tmp, out=out)
        return run
    if function == "silu":
        def run():
            _np_sigmoid_into(x, out)
            np.multiply(out, x, out=out)
        return run
    if function == "gelu":
        erf = _scipy_erf()
        if erf is None:
            return None

        def run():      # 0.5 x (1 + erf(x / sqrt 2))
            np.multiply(x, 1 / math.sqrt(2), out=out)
            erf(out, out=out)
            np.add(out, 1, out=out)
            np.multiply(out, x, out=out)
            np.multiply(out, 0.5, out=out)
        return run
    if function == "gelu_tanh":
        def run():      # 0.5 x (1 + tanh(c (x + k x^3)))
            np.multiply(x, x, out=out)
            np.multiply(out, _GELU_C * _GELU_K, out=out)
            np.add(out, _GELU_C, out=out)
            np.multiply(out, x, out=out)
            np.tanh(out, out=out)
            np.add(out, 1, out=out)
            np.multiply(out, x, out=out)
            np.multiply(out, 0.5, out=out)
        return run
    if function == "softmax":
        x2, out2, rows = a.x2d, a.view2d(out), a.rows

        def run():      # exp(x - max) / sum, row by row
            np.max(x2, axis=1, keepdims=True, out=rows)
            np.subtract(x2, rows, out=out2)
            np.exp(out2, out=out2)
            np.sum(out2, axis=1, keepdims=True, out=rows)
            np.divide(out2, rows, out=out2)
        return run
    raise ValueError(f"no NumPy forward for {function!r}")


def _np_backward(function, a):
    x, g, out, tmp, mask = a.x, a.grad, a.out, a.tmp, a.mask
    saved = a.saved(function)
    if function == "identity":
        return lambda: np.copyto(out, g)
    if function == "sigmoid":
        def run():      # g y (1 - y)
            np.subtract(1, saved, out=out)
            np.multiply(out, saved, out=out)
            np.multiply(out, g, out=out)
        return run
    if function == "tanh":
        def run():      # g (1 - y^2)
            np.multiply(saved, saved, out=out)
            np.subtract(1, out, out=out)
            np.multiply(out, g, out=out)
        return run
    if function == "relu":
        def run():      # g (x >= 0)
            np.greater_equal(x, 0, out=mask)
            np.multiply(g, mask, out=out)
        return run
    if function == "leaky_relu":
        def run():      # g where x >= 0, else alpha g
            np.greater_equal(x, 0, out=mask)
            np.multiply(g, LEAKY_ALPHA, out=out)
            np.copyto(out, g, where=mask)
        return run
    if function == "elu":
        def run():      # g (1 if x >= 0 else alpha exp(x))
            np.minimum(x, 0, out=tmp)
            np.exp(tmp, out=tmp)
            np.multiply(tmp, ELU_ALPHA, out=tmp)
            np.greater_equal(x, 0, out=mask)
            np.copyto(tmp, 1, where=mask)
            np.multiply(g, tmp, out=out)
        return run
    if function == "softplus":
        def run():      # g sigmoid(x)
            _np_sigmoid_into(x, out)
            np.multiply(out, g, out=out)
        return run
    if function == "silu":
        def run():      # g s (1 + x (1 - s)), s = sigmoid(x)
            _np_sigmoid_into(x, tmp)
            np.subtract(1, tmp, out=out)
            np.multiply(out, x, out=out)
            np.add(out, 1, out=out)
            np.multiply(out, tmp, out=out)
            np.multiply(out, g, out=out)
        return run
    if function == "gelu":
        erf = _scipy_erf()
        if erf is None:
            return None
        tmp2 = a.tmp2

        def run():      # g (Phi(x) + x phi(x))
            np.multiply(x, 1 / math.sqrt(2), out=tmp)
            erf(tmp, out=tmp)
            np.add(tmp, 1, out=tmp)
            np.multiply(tmp, 0.5, out=tmp)                       # Phi(x)
            np.multiply(x, x, out=tmp2)
            np.multiply(tmp2, -0.5, out=tmp2)
            np.exp(tmp2, out=tmp2)
            np.multiply(tmp2, x, out=tmp2)
            np.multiply(tmp2, 1 / math.sqrt(2 * math.pi), out=tmp2)   # x phi(x)
            np.add(tmp, tmp2, out=out)
            np.multiply(out, g, out=out)
        return run
    if function == "gelu_tanh":
        tmp2 = a.tmp2

        def run():      # g (0.5 (1 + t) + 0.5 x (1 - t^2) c (1 + 3 k x^2))
            np.multiply(x, x, out=tmp2)                          # x^2
            np.multiply(tmp2, _GELU_C * _GELU_K, out=tmp)
            np.add(tmp, _GELU_C, out=tmp)
            np.multiply(tmp, x, out=tmp)
            np.tanh(tmp, out=tmp)                                # t
            np.multiply(tmp2, 3 * _GELU_K * _GELU_C, out=tmp2)
            np.add(tmp2, _GELU_C, out=tmp2)                      # c (1 + 3 k x^2)
            np.multiply(tmp, tmp, out=out)
            np.subtract(1, out, out=out)
            np.multiply(out, tmp2, out=out)
            np.multiply(out, x, out=out)
            np.add(out, tmp, out=out)
            np.add(out, 1, out=out)
            np.multiply(out, 0.5, out=out)
            np.multiply(out, g, out=out)
        return run
    if function == "softmax":
        g2, y2, out2, tmp2d, rows = (a.view2d(g), saved, a.view2d(out), a.view2d(tmp),
                                     a.rows)

        def run():      # y (g - sum(g y))
            np.multiply(g2, y2, out=tmp2d)
            np.sum(tmp2d, axis=1, keepdims=True, out=rows)
            np.subtract(g2, rows, out=out2)
            np.multiply(out2, y2, out=out2)
        return run
    raise ValueError(f"no NumPy backward for {function!r}")


def _scipy_erf():
    """scipy.special.erf (a ufunc with out=): NumPy itself has no erf."""
    try:
        from scipy.special import erf
    except ImportError:
        return None
    return erf


# --------------------------------------------------------------------------
# PyTorch: the ops autograd runs, on views of the same arrays, with out=
# --------------------------------------------------------------------------

def _torch_impl(function, kind, a, torch):
    t = torch.from_numpy
    x, g, out = t(a.x), t(a.grad), t(a.out)
    nn, aten = torch._C._nn, torch.ops.aten
    if function == "softmax":
        x2, g2, out2 = t(a.x2d), t(a.view2d(a.grad)), t(a.view2d(a.out))
        y2 = t(a.saved("softmax"))
        if kind == "forward":
            return lambda: aten._softmax.out(x2, 1, False, out=out2)
        return lambda: aten._softmax_backward_data.out(g2, y2, 1, x2.dtype,
                                                       grad_input=out2)
    if kind == "forward":
        table = {
            "identity": lambda: out.copy_(x),
            "sigmoid": lambda: torch.sigmoid(x, out=out),
            "tanh": lambda: torch.tanh(x, out=out),
            "relu": lambda: torch.clamp_min(x, 0, out=out),
            "leaky_relu": lambda: nn.leaky_relu(x, LEAKY_ALPHA, out=out),
            "elu": lambda: nn.elu(x, ELU_ALPHA, 1, 1, out=out),
            "softplus": lambda: nn.softplus(x, 1, 20, out=out),
            "silu": lambda: nn.silu(x, out=out),
            "gelu": lambda: nn.gelu(x, approximate="none", out=out),
            "gelu_tanh": lambda: nn.gelu(x, approximate="tanh", out=out),
        }
        return table[function]
    s = t(a.saved(function))
    table = {
        "identity": lambda: out.copy_(g),
        "sigmoid": lambda: aten.sigmoid_backward.grad_input(g, s, grad_input=out),
        "tanh": lambda: aten.tanh_backward.grad_input(g, s, grad_input=out),
        "relu": lambda: aten.threshold_backward.grad_input(g, s, 0, grad_input=out),
        "leaky_relu": lambda: aten.leaky_relu_backward.grad_input(
            g, s, LEAKY_ALPHA, False, grad_input=out),
        "elu": lambda: aten.elu_backward.grad_input(g, ELU_ALPHA, 1, 1, False, s,
                                                    grad_input=out),
        "softplus": lambda: aten.softplus_backward.grad_input(g, s, 1, 20, grad_input=out),
        "silu": lambda: aten.silu_backward.grad_input(g, s, grad_input=out),
        "gelu": lambda: aten.gelu_backward.grad_input(g, s, approximate="none",
                                                      grad_input=out),
        "gelu_tanh": lambda: aten.gelu_backward.grad_input(g, s, approximate="tanh",
                                                           grad_input=out),
    }
    return table[function]


def import_torch():
    """torch if installed, else None (an optional baseline)."""
    try:
        import torch
    except ImportError:
        return None
    return torch


# --------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------

def kernel_case(function, kind, arrays, torch=None):
    """The Case for one activation pass on preallocated `arrays`.

    Parameters
    ----------
    function : str
        A name from FUNCTIONS.
    kind : {"forward", "backward"}
    arrays : Arrays
        Shared inputs, output and scratch of the case's dtype and size.
    torch : module or None
        PyTorch, to add its baseline.

    Returns
    -------
    Case
    """
    if function not in FUNCTIONS or kind not in KINDS:
        raise ValueError(f"unknown kernel case {function!r} {kind!r}")
    impls = {"fastnn": _fastnn_impl(function, kind, arrays)}
    notes = {}
    numpy_impl = (_np_forward if kind == "forward" else _np_backward)(function, arrays)
    if numpy_impl is not None:
        impls["numpy"] = numpy_impl
        if function == "gelu":
            notes["numpy"] = "erf from scipy.special (NumPy has none)"
    if torch is not None:
        impls["torch"] = _torch_impl(function, kind, arrays, torch)
    if arrays.n >= COPY_REFERENCE_MIN:
        x, out = arrays.x, arrays.out
        impls["copyto"] = lambda: np.copyto(out, x)
    return Case(function, kind, arrays.dtype.name, arrays.n, impls, notes)


def copy_case(arrays):
    """np.copyto(out, x): the memory-bandwidth floor for one read + one write."""
    x, out = arrays.x, arrays.out
    return Case("copyto", "copy", arrays.dtype.name, arrays.n,
                {"numpy": lambda: np.copyto(out, x)})


def numpy_reference(function, kind, arrays):
    """What the NumPy baseline computes, for checking it against fastnn."""
    impl = (_np_forward if kind == "forward" else _np_backward)(function, arrays)
    if impl is None:
        return None
    with np.errstate(all="ignore"):
        impl()
    out = arrays.view2d(arrays.out) if function == "softmax" else arrays.out
    return out.copy()
