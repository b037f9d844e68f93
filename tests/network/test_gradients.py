"""Central finite differences in float64 against every derivative and
fused backward, softmax_backward and log_softmax (through a scalar loss).

(f(x+h) - f(x-h)) / 2h has error ~ h^2 f'''/6 + eps |f| / h; with
h = 1e-5 |x|-scaled that is ~1e-9 relative, so 1e-6 is a safe bound that
still catches a wrong formula.  Points stay away from the kinks of relu and
leaky_relu (0), where f' is not defined, and from elu's kink at 0.
"""
import numpy as np
import pytest

import fastnn

NAMES = ["identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus",
         "silu", "gelu", "gelu_tanh"]
KINKED = {"relu", "leaky_relu", "elu"}


def points(name):
    x = np.concatenate([np.linspace(-8, 8, 161), [-30.0, -12.0, 12.0, 30.0]])
    if name in KINKED:
        x = x[np.abs(x) > 1e-3]
    return x


def central_difference(f, x, h=None):
    h = 1e-5 * np.maximum(1, np.abs(x)) if h is None else h
    return (f(x + h) - f(x - h)) / (2 * h)


@pytest.mark.parametrize("name", NAMES)
def test_derivative_matches_finite_difference(name):
    entry = fastnn.get_activation(name)
    x = points(name)
    numeric = central_difference(entry.forward, x)
    np.testing.assert_allclose(entry.derivative(x), numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name", NAMES)
def test_backward_matches_finite_difference_of_a_scalar_loss(name):
    """d/dx sum(w * f(x)) = backward(w, saved) for random weights w."""
    entry = fastnn.get_activation(name)
    x = points(name)
    w = np.random.default_rng(1).uniform(-2, 2, len(x))
    saved = entry.forward(x) if entry.saves == "output" else x
    grad = entry.backward(w, saved)
    numeric = central_difference(lambda v: w * entry.forward(v), x)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("alpha", [0.0, 0.3, 1.0])
def test_parametrised_backward_matches_finite_difference(alpha):
    x = points("elu")
    w = np.linspace(-1, 2, len(x))
    for fwd, bwd in ((fastnn.leaky_relu, fastnn.leaky_relu_backward), (fastnn.elu, fastnn.elu_backward)):
        numeric = central_difference(lambda v: w * fwd(v, alpha=alpha), x)
        np.testing.assert_allclose(bwd(w, x, alpha=alpha), numeric, rtol=1e-6, atol=1e-9)


def _numeric_gradient(loss, x, h=1e-6):
    grad = np.empty_like(x)
    for idx in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[idx] = h
        grad[idx] = (loss(x + step) - loss(x - step)) / (2 * h)
    return grad


@pytest.mark.parametrize("shape,axis", [((3, 5), -1), ((3, 5), 0), ((2, 3, 4), 1)])
def test_softmax_backward_matches_finite_difference(shape, axis):
    rng = np.random.default_rng(2)
    x = rng.standard_normal(shape) * 2
    w = rng.standard_normal(shape)

    def loss(v):
        return np.sum(w * fastnn.softmax(v, axis=axis))

    y = fastnn.softmax(x, axis=axis)
    np.testing.assert_allclose(fastnn.softmax_backward(w, y, axis=axis),
                               _numeric_gradient(loss, x), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("shape,axis", [((3, 5), -1), ((4, 3), 0)])
def test_log_softmax_gradient_matches_finite_difference(shape, axis):
    """Cross-entropy-like loss L = sum(w * log_softmax(x)); its gradient is
    w - softmax(x) * sum(w) along the axis, and equals softmax_backward of
    w / softmax (the chain rule through log)."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape) * 2
    w = rng.uniform(0.1, 1, shape)

    def loss(v):
        return np.sum(w * fastnn.log_softmax(v, axis=axis))

    numeric = _numeric_gradient(loss, x)
    y = fastnn.softmax(x, axis=axis)
    analytic = w - y * w.sum(axis=axis, keepdims=True)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(fastnn.softmax_backward(w / y, y, axis=axis), numeric,
                               rtol=1e-6, atol=1e-9)
