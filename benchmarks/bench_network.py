"""Training speed of fastnn against the same model elsewhere (one thread, float32).

Run with pytest-benchmark::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \
        python -m pytest benchmarks/bench_network.py --benchmark-only

or as a script for a side-by-side table (``python benchmarks/bench_network.py``).
Every comparison builds its model here: a hand-written NumPy loop always,
scikit-learn's MLPClassifier and a PyTorch eager loop only where installed.

Cases (the issue's speed targets):
- digits, 64-64(relu)-10(softmax), batch 32, Adam lr 1e-3: time per epoch;
- 60000 x 784 synthetic, 784-256(relu)-10, batch 128, Adam: one epoch, and
  the matrix products of that epoch alone (the floor);
- dense_forward + dense_backward, 784 -> 128, batch 256, against the three
  bare sgemm calls they contain.
"""
import time
import warnings

import numpy as np
import pytest

import fastnn
from fastnn.datasets import load_digits, train_test_split

DTYPE = np.float32


# ---------------------------------------------------------------- data

def digits_data():
    X, y = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(X / 16, y, 0.25, seed=0)
    return X_train.astype(DTYPE), X_test.astype(DTYPE), y_train, y_test


def synthetic_data(n=60000, n_in=784, n_classes=10, seed=0):
    """Linearly separable-ish classes: labels from a random linear map."""
    rng = np.random.default_rng(seed)
    X = rng.random((n, n_in), dtype=DTYPE)
    y = (X @ rng.standard_normal((n_in, n_classes)).astype(DTYPE)).argmax(axis=1)
    return X, y


# ---------------------------------------------------------------- NumPy loop

class NumpyMLP:
    """relu hidden layers, softmax + cross-entropy, Adam: the same model and
    update as fastnn, written with in-place NumPy operations."""

    def __init__(self, sizes, seed=0, lr=1e-3):
        rng = np.random.default_rng(seed)
        self.params = []
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            lim = np.sqrt(6 / n_in)
            self.params += [rng.uniform(-lim, lim, (n_in, n_out)).astype(DTYPE),
                            np.zeros(n_out, DTYPE)]
        self.m = [np.zeros_like(p) for p in self.params]
        self.v = [np.zeros_like(p) for p in self.params]
        self.t = 0
        self.lr = lr

    def _adam(self, grads):
        self.t += 1
        step = self.lr / (1 - 0.9 ** self.t)
        inv_bc2 = 1 / np.sqrt(1 - 0.999 ** self.t)
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            m *= 0.9
            m += 0.1 * g
            v *= 0.999
            v += 0.001 * (g * g)
            p -= step * m / (np.sqrt(v) * inv_bc2 + 1e-8)

    def epoch(self, X, y, batch_size, rng):
        perm = rng.permutation(len(X))
        n_layers = len(self.params) // 2
        for start in range(0, len(X), batch_size):
            idx = perm[start:start + batch_size]
            acts, pre = [X[idx]], []
            for layer in range(n_layers):
                W, b = self.params[2 * layer], self.params[2 * layer + 1]
                z = acts[-1] @ W
                z += b
                pre.append(z)
                acts.append(np.maximum(z, 0) if layer < n_layers - 1 else z)
            z = acts[-1]
            z -= z.max(axis=1, keepdims=True)
            np.exp(z, out=z)
            z /= z.sum(axis=1, keepdims=True)
            rows = np.arange(len(idx))
            z[rows, y[idx]] -= 1
            z /= len(idx)
            grad = z
            grads = [None] * len(self.params)
            for layer in range(n_layers - 1, -1, -1):
                grads[2 * layer] = acts[layer].T @ grad
                grads[2 * layer + 1] = grad.sum(axis=0)
                if layer:
                    grad = grad @ self.params[2 * layer].T
                    grad *= pre[layer - 1] > 0
            self._adam(grads)

    def predict(self, X):
        a = X
        for layer in range(len(self.params) // 2):
            a = a @ self.params[2 * layer] + self.params[2 * layer + 1]
            if layer < len(self.params) // 2 - 1:
                a = np.maximum(a, 0)
        return a.argmax(axis=1)


def matmuls_only(X, sizes, batch_size):
    """The matrix products of one epoch of `sizes` (no grad_X for layer 0)
    into preallocated outputs: the floor of any training loop."""
    rng = np.random.default_rng(0)
    Ws = [rng.random((a, b), dtype=DTYPE) for a, b in zip(sizes[:-1], sizes[1:])]
    full = [np.empty((batch_size, s), DTYPE) for s in sizes]
    gWs = [np.empty_like(W) for W in Ws]

    def run():
        for start in range(0, len(X), batch_size):
            xb = X[start:start + batch_size]
            n = len(xb)
            acts = [xb] + [a[:n] for a in full[1:]]
            for i, W in enumerate(Ws):
                np.matmul(acts[i], W, out=acts[i + 1])
            for i in range(len(Ws) - 1, -1, -1):
                np.matmul(acts[i].T, acts[i + 1], out=gWs[i])
                if i:
                    np.matmul(acts[i + 1], Ws[i].T, out=acts[i])
    return run


# ---------------------------------------------------------------- other libraries

def sklearn_epoch_runner(X, y, hidden=64, batch_size=32, epochs=5):
    neural = pytest.importorskip("sklearn.neural_network")
    from sklearn.exceptions import ConvergenceWarning

    def run():
        clf = neural.MLPClassifier(hidden_layer_sizes=(hidden,), activation="relu",
                                   solver="adam", alpha=0.0, batch_size=batch_size,
                                   learning_rate_init=1e-3, max_iter=epochs, tol=0.0,
                                   n_iter_no_change=10 ** 9, shuffle=True, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X, y)
        return clf
    return run


def torch_epoch_runner(X, y, sizes, batch_size=32):
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    torch.manual_seed(0)
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(torch.nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y.astype(np.int64))
    gen = torch.Generator().manual_seed(0)

    def run():
        perm = torch.randperm(len(Xt), generator=gen)
        for start in range(0, len(Xt), batch_size):
            idx = perm[start:start + batch_size]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(Xt[idx]), yt[idx])
            loss.backward()
            opt.step()
    run.model = model
    return run


