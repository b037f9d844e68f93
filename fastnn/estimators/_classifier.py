"""fastnn.MLPClassifier."""
import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.metrics import accuracy_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import _check_partial_fit_first_call, unique_labels
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data
from sklearn.base import _fit_context

from fastnn import _kernels
from fastnn.estimators._base import BaseMLP
from fastnn.estimators._params import PARAMETERS_DOC

__all__ = ["MLPClassifier"]


class MLPClassifier(ClassifierMixin, BaseMLP):
    __doc__ = """Multi-layer perceptron classifier, scikit-learn's with fastnn's
    compiled training loop.

    Drop-in for ``sklearn.neural_network.MLPClassifier``: the same
    parameters, fitted attributes and methods; log-loss over a softmax
    output (multiclass), one logistic unit (binary) or one per label
    (multilabel indicator targets).
""" + PARAMETERS_DOC + """
    Attributes
    ----------
    classes_, loss_, best_loss_, loss_curve_, validation_scores_,
    best_validation_score_, t_, coefs_, intercepts_, n_features_in_,
    feature_names_in_, n_iter_, n_layers_, n_outputs_, out_activation_
        As scikit-learn's MLPClassifier.
    """

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam",
                 alpha=0.0001, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.001, power_t=0.5, max_iter=200, shuffle=True,
                 random_state=None, tol=1e-4, verbose=False, warm_start=False, momentum=0.9,
                 nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, max_fun=15000,
                 dtype="float32"):
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

    # ------------------------------------------------------------ hooks

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"], multi_output=True,
                             dtype=(np.float64, np.float32), reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if not hasattr(self, "classes_") or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer()
            self._label_binarizer.fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start:
                if set(classes) != set(self.classes_):
                    raise ValueError("warm_start can only be used where `y` has the same "
                                     "classes as in the previous call to fit. Previously "
                                     f"got {self.classes_}, `y` has {classes}")
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError("`y` has classes not in `self.classes_`. `self.classes_` "
                                 f"has {self.classes_}. 'y' has {classes}.")
        T = self._label_binarizer.transform(y).astype(bool)
        return X, T

    def _out_activation(self):
        return "softmax" if self._label_binarizer.y_type_ == "multiclass" else "logistic"

    def _loss_id(self):
        return _kernels.LOSS_IDS["cross_entropy" if self.out_activation_ == "softmax"
                                 else "binary_cross_entropy"]

    def _labels_of(self, T):
        if self.out_activation_ == "softmax":
            return np.ascontiguousarray(np.argmax(T, axis=1), np.int64)
        return None

    def _score_outputs(self, A, T, sample_weight):
        """Accuracy of outputs A against binarized targets T (subset accuracy
        for multilabel), weighted."""
        if self.out_activation_ == "softmax":
            correct = np.argmax(A, axis=1) == np.argmax(T, axis=1)
        else:
            correct = np.all((A > 0.5) == T.astype(bool), axis=1)
        return float(np.average(correct, weights=sample_weight))

    def _predict(self, X, check_input=True):
        A = self._forward(X, check_input=check_input)
        y_type = self._label_binarizer.y_type_
        # LabelBinarizer.inverse_transform's rules (argmax; binary: p > 0.5)
        # without its per-call validation; multilabel goes through it.
        if y_type == "multiclass":
            return self.classes_.take(np.argmax(A, axis=1))
        if y_type == "binary" and len(self.classes_) == 2:
            return self.classes_[(A.ravel() > 0.5).astype(np.intp)]
        return self._label_binarizer.inverse_transform(A)

    def _score(self, X, y, sample_weight=None):
        return self._score_with(X, y, sample_weight, accuracy_score)

    # ------------------------------------------------------------ API

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model to X and y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Class labels of any type, or a multilabel indicator matrix.
        sample_weight : array-like of shape (n_samples,), default=None
            Each batch's loss is the weighted mean over its rows.

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
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """One epoch over X, y.

        Parameters
        ----------
        X, y, sample_weight
            As :meth:`fit`.
        classes : array of shape (n_classes,), default=None
            All classes, needed on the first call.

        Returns
        -------
        self
        """
        if _check_partial_fit_first_call(self, classes):
            self._label_binarizer = LabelBinarizer()
            self._label_binarizer.fit(classes)
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    def predict(self, X):
        """Predicted classes.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        if not hasattr(self, "coefs_"):
            check_is_fitted(self)
        return self._predict(X)

    def predict_proba(self, X):
        """Class probabilities, in the order of classes_.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes), of the estimator's dtype
            (float32 by default, also for float64 X); (n_samples, 2) for a
            binary problem.
        """
        if not hasattr(self, "coefs_"):
            check_is_fitted(self)
        A = self._forward(X)
        if self.n_outputs_ == 1:
            return np.hstack([1 - A, A])
        return A

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        return np.log(self.predict_proba(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags
