"""ONNX export of the estimators, activation options, the one-row predict
path and Ctrl-C during fit."""
import os
import signal
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")
from sklearn.base import clone  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402

import fastnn  # noqa: E402
from fastnn import MLPClassifier, MLPRegressor  # noqa: E402

RNG = np.random.RandomState(0)
X = RNG.randn(80, 5)
TARGETS = {
    "binary": RNG.randint(0, 2, 80),
    "multiclass_str": np.array(["ant", "bee", "cat"])[RNG.randint(0, 3, 80)],
    "multilabel": (RNG.rand(80, 3) > 0.5).astype(int),
}
TOL = {"float32": 1e-6, "float64": 1e-12}


def _fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


def _session(model):
    ort = pytest.importorskip("onnxruntime")
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("target", sorted(TARGETS))
def test_classifier_onnx_matches_predict_proba_and_labels(target, dtype, tmp_path):
    pytest.importorskip("onnx")
    y = TARGETS[target]
    est = _fit(MLPClassifier((7, 4), activation="tanh", max_iter=40, random_state=0,
                             dtype=dtype), X, y)
    path = tmp_path / "model.onnx"
    model = est.to_onnx(path)
    assert path.exists()
    probabilities, labels = _session(model).run(None, {"X": X.astype(dtype)})
    expected = est.predict_proba(X)
    assert probabilities.shape == expected.shape
    assert probabilities.shape[1] == (2 if target == "binary" else 3)
    assert np.max(np.abs(probabilities - expected)) <= TOL[dtype]
    np.testing.assert_array_equal(labels, est.predict(X))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_regressor_onnx_matches_predict(solver, dtype):
    pytest.importorskip("onnx")
    y = np.c_[X @ RNG.randn(5) * 30, X[:, 0] ** 2]
    est = _fit(MLPRegressor(hidden_layer_sizes=(9,), solver=solver, max_iter=60, random_state=0, dtype=dtype),
               X, y)
    (predictions,) = _session(est.to_onnx()).run(None, {"X": X.astype(dtype)})
    expected = est.predict(X)
    scale = np.max(np.abs(expected))
    assert np.max(np.abs(predictions - expected)) <= TOL[dtype] * scale


def test_onnx_refuses_poisson_classes_and_unfitted():
    pytest.importorskip("onnx")
    from sklearn.exceptions import NotFittedError
    with pytest.raises(NotFittedError):
        MLPClassifier().to_onnx()
    est = _fit(MLPRegressor(loss="poisson", hidden_layer_sizes=(3,), max_iter=5,
                            random_state=0), X, np.abs(X[:, 0]))
    with pytest.raises(ValueError, match="poisson"):
        est.to_onnx()
    clf = _fit(MLPClassifier((3,), max_iter=5, random_state=0), X, TARGETS["binary"])
    with pytest.raises(ValueError, match="classes"):
        clf.to_onnx(classes=[0, 1])


def _leaky_forward(est, X, alpha):
    A = X
    for i, (W, b) in enumerate(zip(est.coefs_, est.intercepts_)):
        Z = A @ W.astype(np.float64) + b
        A = np.where(Z > 0, Z, alpha * Z) if i < len(est.coefs_) - 1 else Z
    return A


@pytest.mark.parametrize("alpha", [0.0, 0.1, 0.7])
def test_leaky_relu_alpha_is_used_in_fit_and_predict(alpha):
    est = _fit(MLPRegressor(hidden_layer_sizes=(6,), activation=("leaky_relu", {"alpha": alpha}),
                            solver="lbfgs", max_iter=20, random_state=0, dtype="float64"),
               X, X[:, 0])
    np.testing.assert_allclose(est.predict(X), _leaky_forward(est, X, alpha).ravel(),
                               rtol=1e-12, atol=1e-12)


def test_activation_alpha_changes_training_and_onnx_keeps_it():
    y = TARGETS["multiclass_str"]
    fits = [_fit(MLPClassifier((6,), activation=("elu", {"alpha": a}), max_iter=10,
                               random_state=0, dtype="float64"), X, y) for a in (0.5, 2.0)]
    assert not np.allclose(fits[0].coefs_[0], fits[1].coefs_[0])
    pytest.importorskip("onnx")
    probabilities, _ = _session(fits[1].to_onnx()).run(None, {"X": X})
    assert np.max(np.abs(probabilities - fits[1].predict_proba(X))) <= 1e-12


def test_activation_option_round_trips_get_params_and_clone():
    spec = ("leaky_relu", {"alpha": 0.1})
    est = MLPClassifier(activation=spec)
    assert est.get_params()["activation"] == spec
    twin = clone(est)
    assert twin.activation == spec
    assert twin.set_params(activation="relu").activation == "relu"


@pytest.mark.parametrize("activation, error, match", [
    (("leaky_relu", {"alpha": 1.5}), ValueError, "alpha"),
    (("elu", {"alpha": -1.0}), ValueError, "alpha"),
    (("leaky_relu", {"beta": 0.1}), ValueError, "no option beta"),
    (("relu", {"alpha": 0.1}), ValueError, "no option alpha"),
    (("nope", {}), ValueError, "activation must be one of"),
    (("leaky_relu", {"alpha": "x"}), TypeError, "alpha"),
    (("leaky_relu",), TypeError, "pair"),
])
def test_bad_activation_options_are_refused(activation, error, match):
    with pytest.raises(error, match=match):
        MLPClassifier((3,), activation=activation, max_iter=2).fit(X, TARGETS["binary"])


