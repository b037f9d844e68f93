"""fastnn.datasets, the demo command and the training loop's own guards."""
import numpy as np
import pytest

import fastnn
from fastnn import _kernels
from fastnn.datasets import load_digits, make_spirals, train_test_split


def test_load_digits_matches_the_uci_description():
    X, y = load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    assert np.array_equal(X, np.round(X)) and X.min() == 0 and X.max() == 16
    np.testing.assert_array_equal(np.bincount(y),
                                  [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])


def test_make_spirals_shapes_balance_and_seed():
    X, y = make_spirals(301, n_classes=3, seed=1)
    assert X.shape == (301, 2) and y.shape == (301,)
    assert np.bincount(y).tolist() == [101, 100, 100]
    np.testing.assert_array_equal(make_spirals(301, n_classes=3, seed=1)[0], X)
    with pytest.raises(ValueError, match="n_classes"):
        make_spirals(10, n_classes=1)
    with pytest.raises(ValueError, match="n_samples"):
        make_spirals(0)


def test_train_test_split_is_stratified_and_disjoint():
    X, y = load_digits()
    rows = np.arange(len(y))
    r_train, r_test, y_train, y_test = train_test_split(rows, y, 0.25, seed=0)
    assert len(np.intersect1d(r_train, r_test)) == 0
    assert len(r_train) + len(r_test) == len(y)
    shares = np.bincount(y_test) / np.bincount(y)
    assert np.all(np.abs(shares - 0.25) < 0.01)
    with pytest.raises(ValueError, match="test_size"):
        train_test_split(rows, y, 1.0)


def test_demo_runs_and_reports(capsys):
    from fastnn.__main__ import main
    assert main(["demo", "--epochs", "3", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "test accuracy:" in out and "time per epoch:" in out
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--epochs", "0"])
    assert exc.value.code == 2


def test_demo_saves_its_loss_curves(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    from fastnn.__main__ import main
    plot = tmp_path / "loss.png"
    assert main(["demo", "--epochs", "2", "--quiet", "--plot", str(plot)]) == 0
    assert f"loss curves saved to {plot}" in capsys.readouterr().out
    assert plot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") and plot.stat().st_size > 1000


def test_trainer_rejects_indices_and_labels_out_of_range():
    net = fastnn.Network([3, 4, 2], ["relu", "softmax"], seed=0)
    trainer = net._make_trainer(4)
    X = np.zeros((5, 3), np.float32)
    labels = np.zeros(5, np.int64)
    with pytest.raises(ValueError, match="perm must index rows"):
        trainer.run(X, None, labels, np.array([0, 5], np.int64))
    with pytest.raises(ValueError, match="perm must index rows"):
        trainer.run(X, None, labels, np.array([-1], np.int64))
    bad = labels.copy()
    bad[2] = 2
    with pytest.raises(ValueError, match="labels lie"):
        trainer.run(X, None, bad, np.arange(4, dtype=np.int64))
    with pytest.raises(ValueError, match="X must have shape"):
        trainer.run(np.zeros((5, 2), np.float32), None, labels, np.arange(4, dtype=np.int64))
    with pytest.raises(ValueError, match="more rows than the batch"):
        trainer.run(X, None, labels, np.arange(5, dtype=np.int64))
    with pytest.raises(TypeError):
        trainer.run(X.astype(np.float64), None, labels, np.arange(4, dtype=np.int64))


def test_trainer_checks_its_construction():
    flat = np.zeros(3 * 4 + 4 + 4 * 2 + 2, np.float32)
    args = ([3, 4, 2], [3, _kernels.SOFTMAX_ID], [0.0, 0.0], [False, True], 2, 0.0, 8,
            flat, flat.copy(), [0, 16], [12, 24])
    _kernels.Trainer(*args)
    with pytest.raises(ValueError, match="grads must be"):
        _kernels.Trainer(*args[:8], flat[:-1], *args[9:])
    with pytest.raises(ValueError, match="offsets out of range"):
        _kernels.Trainer(*args[:9], [0, 20], [12, 24])


@pytest.mark.parametrize("seed, error", [(-1, ValueError), (0.5, TypeError)])
def test_dataset_seed_errors_name_the_argument(seed, error):
    from fastnn.datasets import make_spirals, train_test_split
    with pytest.raises(error, match="seed must be a non-negative integer"):
        make_spirals(10, seed=seed)
    X, y = make_spirals(10, seed=0)
    with pytest.raises(error, match="seed must be a non-negative integer"):
        train_test_split(X, y, seed=seed)
