"""Baseline MLP trainers for the network benchmarks: pure NumPy, PyTorch, scikit-learn.

Each trainer trains the same model as fastnn's Network (ReLU hidden layers,
softmax output, mean cross-entropy, Adam with beta1 0.9, beta2 0.999,
eps 1e-8) and exposes ``epoch()`` (one pass over the shuffled data, the last
partial batch included) and ``accuracy(X, y)``.
"""
import numpy as np

ADAM_BETA1, ADAM_BETA2, ADAM_EPS = 0.9, 0.999, 1e-8


class NumpyMLP:
    """A hand-written pure-NumPy training loop, as a careful user would write it.

    Buffers are allocated once per batch size and reused; matrix products go
    to NumPy's BLAS with ``out=``.

    Parameters
    ----------
    sizes : list of int
        Layer widths, input first.
    X : ndarray, shape (n_samples, sizes[0])
    y : ndarray of int, shape (n_samples,)
        Class indices in [0, sizes[-1]).
    batch_size : int
    learning_rate : float
    seed : int
    """

    def __init__(self, sizes, X, y, batch_size, learning_rate=1e-3, seed=0):
        self.X, self.y = X, y
        self.dtype = X.dtype
        self.batch_size, self.lr = batch_size, learning_rate
        self.rng = np.random.default_rng(seed)
        self.W = [(self.rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in))
                  .astype(self.dtype) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
        self.b = [np.zeros(n_out, self.dtype) for n_out in sizes[1:]]
        params = self.W + self.b
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.grads = [np.zeros_like(p) for p in params]
        self.scratch = [np.zeros_like(p) for p in params]
        self.t = 0
        bs = batch_size
        self.xb = np.zeros((bs, sizes[0]), self.dtype)
        self.Z = [np.zeros((bs, n), self.dtype) for n in sizes[1:]]
        self.A = [np.zeros((bs, n), self.dtype) for n in sizes[1:]]
        self.dZ = [np.zeros((bs, n), self.dtype) for n in sizes[1:]]
        self.dA = [np.zeros((bs, n), self.dtype) for n in sizes[1:-1]]
        self.mask = [np.zeros((bs, n), bool) for n in sizes[1:-1]]
        self.rows = np.zeros((bs, 1), self.dtype)

    def _forward(self, xb, m):
        a = xb
        last = len(self.W) - 1
        for i, (W, b) in enumerate(zip(self.W, self.b)):
            Z, A = self.Z[i][:m], self.A[i][:m]
            np.matmul(a, W, out=Z)
            np.add(Z, b, out=Z)
            if i < last:
                np.maximum(Z, 0, out=A)
            else:                           # softmax, max-shifted
                rows = self.rows[:m]
                np.max(Z, axis=1, keepdims=True, out=rows)
                np.subtract(Z, rows, out=A)
                np.exp(A, out=A)
                np.sum(A, axis=1, keepdims=True, out=rows)
                np.divide(A, rows, out=A)
            a = A
        return a

    def _backward(self, xb, yb, m):
        L = len(self.W)
        dZ = self.dZ[L - 1][:m]
        np.copyto(dZ, self.A[L - 1][:m])    # softmax + cross-entropy: (P - Y) / m
        dZ[np.arange(m), yb] -= 1
        np.multiply(dZ, 1.0 / m, out=dZ)
        for i in range(L - 1, -1, -1):
            a_prev = xb if i == 0 else self.A[i - 1][:m]
            np.matmul(a_prev.T, dZ, out=self.grads[i])
            np.sum(dZ, axis=0, out=self.grads[L + i])
            if i > 0:
                dA, mask = self.dA[i - 1][:m], self.mask[i - 1][:m]
                np.matmul(dZ, self.W[i].T, out=dA)
                np.greater(self.Z[i - 1][:m], 0, out=mask)
                dZ = self.dZ[i - 1][:m]
                np.multiply(dA, mask, out=dZ)

    def _adam(self):
        self.t += 1
        step = self.lr * np.sqrt(1 - ADAM_BETA2 ** self.t) / (1 - ADAM_BETA1 ** self.t)
        for p, g, m, v, s in zip(self.W + self.b, self.grads, self.m, self.v, self.scratch):
            m *= ADAM_BETA1
            np.multiply(g, 1 - ADAM_BETA1, out=s)
            m += s
            v *= ADAM_BETA2
            np.multiply(g, g, out=s)
            s *= 1 - ADAM_BETA2
            v += s
            np.sqrt(v, out=s)
            s += ADAM_EPS
            np.divide(m, s, out=s)
            s *= step
            p -= s

    def epoch(self):
        """One pass over the shuffled training data."""
        n = len(self.X)
        order = self.rng.permutation(n)
        for start in range(0, n, self.batch_size):
            idx = order[start:start + self.batch_size]
            m = len(idx)
            xb = self.xb[:m]
            np.take(self.X, idx, axis=0, out=xb)
            self._forward(xb, m)
            self._backward(xb, self.y[idx], m)
            self._adam()

    def accuracy(self, X, y):
        """Fraction of rows of X whose predicted class is y."""
        correct = 0
        for start in range(0, len(X), self.batch_size):
            xb = X[start:start + self.batch_size]
            correct += int((self._forward(xb, len(xb)).argmax(1) == y[start:start + len(xb)])
                           .sum())
        return correct / len(X)


