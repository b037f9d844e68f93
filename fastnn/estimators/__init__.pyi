from fastnn.estimators._classifier import MLPClassifier as MLPClassifier
from fastnn.estimators._regressor import MLPRegressor as MLPRegressor

__all__ = ["MLPClassifier", "MLPRegressor"]