# ---------------------------------------------------------------- pytest-benchmark

@pytest.fixture(scope="module", autouse=True)
def one_thread():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    before = fastnn.get_num_threads()
    fastnn.set_num_threads(1)
    with threadpoolctl.threadpool_limits(1):
        yield
    fastnn.set_num_threads(before)


@pytest.fixture(scope="module")
def digits():
    return digits_data()


@pytest.fixture(scope="module")
def synthetic():
    return synthetic_data()


def test_digits_epoch_fastnn(benchmark, digits):
    X, _, y, _ = digits
    net = fastnn.Network([64, 64, 10], ["relu", "softmax"], seed=0)
    net.fit(X, y, epochs=1)                      # warm-up: buffers, BLAS
    benchmark.group = "digits 64-64-10 epoch"
    benchmark.pedantic(net.fit, args=(X, y), kwargs=dict(epochs=1, batch_size=32,
                                                          optimizer=net.optimizer),
                       rounds=30, iterations=1)


def test_digits_epoch_numpy(benchmark, digits):
    X, _, y, _ = digits
    model, rng = NumpyMLP([64, 64, 10]), np.random.default_rng(0)
    benchmark.group = "digits 64-64-10 epoch"
    benchmark.pedantic(model.epoch, args=(X, y, 32, rng), rounds=10, iterations=1)


def test_digits_epoch_sklearn(benchmark, digits):
    X, _, y, _ = digits
    run = sklearn_epoch_runner(X, y, epochs=1)
    benchmark.group = "digits 64-64-10 epoch"
    benchmark.pedantic(run, rounds=10, iterations=1)     # includes sklearn's setup


def test_digits_epoch_torch(benchmark, digits):
    X, _, y, _ = digits
    run = torch_epoch_runner(X, y, [64, 64, 10])
    benchmark.group = "digits 64-64-10 epoch"
    benchmark.pedantic(run, rounds=5, iterations=1)


def test_mnist_sized_epoch_fastnn(benchmark, synthetic):
    X, y = synthetic
    net = fastnn.Network([784, 256, 10], ["relu", "softmax"], seed=0)
    benchmark.group = "60000x784 784-256-10 epoch"
    benchmark.pedantic(net.fit, args=(X, y), kwargs=dict(epochs=1, batch_size=128),
                       rounds=2, iterations=1)


def test_mnist_sized_epoch_fastnn_sgd(benchmark, synthetic):
    # The same epoch with plain SGD: shows what Adam's own pass (7 streams
    # over the 203k parameters per batch) adds to the matrix products.
    X, y = synthetic
    net = fastnn.Network([784, 256, 10], ["relu", "softmax"], seed=0)
    benchmark.group = "60000x784 784-256-10 epoch"
    benchmark.pedantic(net.fit, args=(X, y), kwargs=dict(epochs=1, batch_size=128,
                                                          optimizer="sgd"),
                       rounds=2, iterations=1)


def test_mnist_sized_epoch_numpy(benchmark, synthetic):
    X, y = synthetic
    model, rng = NumpyMLP([784, 256, 10]), np.random.default_rng(0)
    benchmark.group = "60000x784 784-256-10 epoch"
    benchmark.pedantic(model.epoch, args=(X, y, 128, rng), rounds=2, iterations=1)


def test_mnist_sized_epoch_matmuls_only(benchmark, synthetic):
    X, _ = synthetic
    benchmark.group = "60000x784 784-256-10 epoch"
    benchmark.pedantic(matmuls_only(X, [784, 256, 10], 128), rounds=2, iterations=1)


def _dense_case():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((256, 784), dtype=DTYPE)
    W = rng.standard_normal((784, 128), dtype=DTYPE) * DTYPE(0.03)
    b = np.zeros(128, DTYPE)
    G = rng.standard_normal((256, 128), dtype=DTYPE)
    return X, W, b, G


