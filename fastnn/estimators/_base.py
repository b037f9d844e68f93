"""BaseMLP: what fastnn's MLPClassifier and MLPRegressor share.

Same parameters, defaults, fitted attributes and training semantics as
scikit-learn's ``BaseMultilayerPerceptron`` (its L2 penalty
``0.5 * alpha * sum ||W||^2 / sum(batch weights)`` per batch, its
convergence rule, learning-rate schedules, early-stopping split, warm start
and partial_fit), with every epoch, or every L-BFGS loss and gradient, in
fastnn's compiled loop.  All parameters live in one flat vector laid out as
scikit-learn packs them for L-BFGS (every W, then every b); ``coefs_`` and
``intercepts_`` are views of it.

Long because scikit-learn's fit contract is one concern: parameter checks,
layout, the stochastic loop with its schedules and early stopping, and the
predict path all read the same flat-vector layout.
"""
import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn import get_config
from sklearn.base import BaseEstimator, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from fastnn import _kernels
from fastnn._validation import all_finite
from fastnn.activations import ACTIVATIONS, get_activation
from fastnn.estimators._lbfgs import FullBatchObjective, fit_lbfgs
from fastnn.estimators._schedules import StochasticState

__all__ = ["BaseMLP", "HIDDEN_ACTIVATIONS", "activation_spec"]

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))

# scikit-learn's names, and every fastnn activation ("logistic" is sigmoid).
_ALIASES = {"logistic": "sigmoid"}
HIDDEN_ACTIVATIONS = sorted(set(_ALIASES) | set(ACTIVATIONS) - {"softmax"})


# Hidden activations that take an option: ("leaky_relu", {"alpha": 0.1}).
_OPTION_ACTIVATIONS = {"leaky_relu": "alpha", "elu": "alpha"}


def activation_spec(activation):
    """``(name, options)`` of the ``activation`` parameter: a name, or a
    ``(name, {"alpha": a})`` pair for leaky_relu and elu.

    Raises
    ------
    ValueError
        For an unknown name, an option the activation does not take, or an
        alpha out of the activation's range.
    TypeError
        For a pair that is not (str, dict) or an alpha that is not a number.
    """
    if isinstance(activation, str):
        name, options = activation, {}
    else:
        if (len(activation) != 2 or not isinstance(activation[0], str)
                or not isinstance(activation[1], dict)):
            raise TypeError("activation must be a name or a (name, options dict) pair, "
                            f"got {activation!r}")
        name, options = activation
    if name not in HIDDEN_ACTIVATIONS:
        raise ValueError(f"activation must be one of {HIDDEN_ACTIVATIONS}, got {name!r}")
    allowed = {_OPTION_ACTIVATIONS[name]} if name in _OPTION_ACTIVATIONS else set()
    unknown = set(options) - allowed
    if unknown:
        raise ValueError(f"activation {name!r} takes no option {', '.join(sorted(unknown))}"
                         + (f"; it takes {sorted(allowed)}" if allowed else ""))
    return name, dict(options)


def _kernel_act(activation):
    """(kernel id, param, saves_output) of an activation name or spec."""
    name, options = activation_spec(activation) if not isinstance(activation, str) \
        else (activation, {})
    act = get_activation(_ALIASES.get(name, name))
    if act.kernel_id is None:
        return _kernels.SOFTMAX_ID, 0.0, True
    param = act.param
    if "alpha" in options:
        # The activation's own function checks alpha's type and range.
        act.forward(np.zeros(1), alpha=options["alpha"])
        param = float(options["alpha"])
    return act.kernel_id, param, act.saves == "output"


class _EpochSnapshot:
    """The parameters and optimizer state at the start of an epoch, in
    buffers allocated once: the compiled epoch interrupted by Ctrl-C leaves
    those of its last mini-batch with Adam's step not returned, so the
    epoch is undone rather than kept half-counted."""

    def __init__(self, flat, args):
        self.flat = np.empty_like(flat)
        self.states = {key: np.empty_like(args[key]) for key in ("s1", "s2")
                       if args[key] is not None}
        self.step = args["step"]

    def take(self, flat, args):
        np.copyto(self.flat, flat)
        for key, buf in self.states.items():
            np.copyto(buf, args[key])
        self.step = args["step"]

    def restore(self, flat, args):
        np.copyto(flat, self.flat)
        for key, buf in self.states.items():
            np.copyto(args[key], buf)
        args["step"] = self.step


