"""What a new user runs into: label hints, one-unit softmax, parametrised
activations inside a network, train_test_split on continuous and pandas
data, and one TypeError/ValueError contract for arguments."""
import copy
import dataclasses
import pickle

import numpy as np
import pytest

import fastnn
from fastnn.datasets import train_test_split


def test_integer_labels_on_a_regression_network_say_what_they_need():
    X = np.random.default_rng(0).normal(size=(150, 4))
    y = np.arange(150) % 3
    with pytest.raises(ValueError, match=r"\(150, 3\).*'softmax' output.*cross_entropy.*"
                                         r"'relu' output and loss='mse'"):
        fastnn.Network([4, 16, 3]).fit(X, y)
    # Fitting real-valued 1-D targets to three outputs gets no label hint.
    with pytest.raises(ValueError) as info:
        fastnn.Network([4, 16, 3]).fit(X, y + 0.5)
    assert "softmax" not in str(info.value)


def test_softmax_of_one_unit_is_refused_naming_the_layer():
    with pytest.raises(ValueError, match=r"activations\[1\].*single unit"):
        fastnn.Network([4, 16, 1], activations=["relu", "softmax"])
    with pytest.raises(ValueError, match=r"activations\[0\]"):
        fastnn.Network([4, 1, 3], activations=["softmax", "softmax"])


def _leaky_reference(net, X, alpha):
    (W0, b0), (W1, b1) = net.params
    h = X @ W0.astype(np.float64) + b0
    h = np.where(h >= 0, h, alpha * h)
    return h @ W1.astype(np.float64) + b1


@pytest.mark.parametrize("spec", [("leaky_relu", {"alpha": 0.3}),
                                  ["leaky_relu", {"alpha": 0.3}],
                                  {"name": "leaky_relu", "alpha": 0.3},
                                  dataclasses.replace(fastnn.get_activation("leaky_relu"),
                                                      param=0.3)])
def test_activation_parameters_reach_the_kernels(spec):
    X = np.random.default_rng(0).normal(size=(40, 3))
    net = fastnn.Network([3, 8, 2], [spec, "identity"], dtype="float64", seed=0)
    assert net._acts[0].name == "leaky_relu" and net._acts[0].param == 0.3
    assert net.activations == ["leaky_relu", "identity"]
    np.testing.assert_allclose(net.forward(X), _leaky_reference(net, X, 0.3), rtol=1e-12)
    # The training loop uses the same alpha: its gradient matches finite
    # differences of the forward pass.
    Y = np.random.default_rng(1).normal(size=(40, 2))
    _, grads = net.loss_and_gradients(X, Y)
    W0, b0 = (p.copy() for p in net.params[0])
    eps = 1e-6
    W0[1, 2] += eps
    net.set_params([(W0, b0), net.params[1]])
    plus = net.evaluate(X, Y)["loss"]
    W0[1, 2] -= 2 * eps
    net.set_params([(W0, b0), net.params[1]])
    minus = net.evaluate(X, Y)["loss"]
    assert grads[0][0][1, 2] == pytest.approx((plus - minus) / (2 * eps), rel=1e-5)


def test_activation_parameters_round_trip(tmp_path):
    net = fastnn.Network([3, 5, 4, 2], [("elu", {"alpha": 0.5}), "leaky_relu", "softmax"],
                         seed=0)
    assert net.get_config()["activations"] == [{"name": "elu", "alpha": 0.5}, "leaky_relu",
                                               "softmax"]
    net.save(tmp_path / "m.npz")
    for twin in (fastnn.Network.load(tmp_path / "m.npz"), pickle.loads(pickle.dumps(net)),
                 copy.deepcopy(net)):
        assert [(a.name, a.param) for a in twin._acts] == [("elu", 0.5), ("leaky_relu", 0.01),
                                                           ("softmax", 0.0)]
        X = np.ones((2, 3))
        assert np.array_equal(twin.forward(X), net.forward(X))


@pytest.mark.parametrize("spec, error, match", [
    (("leaky_relu", {"alpha": 2.0}), ValueError, r"alpha must be in \[0, 1\]"),
    (("elu", {"alpha": -1.0}), ValueError, "alpha must be >= 0"),
    (("leaky_relu", {"alpha": "big"}), TypeError, "alpha must be a real number"),
    (("relu", {"alpha": 0.1}), ValueError, "takes no parameter"),
    (("elu", {"beta": 0.1}), ValueError, "takes 'alpha'"),
    (("elu", 0.1), TypeError, r"activations\[0\] must be a name"),
    (3, TypeError, r"activations\[0\] must be a name"),
])
def test_bad_activation_parameters(spec, error, match):
    with pytest.raises(error, match=match):
        fastnn.Network([3, 4, 2], [spec, "identity"])


