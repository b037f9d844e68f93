"""Property tests (hypothesis) over arbitrary float arrays, NaN and inf
excluded unless stated: ranges, symmetries, monotonicity, idempotence.
150 examples per test by default; FASTNN_HYPOTHESIS_PROFILE=thorough runs
3000 (see conftest.py)."""
import numpy as np
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import fastnn

FLOAT_DTYPES = st.sampled_from([np.float32, np.float64])


@st.composite
def float_arrays(draw, allow_nan=False, allow_infinity=False, min_side=0):
    dtype = draw(FLOAT_DTYPES)
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=min_side, max_side=8))
    return draw(hnp.arrays(dtype, shape, elements=st.floats(
        allow_nan=allow_nan, allow_infinity=allow_infinity, width=np.dtype(dtype).itemsize * 8)))


@given(float_arrays(allow_infinity=True))
def test_sigmoid_in_unit_interval_and_symmetric(x):
    y = fastnn.sigmoid(x)
    assert y.dtype == x.dtype and y.shape == x.shape
    assert ((y >= 0) & (y <= 1)).all()
    eps = np.finfo(x.dtype).eps
    # sigma(-x) = 1 - sigma(x): both sides within a few ULP of 1 - sigma(x)
    np.testing.assert_allclose(fastnn.sigmoid(-x), 1 - y.astype(np.float64), rtol=0, atol=4 * eps)


@given(float_arrays(allow_infinity=True))
def test_sigmoid_tanh_softplus_monotone(x):
    order = np.argsort(x.ravel(), kind="stable")
    for fn in (fastnn.sigmoid, fastnn.tanh, fastnn.softplus, fastnn.relu, fastnn.elu):
        y = fn(x).ravel()[order]
        assert (y[1:] >= y[:-1]).all(), fn.__name__      # (diff would give inf - inf)


@given(float_arrays(allow_infinity=True))
def test_tanh_odd_and_bounded(x):
    y = fastnn.tanh(x)
    np.testing.assert_array_equal(fastnn.tanh(-x), -y)
    assert (np.abs(y) <= 1).all()
    np.testing.assert_array_equal(np.signbit(y), np.signbit(x))


@given(float_arrays(allow_infinity=True))
def test_relu_idempotent_and_nonnegative(x):
    y = fastnn.relu(x)
    np.testing.assert_array_equal(fastnn.relu(y), y)
    assert (y >= 0).all()
    np.testing.assert_array_equal(y, np.maximum(x, 0))


@given(float_arrays(allow_infinity=True), st.floats(0, 1))
def test_leaky_relu_matches_where(x, alpha):
    alpha_t = x.dtype.type(alpha)                      # the kernel works in x's dtype
    with np.errstate(invalid="ignore", under="ignore"):  # 0 * -inf
        want = np.where(x < 0, x * alpha_t, x)
    want[(x == -np.inf) & (alpha_t == 0)] = 0          # the limit, not NaN
    np.testing.assert_array_equal(fastnn.leaky_relu(x, alpha=alpha), want)


@given(float_arrays())
def test_derivatives_have_known_ranges(x):
    assert ((fastnn.sigmoid_derivative(x) >= 0) & (fastnn.sigmoid_derivative(x) <= 0.25)).all()
    assert ((fastnn.tanh_derivative(x) >= 0) & (fastnn.tanh_derivative(x) <= 1)).all()
    assert ((fastnn.softplus_derivative(x) >= 0) & (fastnn.softplus_derivative(x) <= 1)).all()
    assert np.isin(fastnn.relu_derivative(x), [0, 1]).all()
    # silu' lies in about [-0.0998, 1.0998]
    d = fastnn.silu_derivative(x)
    assert ((d > -0.1) & (d < 1.1)).all()


@given(float_arrays())
def test_softplus_above_relu_and_silu_below_x(x):
    sp = fastnn.softplus(x).astype(np.float64)
    assert (sp >= np.maximum(x, 0)).all()
    silu = fastnn.silu(x).astype(np.float64)
    xs = x.astype(np.float64)
    assert (np.where(xs >= 0, silu <= xs, silu >= xs)).all()


@given(float_arrays(allow_nan=True, allow_infinity=True))
def test_nan_positions_preserved(x):
    for fn in (fastnn.sigmoid, fastnn.tanh, fastnn.relu, fastnn.silu, fastnn.softplus,
               fastnn.gelu, fastnn.elu, fastnn.sigmoid_derivative, fastnn.gelu_derivative):
        np.testing.assert_array_equal(np.isnan(fn(x)), np.isnan(x), fn.__name__)


@given(float_arrays(min_side=1))
def test_softmax_is_a_distribution_and_shift_invariant(x):
    x = np.clip(x, -1e4, 1e4).astype(x.dtype)
    y = fastnn.softmax(x, axis=-1)
    assert ((y >= 0) & (y <= 1)).all()
    n = x.shape[-1]
    np.testing.assert_allclose(y.sum(axis=-1, dtype=np.float64), 1, atol=(n + 2) * np.finfo(x.dtype).eps)
    ly = fastnn.log_softmax(x, axis=-1)
    assert (ly <= 0).all()


@given(st.floats(0.0, 1.0), st.sampled_from(["leaky_relu", "elu"]),
       st.sampled_from(["float32", "float64"]))
def test_activation_parameters_round_trip_through_a_network(alpha, name, dtype):
    """Whatever alpha a hidden layer gets, the network's forward pass uses it
    (against a float64 NumPy reference) and its config brings it back."""
    net = fastnn.Network([3, 4, 2], [(name, {"alpha": alpha}), "identity"], dtype=dtype,
                         seed=0)
    X = np.linspace(-2, 2, 15).reshape(5, 3)
    (W0, b0), (W1, b1) = (tuple(p.astype(np.float64) for p in layer) for layer in net.params)
    h = X @ W0 + b0
    h = np.where(h >= 0, h, alpha * h if name == "leaky_relu" else alpha * np.expm1(h))
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(net.forward(X), h @ W1 + b1, rtol=tol, atol=tol)
    again = fastnn.Network(**{k: v for k, v in net.get_config().items()})
    assert again._acts[0].param == net._acts[0].param