class BaseMLP(BaseEstimator):
    """Shared fit/predict machinery; use MLPClassifier or MLPRegressor."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        # A name, or (name, {"alpha": a}) for leaky_relu / elu (checked in fit).
        "activation": [StrOptions(set(HIDDEN_ACTIVATIONS)), tuple],
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
        state.pop("_layer_kernels_cache", None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        if "coefs_" in state:
            self._adopt_params(self.coefs_, self.intercepts_)
            self._cache_layer_kernels()

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
        factor = 2.0 if activation_spec(self.activation)[0] == "logistic" else 6.0
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

    def _check_fits_dtype(self, values, name):
        """validate_data found X and y finite in their own dtype; a float64
        value beyond the estimator's float32 range would become inf in the
        cast.  (Under scikit-learn's assume_finite, NaN or inf may be there
        too: the gather's test, or the final check of the weights, reports
        those.)"""
        dtype = np.dtype(self.dtype)
        values = values.data if sp.issparse(values) else np.asarray(values)
        if values.size == 0 or values.dtype.itemsize <= dtype.itemsize:
            return
        info = np.finfo(dtype)
        # From max + half an ulp on, the cast rounds to inf.
        limit = float(info.max) + 2.0 ** (info.maxexp - info.nmant - 2)
        high, low = values.max(), values.min()
        if np.isfinite(high) and np.isfinite(low) and (high >= limit or low <= -limit):
            raise self._too_large(name)

    def _too_large(self, name):
        return ValueError(f"{name} holds values too large for dtype={self.dtype!r} (they "
                          f"would become inf); scale {name} or use dtype='float64'")

    # ------------------------------------------------------------ fit

    def _fit(self, X, y, sample_weight=None, incremental=False):
        hidden = self.hidden_layer_sizes
        hidden = list(hidden) if hasattr(hidden, "__iter__") else [hidden]
        if np.any(np.array(hidden) <= 0):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {hidden}.")
        _kernel_act(self.activation)   # checks the name and its options
        first_pass = not hasattr(self, "coefs_") or (not self.warm_start and not incremental)
        X, T = self._validate_input(X, y, incremental, reset=first_pass)
        self._check_fits_dtype(X, "X")
        if not is_classifier(self):
            self._check_fits_dtype(T, "y")
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64)
            # Each batch's loss is divided by its weight sum: an infinite sum
            # would make every loss inf/inf.
            if not np.isfinite(sample_weight.sum()):
                raise ValueError("sample_weight must have a finite sum, got "
                                 f"{sample_weight.sum()}")
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
        self._cache_layer_kernels()
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
        snapshot = _EpochSnapshot(self._flat, state.args)
        try:
            self._run_epochs(trainer, state, snapshot, Xc, Y, labels, order, sample_weight,
                             incremental, early_stopping, X_val, y_val, sw_val)
        except KeyboardInterrupt:
            # As scikit-learn's MLP: warn and keep the model trained so far
            # (that of the last finished epoch: its parameters and optimizer
            # state agree with loss_curve_, n_iter_ and t_).
            warnings.warn("Training interrupted by user.")
        if early_stopping:
            self._flat[...] = self._best_flat

    def _run_epochs(self, trainer, state, snapshot, Xc, Y, labels, order, sample_weight,
                    incremental, early_stopping, X_val, y_val, sw_val):
        """The epoch loop of sgd/adam.  The snapshot taken before each epoch
        undoes one that Ctrl-C interrupts (the KeyboardInterrupt goes on)."""
        n_samples = order.size
        for _ in range(self.max_iter):
            snapshot.take(self._flat, state.args)
            if self.shuffle:
                # The draw of sklearn.utils.shuffle (a shuffled arange indexing
                # the previous order) without its per-call validation.
                step = np.arange(n_samples, dtype=np.int64)
                self._random_state.shuffle(step)
                order = order[step]
            try:
                # validate_data tested X, unless assume_finite asked it not to.
                loss_sum, _, bad, state.args["step"] = trainer.run(
                    Xc, Y, labels, order, state.kernel_args(), sample_weight,
                    check_x=get_config()["assume_finite"])
            except (KeyboardInterrupt, ValueError):
                # Ctrl-C, or a row of X with NaN or inf found while gathered:
                # the epoch's earlier batches are undone.
                snapshot.restore(self._flat, state.args)
                raise
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

    def _checked_X(self, X):
        """X validated for predict.  An ndarray that needs nothing of
        validate_data (2-D float32/float64 of n_features_in_ finite columns,
        at least one row, an estimator fitted without feature names) is
        used as it is: the same outcome without its ~80 us per call, which
        dominates a one-row predict.  Everything else (lists, DataFrames and
        their feature-name checks, sparse input, errors) goes through
        validate_data."""
        if (type(X) is np.ndarray and X.ndim == 2 and X.dtype in _FLOAT_DTYPES
                and X.shape[0] > 0 and X.shape[1] == self.n_features_in_
                and not hasattr(self, "feature_names_in_") and np.isfinite(X).all()):
            return X
        X = validate_data(self, X, accept_sparse=["csr", "csc"], reset=False,
                          dtype=(np.float64, np.float32))
        if sp.issparse(X):
            # scipy's sparse product trusts indptr and indices: a corrupt
            # matrix would be read out of bounds.
            try:
                X.check_format(full_check=True)
            except ValueError as exc:
                raise ValueError(f"X is not a valid sparse matrix: {exc}") from None
        return X

    def _layer_kernels(self):
        """[(kernel id, param, name)] of each layer: the one cached by fit
        (predict must not change the estimator's __dict__), or built anew
        when activation or the layers changed since."""
        key = (self.activation, self.out_activation_, len(self.coefs_))
        cached = getattr(self, "_layer_kernels_cache", None)
        if cached is not None and cached[0] == key:
            return cached[1]
        return self._build_layer_kernels(key)

    def _build_layer_kernels(self, key):
        plan = []
        for l in range(len(self.coefs_)):
            name = self.out_activation_ if l == len(self.coefs_) - 1 else self.activation
            if name == "softmax":
                plan.append((_kernels.SOFTMAX_ID, 0.0, "softmax"))
                continue
            name = "identity" if name == "exp" else name
            act_id, param, _ = _kernel_act(name)
            base = name if isinstance(name, str) else name[0]
            plan.append((act_id, param, _ALIASES.get(base, base)))
        return plan

    def _cache_layer_kernels(self):
        key = (self.activation, self.out_activation_, len(self.coefs_))
        self._layer_kernels_cache = (key, self._build_layer_kernels(key))

    def _forward(self, X, check_input=True):
        """Output-layer values for X, in the estimator's dtype."""
        if check_input:
            X = self._checked_X(X)
        dtype = self._flat.dtype
        A = X
        for W, b, (act_id, param, name) in zip(self.coefs_, self.intercepts_,
                                                self._layer_kernels()):
            out = np.empty((A.shape[0], W.shape[1]), dtype)
            if sp.issparse(A):
                self._check_fits_dtype(A, "X")
                np.copyto(out, (A @ W) + b, casting="unsafe")
                forward = get_activation(name).forward
                if name in _OPTION_ACTIVATIONS:
                    forward(out, alpha=param, out=out)
                else:
                    forward(out, out=out)
            else:
                if A.dtype != dtype or not A.flags.c_contiguous:
                    narrowed = A.dtype.itemsize > dtype.itemsize
                    with np.errstate(over="ignore"):     # reported just below
                        A = np.ascontiguousarray(A, dtype)
                    # X was finite in float64 (validate_data): an inf now is
                    # a value beyond float32's range.
                    if narrowed and not all_finite(A):
                        raise self._too_large("X")
                _kernels.dense_forward_into(A, W, b, act_id, param, out, out)
            A = out
        if self.out_activation_ == "exp":
            np.exp(A, out=A)
        return A

    # ------------------------------------------------------------ export

    # out_activation_ -> (fastnn output activation, Network loss).
    _NETWORK_OUTPUT = {"softmax": ("softmax", "cross_entropy"),
                       "logistic": ("sigmoid", "binary_cross_entropy"),
                       "identity": ("identity", "mse")}

    def to_network(self):
        """The fitted model as a :class:`fastnn.Network` (a copy of the
        parameters; hidden activation and its alpha, the output layer of
        ``out_activation_``).

        Returns
        -------
        fastnn.Network
            Of the estimator's dtype; its forward pass is predict_proba's
            (one sigmoid column for a binary classifier) or predict's.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If the estimator is not fitted.
        ValueError
            For ``loss="poisson"`` (its exponential output has no Network
            counterpart).
        """
        from fastnn.interop._network_build import build_network
        check_is_fitted(self)
        if self.out_activation_ not in self._NETWORK_OUTPUT:
            raise ValueError(f"out_activation_ {self.out_activation_!r} (loss='poisson') "
                             "cannot be exported; only identity, logistic and softmax "
                             "outputs can")
        out_name, loss = self._NETWORK_OUTPUT[self.out_activation_]
        name, options = activation_spec(self.activation)
        hidden = (_ALIASES.get(name, name), options)
        activations = [hidden] * (len(self.coefs_) - 1) + [(out_name, {})]
        params = [(np.array(W), np.array(b)) for W, b in zip(self.coefs_, self.intercepts_)]
        return build_network(self._sizes, activations, loss, self._flat.dtype, params,
                             where=type(self).__name__)

    def to_onnx(self, path=None, **kwargs):
        """Export the fitted model as ONNX (:func:`fastnn.interop.to_onnx`).

        A classifier's model has the outputs ``"probabilities"`` (n, n_classes)
        in ``classes_`` order, (n, 2) for a binary one, as predict_proba, and
        ``"label"``, predict's labels (a 0/1 int64 indicator matrix for
        multilabel targets); a regressor's has ``"predictions"`` (n, n_outputs).

        Parameters
        ----------
        path : str or os.PathLike, optional
            Also write the model there.
        **kwargs
            Passed on to :func:`fastnn.interop.to_onnx` (opset, input_name,
            output_name, label_name).

        Returns
        -------
        onnx.ModelProto

        Raises
        ------
        ImportError
            If onnx is not installed (``pip install "fastnn-cpu[onnx]"``).
        ValueError
            As :meth:`to_network`, or for a ``classes`` keyword (the
            classifier passes its own classes_).
        """
        from fastnn.interop import to_onnx
        if "classes" in kwargs:
            raise ValueError("to_onnx takes no classes: a classifier exports its classes_")
        net = self.to_network()
        if is_classifier(self):
            kwargs["classes"] = self.classes_
        return to_onnx(net, path, **kwargs)

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
