"""fastnn's MLP estimators inside scikit-learn's tools, and against
scikit-learn's MLP."""
import pickle
import time
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")
pd = pytest.importorskip("pandas")
import joblib  # noqa: E402
import scipy.sparse as sp  # noqa: E402
from sklearn import datasets  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.calibration import CalibratedClassifierCV  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.inspection import permutation_importance  # noqa: E402
from sklearn.model_selection import (GridSearchCV, cross_val_score,  # noqa: E402
                                     cross_validate, train_test_split)
from sklearn.neural_network import MLPClassifier as SkMLPClassifier  # noqa: E402
from sklearn.neural_network import MLPRegressor as SkMLPRegressor  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import fastnn  # noqa: E402
from fastnn import MLPClassifier, MLPRegressor  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def iris():
    X, y = datasets.load_iris(return_X_y=True, as_frame=True)
    return X, y


def test_lazy_attribute_and_unknown_name():
    assert fastnn.MLPClassifier is MLPClassifier
    with pytest.raises(AttributeError, match="no attribute"):
        fastnn.NoSuchEstimator


def test_pipeline_with_pandas_and_set_output(iris):
    X, y = iris
    pipe = make_pipeline(StandardScaler(), MLPClassifier(max_iter=300, random_state=0))
    pipe.set_output(transform="pandas")
    pipe.fit(X, y)
    assert pipe.score(X, y) > 0.95
    assert list(pipe[-1].feature_names_in_) == list(X.columns)
    assert pipe.predict_proba(X).shape == (len(X), 3)


def test_cross_validation_and_grid_search(iris):
    X, y = iris
    est = make_pipeline(StandardScaler(), MLPClassifier(max_iter=200, random_state=0))
    scores = cross_val_score(est, X, y, cv=3)
    assert scores.mean() > 0.9
    res = cross_validate(est, X, y, cv=3, return_estimator=True, n_jobs=2)
    assert len(res["estimator"]) == 3 and res["test_score"].mean() > 0.9
    grid = GridSearchCV(est, {"mlpclassifier__alpha": [1e-4, 1e-2],
                              "mlpclassifier__solver": ["adam", "lbfgs"]}, cv=3, n_jobs=2)
    grid.fit(X, y)
    assert grid.best_score_ > 0.9


def test_clone_calibration_permutation_importance(iris):
    X, y = iris
    est = MLPClassifier(hidden_layer_sizes=(20,), max_iter=300, random_state=1)
    copy = clone(est)
    assert copy.get_params() == est.get_params() and not hasattr(copy, "coefs_")
    cal = CalibratedClassifierCV(make_pipeline(StandardScaler(), est), cv=3).fit(X, y)
    assert np.allclose(cal.predict_proba(X).sum(axis=1), 1)
    model = make_pipeline(StandardScaler(), est).fit(X, y)
    imp = permutation_importance(model, X, y, n_repeats=3, random_state=0)
    # Petal measurements carry iris; sepal width the least.
    assert imp.importances_mean[2:].max() > imp.importances_mean[1]


def test_joblib_and_pickle_round_trip(tmp_path, iris):
    X, y = iris
    est = MLPClassifier(max_iter=50, random_state=0).fit(X, y)
    path = tmp_path / "mlp.joblib"
    joblib.dump(est, path)
    loaded = joblib.load(path)
    np.testing.assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))
    again = pickle.loads(pickle.dumps(loaded))
    again.partial_fit(X, y)           # the restored parameters still train
    assert again.n_iter_ == 1


def test_labels_of_any_type_and_binary_proba():
    X, y = datasets.make_classification(200, 6, random_state=0)
    for labels in (np.where(y, "yes", "no"), np.where(y, 1, -1), y + 1):
        est = MLPClassifier(max_iter=100, random_state=0).fit(X, labels)
        assert set(est.classes_) == set(labels)
        assert est.predict_proba(X).shape == (200, 2) and est.n_outputs_ == 1
        assert est.out_activation_ == "logistic"
        assert est.score(X, labels) > 0.85


def test_multilabel_and_multioutput():
    X, Y = datasets.make_multilabel_classification(200, 8, n_classes=3, random_state=0)
    est = MLPClassifier(max_iter=300, random_state=0).fit(X, Y)
    assert est.predict(X).shape == Y.shape and est.score(X, Y) > 0.5
    X, Y = datasets.make_regression(200, 5, n_targets=2, random_state=0)
    reg = MLPRegressor(solver="lbfgs", max_iter=300, random_state=0).fit(X, Y)
    assert reg.predict(X).shape == (200, 2) and reg.score(X, Y) > 0.95