# ------------------------------------------------------------ one-row predict


@pytest.fixture(scope="module")
def fitted():
    return _fit(MLPClassifier((8,), max_iter=20, random_state=0), X,
                TARGETS["multiclass_str"])


def test_fast_path_agrees_with_validated_input(fitted):
    row = X[:1]
    expected = fitted.predict_proba(row.tolist())          # through validate_data
    np.testing.assert_array_equal(fitted.predict_proba(row), expected)
    np.testing.assert_array_equal(fitted.predict_proba(row.astype(np.float32)), expected)
    np.testing.assert_array_equal(fitted.predict_proba(np.asfortranarray(X)),
                                  fitted.predict_proba(X.tolist()))
    assert fitted.predict(row)[0] == fitted.predict(row.tolist())[0]


@pytest.mark.parametrize("bad, match", [
    (np.full((1, 5), np.nan), "NaN"),
    (np.full((1, 5), np.inf), "infinity"),
    (np.zeros((1, 4)), "features"),
    (np.zeros((0, 5)), "sample"),
    (np.zeros(5), "2D"),
])
def test_fast_path_keeps_validation_errors(fitted, bad, match):
    with pytest.raises(ValueError, match=match):
        fitted.predict_proba(bad)


def test_feature_name_checks_stay_for_dataframes():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(5)])
    est = _fit(MLPClassifier((4,), max_iter=5, random_state=0), frame, TARGETS["binary"])
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        est.predict_proba(X[:1])
    with pytest.raises(ValueError, match="feature names"):
        est.predict_proba(frame.rename(columns={"f0": "other"}))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        from_array = est.predict_proba(X[:1])
    np.testing.assert_array_equal(est.predict_proba(frame.iloc[:1]), from_array)


def test_predict_does_not_change_the_estimator(fitted):
    before = dict(fitted.__dict__)
    fitted.predict_proba(X[:1])
    fitted.predict(X)
    assert fitted.__dict__.keys() == before.keys()


# ------------------------------------------------------------ Ctrl-C

_INTERRUPTED_FIT = textwrap.dedent("""
    import sys, warnings
    import numpy as np
    from fastnn import MLPClassifier
    rng = np.random.RandomState(0)
    X = rng.randn(20000, 100)
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    est = MLPClassifier((64,), solver=sys.argv[1], max_iter=100000, tol=0.0,
                        n_iter_no_change=10**9, random_state=0, verbose=True)
    print("fitting", flush=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(X, y)
    messages = [str(w.message) for w in caught]
    assert "Training interrupted by user." in messages, messages
    assert est.n_iter_ == len(est.loss_curve_) >= 2, (est.n_iter_, len(est.loss_curve_))
    assert est.t_ == est.n_iter_ * X.shape[0]
    assert all(np.isfinite(W).all() for W in est.coefs_ + est.intercepts_)
    assert np.isfinite(est.loss_curve_).all()
    assert 0.5 <= est.score(X, y) <= 1.0
    est.partial_fit(X, y)                      # the optimizer state is usable
    assert est.n_iter_ == 1 and all(np.isfinite(W).all() for W in est.coefs_)
    print("ok", flush=True)
""")


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a subprocess is POSIX")
@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_ctrl_c_warns_and_keeps_the_last_finished_epoch(solver):
    # The fastnn this test imported (an installed wheel in CI), not the
    # checkout's uncompiled source.
    root = os.path.dirname(os.path.dirname(os.path.abspath(fastnn.__file__)))
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, "-c", _INTERRUPTED_FIT, solver],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)
    try:
        assert proc.stdout.readline().strip() == "fitting"
        # verbose prints a line per finished epoch: interrupt the third.
        for _ in range(2):
            assert proc.stdout.readline().startswith("Iteration ")
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert out.strip().splitlines()[-1] == "ok", (out, err)


# ------------------------------------------------------------ bench group


def test_estimators_bench_rows_and_table():
    """One quick row of the estimators group, through its table."""
    from fastnn.bench import estimator_cases
    from fastnn.bench.rows import Context
    from fastnn.bench.timing import Budget
    import sklearn.neural_network
    context = Context(threads=1, budget=Budget(rounds=1, min_rounds=1, block_s=0.0,
                                               row_s=0.0),
                      quick=True, baselines={"sklearn": sklearn.neural_network})
    rows = [estimator_cases._row(name, "float32", context)
            for name in ("digits lbfgs fit", "predict_proba 1 row")]
    fit_row = rows[0]
    assert set(fit_row["results"]) == {"fastnn", "sklearn"}
    assert abs(fit_row["accuracy"]["fastnn"] - fit_row["accuracy"]["sklearn"]) <= 0.02
    lines = estimator_cases.tables({"rows": rows})
    assert any(line.startswith("digits lbfgs fit") for line in lines)
    assert any(line.startswith("predict_proba 1 row") and " us" in line for line in lines)
