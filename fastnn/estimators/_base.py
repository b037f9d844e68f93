"""BaseMLP: what fastnn's MLPClassifier and MLPRegressor share.

Same parameters, defaults, fitted attributes and training semantics as
scikit-learn's ``BaseMultilayerPerceptron`` (its L2 penalty
``0.5 * alpha * sum ||W||^2 / sum(batch weights)`` per batch, its
convergence rule, learning-rate schedules, early-stopping split, warm start
and partial_fit), with every epoch, or every L-BFGS loss and gradient, in
fastnn's compiled loop.  All parameters live in one flat vector laid out as
scikit-learn packs them for L-BFGS (every W, then every b); ``coefs_`` and
``intercepts_`` are views of it.
"""
import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from fastnn import _kernels
from fastnn.activations import ACTIVATIONS, get_activation
from fastnn.estimators._lbfgs import FullBatchObjective, fit_lbfgs
from fastnn.estimators._schedules import StochasticState

__all__ = ["BaseMLP", "HIDDEN_ACTIVATIONS"]

# scikit-learn's names, and every fastnn activation ("logistic" is sigmoid).
_ALIASES = {"logistic": "sigmoid"}
HIDDEN_ACTIVATIONS = sorted(set(_ALIASES) | set(ACTIVATIONS) - {"softmax"})


def _kernel_act(name):
    """(kernel id, param, saves_output) of an activation name."""
    act = get_activation(_ALIASES.get(name, name))
    if act.kernel_id is None:
        return _kernels.SOFTMAX_ID, 0.0, True
    return act.kernel_id, act.param, act.saves == "output"


