"""fastnn.bench.network_cases and mlp_baselines: the network rows time fastnn's
real Network and dense layer beside baselines that compute the same thing."""
import os
import subprocess
import sys

import numpy as np
import pytest

import fastnn
from fastnn import _dense
from fastnn.bench import network_cases as network
from fastnn.bench.baselines import load
from fastnn.bench.mlp_baselines import NumpyMLP
from fastnn.bench.rows import Context


def test_numpy_mlp_gradients_match_finite_differences():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((6, 4))
    y = rng.integers(0, 3, 6)
    mlp = NumpyMLP([4, 5, 3], X, y, batch_size=6)

    def loss():
        p = mlp._forward(X, 6)
        return -np.mean(np.log(p[np.arange(6), y]))

    mlp._forward(X, 6)
    mlp._backward(X, y, 6)
    analytic = [g.copy() for g in mlp.grads]
    for k, param in enumerate(mlp.W + mlp.b):
        for index in [(0,) * param.ndim, tuple(s - 1 for s in param.shape)]:
            saved = param[index]
            param[index] = saved + 1e-6
            up = loss()
            param[index] = saved - 1e-6
            down = loss()
            param[index] = saved
            assert analytic[k][index] == pytest.approx((up - down) / 2e-6, rel=1e-5,
                                                       abs=1e-9)


def _context(one_round, names=()):
    return Context(1, one_round, True, load(names))


def test_plan_has_three_rows_per_dtype(parse_bench):
    planned = network.plan(parse_bench(["--dtypes", "float32,float64"]))
    assert [p.label for p in planned] == ["float32 digits", "float32 mnist-like",
                                          "float32 dense", "float64 digits",
                                          "float64 mnist-like", "float64 dense"]


def test_digits_row_times_fastnn_and_reads_every_accuracy(parse_bench, one_round):
    (digits,) = [p for p in network.plan(parse_bench(["--dtypes", "float32"]))
                 if p.label.endswith("digits")]
    row = digits.measure(_context(one_round, ["sklearn"]))
    assert (row["name"], row["kind"], row["unit"], row["n"]) == \
        ("digits epoch", "train", "epoch", 1348)
    expected = {"fastnn", "numpy"} | ({"sklearn"} if load(["sklearn"]).get("sklearn")
                                      else set())
    peak = {"fma peak"} if network.PeakBound.available() else set()
    assert set(row["results"]) == expected | peak
    assert expected == set(row["accuracy"])
    assert all(0.0 <= acc <= 1.0 for acc in row["accuracy"].values())


def test_dense_row_times_fastnn_numpy_and_its_gemms(parse_bench, one_round):
    (dense,) = [p for p in network.plan(parse_bench(["--dtypes", "float32"]))
                if p.label.endswith("dense")]
    row = dense.measure(_context(one_round))
    assert set(row["results"]) == {"fastnn", "numpy", "gemm only"}
    assert row["n"] == network.DENSE_BATCH and row["unit"] == "call"
    assert "3 GEMMs" in row["notes"]["gemm only"]


def test_dense_numpy_side_computes_what_fastnn_computes():
    d = network.DenseArrays(np.float64, batch=8, n_in=5, n_out=4)
    network._numpy_dense(d)()
    numpy_A = d.A.copy()
    network._fastnn_dense(d)()                     # fastnn's side writes d.A
    np.testing.assert_allclose(d.A, numpy_A, rtol=1e-12, atol=1e-12)
    _, saved = fastnn.dense_forward(d.X, d.W, d.b, return_saved=True)
    grad_X, grad_W, grad_b = fastnn.dense_backward(d.grad_A, d.X, d.W, saved)
    for numpy_side, fastnn_side in [(d.grad_X, grad_X), (d.grad_W, grad_W),
                                    (d.grad_b, grad_b)]:
        np.testing.assert_allclose(numpy_side, fastnn_side, rtol=1e-12, atol=1e-12)


def test_fastnn_trainer_keeps_its_adam_state_across_epochs():
    X, y = network.synthetic_data(100, 8, 3, "float32")
    trainer = network.FastnnTrainer([8, 6, 3], X, y, batch_size=32)
    trainer.epoch()
    m_after_one = trainer.optimizer._state[0].copy()
    trainer.epoch()
    assert trainer.optimizer.step == 2 * 4                  # 4 batches (32, 32, 32, 4) per epoch
    assert trainer.net.optimizer is trainer.optimizer
    assert not np.array_equal(trainer.optimizer._state[0], m_after_one)


