"""fastnn.dense_forward / dense_backward against a float64 NumPy reference."""
import numpy as np
import pytest
from scipy.special import erf

import fastnn
from _arrays import unaligned_copy

SQRT2 = np.sqrt(2.0)


def _sigmoid(z):
    return 0.5 * (1 + np.tanh(0.5 * z))


def _gelu_tanh(z):
    return 0.5 * z * (1 + np.tanh(np.sqrt(2 / np.pi) * (z + 0.044715 * z ** 3)))


# f and f' in float64, written independently of the kernels.
REFERENCE = {
    "identity": (lambda z: z, lambda z: np.ones_like(z)),
    "sigmoid": (_sigmoid, lambda z: _sigmoid(z) * (1 - _sigmoid(z))),
    "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
    "relu": (lambda z: np.maximum(z, 0), lambda z: (z > 0).astype(float)),
    "leaky_relu": (lambda z: np.where(z > 0, z, 0.01 * z), lambda z: np.where(z > 0, 1, 0.01)),
    "elu": (lambda z: np.where(z > 0, z, np.expm1(z)), lambda z: np.where(z > 0, 1, np.exp(z))),
    "softplus": (lambda z: np.logaddexp(0, z), _sigmoid),
    "silu": (lambda z: z * _sigmoid(z), lambda z: _sigmoid(z) * (1 + z * (1 - _sigmoid(z)))),
    "gelu": (lambda z: 0.5 * z * (1 + erf(z / SQRT2)),
             lambda z: 0.5 * (1 + erf(z / SQRT2)) + z * np.exp(-z * z / 2) / np.sqrt(2 * np.pi)),
    "gelu_tanh": (_gelu_tanh, None),        # derivative by finite differences below
}
ALL = sorted(REFERENCE) + ["softmax"]


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _reference_dZ(name, Z, grad_A):
    if name == "softmax":
        A = _softmax(Z)
        return A * (grad_A - np.sum(grad_A * A, axis=1, keepdims=True))
    f, df = REFERENCE[name]
    if df is None:
        h = 1e-6
        return grad_A * (f(Z + h) - f(Z - h)) / (2 * h)
    return grad_A * df(Z)


def _data(dtype, n=37, n_in=19, n_out=13, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, n_in)).astype(dtype)
    W = (rng.standard_normal((n_in, n_out)) / np.sqrt(n_in)).astype(dtype)
    b = rng.standard_normal(n_out).astype(dtype)
    G = rng.standard_normal((n, n_out)).astype(dtype)
    return X, W, b, G