class BaseMLP(BaseEstimator):
    """Shared fit/predict machinery; use MLPClassifier or MLPRegressor."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(HIDDEN_ACTIVATIONS))],
        "solver": [StrOptions({"lbfgs", "sgd", "adam"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"),
                             Options(Real, {np.inf})],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "dtype": [StrOptions({"float32", "float64"})],
    }

    # ------------------------------------------------------------ subclass hooks
    # _validate_input(X, y, incremental, reset) -> (X, T): T the float
    # targets (n, n_outputs); _loss_id(); _out_activation(); _score(X, y, sw);
    # _output_from_net(A) -> predictions; _labels_of(T) -> int64 or None.

    # ------------------------------------------------------------ state

    def __getstate__(self):
        # The compiled workspace is rebuilt on demand; coefs_/intercepts_
        # carry the parameters (re-viewed into a flat vector on load).
        state = self.__dict__.copy()
        state.pop("_flat", None)
        state.pop("_grads", None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        if "coefs_" in state:
            self._adopt_params(self.coefs_, self.intercepts_)

    def _adopt_params(self, coefs, intercepts):
        """Copy the layers into one flat vector (W..., b...) and view them."""
        dtype = np.dtype(self.dtype)
        sizes = [coefs[0].shape[0]] + [W.shape[1] for W in coefs]
        self._w_off, self._b_off, offset = [], [], 0
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            self._w_off.append(offset)
            offset += n_in * n_out
        for n_out in sizes[1:]:
            self._b_off.append(offset)
            offset += n_out
        self._sizes = sizes
        self._flat = np.empty(offset, dtype)
        self._grads = np.zeros(offset, dtype)
        self.coefs_, self.intercepts_ = [], []
        for l, (W, b) in enumerate(zip(coefs, intercepts)):
            Wv = self._flat[self._w_off[l]:self._w_off[l] + W.size].reshape(W.shape)
            bv = self._flat[self._b_off[l]:self._b_off[l] + b.size]
            Wv[...] = W
            bv[...] = b
            self.coefs_.append(Wv)
            self.intercepts_.append(bv)

    def _initialize(self, layer_units):
        """scikit-learn's Glorot-uniform draws (factor 2 for logistic, 6
        otherwise), weights and biases, from self._random_state in its order;
        float64 draws cast to dtype."""
        self.n_iter_ = 0
        self.t_ = 0
        self.n_outputs_ = layer_units[-1]
        self.n_layers_ = len(layer_units)
        self.out_activation_ = self._out_activation()
        factor = 2.0 if self.activation == "logistic" else 6.0
        coefs, intercepts = [], []
        for fan_in, fan_out in zip(layer_units[:-1], layer_units[1:]):
            bound = np.sqrt(factor / (fan_in + fan_out))
            coefs.append(self._random_state.uniform(-bound, bound, (fan_in, fan_out)))
            intercepts.append(self._random_state.uniform(-bound, bound, fan_out))
        self._adopt_params(coefs, intercepts)
        self._best_flat = self._flat.copy()
        self._stochastic = None
        if self.solver in ("sgd", "adam"):
            self.loss_curve_ = []
            self._no_improvement_count = 0
            if self.early_stopping:
                self.validation_scores_ = []
                self.best_validation_score_ = -np.inf
                self.best_loss_ = None
            else:
                self.best_loss_ = np.inf
                self.validation_scores_ = None
                self.best_validation_score_ = None

    def _make_trainer(self, batch):
        acts = [_kernel_act(self.activation)] * (self.n_layers_ - 2)
        out = {"softmax": (_kernels.SOFTMAX_ID, 0.0, True), "logistic": _kernel_act("logistic"),
               "identity": _kernel_act("identity"), "exp": _kernel_act("identity")}
        acts.append(out[self.out_activation_])
        return _kernels.Trainer(self._sizes, [a[0] for a in acts], [a[1] for a in acts],
                                [a[2] for a in acts], self._loss_id(), float(self.alpha),
                                batch, self._flat, self._grads, self._w_off, self._b_off,
                                sklearn_scaling=True)

    # ------------------------------------------------------------ input

    def _as_compiled(self, X):
        """Dense C-contiguous X of dtype, or a CSR (data, indices, indptr)
        triple of dtype / int64 (CSC converted once; never densified)."""
        dtype = np.dtype(self.dtype)
        if sp.issparse(X):
            X = sp.csr_matrix(X)
            return (np.ascontiguousarray(X.data, dtype), X.indices.astype(np.int64),
                    X.indptr.astype(np.int64))
        return np.ascontiguousarray(X, dtype)

    # ------------------------------------------------------------ fit

    def _fit(self, X, y, sample_weight=None, incremental=False):
        hidden = self.hidden_layer_sizes
        hidden = list(hidden) if hasattr(hidden, "__iter__") else [hidden]
        if np.any(np.array(hidden) <= 0):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {hidden}.")
        first_pass = not hasattr(self, "coefs_") or (not self.warm_start and not incremental)
        X, T = self._validate_input(X, y, incremental, reset=first_pass)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64)
        layer_units = [X.shape[1]] + hidden + [T.shape[1]]
        self._random_state = check_random_state(self.random_state)
        if first_pass:
            self._initialize(layer_units)
        elif not hasattr(self, "_flat"):
            self._adopt_params(self.coefs_, self.intercepts_)
        self.n_outputs_ = T.shape[1]
        if self.solver == "lbfgs":
            self._fit_full_batch(X, T, sample_weight)
        else:
            self._fit_stochastic(X, T, sample_weight, incremental)
        if not np.all(np.isfinite(self._flat)):
            raise ValueError("Solver produced non-finite parameter weights. The input data "
                             "may contain large values and need to be preprocessed.")
        return self

    def _targets(self, T):
        """(Y, labels) for the compiled loop from float targets T."""
        labels = self._labels_of(T)
        if labels is not None:
            return None, labels
        return np.ascontiguousarray(T, np.dtype(self.dtype)), None

    def _fit_full_batch(self, X, T, sample_weight):
        Xc = self._as_compiled(X)
        Y, labels = self._targets(T)
        objective = FullBatchObjective(self._make_trainer(X.shape[0]), self._flat,
                                       self._grads, Xc, Y, labels, sample_weight)
        fit_lbfgs(self, objective)

    def _batch_size(self, n_samples):
        if self.batch_size == "auto":
            return min(200, n_samples)
        if self.batch_size > n_samples:
            warnings.warn("Got `batch_size` less than 1 or larger than sample size. "
                          "It is going to be clipped")
        return int(np.clip(self.batch_size, 1, n_samples))

    def _split_validation(self, X, T, sample_weight):
        """scikit-learn's early-stopping split: train_test_split of X, the
        binarized targets (and weights) with its random state, stratified
        for a classifier of one output."""
        stratify = T if (is_classifier(self) and self.n_outputs_ == 1) \
            else None
        arrays = (X, T) if sample_weight is None else (X, T, sample_weight)
        parts = train_test_split(*arrays, random_state=self._random_state,
                                 test_size=self.validation_fraction, stratify=stratify)
        X_tr, X_val, T_tr, T_val = parts[:4]
        sw_tr, sw_val = (parts[4], parts[5]) if sample_weight is not None else (None, None)
        if X_val.shape[0] < 2:
            raise ValueError("The validation set is too small. Increase "
                             "'validation_fraction' or the size of your dataset.")
        return X_tr, T_tr, sw_tr, X_val, T_val, sw_val

    def _fit_stochastic(self, X, T, sample_weight, incremental):
        if not incremental or getattr(self, "_stochastic", None) is None:
            self._stochastic = StochasticState(self, self._flat.size, self._flat.dtype)
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        early_stopping = self.early_stopping
        if early_stopping:
            X, T, sample_weight, X_val, y_val, sw_val = self._split_validation(
                X, T, sample_weight)
        else:
            X_val = y_val = sw_val = None
        n_samples = X.shape[0]
        Xc = self._as_compiled(X)
        Y, labels = self._targets(T)
        batch = self._batch_size(n_samples)
        trainer = self._make_trainer(batch)
        state = self._stochastic
        order = np.arange(n_samples, dtype=np.int64)
        self.n_iter_ = 0
        for _ in range(self.max_iter):
            if self.shuffle:
                # The draw of sklearn.utils.shuffle (a shuffled arange indexing
                # the previous order) without its per-call validation.
                step = np.arange(n_samples, dtype=np.int64)
                self._random_state.shuffle(step)
                order = order[step]
            loss_sum, _, bad, state.args["step"] = trainer.run(
                Xc, Y, labels, order, state.kernel_args(), sample_weight)
            self.n_iter_ += 1
            self.loss_ = loss_sum / n_samples if bad < 0 else np.nan
            self.t_ += n_samples
            self.loss_curve_.append(self.loss_)
            if self.verbose:
                print(f"Iteration {self.n_iter_}, loss = {self.loss_:.8f}")
            if bad >= 0:
                # Non-finite: the weights are left as they are and the
                # finiteness check of _fit reports it, as scikit-learn's.
                break
            self._update_no_improvement_count(early_stopping, X_val, y_val, sw_val)
            state.iteration_ends(self.t_)
            if self._no_improvement_count > self.n_iter_no_change:
                what = "Validation score" if early_stopping else "Training loss"
                msg = (f"{what} did not improve more than tol={self.tol:f} for "
                       f"{self.n_iter_no_change} consecutive epochs.")
                if state.trigger_stopping(msg, self.verbose):
                    break
                self._no_improvement_count = 0
            if incremental:
                break
            if self.n_iter_ == self.max_iter:
                warnings.warn(f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) "
                              "reached and the optimization hasn't converged yet.",
                              ConvergenceWarning)
        if early_stopping:
            self._flat[...] = self._best_flat

    def _update_no_improvement_count(self, early_stopping, X_val, y_val, sw_val):
        if early_stopping:
            score = self._validation_score(X_val, y_val, sw_val)
            self.validation_scores_.append(score)
            if self.verbose:
                print(f"Validation score: {score:f}")
            if score < self.best_validation_score_ + self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if score > self.best_validation_score_:
                self.best_validation_score_ = score
                self._best_flat = self._flat.copy()
            return
        if self.loss_curve_[-1] > self.best_loss_ - self.tol:
            self._no_improvement_count += 1
        else:
            self._no_improvement_count = 0
        self.best_loss_ = min(self.best_loss_, self.loss_curve_[-1])

    # ------------------------------------------------------------ predict

    def _forward(self, X, check_input=True):
        """Output-layer values for X, in the estimator's dtype."""
        if check_input:
            X = validate_data(self, X, accept_sparse=["csr", "csc"], reset=False,
                              dtype=(np.float64, np.float32))
        dtype = np.dtype(self.dtype)
        A = X
        for l, (W, b) in enumerate(zip(self.coefs_, self.intercepts_)):
            last = l == len(self.coefs_) - 1
            name = self.out_activation_ if last else self.activation
            act_id, param, _ = (_kernels.SOFTMAX_ID, 0.0, True) if name == "softmax" else \
                _kernel_act("identity" if name == "exp" else name)
            out = np.empty((A.shape[0], W.shape[1]), dtype)
            if sp.issparse(A):
                np.copyto(out, (A @ W) + b, casting="unsafe")
                act = get_activation("softmax" if act_id == _kernels.SOFTMAX_ID else
                                     _ALIASES.get(name, "identity" if name == "exp" else name))
                act.forward(out, out=out)
            else:
                A = np.ascontiguousarray(A, dtype)
                _kernels.dense_forward_into(A, np.ascontiguousarray(W), b, act_id, param,
                                            out, out)
            A = out
        if self.out_activation_ == "exp":
            np.exp(A, out=A)
        return A

    def _validation_score(self, X_val, T_val, sw_val):
        """score() of the validation rows (accuracy or R^2, as scikit-learn's
        accuracy_score / r2_score with weights) from the binarized targets,
        without the per-call validation of the metric functions; NaN for a
        non-finite output."""
        A = self._forward(X_val, check_input=False)
        if not np.all(np.isfinite(A)):
            return np.nan
        return self._score_outputs(A, T_val, sw_val)

    def _score_with(self, X, y, sample_weight, score_function):
        y_pred = self._predict(X, check_input=False)
        if np.issubdtype(y_pred.dtype, np.floating) and not np.isfinite(y_pred).all():
            return np.nan
        return score_function(y, y_pred, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
