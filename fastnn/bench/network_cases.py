"""The ``network`` group: training epochs and the dense layer.

Rows (time per call; a call is one training epoch or one dense
forward + backward):

- ``digits epoch``: 64-64-10 (ReLU, softmax), batch 32, Adam, on the 8x8
  digits (a fixed 75/25 split); test accuracy after the timed epochs is
  reported beside the times;
- ``mnist-like epoch``: 784-256-10, batch 128, on synthetic data
  (60,000 samples; fewer under --quick), also against its matrix products
  alone (``gemm only``: the 2 forward and 3 backward GEMMs of every batch);
  both epochs also against ``fma peak``: the epoch's FLOPs run as
  independent vector FMAs (:class:`PeakBound`), i.e. its FLOP count over the
  FMA units' measured peak rate (the "/peak" column), the distance to the
  machine's limit;
- ``dense fwd+bwd``: 784 -> 128 ReLU, batch 256, against NumPy and the three
  bare GEMMs it cannot avoid (``gemm only``).

Every side of a row is timed the same way: wall clock around one whole epoch
(or call), shuffling and fastnn's input checks included, and every side keeps
its optimizer state from epoch to epoch (fastnn gets one ``fastnn.Adam``
object per network, passed to every ``partial_fit``).

The pytest-benchmark suite (benchmarks/bench_network.py) times these same
cases.  The baselines' trainers are in :mod:`fastnn.bench.mlp_baselines`.
"""
from dataclasses import dataclass, field
from typing import Callable, Dict

import numpy as np
from scipy.linalg.blas import get_blas_funcs

import fastnn
from fastnn import _dense
from fastnn.bench.mlp_baselines import NumpyMLP, SklearnMLP, TorchMLP
from fastnn.bench.rows import make_row, plan_per_dtype
from fastnn.bench.timing import measure

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
    notes: Dict[str, str] = field(default_factory=dict)         # impl -> caveat
    accuracy: Dict[str, Callable[[], float]] = field(default_factory=dict)


def load_digits_data():
    """(X, y) of the bundled 8x8 digits, X scaled to [0, 1] (pixels / 16)."""
    X, y = fastnn.datasets.load_digits()
    return np.asarray(X, np.float64) / 16.0, np.asarray(y, np.int64)


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

    Like the baselines of :mod:`fastnn.bench.mlp_baselines`: ``epoch()`` and
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


def epoch_flops(sizes, n_rows):
    """Floating-point operations of the matrix products of one epoch: per
    row, 2 * n_in * n_out for each layer's forward product and for its
    weight gradient, and again for the input gradient of every layer but
    the first (an FMA counts 2)."""
    layers = list(zip(sizes[:-1], sizes[1:]))
    per_row = sum(4 * i * o for i, o in layers) + sum(2 * i * o for i, o in layers[1:])
    return per_row * n_rows


