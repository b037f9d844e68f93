"""Benchmark cases for the network group: training epochs and the dense layer.

Rows (time per call; a call is one training epoch or one dense
forward + backward):

- ``digits epoch``: 64-64-10 (ReLU, softmax), batch 32, Adam, on the 8x8
  digits (a fixed 75/25 split); test accuracy after the timed epochs is
  reported beside the times;
- ``mnist-like epoch``: 784-256-10, batch 128, on synthetic data
  (60,000 samples; fewer under --quick);
- ``dense fwd+bwd``: 784 -> 128 ReLU, batch 256, against NumPy and the three
  bare GEMMs it cannot avoid (scipy.linalg.blas).

fastnn's side uses the API of the network issue (``fastnn.Network``,
``fastnn.dense_forward``/``dense_backward``, ``fastnn.datasets``).  Where this
build does not have it, the row says so and shows only the baselines:
no figure is ever made up.
"""
from dataclasses import dataclass, field
import inspect
from typing import Callable, Dict

import numpy as np

import fastnn
from fastnn._bench_mlp import NumpyMLP, SklearnMLP, TorchMLP

LEARNING_RATE = 1e-3
DIGITS_SIZES, DIGITS_BATCH = [64, 64, 10], 32
MNIST_SIZES, MNIST_BATCH = [784, 256, 10], 128
MNIST_SAMPLES, MNIST_SAMPLES_QUICK = 60_000, 4_000
DENSE_IN, DENSE_OUT, DENSE_BATCH = 784, 128, 256


@dataclass
class NetCase:
    """One row of the network table."""
    name: str
    dtype: str
    n: int                                   # samples per epoch, or batch rows
    unit: str                                # "epoch" or "call"
    impls: Dict[str, Callable[[], object]]
    unavailable: Dict[str, str] = field(default_factory=dict)   # impl -> why not
    notes: Dict[str, str] = field(default_factory=dict)         # impl -> caveat
    accuracy: Dict[str, Callable[[], float]] = field(default_factory=dict)


def load_digits_data():
    """(X, y, source) of the digits, or (None, None, why not).

    X is scaled to [0, 1] (pixels / 16), as one feeds a network.
    """
    datasets = getattr(fastnn, "datasets", None)
    if datasets is None:
        try:
            import fastnn.datasets as datasets
        except ImportError:
            datasets = None
    if datasets is not None and hasattr(datasets, "load_digits"):
        X, y = datasets.load_digits()
        source = "fastnn.datasets"
    else:
        try:
            from sklearn.datasets import load_digits
        except ImportError:
            return None, None, ("no digits data: fastnn.datasets is not in this build "
                                "and scikit-learn is not installed")
        X, y = load_digits(return_X_y=True)
        source = "sklearn.datasets (fastnn.datasets not in this build)"
    return np.asarray(X, np.float64) / 16.0, np.asarray(y, np.int64), source


def split(X, y, test_fraction=0.25, seed=0):
    """A fixed shuffled train/test split."""
    order = np.random.default_rng(seed).permutation(len(X))
    n_test = int(round(len(X) * test_fraction))
    test, train = order[:n_test], order[n_test:]
    return X[train], y[train], X[test], y[test]