def test_gemm_only_epoch_runs_the_products_of_each_batch():
    from scipy.linalg.blas import get_blas_funcs
    real_gemm = get_blas_funcs("gemm", dtype=np.float64)
    shapes = []

    def counting_gemm(alpha, a, b, trans_a=0, trans_b=0, c=None, overwrite_c=0):
        out = real_gemm(alpha, a, b, trans_a=trans_a, trans_b=trans_b, c=c,
                        overwrite_c=overwrite_c)
        assert np.shares_memory(out, c)                      # written in place, no copy
        shapes.append(out.T.shape)
        return out

    X = np.random.default_rng(1).standard_normal((10, 6))
    floor = network.GemmOnlyEpoch([6, 5, 3], X, batch_size=4, gemm=counting_gemm)
    floor.epoch()
    # 3 batches (4, 4, 2 rows), 5 products each: Z0, Z1, grad_W1, dA0, grad_W0.
    assert shapes[-5:] == [(2, 5), (2, 3), (5, 3), (2, 5), (6, 5)]
    assert len(shapes) == 15
    last, m = X[8:], 2
    Z0 = last @ floor.W[0]
    np.testing.assert_allclose(floor.Z[0][:m], Z0, rtol=1e-12)
    np.testing.assert_allclose(floor.Z[1][:m], Z0 @ floor.W[1], rtol=1e-12)
    dA0 = floor.dZ_out[:m] @ floor.W[1].T
    np.testing.assert_allclose(floor.dA[0][:m], dA0, rtol=1e-12)
    np.testing.assert_allclose(floor.grad_W[1], Z0.T @ floor.dZ_out[:m], rtol=1e-12)
    np.testing.assert_allclose(floor.grad_W[0], last.T @ dA0, rtol=1e-12)


def test_epoch_flops_counts_every_product_of_an_epoch():
    # 784-256-10: forward and grad_W of both layers, grad_A of the second.
    per_row = 4 * (784 * 256 + 256 * 10) + 2 * 256 * 10
    assert network.epoch_flops([784, 256, 10], 60_000) == per_row * 60_000
    assert network.epoch_flops([3, 2], 5) == 4 * 3 * 2 * 5      # one layer: no grad_A


needs_fma_chains = pytest.mark.skipif(
    not network.PeakBound.available(),
    reason="no FMA chains in this build (MSVC: no vector extension)")


@needs_fma_chains
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("flops", [1, 27_261_952, 10 ** 9 + 7])
def test_peak_bound_runs_the_epochs_flops_within_one_round(flops, threads, dtype):
    # One round: 12 chains x (at most 16 lanes) x 2 operations, per thread.
    previous = fastnn.get_num_threads()
    fastnn.set_num_threads(threads)
    try:
        done = network.PeakBound(flops, dtype).epoch()
    finally:
        fastnn.set_num_threads(previous)
    assert flops <= done < flops + threads * 12 * 16 * 2


def test_fma_burst_checks_its_arguments():
    assert _dense.fma_burst(np.float32, 0) == 0
    with pytest.raises(TypeError, match="float32 or float64"):
        _dense.fma_burst(np.int32, 10)
    for bad in (-1.0, float("inf"), float("nan"), 1.1e13, 1e300):
        with pytest.raises(ValueError, match="from 0 to 1e13"):
            _dense.fma_burst(np.float32, bad)
    for threads in (0, 10_000):         # beyond the CPUs: helpers that never exit
        with pytest.raises(ValueError, match="threads must be from 1"):
            _dense.fma_burst(np.float32, 10, threads=threads)


@needs_fma_chains
def test_fma_burst_runs_at_the_best_level_whatever_is_selected():
    """The bound is the CPU's: a run at FASTNN_CPU_CAPABILITY=baseline
    counts the best level's lanes per round, not SSE2's."""
    probe = ("from fastnn import _dense; import numpy as np; "
             "print(_dense.fma_burst(np.float32, 1))")
    runs = {}
    for level in ("baseline", None):
        env = {k: v for k, v in os.environ.items() if k != "FASTNN_CPU_CAPABILITY"}
        if level:
            env["FASTNN_CPU_CAPABILITY"] = level
        run = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True,
                             text=True, timeout=60)
        assert run.returncode == 0, run.stderr
        runs[level] = float(run.stdout)
    assert runs["baseline"] == runs[None] >= 2 * 12 * 4    # one round, >= 4 float lanes
