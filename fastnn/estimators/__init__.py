"""scikit-learn estimators over fastnn's compiled training loop.

:class:`MLPClassifier` and :class:`MLPRegressor` take the parameters of
scikit-learn's ``sklearn.neural_network`` estimators of the same names and
train each epoch (or each L-BFGS loss and gradient) in compiled code.
Importing this package needs scikit-learn (``pip install
"fastnn-cpu[sklearn]"``); ``import fastnn`` alone does not.
"""
try:
    import sklearn  # noqa: F401
except ImportError as exc:              # pragma: no cover - depends on the install
    raise ImportError('fastnn.MLPClassifier and fastnn.MLPRegressor need scikit-learn: '
                      'pip install "fastnn-cpu[sklearn]"') from exc

from fastnn.estimators._classifier import MLPClassifier
from fastnn.estimators._regressor import MLPRegressor

__all__ = ["MLPClassifier", "MLPRegressor"]
