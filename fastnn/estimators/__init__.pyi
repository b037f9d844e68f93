# Self-contained: type checkers need no scikit-learn stubs to read fastnn.
from typing import Any, Literal, Optional, Sequence, Tuple, Union

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["MLPClassifier", "MLPRegressor"]

_Solver = Literal["lbfgs", "sgd", "adam"]
_Schedule = Literal["constant", "invscaling", "adaptive"]
_DType = Literal["float32", "float64"]
_Activation = Union[str, Tuple[str, dict[str, float]]]


class _BaseMLP:
    loss_: float
    best_loss_: Optional[float]
    loss_curve_: list[float]
    validation_scores_: Optional[list[float]]
    best_validation_score_: Optional[float]
    t_: int
    coefs_: list[NDArray[np.floating[Any]]]
    intercepts_: list[NDArray[np.floating[Any]]]
    n_features_in_: int
    feature_names_in_: NDArray[np.object_]
    n_iter_: int
    n_layers_: int
    n_outputs_: int
    out_activation_: str
    def get_params(self, deep: bool = True) -> dict[str, Any]: ...
    def set_params(self, **params: Any) -> Any: ...
    def score(self, X: Any, y: ArrayLike, sample_weight: Optional[ArrayLike] = None) -> float: ...
    def to_network(self) -> Any: ...
    def to_onnx(self, path: Any = None, **kwargs: Any) -> Any: ...


class MLPClassifier(_BaseMLP):
    classes_: NDArray[Any]
    def __init__(self, hidden_layer_sizes: Union[int, Sequence[int]] = (100,),
                 activation: _Activation = "relu", *, solver: _Solver = "adam", alpha: float = 0.0001,
                 batch_size: Union[int, str] = "auto", learning_rate: _Schedule = "constant",
                 learning_rate_init: float = 0.001, power_t: float = 0.5, max_iter: int = 200,
                 shuffle: bool = True, random_state: Any = None, tol: float = 1e-4,
                 verbose: bool = False, warm_start: bool = False, momentum: float = 0.9,
                 nesterovs_momentum: bool = True, early_stopping: bool = False,
                 validation_fraction: float = 0.1, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-8, n_iter_no_change: float = 10, max_fun: int = 15000,
                 dtype: _DType = "float32") -> None: ...
    def fit(self, X: Any, y: ArrayLike, sample_weight: Optional[ArrayLike] = None
            ) -> "MLPClassifier": ...
    def partial_fit(self, X: Any, y: ArrayLike, sample_weight: Optional[ArrayLike] = None,
                    classes: Optional[ArrayLike] = None) -> "MLPClassifier": ...
    def predict(self, X: Any) -> NDArray[Any]: ...
    def predict_proba(self, X: Any) -> NDArray[np.floating[Any]]: ...
    def predict_log_proba(self, X: Any) -> NDArray[np.floating[Any]]: ...


class MLPRegressor(_BaseMLP):
    def __init__(self, loss: Literal["squared_error", "poisson"] = "squared_error",
                 hidden_layer_sizes: Union[int, Sequence[int]] = (100,),
                 activation: _Activation = "relu", *, solver: _Solver = "adam", alpha: float = 0.0001,
                 batch_size: Union[int, str] = "auto", learning_rate: _Schedule = "constant",
                 learning_rate_init: float = 0.001, power_t: float = 0.5, max_iter: int = 200,
                 shuffle: bool = True, random_state: Any = None, tol: float = 1e-4,
                 verbose: bool = False, warm_start: bool = False, momentum: float = 0.9,
                 nesterovs_momentum: bool = True, early_stopping: bool = False,
                 validation_fraction: float = 0.1, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-8, n_iter_no_change: float = 10, max_fun: int = 15000,
                 dtype: _DType = "float32") -> None: ...
    def fit(self, X: Any, y: ArrayLike, sample_weight: Optional[ArrayLike] = None
            ) -> "MLPRegressor": ...
    def partial_fit(self, X: Any, y: ArrayLike, sample_weight: Optional[ArrayLike] = None
                    ) -> "MLPRegressor": ...
    def predict(self, X: Any) -> NDArray[np.floating[Any]]: ...
