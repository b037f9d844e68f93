"""pytest-benchmark suite: every activation kernel against NumPy and PyTorch.

For each activation, forward and fused backward, float32 and float64,
n = 1e3, 1e5, 1e7: fastnn, the best pure-NumPy expression of the same formula
(``out=`` ufuncs into preallocated arrays) and PyTorch's CPU op (when torch is
installed) share one benchmark group, so ``--benchmark-group-by=group``
(the default) prints them side by side.  ``np.copyto`` at 1e7 is the bandwidth
reference.  The cases and their array cache come from
:mod:`fastnn.bench.kernel_cases`, the same code ``python -m fastnn bench`` runs.

Run::

    pytest benchmarks --benchmark-only                       # everything (~10 min)
    pytest benchmarks --benchmark-only -k "sigmoid and float32 and 1e5"

Nothing here asserts a time: a benchmark never fails.
"""
import numpy as np
import pytest

from fastnn.bench import kernel_cases as kernels

pytest.importorskip("pytest_benchmark")

DTYPES = ["float32", "float64"]
SIZES = [1_000, 100_000, 10_000_000]
IMPLS = ["fastnn", "numpy", "torch"]


def _n_id(n):
    return f"1e{len(str(n)) - 1}"


# One flat list, sizes outermost, so consecutive benchmarks share the arrays of
# one (dtype, n) and the 400 MB of the largest case are allocated once.
CASES = [(dtype, n, function, kind, impl)
         for dtype in DTYPES for n in SIZES
         for function in kernels.FUNCTIONS for kind in kernels.KINDS for impl in IMPLS]


@pytest.fixture(scope="module")
def arrays_cache():
    """Holds the Arrays of the current (dtype, n) only."""
    return kernels.ArrayCache().get


@pytest.mark.parametrize(
    "dtype, n, function, kind, impl", CASES,
    ids=[f"{f}-{k}-{d}-{_n_id(n)}-{i}" for d, n, f, k, i in CASES])
def test_kernel(benchmark, arrays_cache, dtype, n, function, kind, impl):
    torch = pytest.importorskip("torch") if impl == "torch" else None
    case = kernels.kernel_case(function, kind, arrays_cache(dtype, n), torch)
    if impl not in case.impls:
        pytest.skip(f"no {impl} implementation of {function} {kind}")
    benchmark.group = f"{function} {kind} {dtype} n={_n_id(n)}"
    benchmark.extra_info.update(elements=n, note=case.notes.get(impl, ""))
    with np.errstate(all="ignore"):
        benchmark(case.impls[impl])


@pytest.mark.parametrize("dtype", DTYPES)
def test_copyto_bandwidth(benchmark, arrays_cache, dtype):
    """np.copyto(out, x) at 1e7: the floor of a pass that reads and writes once."""
    case = kernels.copy_case(arrays_cache(dtype, SIZES[-1]))
    benchmark.group = f"bandwidth {dtype} n=1e7"
    benchmark.extra_info.update(elements=SIZES[-1])
    benchmark(case.impls["numpy"])
