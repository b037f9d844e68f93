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
# parameter sets pass it, and so does 20 epochs of sgd at its small default
# rate, where the drift stays below it.
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
    if estimator.dtype == "float32" and estimator.solver != "sgd":
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