class PeakBound:
    """The epoch's FLOP count run at the FMA units' peak: the lower bound of
    any training loop doing those products (the ``fma peak`` column).

    As many floating-point operations as the epoch's products (within one
    round of the chains per thread) of independent vector FMAs at the best
    SIMD level the CPU runs, on the run's fastnn thread count
    (``fastnn._dense.fma_burst``).  A GEMM's rate is not that bound: on a
    Zen 3 VM, OpenBLAS ran 256 x 256 float products at 55 GF/s and
    fastnn's own small-product kernel at 90, near the FMA peak.

    Parameters
    ----------
    flops : int
        Of the epoch (:func:`epoch_flops`).
    dtype : numpy dtype
    """

    def __init__(self, flops, dtype):
        self.flops, self.dtype = flops, np.dtype(dtype)

    @staticmethod
    def available():
        """False where the build has no FMA chains (MSVC: no vector extension)."""
        return _dense.fma_burst(np.float32, 1) > 0

    def epoch(self):
        """The epoch's FLOPs as FMA chains; returns how many ran."""
        return _dense.fma_burst(self.dtype, self.flops, fastnn.get_num_threads())


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
        The optional baselines: PyTorch, sklearn's MLPClassifier.
    test : tuple (X_test, y_test), optional
        When given, each side's accuracy on it can be read after timing.
    gemm_only : bool
        Also time the epoch's matrix products alone (:class:`GemmOnlyEpoch`).
        Worth it where the GEMMs dominate; on small layers the Python call
        per GEMM would dwarf the product.
    """
    case = NetCase(name, X.dtype.name, len(X), "epoch", {})
    trainers = {"fastnn": FastnnTrainer(sizes, X, y, batch_size)}
    trainers.update(_baseline_trainers(sizes, X, y, batch_size, torch, sklearn_mlp))
    for key, trainer in trainers.items():
        case.impls[key] = trainer.epoch
        if test is not None:
            case.accuracy[key] = (lambda t: lambda: t.accuracy(*test))(trainer)
    if PeakBound.available():
        peak = PeakBound(epoch_flops(sizes, len(X)), X.dtype)
        case.impls["fma peak"] = peak.epoch
        case.notes["fma peak"] = (f"the epoch's {peak.flops / 1e6:.1f} MFLOP of products at the "
                                  "FMA units' peak (independent vector FMAs): the bound of any "
                                  "loop")
    if gemm_only:
        case.impls["gemm only"] = GemmOnlyEpoch(sizes, X, batch_size).epoch
        n_layers = len(sizes) - 1           # forward, grad_W per layer; grad_A but layer 0
        case.notes["gemm only"] = (f"the epoch's {3 * n_layers - 1} GEMMs per batch alone "
                                   "(scipy.linalg.blas, preallocated outputs)")
    return case


def digits_case(dtype, torch, sklearn_mlp):
    """The digits 64-64-10 epoch, with each side's test accuracy."""
    X, y = load_digits_data()
    X_train, y_train, X_test, y_test = split(X.astype(dtype), y)
    return training_case("digits epoch", DIGITS_SIZES, X_train, y_train, DIGITS_BATCH,
                         torch, sklearn_mlp, test=(X_test, y_test))


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
    gemm = get_blas_funcs("gemm", dtype=d.X.dtype)
    ZT, gWT, gXT = d.Z.T, d.grad_W.T, d.grad_X.T

    def run():
        gemm(1.0, d.W.T, d.X.T, c=ZT, overwrite_c=1)                   # Z^T = W^T X^T
        gemm(1.0, d.dZ.T, d.X.T, trans_b=1, c=gWT, overwrite_c=1)      # grad_W^T = dZ^T X
        gemm(1.0, d.W.T, d.dZ.T, trans_a=1, c=gXT, overwrite_c=1)      # grad_X^T = W dZ^T
    return run


def _fastnn_dense(d):
    """fastnn.dense_forward + dense_backward, what a training step calls."""
    def run():
        _, saved = fastnn.dense_forward(d.X, d.W, d.b, activation="relu", out=d.A,
                                        return_saved=True)
        fastnn.dense_backward(d.grad_A, d.X, d.W, saved, activation="relu",
                              need_grad_X=True)
    return run


def dense_case(dtype):
    """The 784 -> 128 ReLU dense forward + backward at batch 256."""
    d = DenseArrays(dtype)
    case = NetCase("dense fwd+bwd 784->128", d.X.dtype.name, DENSE_BATCH, "call", {})
    case.impls["fastnn"] = _fastnn_dense(d)
    case.impls["numpy"] = _numpy_dense(d)
    case.impls["gemm only"] = _blas_dense(d)
    case.notes["gemm only"] = "its 3 GEMMs alone (scipy.linalg.blas)"
    return case


# --------------------------------------------------------------------------
# The group's rows for the report
# --------------------------------------------------------------------------

# Row name -> (kind, builder of its NetCase from dtype, quick and the baselines).
ROWS = {
    "digits": ("train", lambda dtype, quick, torch, mlp: digits_case(dtype, torch, mlp)),
    "mnist-like": ("train", lambda dtype, quick, torch, mlp: mnist_like_case(
        dtype, MNIST_SAMPLES_QUICK if quick else MNIST_SAMPLES, torch, mlp)),
    "dense": ("layer", lambda dtype, quick, torch, mlp: dense_case(dtype)),
}


def plan(options):
    """The network rows of one thread count: digits, mnist-like and dense, for each of
    ``options.dtypes`` (see :func:`fastnn.bench.rows.plan_per_dtype`)."""
    return plan_per_dtype(options, ROWS, _row)


def _row(name, dtype, context):
    kind, build = ROWS[name]
    sklearn = context.baselines.get("sklearn")
    case = build(dtype, context.quick, context.baselines.get("torch"),
                 None if sklearn is None else sklearn.MLPClassifier)
    stats = measure(case.impls, context.budget)
    accuracy = {impl: fn() for impl, fn in case.accuracy.items()}
    return make_row("network", case.name, kind, case.dtype, case.n, context.threads,
                    case.unit, stats, notes=case.notes, accuracy=accuracy)