def test_sparse_matches_dense():
    X, y = datasets.make_classification(300, 20, random_state=0)
    X[np.abs(X) < 1] = 0
    for solver in ("adam", "sgd", "lbfgs"):
        kw = dict(solver=solver, max_iter=20, random_state=0, dtype="float64")
        dense = MLPClassifier(**kw).fit(X, y)
        for sparse in (sp.csr_matrix(X), sp.csc_array(X)):
            est = MLPClassifier(**kw).fit(sparse, y)
            np.testing.assert_allclose(est.predict_proba(sparse), dense.predict_proba(X),
                                       rtol=1e-9, atol=1e-12)


def test_partial_fit_classes_and_warm_start():
    X, y = datasets.load_iris(return_X_y=True)
    est = MLPClassifier(random_state=0)
    est.partial_fit(X[:50], y[:50], classes=[0, 1, 2])
    est.partial_fit(X, y)
    assert est.n_iter_ == 1 and est.t_ == 50 + 150
    warm = MLPClassifier(max_iter=5, warm_start=True, random_state=0).fit(X, y)
    first = [W.copy() for W in warm.coefs_]
    warm.fit(X, y)
    assert not np.allclose(first[0], warm.coefs_[0])
    with pytest.raises(ValueError, match="classes"):
        warm.fit(X[y < 2], y[y < 2])


def test_convergence_rule_as_sklearn():
    """Same seeds, float64: the same draws, shuffles and stopping epoch as
    scikit-learn's MLP (losses equal up to the Adam eps placement)."""
    X, y = datasets.load_digits(return_X_y=True)
    X = X / 16
    kw = dict(hidden_layer_sizes=(32,), random_state=0, max_iter=300, tol=1e-2,
              n_iter_no_change=3)
    ours = MLPClassifier(dtype="float64", solver="sgd", **kw).fit(X, y)
    ref = SkMLPClassifier(solver="sgd", **kw).fit(X, y)
    assert ours.n_iter_ == ref.n_iter_ < 300
    np.testing.assert_allclose(ours.loss_curve_, ref.loss_curve_, rtol=1e-8)
    with pytest.warns(ConvergenceWarning):
        warnings.simplefilter("always")
        MLPClassifier(max_iter=2, random_state=0).fit(X, y)


def test_early_stopping_and_schedules():
    X, y = datasets.load_digits(return_X_y=True)
    X = X / 16
    for lr in ("constant", "invscaling", "adaptive"):
        kw = dict(solver="sgd", learning_rate=lr, early_stopping=True, random_state=0,
                  max_iter=40, hidden_layer_sizes=(32,), momentum=0.0)
        ours = MLPClassifier(dtype="float64", **kw).fit(X, y)
        ref = SkMLPClassifier(**kw).fit(X, y)
        np.testing.assert_allclose(ours.validation_scores_, ref.validation_scores_,
                                   atol=1e-9)
        assert ours.best_validation_score_ == pytest.approx(ref.best_validation_score_)


def test_sample_weight_matches_sklearn_lbfgs():
    X, y = datasets.load_iris(return_X_y=True)
    w = np.random.default_rng(0).uniform(0.1, 3, len(y))
    kw = dict(solver="lbfgs", hidden_layer_sizes=(8,), random_state=0, max_iter=30)
    ours = MLPClassifier(dtype="float64", **kw).fit(X, y, sample_weight=w)
    ref = SkMLPClassifier(**kw).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-5)


def test_poisson_regression():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    y = rng.poisson(np.exp(X[:, 0] * 0.5))
    kw = dict(loss="poisson", solver="lbfgs", hidden_layer_sizes=(8,), random_state=0,
              max_iter=100)
    ours = MLPRegressor(dtype="float64", **kw).fit(X, y)
    ref = SkMLPRegressor(**kw).fit(X, y)
    assert ours.out_activation_ == "exp" and np.all(ours.predict(X) > 0)
    np.testing.assert_allclose(ours.predict(X), ref.predict(X), rtol=1e-3, atol=1e-3)


def test_fastnn_activation_and_errors():
    X, y = datasets.load_iris(return_X_y=True)
    est = MLPClassifier(activation="gelu", max_iter=200, random_state=0).fit(X, y)
    assert est.score(X, y) > 0.9 and est.coefs_[0].dtype == np.float32
    with pytest.raises(ValueError, match="activation"):
        MLPClassifier(activation="nope").fit(X, y)
    with pytest.raises(ValueError, match="dtype"):
        MLPClassifier(dtype="float16").fit(X, y)


_DATASETS = {"digits": datasets.load_digits, "iris": datasets.load_iris,
             "breast_cancer": datasets.load_breast_cancer}


