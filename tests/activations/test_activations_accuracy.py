"""Accuracy of every activation, derivative and fused backward, in ULP.

Reference: the formula in float64 for float32 results, in np.longdouble (or
mpmath for the exact GELU) for float64 results; see _reference.py.  Error is
|got - ref| / ulp(ref), ulp floored at the smallest subnormal.

Points: a million per dtype, half with log-uniform magnitudes over the whole
finite range (smallest subnormal to max), half log-uniform in [2^-12, 2^10]
where the functions bend, both signs, plus edge values.  The float64 exact
GELU is the exception: mpmath is slow, so it gets 5.5k points dense in
[-40, 40] (beyond, Phi is 0 or 1 to far below an ULP) and log-uniform outside.
Also checked: +-inf limits, NaN propagation, tanh(-0.0) = -0.0, empty
arrays, no floating-point warnings, softmax/log_softmax rows.

Bounds: 4 ULP (the exact GELU: 8).  A derivative with an interior root
(silu', both GELU') cannot be within a few ULP of its value next to the root
in plain floating point (the relative condition number is infinite there), so
for those the bound is 4 ULP of the size of the formula's terms:
|err| <= 4 eps (|t1| + |t2|) with f' = t1 + t2 as in Reference.derivative_terms.
"""
import warnings

import numpy as np
import pytest

import fastnn
from _reference import Reference, gelu_mpmath, ulp, ulp_error

N_POINTS = 1_000_000
NAMES = ["identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus",
         "silu", "gelu", "gelu_tanh"]
ROOTED_DERIVATIVES = {"silu", "gelu", "gelu_tanh"}
ALPHA = {"leaky_relu": 0.01, "elu": 1.0}
SAVES_OUTPUT = {"sigmoid", "tanh"}

# Known kernel inaccuracies, reported to the lead; strict, so a fix turns
# them into failures that ask for the marker's removal.
def _cases():
    return [pytest.param(name, dtype, id=f"{name}-{np.dtype(dtype).name}")
            for name in NAMES for dtype in (np.float32, np.float64)]


def edge_values(dtype):
    """Finite values where the kernels switch branch, clamp, underflow or overflow."""
    info = np.finfo(dtype)
    special = [0.0, 1.0, 1e-4, 1e4, 0.5, 2.0, 20.0, 40.0, 88.0, 89.0, 103.9, 104.0,
               120.0, 709.0, 709.8, 710.0, 745.0, 746.0, 760.0, 1e10, 1e20, 1e30,
               1.2784645, 0.7518, 0.75, float(info.max), float(info.smallest_normal),
               float(info.smallest_subnormal), float(info.smallest_subnormal) * 3]
    values = np.array(special, dtype=np.float64)
    values = values[values <= float(info.max)].astype(dtype)
    with np.errstate(over="ignore"):
        neighbours = np.concatenate([np.nextafter(values, dtype(np.inf)),
                                     np.nextafter(values, dtype(0))])
    values = np.concatenate([values, neighbours])
    values = values[np.isfinite(values)]
    return np.concatenate([values, -values])