class TorchMLP:
    """A PyTorch eager training loop (nn.Sequential, CrossEntropyLoss, optim.Adam).

    Parameters
    ----------
    torch : module
    sizes, X, y, batch_size, learning_rate, seed
        As :class:`NumpyMLP`.
    """

    def __init__(self, torch, sizes, X, y, batch_size, learning_rate=1e-3, seed=0):
        self.torch = torch
        torch.manual_seed(seed)
        layers = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(torch.nn.Linear(n_in, n_out))
            if i < len(sizes) - 2:
                layers.append(torch.nn.ReLU())
        tdtype = torch.float32 if X.dtype == np.float32 else torch.float64
        self.model = torch.nn.Sequential(*layers).to(tdtype)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=learning_rate,
                                          betas=(ADAM_BETA1, ADAM_BETA2), eps=ADAM_EPS)
        self.loss_fn = torch.nn.CrossEntropyLoss()
        self.X, self.y = torch.from_numpy(X), torch.from_numpy(y.astype(np.int64))
        self.batch_size = batch_size
        self.generator = torch.Generator().manual_seed(seed)

    def epoch(self):
        """One pass over the shuffled training data."""
        torch = self.torch
        order = torch.randperm(len(self.X), generator=self.generator)
        for start in range(0, len(self.X), self.batch_size):
            idx = order[start:start + self.batch_size]
            self.optimizer.zero_grad(set_to_none=True)
            loss = self.loss_fn(self.model(self.X[idx]), self.y[idx])
            loss.backward()
            self.optimizer.step()

    def accuracy(self, X, y):
        with self.torch.no_grad():
            pred = self.model(self.torch.from_numpy(X)).argmax(1).numpy()
        return float((pred == y).mean())


class SklearnMLP:
    """scikit-learn's MLPClassifier, one ``partial_fit`` (one epoch) per call.

    Parameters
    ----------
    sklearn_mlp : class
        sklearn.neural_network.MLPClassifier.
    sizes, X, y, batch_size, learning_rate, seed
        As :class:`NumpyMLP`.
    """

    def __init__(self, sklearn_mlp, sizes, X, y, batch_size, learning_rate=1e-3, seed=0):
        self.model = sklearn_mlp(hidden_layer_sizes=tuple(sizes[1:-1]), activation="relu",
                                 solver="adam", batch_size=batch_size,
                                 learning_rate_init=learning_rate, alpha=0.0,
                                 beta_1=ADAM_BETA1, beta_2=ADAM_BETA2, epsilon=ADAM_EPS,
                                 shuffle=True, random_state=seed)
        self.X, self.y = X, y
        self.classes = np.arange(sizes[-1])

    def epoch(self):
        self.model.partial_fit(self.X, self.y, classes=self.classes)

    def accuracy(self, X, y):
        return float(self.model.score(X, y))
