"""The dtype / shape / stride / out= matrix, every error case, the registry
and softmax's axis handling.  Values are compared with a plain NumPy float64
evaluation of the same formula (accuracy itself is test_activations_accuracy's)."""
import numpy as np
import pytest

import fastnn

NAMES = ["identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus",
         "silu", "gelu", "gelu_tanh"]
SAVES_OUTPUT = {"sigmoid", "tanh"}
RTOL = {np.dtype(np.float32): 2e-6, np.dtype(np.float64): 1e-12}


def numpy_forward(name, x):
    """f(x) in float64 NumPy, for the layout tests."""
    x = np.asarray(x, dtype=np.float64)
    s = 1 / (1 + np.exp(-x))
    phi = 0.5 * (1 + np.vectorize(__import__("math").erf)(x / np.sqrt(2))) if x.size else x
    table = {
        "identity": x, "sigmoid": s, "tanh": np.tanh(x), "relu": np.maximum(x, 0),
        "leaky_relu": np.where(x < 0, 0.01 * x, x), "elu": np.where(x < 0, np.expm1(np.minimum(x, 0)), x),
        "softplus": np.logaddexp(0, x), "silu": x * s, "gelu": x * phi,
        "gelu_tanh": x / (1 + np.exp(-2 * np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3))),
    }
    return table[name]


def contiguous_result(fn, *arrays, **kwargs):
    """fn on C-contiguous copies: what every other layout must reproduce
    bit for bit (the kernels are elementwise)."""
    return fn(*(np.ascontiguousarray(a) for a in arrays), **kwargs)


def assert_close(got, want, dtype):
    np.testing.assert_allclose(got, want, rtol=RTOL[np.dtype(dtype)], atol=1e-30)


def act(name):
    return fastnn.get_activation(name)


# ---------------------------------------------------------------- dtypes

@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("in_dtype,out_dtype", [
    (np.float32, np.float32), (np.float64, np.float64), (np.float16, np.float32),
    (np.bool_, np.float64), (np.int8, np.float64), (np.int64, np.float64),
    (np.uint16, np.float64)])
def test_result_dtype(name, in_dtype, out_dtype):
    x = np.array([-2, 0, 1, 3]).astype(in_dtype)
    for fn in (act(name).forward, act(name).derivative):
        y = fn(x)
        assert y.dtype == out_dtype
    y = act(name).forward(x)
    assert_close(y, numpy_forward(name, x.astype(out_dtype)), out_dtype)
    assert act(name).backward(x, x).dtype == out_dtype


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("bad", [np.array([1 + 2j]), np.array([1.0], dtype=object),
                                 np.array(["a"]), np.array([1.0], dtype=np.longdouble),
                                 "text", [1, "a"]], ids=["complex", "object", "str",
                                                         "longdouble", "pystr", "mixedlist"])
def test_non_real_inputs_raise_type_error_naming_the_argument(name, bad):
    a = act(name)
    with pytest.raises(TypeError, match=r"\bx\b"):
        a.forward(bad)
    with pytest.raises(TypeError, match=r"\bx\b"):
        a.derivative(bad)
    ok = np.ones(np.shape(bad) if not isinstance(bad, str) else ())
    with pytest.raises(TypeError, match="grad"):
        a.backward(bad, ok)
    with pytest.raises(TypeError, match="saved"):
        a.backward(ok, bad)


def test_softmax_non_real_inputs_raise_type_error():
    with pytest.raises(TypeError, match=r"\bx\b"):
        fastnn.softmax(np.array([1j, 2]))
    with pytest.raises(TypeError, match="grad"):
        fastnn.softmax_backward(np.array([1j, 2]), np.ones(2))
    with pytest.raises(TypeError, match=r"\by\b"):
        fastnn.softmax_backward(np.ones(2), np.array(["a", "b"]))


def test_mixed_precision_backward_promotes():
    g = np.ones(4, dtype=np.float32)
    s = np.linspace(-1, 1, 4)
    assert fastnn.silu_backward(g, s).dtype == np.float64
    assert fastnn.silu_backward(s.astype(np.float32), g).dtype == np.float32


# ---------------------------------------------------------------- shapes

