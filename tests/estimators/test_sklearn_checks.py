"""scikit-learn's own estimator checks over fastnn's MLP estimators."""
import pytest

pytest.importorskip("sklearn")
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

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


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failures)
def test_sklearn_check(estimator, check):
    check(estimator)