def _tol(dtype):
    return dict(rtol=2e-4, atol=2e-5) if dtype == np.float32 else dict(rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("order_x", ["C", "F"])
@pytest.mark.parametrize("order_w", ["C", "F"])
@pytest.mark.parametrize("name", ALL)
def test_forward_and_backward_match_reference(name, dtype, order_x, order_w):
    X, W, b, G = _data(dtype)
    Xo, Wo = np.asarray(X, order=order_x), np.asarray(W, order=order_w)
    Z = X.astype(np.float64) @ W.astype(np.float64) + b
    A_ref = _softmax(Z) if name == "softmax" else REFERENCE[name][0](Z)
    A, saved = fastnn.dense_forward(Xo, Wo, b, activation=name, return_saved=True)
    assert A.dtype == dtype and A.shape == Z.shape
    np.testing.assert_allclose(A, A_ref, **_tol(dtype))
    grad_X, grad_W, grad_b = fastnn.dense_backward(G, Xo, Wo, saved, activation=name)
    dZ = _reference_dZ(name, Z, G.astype(np.float64))
    tol = dict(rtol=1e-3, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-7, atol=1e-8)
    if name == "gelu_tanh":                  # the reference derivative is itself approximate
        tol = dict(rtol=1e-3, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(grad_b, dZ.sum(axis=0), **tol)
    np.testing.assert_allclose(grad_W, X.T.astype(np.float64) @ dZ, **tol)
    np.testing.assert_allclose(grad_X, dZ @ W.T.astype(np.float64), **tol)
    assert grad_X.dtype == grad_W.dtype == grad_b.dtype == dtype


@pytest.mark.parametrize("name", ["relu", "sigmoid", "softmax", "identity"])
def test_saved_is_output_or_preactivation(name):
    X, W, b, _ = _data(np.float64)
    A, saved = fastnn.dense_forward(X, W, b, activation=name, return_saved=True)
    Z = X @ W + b
    if fastnn.get_activation(name).saves == "output":
        assert saved is A
    else:
        np.testing.assert_allclose(saved, Z, rtol=1e-12, atol=1e-12)


def test_out_argument_is_filled_and_returned(dtype):
    X, W, b, _ = _data(dtype)
    out = np.full((X.shape[0], W.shape[1]), np.nan, dtype)
    res = fastnn.dense_forward(X, W, b, activation="tanh", out=out)
    assert res is out
    np.testing.assert_array_equal(out, fastnn.dense_forward(X, W, b, activation="tanh"))


def test_need_grad_X_false_skips_it():
    X, W, b, G = _data(np.float64)
    A, saved = fastnn.dense_forward(X, W, b, return_saved=True)
    gx, gw, gb = fastnn.dense_backward(G, X, W, saved, need_grad_X=False)
    assert gx is None
    np.testing.assert_array_equal(gw, fastnn.dense_backward(G, X, W, saved)[1])


def test_large_layer_spans_several_row_blocks(dtype):
    # 4096 / 13 columns -> several bias+activation blocks, and a partial one.
    X, W, b, G = _data(dtype, n=1000)
    A = fastnn.dense_forward(X, W, b, activation="relu")
    Z = X.astype(np.float64) @ W + b
    np.testing.assert_allclose(A, np.maximum(Z, 0), **_tol(dtype))


def test_empty_batch():
    X, W, b, G = _data(np.float64, n=0)
    A, saved = fastnn.dense_forward(X, W, b, return_saved=True)
    assert A.shape == (0, W.shape[1])
    gx, gw, gb = fastnn.dense_backward(G, X, W, saved)
    assert gx.shape == (0, W.shape[0])
    np.testing.assert_array_equal(gw, 0)
    np.testing.assert_array_equal(gb, 0)


def test_non_contiguous_inputs_are_accepted():
    X, W, b, _ = _data(np.float64, n=40)
    A = fastnn.dense_forward(X[::2], W, b, activation="identity")
    np.testing.assert_allclose(A, X[::2] @ W + b, rtol=1e-12)


@pytest.mark.parametrize("args, match", [
    (lambda X, W, b: (X[:, :-1], W, b), "X has 18 features"),
    (lambda X, W, b: (X, W, b[:-1]), r"b must have shape \(13,\)"),
    (lambda X, W, b: (X[0], W, b), "X must be 2-D"),
    (lambda X, W, b: (X, W, b[None]), "b must be 1-D"),
])
def test_shape_errors_name_the_arguments(args, match):
    X, W, b, _ = _data(np.float64)
    with pytest.raises(ValueError, match=match):
        fastnn.dense_forward(*args(X, W, b))


def test_dtype_errors_name_the_arguments():
    X, W, b, G = _data(np.float64)
    with pytest.raises(TypeError, match="W must have dtype float64"):
        fastnn.dense_forward(X, W.astype(np.float32), b)
    with pytest.raises(TypeError, match="b must have dtype float32"):
        fastnn.dense_forward(X.astype(np.float32), W.astype(np.float32), b)
    with pytest.raises(TypeError, match="X must be float32 or float64"):
        fastnn.dense_forward(X.astype(np.int64), W, b)
    with pytest.raises(TypeError, match="X must hold real numbers"):
        fastnn.dense_forward(X.astype(complex), W, b)
    with pytest.raises(TypeError, match="out must have dtype float64"):
        fastnn.dense_forward(X, W, b, out=np.empty((37, 13), np.float32))
    with pytest.raises(ValueError, match="out must have shape"):
        fastnn.dense_forward(X, W, b, out=np.empty((37, 12)))
    with pytest.raises(ValueError, match="unknown activation"):
        fastnn.dense_forward(X, W, b, activation="nope")
    A, saved = fastnn.dense_forward(X, W, b, return_saved=True)
    with pytest.raises(ValueError, match="grad_A must have shape"):
        fastnn.dense_backward(G[:-1], X, W, saved)
    with pytest.raises(ValueError, match="saved must have shape"):
        fastnn.dense_backward(G, X, W, saved[:, :-1])
    with pytest.raises(TypeError, match="grad_A must have dtype float64"):
        fastnn.dense_backward(G.astype(np.float32), X, W, saved)


def test_nan_and_extreme_inputs_propagate_without_error():
    X, W, b, G = _data(np.float32)
    X[3, 0] = np.nan
    X[5] *= 1e4
    A = fastnn.dense_forward(X, W, b, activation="sigmoid")
    assert np.all(np.isnan(A[3])) and not np.any(np.isnan(np.delete(A, 3, axis=0)))
    assert np.all((A[5] >= 0) & (A[5] <= 1))
    S = fastnn.dense_forward(X, W, b, activation="softmax")
    np.testing.assert_allclose(S[5].sum(), 1, rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_out_overlapping_an_input_gives_the_right_answer(dtype):
    # BLAS writes `out` while it still reads X, W and b: an overlapping out
    # must go through a temporary.  Identity activation: A == X @ W + b.
    rng = np.random.default_rng(5)
    tol = _tol(dtype)

    def reference(X, W, b):
        return X.astype(np.float64) @ W.astype(np.float64) + b

    X = rng.standard_normal((300, 300)).astype(dtype)
    W = (rng.standard_normal((300, 300)) / 20).astype(dtype)
    b = rng.standard_normal(300).astype(dtype)
    expected = reference(X, W, b)
    result = fastnn.dense_forward(X, W, b, "identity", out=X)
    assert result is X
    np.testing.assert_allclose(X, expected, **tol)

    W = rng.standard_normal((4, 4)).astype(dtype)
    X = rng.standard_normal((4, 4)).astype(dtype)
    b = rng.standard_normal(4).astype(dtype)
    expected = reference(X, W, b)
    fastnn.dense_forward(X, W, b, "identity", out=W)
    np.testing.assert_allclose(W, expected, **tol)

    buf = rng.standard_normal((5, 6)).astype(dtype)
    X = rng.standard_normal((5, 3)).astype(dtype)
    W = rng.standard_normal((3, 6)).astype(dtype)
    b = buf[2]                                  # b is a row of out
    expected = reference(X, W, b.copy())
    A, saved = fastnn.dense_forward(X, W, b, "relu", out=buf, return_saved=True)
    np.testing.assert_allclose(A, np.maximum(expected, 0), **tol)
    np.testing.assert_allclose(saved, expected, **tol)


def test_private_compiled_api_raises_instead_of_crashing():
    # fastnn._kernels.dense_*_into are private, but a wrong call must raise
    # (TypeError/ValueError), never dereference None or read out of bounds.
    from fastnn import _kernels
    X, W, b, G = _data(np.float32, n=4, n_in=3, n_out=2)
    Z = np.empty((4, 2), np.float32)
    relu = _kernels.ACTIVATION_IDS["relu"]
    for i in (0, 1, 2, 5, 6):
        args = [X, W, b, relu, 0.0, Z, Z]
        args[i] = None
        with pytest.raises(TypeError):
            _kernels.dense_forward_into(*args)
    with pytest.raises(ValueError, match="2-D"):
        _kernels.dense_forward_into(X.ravel(), W, b, relu, 0.0, Z, Z)
    read_only = Z.copy()
    read_only.flags.writeable = False
    with pytest.raises(ValueError, match="A must be writeable"):
        _kernels.dense_forward_into(X, W, b, relu, 0.0, Z, read_only)
    swapped = X.astype(X.dtype.newbyteorder())
    with pytest.raises((TypeError, ValueError)):
        _kernels.dense_forward_into(swapped, W, b, relu, 0.0, Z, Z)
    grad_W = np.empty_like(W)
    grad_b = np.empty_like(b)
    for i in (0, 1, 2, 3, 6, 8, 9):
        args = [G[:, :2].copy(), X, W, Z, relu, 0.0, Z.copy(), None, grad_W, grad_b]
        args[i] = None
        with pytest.raises(TypeError):
            _kernels.dense_backward_into(*args)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_unaligned_and_byte_swapped_arrays_are_converted(dtype):
    X, W, b, G = _data(dtype)
    A, saved = fastnn.dense_forward(X, W, b, "tanh", return_saved=True)
    grads = fastnn.dense_backward(G, X, W, saved, "tanh")
    swapped = dtype(0).dtype.newbyteorder()
    for convert in (unaligned_copy, lambda a: a.astype(swapped)):
        A2, saved2 = fastnn.dense_forward(convert(X), convert(W), convert(b), "tanh",
                                          return_saved=True)
        assert A2.tobytes() == A.tobytes()
        for g, g2 in zip(grads, fastnn.dense_backward(convert(G), convert(X), convert(W),
                                                      convert(saved2), "tanh")):
            assert g2.dtype == dtype and g2.tobytes() == g.tobytes()
        out = convert(np.zeros_like(A))
        assert fastnn.dense_forward(X, W, b, "tanh", out=out) is out
        np.testing.assert_array_equal(out, A)


# ---------------------------------------------------------------- 32-bit BLAS limits

def test_trainer_refuses_a_layer_width_beyond_blas_int_before_allocating():
    from fastnn import _kernels
    import tracemalloc
    params = np.zeros(4, np.float32)
    grads = np.zeros(4, np.float32)
    too_wide = 2**31
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"sizes\[1\] = 2147483648"):
            _kernels.Trainer([3, too_wide, 2], [_kernels.ACTIVATION_IDS["relu"],
                                                _kernels.SOFTMAX_ID],
                             [0.0, 0.0], [False, True], _kernels.LOSS_IDS["cross_entropy"],
                             0.0, 32, params, grads, [0, 0], [0, 0])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20              # nothing of the layer's size was allocated


def test_trainer_refuses_a_batch_beyond_blas_int():
    from fastnn import _kernels
    params = np.zeros(3 * 2 + 2, np.float32)
    with pytest.raises(ValueError, match="batch"):
        _kernels.Trainer([3, 2], [_kernels.SOFTMAX_ID], [0.0], [True],
                         _kernels.LOSS_IDS["cross_entropy"], 0.0, 2**31, params,
                         np.zeros_like(params), [0], [6])


def test_dense_kernels_check_every_dimension_even_of_empty_arrays():
    from fastnn import _kernels
    # A (0, 2**31) view costs no memory; its width must not reach BLAS as a
    # truncated int.
    X = np.lib.stride_tricks.as_strided(np.zeros(1, np.float32), (0, 2**31), (4, 4))
    W = np.lib.stride_tricks.as_strided(np.zeros(1, np.float32), (2**31, 1), (4, 4))
    with pytest.raises(ValueError, match="too large for 32-bit BLAS"):
        _kernels.dense_forward_into(X, W, np.zeros(1, np.float32), 0, 0.0,
                                    np.zeros((0, 1), np.float32), np.zeros((0, 1), np.float32))


# ---------------------------------------------------------------- small products
# Products of small layers run fastnn's register-tiled kernel instead of BLAS
# (fnn_small_gemm_takes in fnn_train.h: every dimension <= 64, a bounded
# amount of work counting n padded to whole 64 bytes; fnn_small_gemm_fits:
# less the ragged n where BLAS is faster).

import os                                                    # noqa: E402
import subprocess                                            # noqa: E402
import sys                                                   # noqa: E402

from fastnn import _dense, _kernels                          # noqa: E402

# The kernel needs GCC's vector extension (GCC, Clang); an MSVC build (the
# Windows wheel) sends every product to BLAS and has no small product at all.
# It runs from the AVX2 level up (FASTNN_CPU_CAPABILITY=baseline: all BLAS).
SMALL_KERNEL = _dense.small_product_takes(1, 16, 1, np.float32)
needs_small_kernel = pytest.mark.skipif(
    not SMALL_KERNEL, reason="no small-product kernel in this build (MSVC) or at the "
                             "baseline SIMD level: all BLAS")


@pytest.mark.skipif(sys.platform == "win32", reason="Windows wheels are built with MSVC")
def test_small_kernel_runs_from_avx2_up_in_gcc_and_clang_builds():
    assert SMALL_KERNEL == (_kernels.selected_cpu_capability() != "baseline")
    if not SMALL_KERNEL:
        with pytest.raises(ValueError, match="no small product"):
            _dense.small_product(np.ones((16, 16), np.float32), np.ones((16, 16), np.float32))

# (m, n, k): tails of rows; n of one AVX-512 vector after the 2-vector panels
# (float 16, 48; double 8, 24); n not whole rows (padded copy of B: 10
# classes, 1, 33, 63).
SMALL_SHAPES = [(32, 64, 64), (1, 16, 3), (5, 32, 17), (64, 16, 64), (7, 16, 64),
                (3, 64, 1), (4, 32, 0), (13, 48, 9), (6, 8, 5), (9, 24, 33),
                (32, 10, 64), (64, 10, 32), (7, 1, 5), (13, 33, 9), (5, 63, 3), (2, 3, 0)]


def _product_error_bound(A, B, dtype):
    """|op(A) B - exact| <= k eps (|A| |B|) elementwise (plus slack for FMA
    and the float64 reference's own rounding)."""
    k = A.shape[1]
    return 2 * max(k, 1) * np.finfo(dtype).eps * (np.abs(A) @ np.abs(B)) + 1e-300


@pytest.mark.parametrize("trans_a,trans_b", [(False, False), (True, False), (False, True),
                                             (True, True)])
@pytest.mark.parametrize("m,n,k,dtype", [(*shape, dtype) for dtype in (np.float32, np.float64)
                                         for shape in SMALL_SHAPES
                                         if _dense.small_product_takes(*shape, dtype)])
def test_small_product_matches_a_float64_reference(m, n, k, dtype, trans_a, trans_b):
    rng = np.random.default_rng(m * 1000 + n * 10 + k)
    A = rng.standard_normal((m, k)).astype(dtype)
    B = rng.standard_normal((k, n)).astype(dtype)
    stored = np.ascontiguousarray(A.T) if trans_a else A
    stored_b = np.ascontiguousarray(B.T) if trans_b else B
    C = _dense.small_product(stored, stored_b, trans_a, trans_b)
    exact = A.astype(np.float64) @ B.astype(np.float64)
    assert C.dtype == dtype and C.shape == (m, n)
    assert np.all(np.abs(C - exact) <= _product_error_bound(A.astype(np.float64),
                                                           B.astype(np.float64), dtype))


_LEVEL_PROBE = r"""
import sys, numpy as np
from fastnn import _dense
rng = np.random.default_rng(3)
out = []
for m, n, k, dtype in %r:
    A = rng.standard_normal((m, k)).astype(dtype)
    B = rng.standard_normal((k, n)).astype(dtype)
    for trans_a, trans_b in ((False, False), (True, False), (False, True), (True, True)):
        stored = np.ascontiguousarray(A.T) if trans_a else A
        stored_b = np.ascontiguousarray(B.T) if trans_b else B
        out.append(_dense.small_product(stored, stored_b, trans_a, trans_b).tobytes().hex())
sys.stdout.write(" ".join(out))
"""


def _kernel_levels():
    return [c for c in _kernels.available_cpu_capabilities() if c != "baseline"]


def _run_at_level(level, code):
    """What `code` writes to stdout, split, in a child at SIMD level `level`."""
    env = dict(os.environ, FASTNN_CPU_CAPABILITY=level)
    run = subprocess.run([sys.executable, "-W", "error::RuntimeWarning", "-c", code], env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return run.stdout.split()


@needs_small_kernel
def test_small_product_gives_the_same_bits_at_every_level():
    """Each level's tile has its own vector width, but every C entry sums
    its k products in the same order: AVX2 and AVX-512 agree bit for bit."""
    levels = _kernel_levels()
    if len(levels) < 2:
        pytest.skip(f"this CPU runs only {levels}: nothing to compare")
    cases = [(32, 64, 64, "float32"), (13, 48, 9, "float32"), (7, 16, 64, "float32"),
             (32, 10, 64, "float32"), (9, 24, 33, "float64"), (6, 8, 5, "float64"),
             (16, 64, 16, "float64"), (64, 10, 16, "float64")]
    runs = {level: _run_at_level(level, _LEVEL_PROBE % (cases,)) for level in levels}
    assert len(runs[levels[0]]) == 4 * len(cases)
    assert all(runs[level] == runs[levels[0]] for level in levels)


_FITS_PROBE = r"""
import sys
from fastnn import _dense
sys.stdout.write(" ".join(str(int(_dense.small_product_fits(*case))) for case in %r))
"""


@needs_small_kernel
def test_ragged_widths_go_to_blas_where_it_is_faster():
    """n not a whole 64 bytes pads the tile's lanes: the kernel keeps it
    from n = 2 at AVX2, never at AVX-512 (OpenBLAS's own small-matrix
    kernels win there); whole widths run the kernel at every level."""
    cases = [(32, 10, 64, "float32"), (64, 10, 32, "float32"), (32, 3, 64, "float32"),
             (32, 8, 32, "float32"), (32, 10, 32, "float64"), (32, 1, 64, "float32"),
             (64, 1, 32, "float64"),
             (32, 64, 10, "float32"), (32, 16, 64, "float32"), (32, 8, 32, "float64")]
    whole = ["1", "1", "1"]
    expected = {"avx2": ["1"] * 5 + ["0", "0"] + whole, "avx512": ["0"] * 7 + whole}
    for level in _kernel_levels():
        assert _run_at_level(level, _FITS_PROBE % (cases,)) == expected[level], level


@needs_small_kernel
def test_small_product_takes_only_the_bounded_shapes():
    takes = _dense.small_product_takes
    assert takes(32, 64, 64, np.float32) and takes(64, 64, 32, np.float32)
    assert takes(1, 16, 1, np.float32) and takes(64, 8, 64, np.float64)
    assert takes(32, 10, 64, np.float32) and takes(64, 10, 32, np.float32)  # padded to 16
    assert takes(32, 10, 32, np.float64) and takes(32, 1, 64, np.float32)
    assert not takes(65, 16, 16, np.float32)        # a dimension beyond 64
    assert not takes(16, 16, 65, np.float32)
    assert not takes(16, 65, 16, np.float32)        # 65 columns pad to 80
    assert not takes(64, 64, 64, np.float32)        # 2^18 multiply-adds x 4 bytes > 2^19
    assert not takes(32, 64, 64, np.float64)        # the same work x 8 bytes
    # The work counts the padded width: 64 x 50 x 40 x 4 bytes is under 2^19,
    # but 50 columns pad to 64.
    assert 64 * 50 * 40 * 4 < 2 ** 19 and not takes(64, 50, 40, np.float32)
    assert not takes(0, 2 ** 62, 0, np.float32)    # no overflow rounding n up
    assert not takes(-1, 16, 16, np.float32)
    for check in (takes, _dense.small_product_fits):
        with pytest.raises(TypeError, match="float32 or float64"):
            check(1, 1, 1, "S100")                  # no itemsize the kernel divides by
    with pytest.raises(ValueError, match="no small product"):
        _dense.small_product(np.ones((64, 64), np.float32), np.ones((64, 64), np.float32))
    with pytest.raises(ValueError, match="no small product"):   # op(B) rows != k
        _dense.small_product(np.ones((4, 8), np.float32), np.ones((8, 16), np.float32),
                             trans_b=True)


@needs_small_kernel
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dense_layer_runs_small_products_on_the_small_kernel(dtype):
    """dense_forward and dense_backward give bitwise what the kernel alone
    gives, so their small products go to it (a BLAS product sums in another
    order)."""
    rng = np.random.default_rng(7)
    for n, n_in, n_out in ((16, 32, 16), (32, 64, 16)):
        assert _dense.small_product_fits(n, n_out, n_in, dtype)
        X = rng.standard_normal((n, n_in)).astype(dtype)
        W = rng.standard_normal((n_in, n_out)).astype(dtype)
        Z = fastnn.dense_forward(X, W, np.zeros(n_out, dtype), "identity")
        assert np.array_equal(Z, _dense.small_product(X, W))
        grad = rng.standard_normal((n, n_out)).astype(dtype)
        grad_X, grad_W, _ = fastnn.dense_backward(grad, X, W, Z, "identity")
        assert np.array_equal(grad_W, _dense.small_product(X, grad, trans_a=True))
        assert np.array_equal(grad_X, _dense.small_product(grad, W, trans_b=True))


_TEN_WIDE_PROBE = r"""
import sys, numpy as np, fastnn
from fastnn import _dense
rng = np.random.default_rng(8)
same = []
for dtype in (np.float32, np.float64):
    X = rng.standard_normal((32, 64)).astype(dtype)
    W = rng.standard_normal((64, 10)).astype(dtype)
    grad = rng.standard_normal((32, 10)).astype(dtype)
    Z = fastnn.dense_forward(X, W, np.zeros(10, dtype), "identity")
    _, grad_W, _ = fastnn.dense_backward(grad, X, W, Z, "identity")
    same += [int(_dense.small_product_fits(32, 10, 64, dtype)),
             int(np.array_equal(Z, _dense.small_product(X, W))),
             int(np.array_equal(grad_W, _dense.small_product(X, grad, trans_a=True)))]
sys.stdout.write(" ".join(map(str, same)))
"""


@needs_small_kernel
def test_ten_wide_layers_run_the_padded_kernel_where_it_fits():
    """The 10-class layer's products reach the kernel through its padded
    copy of B at the levels whose dispatch keeps them (AVX2): bitwise the
    kernel's result there; at AVX-512 they go to BLAS."""
    for level in _kernel_levels():
        fits_32, same_z_32, same_w_32, fits_64, same_z_64, same_w_64 = (
            _run_at_level(level, _TEN_WIDE_PROBE))
        assert fits_32 == fits_64 == ("1" if level == "avx2" else "0")
        if fits_32 == "1":
            assert same_z_32 == same_w_32 == same_z_64 == same_w_64 == "1", level


@needs_small_kernel
def test_small_product_propagates_nan_and_inf():
    A = np.ones((4, 16), np.float32)
    A[1, 3] = np.nan
    A[2, 0] = np.inf
    for n in (16, 10):                 # 10: through the zero-padded copy of B
        C = _dense.small_product(A, np.ones((16, n), np.float32))
        assert C.shape == (4, n)
        assert np.all(np.isnan(C[1])) and np.all(np.isposinf(C[2]))
        assert np.all(C[[0, 3]] == 16)


def test_small_product_refuses_unaligned_operands():
    """The kernel reads elements through T pointers: an array whose data is
    not aligned to its element size must be refused, not read (undefined
    behaviour, which UBSan's alignment check reports)."""
    raw = np.zeros(16 * 16 * 4 + 1, np.uint8)
    unaligned = raw[1:].view(np.float32).reshape(16, 16)
    assert not unaligned.flags.aligned and unaligned.flags.c_contiguous
    aligned = np.ones((16, 16), np.float32)
    for A, B in ((unaligned, aligned), (aligned, unaligned)):
        with pytest.raises(ValueError, match="aligned"):
            _dense.small_product(A, B)
