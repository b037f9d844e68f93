"""fastnn.bench.kernel_cases and kernel_baselines: the baselines compute what
fastnn computes, on shared arrays, and the array cache holds one size at a time."""
import numpy as np
import pytest

from fastnn.bench import kernel_cases as kernels
from fastnn.bench.baselines import Loaded
from fastnn.bench.rows import Context


@pytest.mark.parametrize("function", kernels.FUNCTIONS)
@pytest.mark.parametrize("kind", kernels.KINDS)
def test_numpy_baseline_matches_fastnn(function, kind):
    arrays = kernels.Arrays(np.float64, 1000)
    expected = kernels.numpy_reference(function, kind, arrays)
    case = kernels.kernel_case(function, kind, arrays)
    case.impls["fastnn"]()
    got = arrays.view2d(arrays.out) if function == "softmax" else arrays.out
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("function", ["sigmoid", "gelu", "softmax"])
@pytest.mark.parametrize("kind", kernels.KINDS)
def test_torch_baseline_matches_fastnn(function, kind):
    torch = pytest.importorskip("torch")
    arrays = kernels.Arrays(np.float64, 1000)
    case = kernels.kernel_case(function, kind, arrays, torch)
    case.impls["torch"]()
    expected = (arrays.view2d(arrays.out) if function == "softmax" else arrays.out).copy()
    case.impls["fastnn"]()
    got = arrays.view2d(arrays.out) if function == "softmax" else arrays.out
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)


def test_large_cases_time_the_bandwidth_floor_beside_them():
    small = kernels.kernel_case("relu", "forward", kernels.Arrays(np.float32, 1000))
    assert "copyto" not in small.impls
    big = kernels.Arrays(np.float32, kernels.COPY_REFERENCE_MIN)
    assert "copyto" in kernels.kernel_case("relu", "forward", big).impls
    with pytest.raises(ValueError, match="unknown kernel case"):
        kernels.kernel_case("swish", "forward", big)


def test_array_cache_keeps_one_size_at_a_time():
    cache = kernels.ArrayCache()
    first = cache.get("float32", 1000)
    assert cache.get(np.float32, 1000) is first              # same key, same arrays
    second = cache.get("float64", 1000)
    assert second is not first and second.x.dtype == np.float64
    assert cache.key == ("float64", 1000)


def test_plan_measures_rows_through_one_cache(parse_bench, one_round):
    options = parse_bench(["--dtypes", "float32", "--sizes", "1000,2000",
                           "--functions", "relu"])
    planned = kernels.plan(options)
    assert [p.label for p in planned] == [
        "float32 copyto 1000", "float32 relu forward 1000", "float32 relu backward 1000",
        "float32 copyto 2000", "float32 relu forward 2000", "float32 relu backward 2000"]
    context = Context(1, one_round, True, Loaded({"torch": None}, {}))
    row = planned[2].measure(context)
    assert (row["group"], row["name"], row["kind"], row["n"]) == \
        ("kernels", "relu", "backward", 1000)
    assert set(row["results"]) == {"fastnn", "numpy"}       # no torch: no torch side