@pytest.mark.parametrize("name", NAMES)
def test_scalars_lists_and_zero_d(name, dtype):
    a = act(name)
    y = a.forward(dtype(0.5))
    assert np.ndim(y) == 0 and y.dtype == dtype
    assert_close(y, numpy_forward(name, 0.5), dtype)
    py = a.forward(0.5)                      # Python float -> float64
    assert np.ndim(py) == 0 and np.asarray(py).dtype == np.float64
    assert_close(a.forward([[0.5, -1.0]]), numpy_forward(name, [[0.5, -1.0]]), np.float64)
    zero_d = np.array(-1.5, dtype=dtype)
    out = np.empty((), dtype=dtype)
    assert a.forward(zero_d, out=out) is out
    assert_close(out, numpy_forward(name, -1.5), dtype)
    assert np.ndim(a.backward(dtype(2.0), dtype(0.3))) == 0


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("shape", [(0,), (5, 0), (1,), (7,), (3, 4), (2, 3, 5)])
def test_shapes_preserved(name, dtype, shape):
    x = np.linspace(-3, 3, int(np.prod(shape))).reshape(shape).astype(dtype)
    y = act(name).forward(x)
    assert y.shape == shape and y.dtype == dtype
    assert_close(y, numpy_forward(name, x), dtype)
    np.testing.assert_array_equal(y.ravel(), act(name).forward(x.ravel()))


def _layouts(dtype):
    base = np.linspace(-4, 4, 6 * 10 * 2).astype(dtype).reshape(6, 10, 2)
    return {
        "step-slice": base.ravel()[::3],
        "negative-stride": base.ravel()[::-1],
        "negative-step-2": base.ravel()[::-2],
        "F-order": np.asfortranarray(base[:, :, 0]),
        "transpose": base[:, :, 0].T,
        "3d-transpose": base.transpose(2, 0, 1),
        "column": base[:, 3, 1],
        "broadcast": np.broadcast_to(base[0, :, 0], (4, 10)),
    }


@pytest.mark.parametrize("layout", list(_layouts(np.float64)))
@pytest.mark.parametrize("name", NAMES)
def test_non_contiguous_layouts(name, dtype, layout):
    x = _layouts(dtype)[layout]
    a = act(name)
    for fn in (a.forward, a.derivative):
        want = contiguous_result(fn, x)
        np.testing.assert_array_equal(fn(x), want)
        out = np.full(x.shape, 99, dtype=dtype)
        assert fn(x, out=out) is out
        np.testing.assert_array_equal(out, want)
        # out itself non-contiguous: the other half of holder stays untouched
        holder = np.full(x.shape + (2,), 99, dtype=dtype)
        np.testing.assert_array_equal(fn(x, out=holder[..., 1]), want)
        assert (holder[..., 0] == 99).all()
    assert_close(a.forward(x), numpy_forward(name, x), dtype)
    # backward with grad and saved in different non-contiguous layouts
    grad = np.asfortranarray(x) if x.ndim > 1 else x[::-1]
    saved = a.forward(x) if name in SAVES_OUTPUT else x
    np.testing.assert_array_equal(a.backward(grad, saved),
                                  contiguous_result(a.backward, grad, saved))


@pytest.mark.parametrize("name", NAMES)
def test_out_may_be_the_input(name, dtype):
    x = np.linspace(-3, 3, 50).astype(dtype)
    want = numpy_forward(name, x)
    buf = x.copy()
    assert act(name).forward(buf, out=buf) is buf
    assert_close(buf, want, dtype)
    g = np.linspace(1, 2, 50).astype(dtype)
    saved = act(name).forward(x) if name in SAVES_OUTPUT else x
    want_b = act(name).backward(g, saved)
    assert act(name).backward(g, saved, out=g) is g
    np.testing.assert_array_equal(g, want_b)


@pytest.mark.parametrize("shift", [1, -1, 3])
@pytest.mark.parametrize("name", ["sigmoid", "silu", "relu", "gelu_tanh"])
def test_out_partially_overlapping_the_input(name, dtype, shift):
    base = np.linspace(-3, 3, 40).astype(dtype)
    buf = np.concatenate([base, base[:5]])
    x = buf[5:45] if shift < 0 else buf[:40]
    x_copy = x.copy()
    out = buf[5 + shift:45 + shift] if shift < 0 else buf[shift:40 + shift]
    act(name).forward(x, out=out)
    np.testing.assert_array_equal(out, act(name).forward(x_copy))


