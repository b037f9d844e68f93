"""scikit-learn's own estimator checks over fastnn's MLP estimators."""
import pytest

pytest.importorskip("sklearn")
from sklearn.utils.estimator_checks import estimator_checks_generator  # noqa: E402

from fastnn import MLPClassifier, MLPRegressor  # noqa: E402

# scikit-learn's own MLP fails these with the same parameters (run
# check_estimator(sklearn.neural_network.MLPClassifier(solver="sgd",
# max_iter=20))): 20 epochs of plain SGD at its default rate under-train.
_SGD_XFAIL = {
    "check_classifiers_train": "scikit-learn's MLP with solver='sgd', max_iter=20 fails "
                               "it too (under-trained)",
    "check_regressors_train": "scikit-learn's MLP with solver='sgd', max_iter=20 fails "
                              "it too (under-trained)",
}
# Not a failure of scikit-learn's MLP, which always computes in the input's
# float64 here: with fastnn's float32 default, weighted and repeated rows
# round differently and the trained models drift apart beyond the check's
# float64 tolerance (its rtol 1e-7 is below float32's epsilon); the float64
# parameter sets pass it.  Whether a float32 set passes depends on rounding
# details that change with the build (an -O1 sanitizer build fails sgd's and
# passes adam's regressor), so every float32 set expects it and none is
# strict; test_float32_sample_weights_equal_repeated_rows checks float32 at
# a float32 tolerance.
_FLOAT32_XFAIL = {
    name: "float32 computation (fastnn's default dtype): rounding differs between "
          "weighted and repeated rows; passes with dtype='float64'"
    for name in ("check_sample_weight_equivalence_on_dense_data",
                 "check_sample_weight_equivalence_on_sparse_data")
}

_PARAMS = [
    dict(solver="adam", max_iter=20),
    dict(solver="sgd", max_iter=20),
    dict(solver="lbfgs", max_iter=50),
    dict(solver="adam", max_iter=20, dtype="float64"),
    dict(solver="lbfgs", max_iter=50, dtype="float64"),
]

ESTIMATORS = [cls(**params) for cls in (MLPClassifier, MLPRegressor) for params in _PARAMS]


def _expected_failures(estimator):
    failures = dict(_SGD_XFAIL) if estimator.solver == "sgd" else {}
    if estimator.dtype == "float32":
        failures.update(_FLOAT32_XFAIL)
    return failures


# Checks of features fastnn's estimators do not claim, as scikit-learn's own
# MLP does not, left out of the parametrisation rather than run to a skip:
# the array-API checks (they skip unless SCIPY_ARRAY_API=1; neither MLP
# supports array-API input) and the checks of a decision_function method
# (neither MLP has one).
_NOT_APPLICABLE = {
    "check_array_api_input",
    "check_classifiers_multilabel_output_format_decision_function",
}


def _check_name(check):
    while hasattr(check, "func"):
        check = check.func
    return check.__name__


def _applicable_checks():
    for estimator in ESTIMATORS:
        for case in estimator_checks_generator(
                estimator, legacy=True, mark="xfail",
                expected_failed_checks=_expected_failures(estimator)):
            check = case.values[1] if hasattr(case, "values") else case[1]
            if _check_name(check) not in _NOT_APPLICABLE:
                yield case


def _case_id(value):
    if hasattr(value, "get_params"):
        changed = {k: v for k, v in value.get_params().items()
                   if k in ("solver", "max_iter", "dtype")}
        return f"{type(value).__name__}({changed})"
    return _check_name(value)


@pytest.mark.parametrize("estimator, check", list(_applicable_checks()), ids=_case_id)
def test_sklearn_check(estimator, check):
    check(estimator)


def test_not_applicable_checks_are_real_names():
    """The names left out are checks scikit-learn yields for these
    estimators (a renamed check would otherwise run to a skip unnoticed)."""
    yielded = {_check_name(case.values[1] if hasattr(case, "values") else case[1])
               for estimator in ESTIMATORS
               for case in estimator_checks_generator(estimator, legacy=True)}
    assert _NOT_APPLICABLE <= yielded


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_float32_sample_weights_equal_repeated_rows(cls, solver):
    """Weight 2 on a row trains as that row given twice, to float32 rounding
    (the estimator checks above hold float32 to a float64 tolerance)."""
    import numpy as np
    rng = np.random.RandomState(0)
    X = rng.randn(60, 4)
    y = (X[:, 0] + X[:, 1] > 0).astype(int) if cls is MLPClassifier else X @ [1.0, -2, 0.5, 0]
    weights = rng.randint(0, 3, size=60).astype(float)
    repeated = np.repeat(np.arange(60), weights.astype(int))
    # L-BFGS's line searches amplify float32 rounding exponentially (measured
    # on one CPU: 4e-7 after 5 iterations, 1e-5 after 10, 1e-2 after 30 with
    # OpenBLAS's AVX-512 kernels; float64 stays within 1e-13), so it is held
    # to its first 10 iterations, where a wrong weighting still shows.
    params = dict(solver=solver, max_iter=10 if solver == "lbfgs" else 30, random_state=0,
                  shuffle=False, tol=0, batch_size=1000, hidden_layer_sizes=(8,))
    weighted = cls(**params).fit(X, y, sample_weight=weights)
    plain = cls(**params).fit(X[repeated], y[repeated])
    out = "predict_proba" if cls is MLPClassifier else "predict"
    a, b = getattr(weighted, out)(X), getattr(plain, out)(X)
    # A wrong weighting moves probabilities by tenths; float32 rounding by a
    # few 1e-4.
    np.testing.assert_allclose(a, b, rtol=1e-2, atol=1e-3)