def test_dense_layer_fastnn(benchmark):
    X, W, b, G = _dense_case()
    out = np.empty((256, 128), DTYPE)

    def step():
        A, saved = fastnn.dense_forward(X, W, b, "relu", out=out, return_saved=True)
        fastnn.dense_backward(G, X, W, saved, "relu")
    benchmark.group = "dense 784->128 batch 256 fwd+bwd"
    benchmark.pedantic(step, rounds=200, iterations=5, warmup_rounds=10)


def test_dense_layer_bare_sgemm(benchmark):
    X, W, b, G = _dense_case()
    Z, gW, gX = np.empty((256, 128), DTYPE), np.empty_like(W), np.empty_like(X)

    def step():
        np.matmul(X, W, out=Z)
        np.matmul(X.T, G, out=gW)
        np.matmul(G, W.T, out=gX)
    benchmark.group = "dense 784->128 batch 256 fwd+bwd"
    benchmark.pedantic(step, rounds=200, iterations=5, warmup_rounds=10)


# ---------------------------------------------------------------- script

def _best(fn, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), float(np.median(times))


def main():
    """Side-by-side table of the issue's speed targets (best and median)."""
    from threadpoolctl import threadpool_limits
    fastnn.set_num_threads(1)
    rows = []
    with threadpool_limits(1):
        X, X_test, y, y_test = digits_data()
        net = fastnn.Network([64, 64, 10], ["relu", "softmax"], seed=0)
        hist = net.fit(X, y, epochs=50, batch_size=32, learning_rate=1e-3)
        rows.append(("digits epoch", "fastnn", min(hist.seconds), np.median(hist.seconds),
                     net.score(X_test, y_test)))
        model, rng = NumpyMLP([64, 64, 10]), np.random.default_rng(0)
        best, med = _best(lambda: model.epoch(X, y, 32, rng), 50)
        rows.append(("digits epoch", "numpy", best, med,
                     float(np.mean(model.predict(X_test) == y_test))))
        try:
            run = sklearn_epoch_runner(X, y, epochs=50)
            start = time.perf_counter()
            clf = run()
            per = (time.perf_counter() - start) / 50
            rows.append(("digits epoch", "sklearn", per, per, clf.score(X_test, y_test)))
        except pytest.skip.Exception:
            pass
        try:
            run = torch_epoch_runner(X, y, [64, 64, 10])
            best, med = _best(run, 50)
            import torch
            with torch.no_grad():
                acc = float((run.model(torch.from_numpy(X_test)).argmax(1).numpy()
                             == y_test).mean())
            rows.append(("digits epoch", "torch", best, med, acc))
        except pytest.skip.Exception:
            pass
        Xs, ys = synthetic_data()
        # Interleaved rounds, so that a change in machine load hits every
        # implementation alike; the table shows the best and median round.
        adam = fastnn.Network([784, 256, 10], ["relu", "softmax"], seed=0)
        sgd = fastnn.Network([784, 256, 10], ["relu", "softmax"], seed=0)
        model, rng = NumpyMLP([784, 256, 10]), np.random.default_rng(0)
        floor = matmuls_only(Xs, [784, 256, 10], 128)
        runs = {"fastnn": [], "fastnn sgd": [], "numpy": [], "matmuls only": []}
        for _ in range(3):
            runs["fastnn"].append(adam.fit(Xs, ys, epochs=1, batch_size=128,
                                           optimizer=adam.optimizer or "adam").seconds[0])
            runs["fastnn sgd"].append(sgd.fit(Xs, ys, epochs=1, batch_size=128,
                                              optimizer=sgd.optimizer or "sgd").seconds[0])
            runs["numpy"].append(_best(lambda: model.epoch(Xs, ys, 128, rng), 1)[0])
            runs["matmuls only"].append(_best(floor, 1)[0])
        for name, times in runs.items():
            rows.append(("60000x784 epoch", name, min(times), np.median(times), None))
        Xd, W, b, G = _dense_case()
        out = np.empty((256, 128), DTYPE)

        def dense():
            A, saved = fastnn.dense_forward(Xd, W, b, "relu", out=out, return_saved=True)
            fastnn.dense_backward(G, Xd, W, saved, "relu")
        Z, gW, gX = np.empty((256, 128), DTYPE), np.empty_like(W), np.empty_like(Xd)

        def bare():
            np.matmul(Xd, W, out=Z)
            np.matmul(Xd.T, G, out=gW)
            np.matmul(G, W.T, out=gX)
        runs = {"fastnn": [], "3 sgemm": []}
        for _ in range(10):
            runs["fastnn"].append(_best(dense, 30)[0])
            runs["3 sgemm"].append(_best(bare, 30)[0])
        for name, times in runs.items():
            rows.append(("dense 784->128 b256", name, min(times), np.median(times), None))
    print(f"{'case':22} {'impl':13} {'best ms':>9} {'median ms':>10} {'accuracy':>9}")
    for case, impl, best, med, acc in rows:
        acc_text = f"{acc:9.4f}" if acc is not None else ""
        print(f"{case:22} {impl:13} {1e3 * best:9.3f} {1e3 * med:10.3f} {acc_text}")


if __name__ == "__main__":
    main()