def test_large_non_contiguous_and_overlap_above_thread_threshold():
    x = np.linspace(-5, 5, 2 * 300_000)
    want = fastnn.sigmoid(x[::2].copy())
    np.testing.assert_array_equal(fastnn.sigmoid(x[::2]), want)
    buf = x[:300_001].copy()
    fastnn.sigmoid(buf[:300_000], out=buf[1:])
    np.testing.assert_array_equal(buf[1:], fastnn.sigmoid(x[:300_000]))


# ---------------------------------------------------------------- out errors

def _bad_outs(dtype):
    other = np.float64 if dtype == np.float32 else np.float32
    read_only = np.zeros(6, dtype=dtype)
    read_only.flags.writeable = False
    return [
        (np.zeros(5, dtype=dtype), ValueError, "shape"),
        (np.zeros((6, 1), dtype=dtype), ValueError, "shape"),
        (np.zeros(6, dtype=other), TypeError, "dtype"),
        (np.zeros(6, dtype=np.int64), TypeError, "dtype"),
        (read_only, ValueError, "read-only"),
        ([0.0] * 6, TypeError, "out"),
    ]


@pytest.mark.parametrize("name", NAMES)
def test_bad_out_raises_and_writes_nothing(name, dtype):
    x = np.linspace(-1, 1, 6).astype(dtype)
    a = act(name)
    for out, exc, words in _bad_outs(dtype):
        before = np.array(out, copy=True)
        for call in (lambda: a.forward(x, out=out), lambda: a.derivative(x, out=out),
                     lambda: a.backward(x, x, out=out)):
            with pytest.raises(exc, match=words):
                call()
            np.testing.assert_array_equal(np.asarray(out), before)


def test_softmax_bad_out_raises_and_writes_nothing(dtype):
    x = np.ones((2, 3), dtype=dtype)
    for out, exc, words in [(np.zeros((3, 2), dtype=dtype), ValueError, "shape"),
                            (np.zeros((2, 3), dtype=np.int32), TypeError, "dtype")]:
        for call in (lambda: fastnn.softmax(x, out=out), lambda: fastnn.log_softmax(x, out=out),
                     lambda: fastnn.softmax_backward(x, x, out=out)):
            with pytest.raises(exc, match=words):
                call()
            assert (out == 0).all()


@pytest.mark.parametrize("name", NAMES)
def test_backward_shape_mismatch(name):
    with pytest.raises(ValueError, match="shape"):
        act(name).backward(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="shape"):
        act(name).backward(np.ones((2, 3)), np.ones((3, 2)))
    with pytest.raises(ValueError, match="shape"):
        fastnn.softmax_backward(np.ones((2, 3)), np.ones((2, 4)))


# ---------------------------------------------------------------- parameters

@pytest.mark.parametrize("alpha", [-0.1, 1.5, float("nan")])
def test_leaky_relu_alpha_out_of_range(alpha):
    x = np.ones(3)
    for fn in (lambda: fastnn.leaky_relu(x, alpha=alpha),
               lambda: fastnn.leaky_relu_derivative(x, alpha),
               lambda: fastnn.leaky_relu_backward(x, x, alpha=alpha)):
        with pytest.raises(ValueError, match="alpha"):
            fn()


def test_alpha_parameters_are_used():
    x = np.array([-2.0, 3.0])
    np.testing.assert_array_equal(fastnn.leaky_relu(x, alpha=0.5), [-1.0, 3.0])
    np.testing.assert_array_equal(fastnn.leaky_relu(x, 0.0), [0.0, 3.0])
    np.testing.assert_array_equal(fastnn.leaky_relu_derivative(x, alpha=1.0), [1.0, 1.0])
    np.testing.assert_allclose(fastnn.elu(x, alpha=2.0), [2 * np.expm1(-2.0), 3.0], rtol=1e-15)
    np.testing.assert_allclose(fastnn.elu_backward(np.ones(2), x, alpha=2.0),
                               [2 * np.exp(-2.0), 1.0], rtol=1e-15)
    with pytest.raises(ValueError, match="alpha"):
        fastnn.elu(x, alpha=-1.0)
    with pytest.raises(TypeError, match="alpha"):
        fastnn.elu(x, alpha="big")