def sample_points(dtype, n, rng):
    info = np.finfo(dtype)
    low, high = np.log2(float(info.smallest_subnormal)), np.log2(float(info.max))
    whole = np.exp2(rng.uniform(low, high, n // 2))
    edges = edge_values(dtype)
    core = np.exp2(rng.uniform(-12, 10, n - n // 2 - len(edges)))
    with np.errstate(over="ignore"):
        magnitude = np.concatenate([whole, core]).astype(dtype)
    magnitude = np.where(np.isinf(magnitude), info.max, magnitude)
    signs = rng.choice(np.array([-1, 1], dtype=dtype), len(magnitude))
    return np.concatenate([magnitude * signs, edges])


_SAMPLES = {}


def sample(dtype):
    """(x, Reference) on a million points, cached per dtype for this module."""
    key = np.dtype(dtype).name
    if key not in _SAMPLES:
        rng = np.random.default_rng(20261129 + np.dtype(dtype).itemsize)
        x = sample_points(dtype, N_POINTS, rng)
        _SAMPLES[key] = (x, Reference(x, dtype))
    return _SAMPLES[key]


_GELU_MP = {}


def gelu_float64_sample():
    """x and the mpmath (x Phi, Phi, x phi) for the float64 exact GELU: 5.5k
    points, dense in [-40, 40] where it bends, log-uniform elsewhere."""
    if not _GELU_MP:
        rng = np.random.default_rng(7)
        x = np.concatenate([rng.uniform(-40, 40, 4000),
                            np.exp2(rng.uniform(-1074, 1023, 1000)) * rng.choice([-1, 1], 1000),
                            rng.uniform(-1.0, -0.5, 500),         # around the root of f'
                            edge_values(np.float64)[::4]])
        _GELU_MP.update(x=x, ref=gelu_mpmath(x))
    return _GELU_MP["x"], _GELU_MP["ref"]


def checked(fn, *args, **kwargs):
    """fn(*args) with every floating-point warning an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            return fn(*args, **kwargs)


def fwd(name):
    return fastnn.get_activation(name).forward


def der(name):
    return fastnn.get_activation(name).derivative


def bwd(name):
    return fastnn.get_activation(name).backward


def kwargs_for(name):
    return {"alpha": ALPHA[name]} if name in ALPHA else {}


def ref_forward_and_terms(name, dtype):
    """x, f(x) and the terms of f'(x) in the reference precision."""
    if name == "gelu" and np.dtype(dtype) == np.float64:
        x, (f, cdf, x_pdf) = gelu_float64_sample()
        return x, f, (cdf, x_pdf)
    x, ref = sample(dtype)
    alpha = ALPHA.get(name, 0.0)
    return x, ref.forward(name, alpha), ref.derivative_terms(name, alpha)


def assert_within(got, ref, allowed_ulps, dtype, x, what):
    """Max error in ULP <= allowed_ulps (scalar or per point); on failure
    the message shows the worst inputs."""
    err = ulp_error(got, ref, dtype)
    excess = err / allowed_ulps
    if not np.all(excess <= 1):
        worst = np.argsort(excess)[-5:][::-1]
        lines = [f"x={x[i]!r}: got {got[i]!r}, ref {ref[i]!r}, {err[i]:.1f} ULP"
                 for i in worst]
        pytest.fail(f"{what}: {np.sum(excess > 1)} points beyond the bound;\n"
                    + "\n".join(lines))


def derivative_bound_ulps(name, terms, ref, dtype):
    """4 ULP of f', or for rooted derivatives 4 eps (|t1| + |t2|) in ULPs of f'."""
    if name not in ROOTED_DERIVATIVES:
        return 4.0
    eps = np.finfo(dtype).eps
    size = sum(np.abs(t) for t in terms)
    return np.maximum(4.0, 4 * eps * size / ulp(ref, dtype))


@pytest.mark.parametrize("name,dtype", _cases())
def test_forward_within_ulp_bound(name, dtype):
    x, ref, _ = ref_forward_and_terms(name, dtype)
    got = checked(fwd(name), x.astype(dtype), **kwargs_for(name))
    assert got.dtype == dtype
    assert_within(got, ref, 8.0 if name == "gelu" else 4.0, dtype, x, f"{name} {dtype}")


@pytest.mark.parametrize("name,dtype", _cases())
def test_derivative_within_ulp_bound(name, dtype):
    x, _, terms = ref_forward_and_terms(name, dtype)
    ref = sum(terms)
    got = checked(der(name), x.astype(dtype), **kwargs_for(name))
    assert got.dtype == dtype
    assert_within(got, ref, derivative_bound_ulps(name, terms, ref, dtype), dtype, x,
                  f"{name}' {dtype}")


def _grad_like(x):
    """Gradients with magnitudes in [2^-8, 2^8], both signs (seeded)."""
    rng = np.random.default_rng(3)
    return (np.exp2(rng.uniform(-8, 8, len(x))) * rng.choice([-1, 1], len(x))).astype(x.dtype)


@pytest.mark.parametrize("name,dtype", _cases())
def test_backward_within_ulp_bound(name, dtype):
    """grad * f'(.) against grad * (reference f'), within 4 ULP (for the
    rooted derivatives: 4 eps |grad| (|t1| + |t2|)).  With saved = the forward
    output (sigmoid, tanh) the reference is grad y (1-y) or grad (1-y^2) on
    the kernel's own y.  Where f' is subnormal it is rounded to the subnormal
    grid before grad (up to 2^8 here) multiplies it: 4 |grad| ulp_min more."""
    x, _, terms = ref_forward_and_terms(name, dtype)
    x = x.astype(dtype)
    grad = _grad_like(x)
    r = np.float64 if np.dtype(dtype) == np.float32 else np.longdouble
    g = grad.astype(r)
    if name in SAVES_OUTPUT:
        saved = fwd(name)(x)
        y = saved.astype(r)
        der_ref = y * (1 - y) if name == "sigmoid" else (1 - y) * (1 + y)
    else:
        saved = x
        der_ref = sum(terms)
    ref = g * der_ref
    info = np.finfo(dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        unit = ulp(ref, dtype)
        allowed = np.full(ref.shape, 4.0)
        if name in ROOTED_DERIVATIVES and name not in SAVES_OUTPUT:
            size = sum(np.abs(t) for t in terms)
            allowed = np.maximum(allowed, 4 * float(info.eps) * np.abs(g) * size / unit)
        subnormal = np.abs(der_ref) < float(info.smallest_normal)
        allowed = allowed + np.where(
            subnormal, 4 * np.abs(g) * float(info.smallest_subnormal) / unit + 1, 0)
    got = checked(bwd(name), grad, saved, **kwargs_for(name))
    assert got.dtype == dtype
    assert_within(got, ref, allowed, dtype, x, f"{name} backward {dtype}")


# ---------------------------------------------------------------- edge values

LIMITS = {  # name: (f(-inf), f(inf), f'(-inf), f'(inf))
    "identity": (-np.inf, np.inf, 1, 1),
    "sigmoid": (0, 1, 0, 0),
    "tanh": (-1, 1, 0, 0),
    "relu": (0, np.inf, 0, 1),
    "leaky_relu": (-np.inf, np.inf, 0.01, 1),
    "elu": (-1, np.inf, 0, 1),
    "softplus": (0, np.inf, 0, 1),
    "silu": (0, np.inf, 0, 1),
    "gelu": (0, np.inf, 0, 1),
    "gelu_tanh": (0, np.inf, 0, 1),
}


@pytest.mark.parametrize("name", NAMES)
def test_infinities_map_to_limits(name, dtype):
    x = np.array([-np.inf, np.inf], dtype=dtype)
    f_lo, f_hi, d_lo, d_hi = LIMITS[name]
    y = checked(fwd(name), x, **kwargs_for(name))
    d = checked(der(name), x, **kwargs_for(name))
    np.testing.assert_array_equal(y, np.array([f_lo, f_hi], dtype=dtype))
    np.testing.assert_array_equal(d, np.array([d_lo, d_hi], dtype=dtype))
    saved = y if name in SAVES_OUTPUT else x
    grad = np.array([2.0, 3.0], dtype=dtype)
    np.testing.assert_array_equal(checked(bwd(name), grad, saved, **kwargs_for(name)),
                                  grad * d)


@pytest.mark.parametrize("alpha", [0.0, 0.25, 1.0])
def test_parametrised_infinities(alpha, dtype):
    x = np.array([-np.inf, np.inf], dtype=dtype)
    leaky_at_minus_inf = -np.inf if alpha else 0.0     # 0 * -inf would be NaN
    np.testing.assert_array_equal(checked(fastnn.leaky_relu, x, alpha=alpha),
                                  [leaky_at_minus_inf, np.inf])
    np.testing.assert_array_equal(checked(fastnn.leaky_relu_derivative, x, alpha=alpha), [alpha, 1])
    np.testing.assert_array_equal(checked(fastnn.elu, x, alpha=alpha), [-alpha, np.inf])
    np.testing.assert_array_equal(checked(fastnn.elu_derivative, x, alpha=alpha), [0, 1])


@pytest.mark.parametrize("name", NAMES)
def test_nan_in_nan_out(name, dtype):
    x = np.array([np.nan, -np.nan, 1.0, np.nan], dtype=dtype)
    nan_at = np.array([True, True, False, True])
    for fn in (fwd(name), der(name)):
        y = checked(fn, x, **kwargs_for(name))
        np.testing.assert_array_equal(np.isnan(y), nan_at)
    ones = np.ones_like(x)
    if name == "identity":
        # f' = 1 needs nothing from the forward pass: the gradient passes
        # through unchanged and `saved` is not read, NaN or not.
        np.testing.assert_array_equal(checked(bwd(name), ones, x), ones)
    else:
        assert np.isnan(checked(bwd(name), ones, x, **kwargs_for(name))[nan_at]).all()
    assert np.isnan(checked(bwd(name), x, ones * 0.5, **kwargs_for(name))[nan_at]).all()


def test_tanh_keeps_the_sign_of_zero(dtype):
    y = checked(fastnn.tanh, np.array([-0.0, 0.0], dtype=dtype))
    np.testing.assert_array_equal(np.signbit(y), [True, False])
    assert np.signbit(fastnn.tanh(dtype(-0.0)))


@pytest.mark.parametrize("name", NAMES)
def test_empty_arrays(name, dtype):
    for shape in [(0,), (3, 0), (0, 4, 2)]:
        x = np.empty(shape, dtype=dtype)
        for fn in (fwd(name), der(name)):
            y = checked(fn, x, **kwargs_for(name))
            assert y.shape == shape and y.dtype == dtype
        assert checked(bwd(name), x, x, **kwargs_for(name)).shape == shape


@pytest.mark.parametrize("name", NAMES)
def test_large_and_subnormal_inputs_within_bound(name, dtype):
    """+-1e4 and subnormals on their own (also inside the million points)."""
    tiny = np.finfo(dtype).smallest_subnormal
    x = np.array([1e4, -1e4, tiny, -tiny, 7 * tiny, -7 * tiny,
                  np.finfo(dtype).smallest_normal / 3], dtype=dtype)
    if name == "gelu" and np.dtype(dtype) == np.float64:
        ref = gelu_mpmath(x)[0]
    else:
        ref = Reference(x, dtype).forward(name, ALPHA.get(name, 0.0))
    got = checked(fwd(name), x, **kwargs_for(name))
    assert_within(got, ref, 8.0 if name == "gelu" else 4.0, dtype, x, name)


# ---------------------------------------------------------------- softmax

def _softmax_ref(x, axis=-1):
    r = np.float64 if x.dtype == np.float32 else np.longdouble
    xr = x.astype(r)
    shifted = xr - xr.max(axis=axis, keepdims=True)
    e = np.exp(shifted)
    total = e.sum(axis=axis, keepdims=True)
    return e / total, shifted, np.log(total)


def _softmax_rows(dtype):
    rng = np.random.default_rng(11)
    rows = [rng.standard_normal(100) * 10,
            rng.standard_normal(100) * 1e4,               # huge: exp would overflow
            np.full(100, float(np.finfo(dtype).max) / 2),
            np.concatenate([[1e30], rng.standard_normal(99)]),
            np.concatenate([[-1e4], rng.standard_normal(99)]),
            np.linspace(-50, 50, 100)]
    return np.array(rows, dtype=dtype)


def test_softmax_rows_sum_to_one_without_overflow(dtype):
    x = _softmax_rows(dtype)
    y = checked(fastnn.softmax, x)
    assert y.dtype == dtype and np.isfinite(y).all() and (y >= 0).all()
    eps = np.finfo(dtype).eps
    np.testing.assert_allclose(y.sum(axis=-1, dtype=np.float64), 1.0, rtol=0,
                               atol=x.shape[1] * eps)


def test_softmax_matches_reference(dtype):
    """Each entry within 4 ULP plus the relative rounding of the row sum
    (cols * eps / 2, summed in the working precision)."""
    x = _softmax_rows(dtype)
    ref, _, _ = _softmax_ref(x)
    got = checked(fastnn.softmax, x)
    eps = np.finfo(dtype).eps
    allowed = 4 + x.shape[1] * eps / 2 * np.abs(ref) / ulp(ref, dtype)
    assert_within(got.ravel(), ref.ravel(), allowed.ravel(), dtype, x.ravel(), "softmax")


def test_log_softmax_matches_reference(dtype):
    """log_softmax = (x - max) - log(sum): within 4 ULP of the larger of the
    two terms (they cancel for the row's maximum) plus the row sum's rounding."""
    x = _softmax_rows(dtype)
    _, shifted, log_total = _softmax_ref(x)
    ref = shifted - log_total
    got = checked(fastnn.log_softmax, x)
    assert np.isfinite(got).all()
    eps = np.finfo(dtype).eps
    size = np.maximum(np.abs(shifted), np.abs(log_total))
    allowed = (4 * eps * size + x.shape[1] * eps) / ulp(ref, dtype)
    assert_within(got.ravel(), ref.ravel(), np.maximum(allowed, 4).ravel(), dtype,
                  x.ravel(), "log_softmax")


def test_softmax_edge_rows(dtype):
    x = np.array([[0.0, -np.inf, 1.0], [np.nan, 0.0, 1.0], [-np.inf, -np.inf, -np.inf]],
                 dtype=dtype)
    y = fastnn.softmax(x)
    np.testing.assert_allclose(y[0], [1 / (1 + np.e), 0, np.e / (1 + np.e)],
                               rtol=4 * np.finfo(dtype).eps)
    assert np.isnan(y[1]).all() and np.isnan(y[2]).all()
    assert fastnn.softmax(np.empty((0, 3), dtype=dtype)).shape == (0, 3)
    assert fastnn.softmax(np.empty((3, 0), dtype=dtype)).shape == (3, 0)


@pytest.mark.parametrize("shape", [(300, 10), (150, 7), (2, 1500), (1100, 1), (103, 16)])
def test_softmax_of_many_short_rows_matches_reference(shape, dtype):
    """Softmax runs whole groups of rows through one exp loop; rows of every
    length, groups ending inside the array, a non-finite row among finite
    ones in the same group (it stays alone in being NaN), and in place."""
    rng = np.random.default_rng(shape[0] * shape[1])
    x = (rng.standard_normal(shape) * 20).astype(dtype)
    x[shape[0] // 2, 0] = np.nan
    ref, shifted, _ = _softmax_ref(x)
    got = checked(fastnn.softmax, x)
    bad = shape[0] // 2
    assert np.isnan(got[bad]).all()
    keep = np.arange(shape[0]) != bad
    eps = np.finfo(dtype).eps
    # As test_softmax_matches_reference, plus the rounding of x - max in the
    # working precision (half an ULP of it), which exp turns into a relative
    # error: these rows' shifts reach -100.
    relative = (shape[1] + np.abs(shifted[keep])) * eps / 2
    allowed = 4 + relative * np.abs(ref[keep]) / ulp(ref[keep], dtype)
    assert_within(got[keep].ravel(), ref[keep].ravel(), allowed.ravel(), dtype,
                  x[keep].ravel(), "softmax")
    in_place = x.copy()
    fastnn.softmax(in_place, out=in_place)
    assert np.array_equal(in_place, got, equal_nan=True)


def test_derivative_maxima_not_exceeded(dtype):
    """Near x = 0 rounding could push sigma' above 1/4 and tanh' above 1
    (both within 4 ULP, but outside the functions' range)."""
    x = np.concatenate([np.linspace(-1e-3, 1e-3, 200_001), np.geomspace(1e-30, 1e-2, 1000)])
    x = np.concatenate([x, -x]).astype(dtype)
    assert (checked(fastnn.sigmoid_derivative, x) <= 0.25).all()
    assert (checked(fastnn.tanh_derivative, x) <= 1).all()
    assert (checked(fastnn.sigmoid, x) <= 1).all() and (checked(fastnn.tanh, x) <= 1).all()
