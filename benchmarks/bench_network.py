"""pytest-benchmark suite: fastnn's training epochs and dense layer against the same model elsewhere.

The network speed targets, float32, at ``--bench-threads`` (default 1):

- digits, 64-64(relu)-10(softmax), batch 32, Adam lr 1e-3: time per epoch;
- 60000 x 784 synthetic, 784-256(relu)-10, batch 128, Adam: one epoch, and
  the matrix products of that epoch alone (``gemm-only``, the floor);
- dense_forward + dense_backward, 784 -> 128, batch 256, against the three
  bare GEMMs they contain.

The cases and their baselines (a hand-written NumPy loop, a PyTorch eager loop
and scikit-learn's MLPClassifier where installed, the bare GEMMs) come from
:mod:`fastnn.bench.network_cases` and :mod:`fastnn.bench.mlp_baselines`, the same code
``python -m fastnn bench --groups network`` runs: that command prints the
side-by-side table.  Every side of an epoch group is timed as a whole epoch
call and keeps its optimizer state between rounds.

Run::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \\
        pytest benchmarks/bench_network.py --benchmark-only

Nothing here asserts a time: a benchmark never fails.
"""
import pytest

import fastnn
from fastnn.bench import baselines
from fastnn.bench import network_cases as network

pytest.importorskip("pytest_benchmark")

DTYPE = "float32"
# (case, benchmark group, pedantic rounds or None for pytest-benchmark's own calibration)
GROUPS = {"digits": ("digits 64-64-10 epoch", 20),
          "mnist-like": ("60000x784 784-256-10 epoch", 3),
          "dense": ("dense 784->128 batch 256 fwd+bwd", None)}
TRAINERS = ["fastnn", "numpy", "torch", "sklearn"]
# The sides each case has (torch and sklearn skip when not installed).
CASES = ([("digits", impl) for impl in TRAINERS]
         + [("mnist-like", impl) for impl in TRAINERS + ["gemm only"]]
         + [("dense", impl) for impl in ["fastnn", "numpy", "gemm only"]])


def _optional_baselines():
    """(torch or None, sklearn's MLPClassifier or None)."""
    loaded = baselines.load(["torch", "sklearn"])
    sklearn = loaded.get("sklearn")
    return loaded.get("torch"), None if sklearn is None else sklearn.MLPClassifier


@pytest.fixture(scope="module")
def mnist_like_data():
    return network.mnist_like_data(DTYPE, network.MNIST_SAMPLES)


@pytest.fixture(scope="module")
def cases(mnist_like_data):
    """Each case built once on first use: its trainers keep their state
    from round to round, as epochs of one training run."""
    built = {}

    def get(name):
        if name not in built:
            torch, sklearn_mlp = _optional_baselines()
            if name == "digits":
                built[name] = network.digits_case(DTYPE, torch, sklearn_mlp)
            elif name == "mnist-like":
                built[name] = network.mnist_like_case(DTYPE, network.MNIST_SAMPLES, torch,
                                                      sklearn_mlp, data=mnist_like_data)
            else:
                built[name] = network.dense_case(DTYPE)
        return built[name]
    return get


def _run(benchmark, fn, rounds):
    if rounds is None:
        benchmark(fn)
    else:
        benchmark.pedantic(fn, rounds=rounds, iterations=1, warmup_rounds=1)


@pytest.mark.parametrize("name, impl", CASES, ids=[f"{n}-{i}" for n, i in CASES])
def test_network(benchmark, cases, name, impl):
    case = cases(name)
    if impl not in case.impls:
        why = baselines.missing_reason(impl) if impl in baselines.BASELINES else None
        pytest.skip(why or f"no {impl} side in the {case.name} benchmark")
    group, rounds = GROUPS[name]
    benchmark.group = group
    benchmark.extra_info.update(samples_or_rows=case.n, unit=case.unit,
                                note=case.notes.get(impl, ""))
    _run(benchmark, case.impls[impl], rounds)


def test_mnist_sized_epoch_fastnn_sgd(benchmark, mnist_like_data):
    """The same epoch with plain SGD: shows what Adam's own pass over the
    203k parameters per batch adds to the matrix products."""
    X, y = mnist_like_data
    trainer = network.FastnnTrainer(network.MNIST_SIZES, X, y, network.MNIST_BATCH,
                                    optimizer=fastnn.SGD(learning_rate=0.01))
    group, rounds = GROUPS["mnist-like"]
    benchmark.group = group
    _run(benchmark, trainer.epoch, rounds)