def test_diabetes_like_continuous_targets_split_plainly():
    X = np.random.default_rng(0).normal(size=(442, 10))
    y = np.random.default_rng(1).normal(size=442) * 50 + 150
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25)
    assert len(X_test) == len(y_test) == 111 and len(X_train) == 331
    rows = np.concatenate([y_train, y_test])
    assert np.array_equal(np.sort(rows), np.sort(y))


def test_stratify_is_explicit_when_asked():
    y = np.repeat([0, 1], [90, 10])
    X = np.arange(200).reshape(100, 2)
    for stratify in (True, y, "auto"):
        y_test = train_test_split(X, y, 0.2, stratify=stratify)[3]
        assert np.bincount(y_test).tolist() == [18, 2]
    plain = train_test_split(X, y, 0.2, stratify=None)
    assert len(plain[1]) == 20 and len(plain[0]) == 80
    with pytest.raises(ValueError, match="stratify must be one label per row"):
        train_test_split(X, y, 0.2, stratify=y[:5])


def test_train_test_split_takes_pandas_by_position():
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame({"a": np.arange(20.0), "b": np.arange(20.0) * 2},
                     index=np.arange(100, 120))
    y = pd.Series(np.arange(20) % 2, index=X.index)
    X_train, X_test, y_train, y_test = train_test_split(X, y, 0.3, seed=0)   # 3 per class
    assert isinstance(X_train, pd.DataFrame) and isinstance(y_test, pd.Series)
    assert len(X_test) == len(y_test) == 6
    assert (X_test.index == y_test.index).all()
    assert (X_test["a"].to_numpy() == X_test.index - 100).all()


@pytest.mark.parametrize("call, error", [
    (lambda net, X, y: net.fit(X, y, validation_split="0.2"), TypeError),
    (lambda net, X, y: net.fit(X, y, validation_split=True), TypeError),
    (lambda net, X, y: net.fit(X, y, validation_split=-0.1), ValueError),
    (lambda net, X, y: net.fit(X, y, epochs=2.0), TypeError),
    (lambda net, X, y: net.fit(X, y, patience=0), ValueError),
    (lambda net, X, y: net.fit(X, y, learning_rate="1e-3"), TypeError),
    (lambda net, X, y: net.fit(X, y, learning_rate=True), TypeError),
    (lambda net, X, y: net.fit(X, y, optimizer=3), TypeError),
    (lambda net, X, y: fastnn.Network([3, 2], "softmax", l2="0"), TypeError),
    (lambda net, X, y: fastnn.Network([3, 2], "softmax", l2=float("nan")), ValueError),
    (lambda net, X, y: fastnn.Network([3, 2], "softmax", loss=1), TypeError),
    (lambda net, X, y: fastnn.SGD(0.1, momentum=1.0), ValueError),
    (lambda net, X, y: fastnn.SGD(0.1, momentum=0.5, nesterov="yes"), TypeError),
    (lambda net, X, y: fastnn.Adam(eps=0.0), ValueError),
    (lambda net, X, y: fastnn.datasets.make_spirals(10.5), TypeError),
    (lambda net, X, y: fastnn.datasets.make_spirals(10, noise=-1.0), ValueError),
    (lambda net, X, y: train_test_split(X, y, test_size="half"), TypeError),
    (lambda net, X, y: fastnn.dense_forward(X, np.ones((3, 2)), ["x"]), TypeError),
])
def test_one_contract_for_argument_errors(call, error):
    net = fastnn.Network([3, 2], "softmax", seed=0)
    X, y = np.ones((10, 3)), np.arange(10) % 2
    with pytest.raises(error):
        call(net, X, y)


@pytest.mark.parametrize("module", ["fastnn.network", "fastnn.network._model",
                                    "fastnn.network._prediction", "fastnn.network._training",
                                    "fastnn.network._persistence",
                                    "fastnn.datasets", "fastnn._validation"])
def test_docstring_examples_run(module):
    import doctest
    import importlib
    result = doctest.testmod(importlib.import_module(module))
    assert result.failed == 0 and result.attempted > 0