def test_gelu_approximate_values():
    x = np.linspace(-3, 3, 11)
    assert_close(fastnn.gelu(x, approximate="tanh"), numpy_forward("gelu_tanh", x), np.float64)
    assert_close(fastnn.gelu(x), numpy_forward("gelu", x), np.float64)
    for fn in (lambda: fastnn.gelu(x, approximate="bad"),
               lambda: fastnn.gelu_derivative(x, approximate="erf"),
               lambda: fastnn.gelu_backward(x, x, approximate=None)):
        with pytest.raises(ValueError, match="approximate"):
            fn()


# ---------------------------------------------------------------- registry

def test_get_activation_unknown_lists_names():
    with pytest.raises(ValueError) as info:
        fastnn.get_activation("swish2")
    for name in NAMES + ["softmax"]:
        assert name in str(info.value)
    with pytest.raises(TypeError):
        fastnn.get_activation(3)


def test_registry_is_complete():
    assert set(fastnn.ACTIVATIONS) == set(NAMES) | {"softmax"}
    for name, entry in fastnn.ACTIVATIONS.items():
        assert entry.name == name
        assert callable(entry.forward) and callable(entry.backward)
        assert entry.saves == ("output" if name in SAVES_OUTPUT | {"softmax"} else "input")
        assert fastnn.get_activation(name) is entry
        if name != "softmax":
            assert callable(entry.derivative)
            assert getattr(fastnn, entry.forward.__name__) is not None
    assert fastnn.get_activation("gelu_tanh").kernel_id != fastnn.get_activation("gelu").kernel_id


@pytest.mark.parametrize("name", NAMES)
def test_backward_is_grad_times_derivative(name, dtype):
    """backward(g, saved) == g * derivative(x) within the derivative's
    accuracy: 5 eps relative, or 8 eps |g| (1 + |x|) (the terms' size) for the
    rooted derivatives.  sigmoid and tanh work from the computed output y,
    whose error (<= 4 ULP <= 4 eps |y|) moves f'(y) = y (1-y) or 1 - y^2 by
    |df'/dy| 4 eps |y|: that is allowed on top (it dominates in saturation,
    as in PyTorch's sigmoid_backward)."""
    rng = np.random.default_rng(5)
    x = (rng.standard_normal(2000) * 4).astype(dtype)
    g = rng.uniform(-2, 2, 2000).astype(dtype)
    a = act(name)
    saved = a.forward(x) if a.saves == "output" else x
    got = a.backward(g, saved).astype(np.float64)
    want = g.astype(np.float64) * a.derivative(x).astype(np.float64)
    eps = float(np.finfo(dtype).eps)
    tol = 5 * eps * np.abs(want)
    if name in SAVES_OUTPUT:
        y = saved.astype(np.float64)
        slope = np.abs(1 - 2 * y) if name == "sigmoid" else 2 * np.abs(y)
        tol += np.abs(g) * slope * 4 * eps * np.abs(y)
    elif name in ("silu", "gelu", "gelu_tanh"):
        tol += 8 * eps * np.abs(g) * (1 + np.abs(x))
    assert np.all(np.abs(got - want) <= tol + np.finfo(dtype).tiny)


# ---------------------------------------------------------------- softmax axes

def _np_softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("shape,axis", [((4, 5), 0), ((4, 5), 1), ((4, 5), -1), ((4, 5), -2),
                                        ((2, 3, 4), 0), ((2, 3, 4), 1), ((2, 3, 4), -1),
                                        ((7,), 0)])
def test_softmax_axis(dtype, shape, axis):
    rng = np.random.default_rng(8)
    x = rng.standard_normal(shape).astype(dtype) * 3
    want = _np_softmax(x.astype(np.float64), axis)
    rtol = 20 * np.finfo(dtype).eps
    np.testing.assert_allclose(fastnn.softmax(x, axis=axis), want, rtol=rtol)
    np.testing.assert_allclose(fastnn.log_softmax(x, axis=axis), np.log(want),
                               rtol=rtol, atol=rtol)
    out = np.empty_like(x)
    assert fastnn.softmax(x, axis=axis, out=out) is out
    np.testing.assert_allclose(out, want, rtol=rtol)
    # non-contiguous input
    xt = np.asfortranarray(x)
    np.testing.assert_allclose(fastnn.softmax(xt, axis=axis), want, rtol=rtol)