def synthetic_data(n_samples, n_features, n_classes, dtype, seed=0):
    """Gaussian inputs labelled by a random linear teacher (learnable, balanced enough)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_features)).astype(dtype)
    teacher = rng.standard_normal((n_features, n_classes)).astype(dtype)
    return X, np.argmax(X @ teacher, axis=1).astype(np.int64)


def _fastnn_trainer(sizes, X, y, batch_size):
    """A zero-argument epoch of fastnn.Network, or (None, why not)."""
    network_cls = getattr(fastnn, "Network", None)
    if network_cls is None:
        return None, "fastnn.Network is not available in this build"
    net = network_cls(sizes, activations=["relu"] * (len(sizes) - 2) + ["softmax"],
                      loss="cross_entropy", dtype=X.dtype.name, seed=0)

    def epoch():
        net.fit(X, y, epochs=1, batch_size=batch_size, optimizer="adam",
                learning_rate=LEARNING_RATE, verbose=False)
    return (epoch, lambda Xt, yt: float(net.score(Xt, yt))), None


def _baseline_trainers(sizes, X, y, batch_size, torch, sklearn_mlp):
    trainers = {"numpy": NumpyMLP(sizes, X, y, batch_size, LEARNING_RATE)}
    if torch is not None:
        trainers["torch"] = TorchMLP(torch, sizes, X, y, batch_size, LEARNING_RATE)
    if sklearn_mlp is not None:
        trainers["sklearn"] = SklearnMLP(sklearn_mlp, sizes, X, y, batch_size, LEARNING_RATE)
    return trainers


def training_case(name, sizes, X, y, batch_size, torch, sklearn_mlp, test=None):
    """A NetCase timing one epoch of each trainer on the same data.

    Parameters
    ----------
    name : str
    sizes : list of int
    X, y : ndarray
        Training data (X of the benchmark dtype, y class indices).
    batch_size : int
    torch, sklearn_mlp : module/class or None
        The optional baselines.
    test : tuple (X_test, y_test), optional
        When given, each side's accuracy on it can be read after timing.
    """
    case = NetCase(name, X.dtype.name, len(X), "epoch", {})
    fast, why = _fastnn_trainer(sizes, X, y, batch_size)
    if fast is None:
        case.unavailable["fastnn"] = why
    else:
        case.impls["fastnn"] = fast[0]
        if test is not None:
            case.accuracy["fastnn"] = lambda: fast[1](*test)
    for key, trainer in _baseline_trainers(sizes, X, y, batch_size, torch,
                                           sklearn_mlp).items():
        case.impls[key] = trainer.epoch
        if test is not None:
            case.accuracy[key] = (lambda t: lambda: t.accuracy(*test))(trainer)
    if torch is None:
        case.unavailable["torch"] = "PyTorch not installed"
    if sklearn_mlp is None:
        case.unavailable["sklearn"] = "scikit-learn not installed"
    return case


def digits_case(dtype, torch, sklearn_mlp):
    """The digits 64-64-10 epoch, or a NetCase with only the reason it cannot run."""
    X, y, source = load_digits_data()
    if X is None:
        return NetCase("digits epoch", np.dtype(dtype).name, 0, "epoch", {},
                       {"all": source})
    X_train, y_train, X_test, y_test = split(X.astype(dtype), y)
    case = training_case("digits epoch", DIGITS_SIZES, X_train, y_train, DIGITS_BATCH,
                         torch, sklearn_mlp, test=(X_test, y_test))
    if "fastnn.datasets" != source:
        case.unavailable["data"] = f"digits from {source}"
    return case


def mnist_like_case(dtype, n_samples, torch, sklearn_mlp):
    """The 784-256-10 synthetic epoch."""
    X, y = synthetic_data(n_samples, MNIST_SIZES[0], MNIST_SIZES[-1], dtype)
    return training_case("mnist-like epoch", MNIST_SIZES, X, y, MNIST_BATCH, torch,
                         sklearn_mlp)


# --------------------------------------------------------------------------
# The dense layer: fastnn vs NumPy vs the three bare GEMMs
# --------------------------------------------------------------------------

class DenseArrays:
    """Inputs, outputs and gradients of one 784 -> 128 ReLU layer, batch 256."""

    def __init__(self, dtype, batch=DENSE_BATCH, n_in=DENSE_IN, n_out=DENSE_OUT, seed=0):
        rng = np.random.default_rng(seed)
        self.X = rng.standard_normal((batch, n_in)).astype(dtype)
        self.W = (rng.standard_normal((n_in, n_out)) * np.sqrt(2 / n_in)).astype(dtype)
        self.b = (rng.standard_normal(n_out) * 0.1).astype(dtype)
        self.grad_A = rng.standard_normal((batch, n_out)).astype(dtype)
        self.Z = np.zeros((batch, n_out), dtype)
        self.A = np.zeros((batch, n_out), dtype)
        self.dZ = np.zeros((batch, n_out), dtype)
        self.mask = np.zeros((batch, n_out), bool)
        self.grad_W = np.zeros((n_in, n_out), dtype)
        self.grad_b = np.zeros(n_out, dtype)
        self.grad_X = np.zeros((batch, n_in), dtype)


def _numpy_dense(d):
    def run():
        np.matmul(d.X, d.W, out=d.Z)
        np.add(d.Z, d.b, out=d.Z)
        np.maximum(d.Z, 0, out=d.A)
        np.greater_equal(d.Z, 0, out=d.mask)
        np.multiply(d.grad_A, d.mask, out=d.dZ)
        np.matmul(d.X.T, d.dZ, out=d.grad_W)
        np.sum(d.dZ, axis=0, out=d.grad_b)
        np.matmul(d.dZ, d.W.T, out=d.grad_X)
    return run


def _blas_dense(d):
    """Z = X W, grad_W = X^T dZ, grad_X = dZ W^T as bare ?gemm calls.

    The arrays are C-contiguous, so each product is computed transposed on
    their Fortran-order views (no copies), straight into the preallocated
    output (overwrite_c).
    """
    try:
        from scipy.linalg.blas import get_blas_funcs
    except ImportError:
        return None
    gemm = get_blas_funcs("gemm", dtype=d.X.dtype)
    ZT, gWT, gXT = d.Z.T, d.grad_W.T, d.grad_X.T

    def run():
        gemm(1.0, d.W.T, d.X.T, c=ZT, overwrite_c=1)                   # Z^T = W^T X^T
        gemm(1.0, d.dZ.T, d.X.T, trans_b=1, c=gWT, overwrite_c=1)      # grad_W^T = dZ^T X
        gemm(1.0, d.W.T, d.dZ.T, trans_a=1, c=gXT, overwrite_c=1)      # grad_X^T = W dZ^T
    return run


def _fastnn_dense(d):
    """fastnn.dense_forward + dense_backward: (run, note) or (None, why not).

    ``saved`` is what dense_forward hands back beside A (a tuple return, or
    ``return_saved=True`` if it takes that keyword); if it returns A alone, A
    itself is passed as ``saved``: the work timed is the same, and the note
    says so.
    """
    forward = getattr(fastnn, "dense_forward", None)
    backward = getattr(fastnn, "dense_backward", None)
    if forward is None or backward is None:
        return None, "fastnn.dense_forward/dense_backward are not available in this build"
    if "return_saved" in inspect.signature(forward).parameters:
        def fwd():
            return forward(d.X, d.W, d.b, activation="relu", out=d.A, return_saved=True)
    else:
        def fwd():
            return forward(d.X, d.W, d.b, activation="relu", out=d.A)
    note = None
    if not isinstance(fwd(), tuple):
        plain = fwd
        note = "dense_forward returns A only; A is passed to dense_backward as saved"

        def fwd():
            a = plain()
            return a, a

    def run():
        _, saved = fwd()
        backward(d.grad_A, d.X, d.W, saved, activation="relu", need_grad_X=True)
    return run, note


def dense_case(dtype):
    """The 784 -> 128 ReLU dense forward + backward at batch 256."""
    d = DenseArrays(dtype)
    case = NetCase("dense fwd+bwd 784->128", d.X.dtype.name, DENSE_BATCH, "call", {})
    run, why = _fastnn_dense(d)
    if run is None:
        case.unavailable["fastnn"] = why
    else:
        case.impls["fastnn"] = run
        if why:
            case.notes["fastnn"] = why
    case.impls["numpy"] = _numpy_dense(d)
    blas = _blas_dense(d)
    if blas is not None:
        case.impls["gemm x3"] = blas
    return case


def import_sklearn_mlp():
    """sklearn.neural_network.MLPClassifier if installed, else None."""
    try:
        from sklearn.neural_network import MLPClassifier
    except ImportError:
        return None
    return MLPClassifier
