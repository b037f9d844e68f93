"""fastnn.MLPRegressor."""
import numpy as np
from sklearn.base import RegressorMixin, _fit_context
from sklearn.metrics import r2_score
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from fastnn import _kernels
from fastnn.estimators._base import BaseMLP
from fastnn.estimators._params import PARAMETERS_DOC

__all__ = ["MLPRegressor"]


class MLPRegressor(RegressorMixin, BaseMLP):
    __doc__ = """Multi-layer perceptron regressor, scikit-learn's with fastnn's
    compiled training loop.

    Drop-in for ``sklearn.neural_network.MLPRegressor``: identity output and
    half squared error, or an exponential output and half Poisson deviance.

    Parameters
    ----------
    loss : {"squared_error", "poisson"}, default="squared_error"
""" + PARAMETERS_DOC.replace("    Parameters\n    ----------\n", "") + """
    Attributes
    ----------
    loss_, best_loss_, loss_curve_, validation_scores_, best_validation_score_,
    t_, coefs_, intercepts_, n_features_in_, feature_names_in_, n_iter_,
    n_layers_, n_outputs_, out_activation_
        As scikit-learn's MLPRegressor.
    """

    _parameter_constraints: dict = {
        **BaseMLP._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson"})],
    }

    def __init__(self, loss="squared_error", hidden_layer_sizes=(100,), activation="relu", *,
                 solver="adam", alpha=0.0001, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.001, power_t=0.5, max_iter=200, shuffle=True,
                 random_state=None, tol=1e-4, verbose=False, warm_start=False, momentum=0.9,
                 nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, max_fun=15000,
                 dtype="float32"):
        self.loss = loss
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.dtype = dtype

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"], multi_output=True,
                             y_numeric=True, dtype=(np.float64, np.float32), reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if self.loss == "poisson" and np.any(y < 0):
            raise ValueError("loss='poisson' needs non-negative y")
        return X, y.reshape(len(y), -1)

    def _out_activation(self):
        return "exp" if self.loss == "poisson" else "identity"

    def _loss_id(self):
        return _kernels.SK_POISSON_ID if self.loss == "poisson" else _kernels.LOSS_IDS["mse"]

    def _labels_of(self, T):
        return None

    def _score_outputs(self, A, T, sample_weight):
        """R^2 of outputs A against targets T, as r2_score: weighted, averaged
        over the outputs, 1.0 (exact) or 0.0 for a constant target."""
        w = np.ones(len(T)) if sample_weight is None else sample_weight
        T = T.astype(np.float64)
        residual = (w[:, None] * (T - A) ** 2).sum(axis=0)
        mean = np.average(T, axis=0, weights=w)
        total = (w[:, None] * (T - mean) ** 2).sum(axis=0)
        constant = total == 0
        r2 = np.where(constant, np.where(residual == 0, 1.0, 0.0),
                      1 - residual / np.where(constant, 1.0, total))
        return float(np.mean(r2))

    def _predict(self, X, check_input=True):
        A = self._forward(X, check_input=check_input)
        return A.ravel() if A.shape[1] == 1 else A

    def _score(self, X, y, sample_weight=None):
        return self._score_with(X, y, sample_weight, r2_score)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model to X and y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=False)

    def _check_solver(self):
        if self.solver not in ("sgd", "adam"):
            raise AttributeError("partial_fit is only available for stochastic optimizers. "
                                 f"{self.solver} is not stochastic.")
        return True

    @available_if(lambda est: est._check_solver())
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """One epoch over X, y.

        Parameters
        ----------
        X, y, sample_weight
            As :meth:`fit`.

        Returns
        -------
        self
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    def predict(self, X):
        """Predicted values.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_outputs), of the
        estimator's dtype
        """
        if not hasattr(self, "coefs_"):
            check_is_fitted(self)
        return self._predict(X)
