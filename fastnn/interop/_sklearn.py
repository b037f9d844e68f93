"""scikit-learn's fitted MLPClassifier / MLPRegressor -> Network."""
import numpy as np

from fastnn.interop._network_build import build_network, require

_HIDDEN = {"identity": "identity", "logistic": "sigmoid", "tanh": "tanh", "relu": "relu"}
_OUTPUT = {"identity": ("identity", "mse"), "logistic": ("sigmoid", "binary_cross_entropy"),
           "softmax": ("softmax", "cross_entropy")}


def from_sklearn(mlp, return_classes=False):
    """Build a Network from a fitted scikit-learn multi-layer perceptron.

    ``coefs_`` are already (n_in, n_out), as fastnn's weights.  The hidden
    activation maps identity/logistic/tanh/relu to identity/sigmoid/tanh/
    relu.  The output layer follows scikit-learn's ``out_activation_``: a
    binary classifier has one sigmoid unit (binary_cross_entropy), a
    multiclass one a softmax (cross_entropy), a multilabel one a sigmoid per
    label (binary_cross_entropy), a regressor identity outputs (mse).  The
    dtype is that of ``coefs_`` (float64, or float32 for a model fitted on
    float32 data).

    The network predicts class *indices*; the labels they stand for are
    ``mlp.classes_``, returned beside the network with
    ``return_classes=True`` (and ready for ``to_onnx(net, classes=...)``).
    For a binary classifier ``classes[int(p > 0.5)]`` is scikit-learn's
    prediction; for a multiclass one ``classes[argmax]``.

    Parameters
    ----------
    mlp : sklearn.neural_network.MLPClassifier or MLPRegressor
        Fitted.
    return_classes : bool, default False
        Also return ``mlp.classes_`` (a classifier only).

    Returns
    -------
    net : fastnn.Network
    classes : numpy.ndarray
        Only with ``return_classes=True``: ``mlp.classes_``, a copy.

    Raises
    ------
    ImportError
        If scikit-learn is not installed (``pip install "fastnn-cpu[sklearn]"``).
    TypeError
        If ``mlp`` is not an MLPClassifier/MLPRegressor, or its weights are
        neither float32 nor float64.
    ValueError
        If it is not fitted, has an unknown activation, non-finite weights,
        or ``return_classes=True`` is asked of a regressor.

    Examples
    --------
    >>> from sklearn.neural_network import MLPClassifier
    >>> import fastnn
    >>> from fastnn import interop
    >>> mlp = MLPClassifier(hidden_layer_sizes=(8,), max_iter=300, random_state=0)
    >>> mlp = mlp.fit([[0, 0], [0, 1], [1, 0], [1, 1]], ["no", "yes", "yes", "no"])
    >>> net, classes = interop.from_sklearn(mlp, return_classes=True)
    >>> net.layer_sizes, classes.tolist()
    ([2, 8, 1], ['no', 'yes'])
    """
    nn = require("sklearn.neural_network", "sklearn")
    if not isinstance(mlp, (nn.MLPClassifier, nn.MLPRegressor)):
        raise TypeError("mlp must be a sklearn.neural_network.MLPClassifier or "
                        f"MLPRegressor, got {type(mlp).__name__}")
    is_classifier = isinstance(mlp, nn.MLPClassifier)
    if return_classes and not is_classifier:
        raise ValueError("return_classes=True needs an MLPClassifier; an MLPRegressor has "
                         "no classes")
    if not hasattr(mlp, "coefs_"):
        raise ValueError(f"this {type(mlp).__name__} is not fitted; call fit first")
    if mlp.activation not in _HIDDEN:
        raise ValueError(f"hidden activation {mlp.activation!r} is not supported; known: "
                         f"{', '.join(_HIDDEN)}")
    if mlp.out_activation_ not in _OUTPUT:
        raise ValueError(f"output activation {mlp.out_activation_!r} is not supported")
    out_activation, loss = _OUTPUT[mlp.out_activation_]
    coefs = [np.asarray(W) for W in mlp.coefs_]
    intercepts = [np.asarray(b) for b in mlp.intercepts_]
    dtype = coefs[0].dtype
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"mlp.coefs_ are {dtype}; only float32 and float64 are supported")
    sizes = [coefs[0].shape[0]] + [W.shape[1] for W in coefs]
    activations = [(_HIDDEN[mlp.activation], {})] * (len(coefs) - 1) + [(out_activation, {})]
    net = build_network(sizes, activations, loss, dtype,
                        [(W.copy(), b.copy()) for W, b in zip(coefs, intercepts)],
                        where=type(mlp).__name__)
    if return_classes:
        return net, np.array(mlp.classes_, copy=True)
    return net
