"""Benchmark cases for the network group: training epochs and the dense layer.

Rows (time per call; a call is one training epoch or one dense
forward + backward):

- ``digits epoch``: 64-64-10 (ReLU, softmax), batch 32, Adam, on the 8x8
  digits (a fixed 75/25 split); test accuracy after the timed epochs is
  reported beside the times;
- ``mnist-like epoch``: 784-256-10, batch 128, on synthetic data
  (60,000 samples; fewer under --quick), also against its matrix products
  alone (``gemm only``: the 2 forward and 3 backward GEMMs of every batch);
- ``dense fwd+bwd``: 784 -> 128 ReLU, batch 256, against NumPy and the three
  bare GEMMs it cannot avoid (``gemm only``).

Every side of a row is timed the same way: wall clock around one whole epoch
(or call), shuffling and fastnn's input checks included, and every side keeps
its optimizer state from epoch to epoch (fastnn gets one ``fastnn.Adam``
object per network, passed to every ``partial_fit``).

The pytest-benchmark suite (benchmarks/bench_network.py) times these same
cases.  fastnn's side uses the API of the network issue (``fastnn.Network``,
``fastnn.Adam``, ``fastnn.dense_forward``/``dense_backward``,
``fastnn.datasets``).  Where this build does not have it, the row says so and
shows only the baselines: no figure is ever made up.
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


class FastnnTrainer:
    """fastnn.Network trained one epoch per call, its optimizer kept across calls.

    Like the baselines of :mod:`fastnn._bench_mlp`: ``epoch()`` and
    ``accuracy(X, y)``.  One optimizer object is made here and passed to
    every ``partial_fit``, so moments and step count carry over (a name such
    as "adam" would start a fresh Adam every epoch).

    Parameters
    ----------
    sizes : list of int
    X, y : ndarray
        Training data (X of the benchmark dtype, y class indices).
    batch_size : int
    optimizer : fastnn.Optimizer, optional
        Default ``fastnn.Adam(learning_rate=LEARNING_RATE)``.
    """

    def __init__(self, sizes, X, y, batch_size, optimizer=None):
        self.net = fastnn.Network(sizes, activations=["relu"] * (len(sizes) - 2) + ["softmax"],
                                  loss="cross_entropy", dtype=X.dtype.name, seed=0)
        self.optimizer = (fastnn.Adam(learning_rate=LEARNING_RATE) if optimizer is None
                          else optimizer)
        self.X, self.y, self.batch_size = X, y, batch_size

    def epoch(self):
        """One pass over the shuffled training data."""
        self.net.partial_fit(self.X, self.y, batch_size=self.batch_size,
                             optimizer=self.optimizer)

    def accuracy(self, X, y):
        """Fraction of rows of X whose predicted class is y."""
        return float(self.net.score(X, y))


def _fastnn_trainer(sizes, X, y, batch_size):
    """(FastnnTrainer, None), or (None, why not) when this build lacks the API."""
    missing = [name for name in ("Network", "Adam") if not hasattr(fastnn, name)]
    if missing:
        return None, f"fastnn.{'/'.join(missing)} not available in this build"
    return FastnnTrainer(sizes, X, y, batch_size), None


class GemmOnlyEpoch:
    """The matrix products of one training epoch and nothing else.

    Per mini-batch (the last, partial one included), for each layer ``i``:
    forward ``Z_i = A_i W_i``; backward ``grad_W_i = A_i^T dZ_i`` and, but for
    the first layer, ``dA_i = dZ_i W_i^T``: for 784-256-10, 2 forward and 3
    backward GEMMs of the same shapes as a real epoch.  They run as bare
    ``?gemm`` calls of scipy.linalg.blas (the library fastnn's compiled loop
    calls through scipy.linalg.cython_blas) into preallocated outputs: the
    floor of any training loop.  The batches are contiguous row slices of X
    (no gather), and dA_i serves as the next layer's dZ (values do not change
    GEMM time).  Each call costs a few microseconds of Python on top.

    Parameters
    ----------
    sizes : list of int
    X : ndarray, shape (n_samples, sizes[0]), C-contiguous
    batch_size : int
    gemm : callable, optional
        The BLAS routine (default: scipy's ``?gemm`` for X's dtype).
    seed : int
    """

    def __init__(self, sizes, X, batch_size, gemm=None, seed=0):
        if gemm is None:
            from scipy.linalg.blas import get_blas_funcs
            gemm = get_blas_funcs("gemm", dtype=X.dtype)
        self.gemm, self.X, self.batch_size = gemm, X, batch_size
        rng = np.random.default_rng(seed)
        dtype, bs = X.dtype, batch_size
        self.W = [(rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in)).astype(dtype)
                  for n_in, n_out in zip(sizes[:-1], sizes[1:])]
        self.Z = [np.zeros((bs, n), dtype) for n in sizes[1:]]
        self.grad_W = [np.zeros_like(W) for W in self.W]
        self.dA = [np.zeros((bs, n), dtype) for n in sizes[1:-1]]
        self.dZ_out = (rng.standard_normal((bs, sizes[-1])) / bs).astype(dtype)

    def _batch(self, xb):
        gemm, m, L = self.gemm, len(xb), len(self.W)
        # C-contiguous arrays are passed as their Fortran-order transposes:
        # Z^T = W^T A^T and so on, no copies, written in place (overwrite_c).
        acts = [xb] + [Z[:m] for Z in self.Z[:-1]]
        for i in range(L):
            gemm(1.0, self.W[i].T, acts[i].T, c=self.Z[i][:m].T, overwrite_c=1)
        dZ = self.dZ_out[:m]
        for i in range(L - 1, -1, -1):
            gemm(1.0, dZ.T, acts[i].T, trans_b=1, c=self.grad_W[i].T, overwrite_c=1)
            if i > 0:
                dA = self.dA[i - 1][:m]
                gemm(1.0, self.W[i].T, dZ.T, trans_a=1, c=dA.T, overwrite_c=1)
                dZ = dA

    def epoch(self):
        """The GEMMs of one pass over X."""
        for start in range(0, len(self.X), self.batch_size):
            self._batch(self.X[start:start + self.batch_size])


def _gemm_only_epoch(sizes, X, batch_size):
    try:
        return GemmOnlyEpoch(sizes, X, batch_size)
    except ImportError:
        return None


def _baseline_trainers(sizes, X, y, batch_size, torch, sklearn_mlp):
    trainers = {"numpy": NumpyMLP(sizes, X, y, batch_size, LEARNING_RATE)}
    if torch is not None:
        trainers["torch"] = TorchMLP(torch, sizes, X, y, batch_size, LEARNING_RATE)
    if sklearn_mlp is not None:
        trainers["sklearn"] = SklearnMLP(sklearn_mlp, sizes, X, y, batch_size, LEARNING_RATE)
    return trainers


def training_case(name, sizes, X, y, batch_size, torch, sklearn_mlp, test=None,
                  gemm_only=False):
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
    gemm_only : bool
        Also time the epoch's matrix products alone (:class:`GemmOnlyEpoch`).
        Worth it where the GEMMs dominate; on small layers the Python call
        per GEMM would dwarf the product.
    """
    case = NetCase(name, X.dtype.name, len(X), "epoch", {})
    trainers = {}
    fast, why = _fastnn_trainer(sizes, X, y, batch_size)
    if fast is None:
        case.unavailable["fastnn"] = why
    else:
        trainers["fastnn"] = fast
    trainers.update(_baseline_trainers(sizes, X, y, batch_size, torch, sklearn_mlp))
    for key, trainer in trainers.items():
        case.impls[key] = trainer.epoch
        if test is not None:
            case.accuracy[key] = (lambda t: lambda: t.accuracy(*test))(trainer)
    if gemm_only:
        floor = _gemm_only_epoch(sizes, X, batch_size)
        if floor is None:
            case.unavailable["gemm only"] = "scipy not installed"
        else:
            case.impls["gemm only"] = floor.epoch
            n_layers = len(sizes) - 1       # forward, grad_W per layer; grad_A but layer 0
            case.notes["gemm only"] = (f"the epoch's {3 * n_layers - 1} GEMMs per batch alone "
                                       "(scipy.linalg.blas, preallocated outputs)")
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


def mnist_like_data(dtype, n_samples):
    """(X, y): the synthetic data of the 784-256-10 epoch."""
    return synthetic_data(n_samples, MNIST_SIZES[0], MNIST_SIZES[-1], dtype)


def mnist_like_case(dtype, n_samples, torch, sklearn_mlp, data=None):
    """The 784-256-10 synthetic epoch, with its GEMMs alone as the floor.

    ``data`` is (X, y) from :func:`mnist_like_data` when the caller needs it too.
    """
    X, y = mnist_like_data(dtype, n_samples) if data is None else data
    return training_case("mnist-like epoch", MNIST_SIZES, X, y, MNIST_BATCH, torch,
                         sklearn_mlp, gemm_only=True)


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
        case.impls["gemm only"] = blas
        case.notes["gemm only"] = "its 3 GEMMs alone (scipy.linalg.blas)"
    return case


def import_sklearn_mlp():
    """sklearn.neural_network.MLPClassifier if installed, else None."""
    try:
        from sklearn.neural_network import MLPClassifier
    except ImportError:
        return None
    return MLPClassifier
