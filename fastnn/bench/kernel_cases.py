"""The ``kernels`` group: activation kernels against their baselines.

Every case is one activation's forward pass or fused backward pass at one
dtype and size, with a zero-argument callable per implementation:

- ``fastnn``: the public function with ``out=``;
- ``numpy`` and ``torch`` (when installed): see
  :mod:`fastnn.bench.kernel_baselines`;
- ``copyto``: from COPY_REFERENCE_MIN elements on, ``np.copyto(out, x)``,
  the memory-bandwidth floor of a pass that reads one array and writes one.

All implementations of a case read the same input arrays and write the same
output array, so they are measured on the same memory.  The pytest-benchmark
suite in ``benchmarks/`` and ``python -m fastnn bench`` both build their
cases (and cache their arrays) here, so the baselines are written once.
"""
from dataclasses import dataclass, field
from functools import partial
from typing import Callable, Dict

import numpy as np

import fastnn
from fastnn.bench.kernel_baselines import numpy_forward, numpy_backward, torch_impl
from fastnn.bench.rows import Planned, make_row
from fastnn.bench.timing import measure

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


class ArrayCache:
    """Holds the Arrays of one (dtype, n) at a time: 1e7 float64 needs 400 MB.

    Cases run grouped by (dtype, n) reuse the arrays; a new key frees the
    old arrays before the new ones are allocated.
    """

    def __init__(self):
        self.key, self.arrays = None, None

    def get(self, dtype, n):
        """The Arrays of (dtype, n), built on first use of that key."""
        key = (np.dtype(dtype).name, int(n))
        if self.key != key:
            self.key, self.arrays = None, None
            self.arrays = Arrays(*key)
            self.key = key
        return self.arrays


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
    numpy_impl = (numpy_forward if kind == "forward" else numpy_backward)(function, arrays)
    if numpy_impl is not None:
        impls["numpy"] = numpy_impl
        if function == "gelu":
            notes["numpy"] = "erf from scipy.special (NumPy has none)"
    if torch is not None:
        impls["torch"] = torch_impl(function, kind, arrays, torch)
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
    impl = (numpy_forward if kind == "forward" else numpy_backward)(function, arrays)
    if impl is None:
        return None
    with np.errstate(all="ignore"):
        impl()
    out = arrays.view2d(arrays.out) if function == "softmax" else arrays.out
    return out.copy()


# --------------------------------------------------------------------------
# The group's rows for the report
# --------------------------------------------------------------------------

def plan(options):
    """The kernel rows of one thread count, in run order.

    Parameters
    ----------
    options : argparse.Namespace
        ``dtypes``, ``sizes`` and ``functions`` of ``python -m fastnn bench``.

    Returns
    -------
    list of fastnn.bench.rows.Planned
        Per dtype and size: the np.copyto reference, then forward and
        backward of every function; one ArrayCache shared by them all.
    """
    cache, planned = ArrayCache(), []
    for dtype in options.dtypes:
        for n in options.sizes:
            planned.append(Planned(f"{dtype} copyto {n}", partial(_row, cache, "copyto",
                                                                  "copy", dtype, n)))
            planned.extend(Planned(f"{dtype} {function} {kind} {n}",
                                   partial(_row, cache, function, kind, dtype, n))
                           for function in options.functions for kind in KINDS)
    return planned


def _row(cache, function, kind, dtype, n, context):
    arrays = cache.get(dtype, n)
    if kind == "copy":
        case = copy_case(arrays)
    else:
        case = kernel_case(function, kind, arrays, context.baselines.get("torch"))
    return make_row("kernels", case.function, case.kind, dtype, n, context.threads,
                    "element", measure(case.impls, context.budget), notes=case.notes)