@pytest.mark.parametrize("name", sorted(_DATASETS))
@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_accuracy_within_001_of_sklearn(name, solver):
    X, y = _DATASETS[name](return_X_y=True)
    X = StandardScaler().fit_transform(X)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, random_state=0, stratify=y)
    kw = dict(hidden_layer_sizes=(64,), solver=solver, random_state=0, max_iter=200)
    times = {}
    scores = {}
    for label, cls in (("fastnn", MLPClassifier), ("sklearn", SkMLPClassifier)):
        start = time.perf_counter()
        est = cls(**kw).fit(X_tr, y_tr)
        times[label] = time.perf_counter() - start
        scores[label] = est.score(X_te, y_te)
    print(f"\n{name} {solver}: accuracy fastnn {scores['fastnn']:.4f} sklearn "
          f"{scores['sklearn']:.4f}; fit s fastnn {times['fastnn']:.3f} sklearn "
          f"{times['sklearn']:.3f}")
    assert scores["fastnn"] >= scores["sklearn"] - 0.01


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
@pytest.mark.parametrize("sparse", [False, True])
def test_a_float64_value_beyond_float32_is_refused_not_trained_on(solver, sparse):
    # validate_data sees a finite float64 X; the cast to the estimator's
    # float32 turns 1e39 into inf, which every solver and input kind refuses
    # before training, leaving a fitted model as it was.
    rng = np.random.default_rng(0)
    X = rng.standard_normal((400, 4))
    y = rng.integers(0, 2, 400)
    est = MLPClassifier(hidden_layer_sizes=(5,), solver=solver, batch_size=50, max_iter=2,
                        shuffle=False, random_state=0)
    est.fit(sp.csr_matrix(X) if sparse else X, y)
    coefs = [c.copy() for c in est.coefs_]
    n_iter = est.n_iter_
    X_big = X.copy()
    X_big[399, 1] = 1e39
    X_big = sp.csr_matrix(X_big) if sparse else X_big
    calls = [lambda: est.fit(X_big, y)]
    if solver != "lbfgs":
        calls.append(lambda: est.partial_fit(X_big, y))
    for call in calls:
        with pytest.raises(ValueError, match="too large for dtype='float32'"):
            call()
        assert all(np.array_equal(a, b) for a, b in zip(coefs, est.coefs_))
        assert est.n_iter_ == n_iter
    est_64 = MLPClassifier(hidden_layer_sizes=(5,), solver=solver, max_iter=2,
                           dtype="float64", random_state=0)
    est_64.fit(X_big, y)                       # finite in float64: trains
    assert np.isfinite(est_64.coefs_[0]).all()


def test_assume_finite_still_never_trains_on_nan():
    # scikit-learn's assume_finite skips validate_data's test; the gather's
    # test then finds the NaN, and the epoch's earlier batches are undone.
    from sklearn import config_context
    rng = np.random.default_rng(1)
    X = rng.standard_normal((400, 4))
    y = rng.integers(0, 2, 400)
    est = MLPClassifier(hidden_layer_sizes=(5,), batch_size=50, max_iter=2, shuffle=False,
                        random_state=0).fit(X, y)
    flat = est._flat.copy()
    X_nan = X.copy()
    X_nan[399, 2] = np.nan
    with config_context(assume_finite=True):
        with pytest.raises(ValueError, match="X holds NaN or inf"):
            est.partial_fit(X_nan, y)
    assert est._flat.tobytes() == flat.tobytes()


def test_a_regression_target_beyond_float32_is_refused():
    rng = np.random.default_rng(2)
    X, y = rng.standard_normal((50, 3)), rng.standard_normal(50)
    y[7] = -1e39
    with pytest.raises(ValueError, match="y holds values too large for dtype='float32'"):
        MLPRegressor(hidden_layer_sizes=(4,), max_iter=2).fit(X, y)
    assert np.isfinite(MLPRegressor(hidden_layer_sizes=(4,), max_iter=2, dtype="float64")
                       .fit(X, y).coefs_[0]).all()


@pytest.mark.parametrize("sparse", [False, True])
def test_predict_refuses_a_float64_value_beyond_float32(sparse):
    rng = np.random.default_rng(3)
    X, y = rng.standard_normal((60, 3)), rng.integers(0, 2, 60)
    est = MLPClassifier(hidden_layer_sizes=(4,), max_iter=3).fit(X, y)
    X_big = X.copy()
    X_big[5, 1] = 1e39
    X_big = sp.csr_matrix(X_big) if sparse else X_big
    for method in (est.predict, est.predict_proba):
        with pytest.raises(ValueError, match="X holds values too large for dtype='float32'"):
            method(X_big)
    assert np.isfinite(est.predict_proba(X)).all()
