"""Every caller of the small-product kernel against float64 NumPy: the
dense layer in all four memory layouts of X and W (the kernel takes op(A)
transposed or not, B never transposed, so F-ordered operands reach it, or
BLAS, through different flags), and a training epoch at every batch size
that leaves a partial last batch.  Tolerances are k*eps error bounds."""
import itertools

import numpy as np
import pytest

import fastnn
from fastnn import _dense

SHAPES = [(n, n_in, n_out) for n in (1, 3, 4, 5, 16, 33, 64) for n_in in (0, 1, 16, 48, 64)
          for n_out in (1, 3, 8, 10, 16, 48, 64)]


def _bound(A, B, dtype):
    k = max(A.shape[1], 1)
    return 4 * k * np.finfo(dtype).eps * (np.abs(A) @ np.abs(B)) + 1e-300


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("x_order,w_order", list(itertools.product("CF", "CF")))
def test_dense_layer_in_every_layout_matches_float64(dtype, x_order, w_order):
    rng = np.random.default_rng(11)
    n_small = 0
    for n, n_in, n_out in SHAPES:
        n_small += _dense.small_product_fits(n, n_out, n_in, dtype)
        X = np.asarray(rng.standard_normal((n, n_in)), dtype, order=x_order)
        W = np.asarray(rng.standard_normal((n_in, n_out)), dtype, order=w_order)
        b = rng.standard_normal(n_out).astype(dtype)
        G = rng.standard_normal((n, n_out)).astype(dtype)
        Xd, Wd, Gd = X.astype(np.float64), W.astype(np.float64), G.astype(np.float64)
        Z = fastnn.dense_forward(X, W, b, "identity")
        ones = np.ones((n, 1))
        assert np.all(np.abs(Z - (Xd @ Wd + b)) <= _bound(np.hstack([Xd, ones]),
                                                         np.vstack([Wd, np.abs(b)]), dtype))
        gX, gW, _ = fastnn.dense_backward(G, X, W, Z, "identity")
        assert np.all(np.abs(gW - Xd.T @ Gd) <= _bound(Xd.T, Gd, dtype)), (n, n_in, n_out)
        assert np.all(np.abs(gX - Gd @ Wd.T) <= _bound(Gd, Wd.T, dtype)), (n, n_in, n_out)
    assert n_small > 20 or not _dense.small_product_fits(1, 16, 1, np.float32)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("widths", [[16, 32, 16], [48, 64, 32], [64, 32, 10]])
def test_sgd_epoch_matches_numpy_at_every_batch_size(dtype, widths):
    """One unshuffled SGD epoch over 70 rows (a partial last batch for most
    sizes) equals the same epoch in float64 NumPy."""
    rng = np.random.default_rng(12)
    X = rng.standard_normal((70, widths[0])).astype(dtype)
    Y = rng.standard_normal((70, widths[-1])).astype(dtype)
    Xd, Yd, lr = X.astype(np.float64), Y.astype(np.float64), 0.05
    tol = 1e-4 if dtype == "float32" else 1e-11
    for batch in (1, 2, 3, 4, 5, 7, 16, 31, 32, 33, 64):
        net = fastnn.Network(widths, ["tanh", "identity"], loss="mse", dtype=dtype, seed=0)
        (W0, b0), (W1, b1) = [(W.astype(np.float64), b.astype(np.float64)) for W, b in net.params]
        net.fit(X, Y, epochs=1, batch_size=batch, optimizer="sgd", learning_rate=lr,
                momentum=0.0, shuffle=False)
        for s in range(0, 70, batch):
            x, y = Xd[s:s + batch], Yd[s:s + batch]
            a1 = np.tanh(x @ W0 + b0)
            dz1 = 2 * (a1 @ W1 + b1 - y) / y.size
            dz0 = (dz1 @ W1.T) * (1 - a1 ** 2)
            W1, b1 = W1 - lr * (a1.T @ dz1), b1 - lr * dz1.sum(0)
            W0, b0 = W0 - lr * (x.T @ dz0), b0 - lr * dz0.sum(0)
        for (W, b), (rW, rb) in zip(net.params, [(W0, b0), (W1, b1)]):
            assert np.abs(W - rW).max() <= tol and np.abs(b - rb).max() <= tol, batch


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("order", "CF")
def test_predict_matches_numpy_at_every_batch_size(dtype, order):
    net = fastnn.Network([64, 48, 64, 16], ["tanh", "tanh", "identity"], dtype=dtype,
                         loss="mse", seed=1)
    params = [(W.astype(np.float64), b.astype(np.float64)) for W, b in net.params]
    rng = np.random.default_rng(13)
    eps = np.finfo(dtype).eps
    for n in range(1, 65):
        X = np.asarray(rng.standard_normal((n, 64)), dtype, order=order)
        a = X.astype(np.float64)
        for l, (W, b) in enumerate(params):
            a = a @ W + b
            a = a if l == len(params) - 1 else np.tanh(a)
        assert np.abs(net.predict(X) - a).max() <= 300 * eps * (np.abs(a).max() + 1), n
