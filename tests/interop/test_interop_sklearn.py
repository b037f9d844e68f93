"""fastnn.interop.from_sklearn: fitted MLPClassifier / MLPRegressor."""
import warnings

import numpy as np
import pytest

from fastnn import interop
from _interop import TOL, max_abs_diff_ok

neural_network = pytest.importorskip("sklearn.neural_network")  # guard: CI has [test]


def _data(n=120, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5))
    return X, rng


def _fit(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # ConvergenceWarning: few iterations
        return model.fit(X, y)


@pytest.mark.parametrize("activation", ["identity", "logistic", "tanh", "relu"])
def test_binary(activation):
    X, rng = _data()
    y = np.where(X[:, 0] + 0.3 * rng.normal(size=len(X)) > 0, "yes", "no")
    mlp = _fit(neural_network.MLPClassifier(hidden_layer_sizes=(7, 4), activation=activation, max_iter=50,
                                            random_state=0), X, y)
    net, classes = interop.from_sklearn(mlp, return_classes=True)
    assert net.layer_sizes == [5, 7, 4, 1] and net.loss == "binary_cross_entropy"
    assert net.dtype == np.float64 and list(classes) == ["no", "yes"]
    p = net.predict_proba(X)
    assert np.max(np.abs(p[:, 0] - mlp.predict_proba(X)[:, 1])) <= TOL[np.float64]
    assert np.array_equal(classes[net.predict(X)], mlp.predict(X))


def test_multiclass():
    X, _ = _data()
    y = np.array([10, 20, 30])[np.argmax(X[:, :3], axis=1)]
    mlp = _fit(neural_network.MLPClassifier(hidden_layer_sizes=(8,), max_iter=80, random_state=0), X, y)
    net, classes = interop.from_sklearn(mlp, return_classes=True)
    assert net.activations == ["relu", "softmax"] and net.loss == "cross_entropy"
    assert np.max(np.abs(net.predict_proba(X) - mlp.predict_proba(X))) <= TOL[np.float64]
    assert np.array_equal(classes[net.predict(X)], mlp.predict(X))


def test_multilabel():
    X, _ = _data()
    Y = (X[:, :3] > 0).astype(int)
    mlp = _fit(neural_network.MLPClassifier(hidden_layer_sizes=(8,), activation="tanh", max_iter=80,
                                            random_state=0), X, Y)
    net = interop.from_sklearn(mlp)
    assert net.activations == ["tanh", "sigmoid"] and net.layer_sizes[-1] == 3
    assert np.max(np.abs(net.predict_proba(X) - mlp.predict_proba(X))) <= TOL[np.float64]
    assert np.array_equal(net.predict(X), mlp.predict(X))


@pytest.mark.parametrize("n_targets", [1, 2])
def test_regression(n_targets):
    X, _ = _data()
    y = X[:, :n_targets] * 3.0 + 1.0
    y = y[:, 0] if n_targets == 1 else y
    mlp = _fit(neural_network.MLPRegressor(hidden_layer_sizes=(9, 6), activation="logistic", max_iter=60,
                                           random_state=0), X, y)
    net = interop.from_sklearn(mlp)
    assert net.loss == "mse" and net.activations == ["sigmoid", "sigmoid", "identity"]
    ref = mlp.predict(X).reshape(len(X), -1)
    assert max_abs_diff_ok(net.forward(X), ref, np.float64)
    with pytest.raises(ValueError, match="no classes"):
        interop.from_sklearn(mlp, return_classes=True)


def test_float32_model_stays_float32():
    X, _ = _data()
    y = (X[:, 0] > 0).astype(int)
    mlp = _fit(neural_network.MLPClassifier(hidden_layer_sizes=(6,), max_iter=40, random_state=0),
               X.astype(np.float32), y)
    if mlp.coefs_[0].dtype != np.float32:
        pytest.fail("scikit-learn fitted float32 data in float64; the test needs float32")
    net = interop.from_sklearn(mlp)
    assert net.dtype == np.float32
    X32 = X.astype(np.float32)
    assert np.max(np.abs(net.predict_proba(X32)[:, 0] - mlp.predict_proba(X32)[:, 1])) \
        <= TOL[np.float32]


def test_onnx_of_imported_classifier_predicts_sklearn_labels():
    ort = pytest.importorskip("onnxruntime")
    X, _ = _data()
    y = np.array(["a", "b", "c"])[np.argmax(X[:, :3], axis=1)]
    mlp = _fit(neural_network.MLPClassifier(hidden_layer_sizes=(8,), max_iter=80, random_state=0), X, y)
    net, classes = interop.from_sklearn(mlp, return_classes=True)
    model = interop.to_onnx(net, classes=classes)
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    probabilities, labels = sess.run(None, {"X": X})
    assert labels.tolist() == mlp.predict(X).tolist()
    assert np.max(np.abs(probabilities - mlp.predict_proba(X))) <= TOL[np.float64]


def test_refusals():
    with pytest.raises(TypeError, match="MLPClassifier"):
        interop.from_sklearn(object())
    with pytest.raises(ValueError, match="not fitted"):
        interop.from_sklearn(neural_network.MLPClassifier())
    X, _ = _data()
    mlp = _fit(neural_network.MLPRegressor(hidden_layer_sizes=(3,), max_iter=5, random_state=0), X, X[:, 0])
    mlp.coefs_[0][0, 0] = np.inf
    with pytest.raises(ValueError, match="NaN or inf"):
        interop.from_sklearn(mlp)


def test_poisson_regressor_output_refused():
    X, _ = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mlp = neural_network.MLPRegressor(loss="poisson", hidden_layer_sizes=(3,), max_iter=5,
                              random_state=0).fit(X, np.abs(X[:, 0]))
    with pytest.raises(ValueError, match="output activation 'exp'"):
        interop.from_sklearn(mlp)
