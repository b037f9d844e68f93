"""The constructor parameters and their documentation, shared by both
estimators (one source for the long list)."""

PARAMETERS_DOC = """
    Parameters
    ----------
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        Units of each hidden layer.
    activation : str or (str, dict), default="relu"
        Hidden-layer activation: scikit-learn's "identity", "logistic"
        (fastnn's sigmoid), "tanh", "relu", or any other fastnn activation
        ("leaky_relu", "elu", "softplus", "silu", "gelu", "gelu_tanh", with
        their default parameters), or ``(name, {"alpha": a})`` for
        leaky_relu (alpha in [0, 1]) and elu (alpha >= 0).
    solver : {"lbfgs", "sgd", "adam"}, default="adam"
    alpha : float, default=0.0001
        L2 penalty: ``0.5 * alpha * sum ||W||^2 / sum(batch weights)`` is
        added to each batch's weighted mean loss, as scikit-learn.
    batch_size : int or "auto", default="auto"
        ``min(200, n_samples)`` for "auto"; unused by "lbfgs".
    learning_rate : {"constant", "invscaling", "adaptive"}, default="constant"
        Schedule of "sgd", updated between epochs.
    learning_rate_init : float, default=0.001
    power_t : float, default=0.5
    max_iter : int, default=200
        Epochs ("sgd", "adam") or iterations ("lbfgs").
    shuffle : bool, default=True
    random_state : int, RandomState instance or None, default=None
        Draws the initial weights (scikit-learn's draws, in its order), the
        shuffles and the early-stopping split.
    tol : float, default=1e-4
    verbose : bool, default=False
    warm_start : bool, default=False
    momentum : float, default=0.9
    nesterovs_momentum : bool, default=True
    early_stopping : bool, default=False
    validation_fraction : float, default=0.1
    beta_1, beta_2 : float, default=0.9, 0.999
    epsilon : float, default=1e-8
        Adam's, added to ``sqrt(v) / sqrt(1 - beta_2^t)`` (PyTorch's
        placement; scikit-learn adds it to ``sqrt(v)``).
    n_iter_no_change : int, default=10
    max_fun : int, default=15000
        Loss evaluations of "lbfgs".
    dtype : {"float32", "float64"}, default="float32"
        Dtype of the parameters and of all computation; inputs are cast to
        it.  predict, predict_proba and the fitted coefs_ are of this dtype
        whatever the input's (float32 probabilities for float64 X by
        default; pass dtype="float64" for scikit-learn's float64 results).
"""