@pytest.mark.parametrize("axis", [2, -3, 5])
def test_softmax_bad_axis(axis):
    x = np.ones((2, 3))
    for fn in (lambda: fastnn.softmax(x, axis=axis), lambda: fastnn.log_softmax(x, axis=axis),
               lambda: fastnn.softmax_backward(x, x, axis=axis)):
        with pytest.raises(np.exceptions.AxisError):
            fn()
    with pytest.raises(ValueError):
        fastnn.softmax(np.float64(1.0))
    with pytest.raises(TypeError, match="axis"):
        fastnn.softmax(x, axis=1.0)


@pytest.mark.parametrize("shape,axis", [((3, 6), -1), ((3, 6), 0), ((2, 3, 4), 1)])
def test_softmax_backward_matches_jacobian(dtype, shape, axis):
    """dL/dx = J^T g with J = diag(y) - y y^T for each slice along axis."""
    rng = np.random.default_rng(9)
    x = rng.standard_normal(shape).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    y = fastnn.softmax(x, axis=axis)
    got = fastnn.softmax_backward(g, y, axis=axis)
    y64, g64 = np.moveaxis(y.astype(np.float64), axis, -1), np.moveaxis(g.astype(np.float64), axis, -1)
    jac = np.einsum("...i,ij->...ij", y64, np.eye(y64.shape[-1])) \
        - np.einsum("...i,...j->...ij", y64, y64)
    want = np.moveaxis(np.einsum("...ij,...i->...j", jac, g64), -1, axis)
    np.testing.assert_allclose(got, want, rtol=0, atol=20 * np.finfo(dtype).eps)
    # in place on grad
    g2 = g.copy()
    assert fastnn.softmax_backward(g2, y, axis=axis, out=g2) is g2
    np.testing.assert_array_equal(g2, got)


@pytest.mark.parametrize("shift", [1, -2])
def test_backward_and_softmax_with_out_overlapping_an_input(dtype, shift):
    """out a shifted view of grad (backward) or of x (softmax): the result
    is as if computed into fresh memory."""
    base = np.linspace(-2, 2, 24).astype(dtype)
    buf = np.concatenate([base, np.zeros(4, dtype=dtype)])
    lo = 2
    grad, saved = buf[lo:lo + 20], np.linspace(-1, 1, 20).astype(dtype)
    want = fastnn.silu_backward(grad.copy(), saved)
    fastnn.silu_backward(grad, saved, out=buf[lo + shift:lo + shift + 20])
    np.testing.assert_array_equal(buf[lo + shift:lo + shift + 20], want)

    buf = np.concatenate([base, np.zeros(8, dtype=dtype)])
    x = buf[4:28].reshape(4, 6)
    want = fastnn.softmax(x.copy())
    out = buf[4 + shift:28 + shift].reshape(4, 6)
    fastnn.softmax(x, out=out)
    np.testing.assert_array_equal(out, want)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_family_in_place_matches_out_of_place(name, dtype):
    """out=x along the last axis runs the C rows directly on x: log_softmax
    must not use its output as scratch before it has read the input."""
    fn = getattr(fastnn, name)
    x = np.random.default_rng(3).standard_normal((7, 33)).astype(dtype) * 4
    expected = fn(x)
    assert fn(x, out=x) is x
    np.testing.assert_array_equal(x, expected)


def test_softmax_backward_in_place_over_grad(dtype):
    rng = np.random.default_rng(4)
    y = fastnn.softmax(rng.standard_normal((5, 9)).astype(dtype))
    grad = rng.standard_normal((5, 9)).astype(dtype)
    expected = fastnn.softmax_backward(grad, y)
    fastnn.softmax_backward(grad, y, out=grad)
    np.testing.assert_array_equal(grad, expected)


def test_private_row_kernel_rejects_unknown_kind():
    from fastnn import _kernels
    with pytest.raises(ValueError, match="unknown row kernel"):
        _kernels.rowwise(3, np.zeros((2, 2)))
