"""Sample weights reach the compiled Trainer's losses only in its
sklearn-scaling mode; the other mode's losses are unweighted means, so
weights given to it are refused, never silently ignored."""
import numpy as np
import pytest

from fastnn import _kernels

RELU = _kernels.ACTIVATION_IDS["relu"]
N_IN, N_HIDDEN, N_OUT = 3, 4, 2
N_PARAMS = N_IN * N_HIDDEN + N_HIDDEN + N_HIDDEN * N_OUT + N_OUT


def _trainer(sklearn_scaling, batch=8):
    rng = np.random.default_rng(0)
    params = rng.normal(size=N_PARAMS)
    trainer = _kernels.Trainer([N_IN, N_HIDDEN, N_OUT], [RELU, _kernels.SOFTMAX_ID],
                               [0.0, 0.0], [False, True],
                               _kernels.LOSS_IDS["cross_entropy"], 0.0, batch, params,
                               np.zeros_like(params), [0, 16], [12, 24],
                               sklearn_scaling=sklearn_scaling)
    return trainer, params


def _data(n=6):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(n, N_IN))
    labels = (X[:, 0] > 0).astype(np.int64)
    return X, labels, np.arange(n, dtype=np.int64)


def _sgd():
    return {"kind": _kernels.OPTIMIZER_IDS["sgd"], "lr": 0.1, "momentum": 0.0,
            "nesterov": False, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "step": 0,
            "s1": None, "s2": None}


@pytest.mark.parametrize("optimizer", [None, _sgd()])
def test_run_refuses_sample_weight_outside_the_sklearn_scaling_mode(optimizer):
    trainer, params = _trainer(sklearn_scaling=False)
    X, labels, perm = _data()
    before = params.copy()
    with pytest.raises(ValueError, match="sample_weight needs the sklearn-scaling loss mode"):
        trainer.run(X, None, labels, perm, optimizer, np.ones(len(X)))
    np.testing.assert_array_equal(params, before)          # nothing ran


def test_loss_and_grad_full_refuses_sample_weight_outside_the_sklearn_scaling_mode():
    trainer, _ = _trainer(sklearn_scaling=False)
    X, labels, _ = _data()
    with pytest.raises(ValueError, match="sample_weight needs the sklearn-scaling loss mode"):
        trainer.loss_and_grad_full(X, None, labels, np.ones(len(X)))


def test_without_weights_the_plain_mode_still_runs():
    trainer, _ = _trainer(sklearn_scaling=False)
    X, labels, perm = _data()
    loss_sum, _, bad, _ = trainer.run(X, None, labels, perm)
    assert bad == -1 and np.isfinite(loss_sum)


def test_the_sklearn_scaling_mode_reads_the_weights():
    # A weighted mean: uniform weights change nothing, a zero weight drops
    # its row (the loss of the other rows alone).
    X, labels, _ = _data()
    n = len(X)
    trainer, _ = _trainer(sklearn_scaling=True)
    plain = trainer.loss_and_grad_full(X, None, labels)
    assert trainer.loss_and_grad_full(X, None, labels, np.full(n, 3.0)) == pytest.approx(
        plain, rel=1e-12)
    dropped = trainer.loss_and_grad_full(X, None, labels,
                                         np.r_[0.0, np.ones(n - 1)])
    rest = trainer.loss_and_grad_full(np.ascontiguousarray(X[1:]), None, labels[1:].copy())
    assert dropped == pytest.approx(rest, rel=1e-12)
    assert dropped != pytest.approx(plain, rel=1e-6)
