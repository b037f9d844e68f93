"""pickle, copy.deepcopy and copy.copy of a Network: independent copies that
continue training bitwise as the original would, and unpickling that checks
what it reads."""
import copy
import pickle

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import fastnn


def _problem(dtype):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(90, 4)).astype(dtype)
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int64) + (X[:, 2] > 0.5)
    return X, y


def _weights(net):
    return np.concatenate([np.concatenate([W.ravel(), b]) for W, b in net.params])


def _pickled(net):
    return pickle.loads(pickle.dumps(net))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("make_optimizer", [lambda: fastnn.SGD(0.05, momentum=0.9),
                                            lambda: fastnn.Adam(0.01)],
                         ids=["sgd_momentum", "adam"])
@pytest.mark.parametrize("duplicate", [_pickled, copy.deepcopy, copy.copy],
                         ids=["pickle", "deepcopy", "copy"])
def test_a_copy_continues_training_bitwise(dtype, make_optimizer, duplicate):
    X, y = _problem(dtype)
    net = fastnn.Network([4, 8, 3], ["tanh", "softmax"], dtype=dtype, seed=1)
    with threadpool_limits(1):
        net.fit(X, y, epochs=3, batch_size=16, optimizer=make_optimizer())
        twin = duplicate(net)
        assert twin.optimizer is not net.optimizer
        assert twin.optimizer.step == net.optimizer.step      # Adam's t; SGD keeps 0
        assert net.optimizer._state[0].any()                  # moments to carry over
        for mine, theirs in zip(twin.optimizer._state, net.optimizer._state):
            assert (mine is None and theirs is None) or np.array_equal(mine, theirs)
        assert np.array_equal(_weights(twin), _weights(net))
        net.partial_fit(X, y, batch_size=16)
        net.partial_fit(X, y, batch_size=16)
        # The copy's optimizer belongs to the copy: no "another network" error.
        twin.fit(X, y, epochs=2, batch_size=16, optimizer=twin.optimizer)
    assert twin.epochs_trained == net.epochs_trained == 5
    assert twin.dtype == net.dtype
    assert np.array_equal(_weights(twin), _weights(net))


def test_copies_share_no_buffer_with_the_original():
    X, y = _problem("float64")
    net = fastnn.Network([4, 6, 3], ["relu", "softmax"], dtype="float64", seed=2)
    net.fit(X, y, epochs=1)
    before = _weights(net)
    for duplicate in (copy.copy, copy.deepcopy, _pickled):
        twin = duplicate(net)
        assert not np.shares_memory(twin._flat, net._flat)
        for mine, theirs in zip(twin.optimizer._state, net.optimizer._state):
            assert not np.shares_memory(mine, theirs)
        twin.fit(X, y, epochs=2)
        assert np.array_equal(_weights(net), before)
        assert not np.array_equal(_weights(twin), before)


def test_untrained_and_optimizer_free_networks_pickle():
    net = fastnn.Network([3, 5, 2], ["elu", "identity"], seed=4, l2=0.01)
    twin = _pickled(net)
    assert twin.optimizer is None and twin.epochs_trained == 0
    assert twin.get_config() == net.get_config()
    X = np.random.default_rng(0).normal(size=(7, 3))
    assert np.array_equal(twin.forward(X), net.forward(X))
    # The shuffle generator continues where the original's is.
    Y = np.random.default_rng(1).normal(size=(7, 2))
    with threadpool_limits(1):
        net.fit(X, Y, epochs=2, batch_size=3, optimizer="sgd")
        twin.fit(X, Y, epochs=2, batch_size=3, optimizer="sgd")
    assert np.array_equal(_weights(twin), _weights(net))


def test_history_travels_and_is_independent():
    X, y = _problem("float32")
    net = fastnn.Network([4, 3], "softmax", seed=0)
    net.fit(X, y, epochs=2)
    twin = copy.deepcopy(net)
    assert twin.history_["loss"] == net.history_["loss"]
    assert twin.history_ is not net.history_


def test_optimizer_pickles_bound_to_the_network_it_comes_with():
    X, y = _problem("float32")
    net = fastnn.Network([4, 3], "softmax", seed=0)
    opt = fastnn.Adam(0.02)
    net.fit(X, y, epochs=1, optimizer=opt)
    twin, twin_opt = pickle.loads(pickle.dumps((net, opt)))
    assert twin.optimizer is twin_opt
    assert twin_opt.get_config() == opt.get_config()
    twin.fit(X, y, epochs=1, optimizer=twin_opt)          # bound to twin
    with pytest.raises(ValueError, match="another network"):
        net.fit(X, y, epochs=1, optimizer=twin_opt)
    alone = pickle.loads(pickle.dumps(fastnn.SGD(0.1, momentum=0.5)))
    assert alone.get_config() == {"name": "sgd", "learning_rate": 0.1, "momentum": 0.5,
                                  "nesterov": False}
    fastnn.Network([4, 3], "softmax").fit(X, y, epochs=1, optimizer=alone)


def _state(net):
    return net.__getstate__()


@pytest.mark.parametrize("corrupt, match", [
    (lambda s: s.update(format="other"), "not a"),
    (lambda s: s["config"].update(layer_sizes=[4, 0]), "invalid config"),
    (lambda s: s["config"].update(activations=["nope"]), "invalid config"),
    (lambda s: s["config"].update(l2=-1.0), "invalid config"),
    (lambda s: s["config"].update(dtype="float64"), "needs float64"),
    (lambda s: s["params"].__setitem__(0, (np.zeros((4, 4), np.float32),
                                           s["params"][0][1])), "needs float32"),
    (lambda s: s["params"][0][0].__setitem__((0, 0), np.nan), "NaN or inf"),
    (lambda s: s.update(epochs_trained=-1), "epochs_trained"),
    (lambda s: s.update(shuffle_rng={"bit_generator": "MT19937"}), "shuffle generator"),
    (lambda s: s.update(optimizer="adam"), "optimizer must be"),
])
def test_unpickling_checks_what_it_reads(corrupt, match):
    X, y = _problem("float32")
    net = fastnn.Network([4, 3], "softmax", seed=0)
    net.fit(X, y, epochs=1)
    state = _state(net)
    corrupt(state)
    fresh = fastnn.Network.__new__(fastnn.Network)
    with pytest.raises(ValueError, match=match):
        fresh.__setstate__(state)


@pytest.mark.parametrize("sizes", [[1] * 10**6, [4] + [1] * 10**6, (3,) * 10**6])
def test_unpickling_refuses_a_config_claiming_a_million_layers_on_its_length(sizes):
    # The length check comes before the sizes are read one by one (which
    # took seconds): pytest-timeout bounds the test, the message says what.
    net = fastnn.Network([4, 3], "softmax", seed=0)
    state = _state(net)
    state["config"]["layer_sizes"] = sizes
    with pytest.raises(ValueError, match=r"1 layers of parameters, the config's "
                                         r"layer_sizes (999999|1000000)$"):
        fastnn.Network.__new__(fastnn.Network).__setstate__(state)


def test_unpickling_refuses_more_params_than_the_config_has_layers():
    net = fastnn.Network([4, 3], "softmax", seed=0)
    state = _state(net)
    state["params"] = state["params"] * 3
    with pytest.raises(ValueError, match="3 layers of parameters, the config's layer_sizes 1"):
        fastnn.Network.__new__(fastnn.Network).__setstate__(state)


@pytest.mark.parametrize("sizes", [None, "43", 7, {4: 3}])
def test_unpickling_refuses_layer_sizes_that_are_not_a_list(sizes):
    state = _state(fastnn.Network([4, 3], "softmax", seed=0))
    state["config"]["layer_sizes"] = sizes
    with pytest.raises(ValueError, match="invalid config"):
        fastnn.Network.__new__(fastnn.Network).__setstate__(state)


@pytest.mark.parametrize("corrupt, match", [
    (lambda s: s["bound"]["buffers"][0].__setitem__(0, np.inf), "NaN or inf"),
    (lambda s: s["bound"].update(n_params=3), "arrays"),
    (lambda s: s["bound"].update(buffers=(None, None)), "does not fit"),
    (lambda s: s.update(step=-2), "step"),
    (lambda s: s["config"].update(beta1=1.5), "beta1"),
])
def test_optimizer_unpickling_checks_its_state(corrupt, match):
    X, y = _problem("float32")
    net = fastnn.Network([4, 3], "softmax", seed=0)
    net.fit(X, y, epochs=1, optimizer="adam")
    state = net.optimizer.__getstate__()
    corrupt(state)
    with pytest.raises(ValueError, match=match):
        fastnn.Adam.__new__(fastnn.Adam).__setstate__(state)


def test_optimizer_state_must_fit_the_network():
    X, y = _problem("float32")
    net = fastnn.Network([4, 3], "softmax", seed=0)
    net.fit(X, y, epochs=1, optimizer="adam")
    other = fastnn.Network([4, 5, 3], ["relu", "softmax"], seed=0)
    other.fit(X, y, epochs=1, optimizer="adam")
    state = _state(net)
    state["optimizer"] = copy.deepcopy(other.optimizer)
    with pytest.raises(ValueError, match="optimizer's state"):
        fastnn.Network.__new__(fastnn.Network).__setstate__(state)


def test_pickles_name_the_public_module():
    data = pickle.dumps(fastnn.Network([2, 2], "softmax", seed=0))
    assert b"fastnn.network" in data and b"_network" not in data


@pytest.mark.parametrize("extra", [{"foo": 1}, {1: 2}, {"learning_rate": "x"}])
def test_a_crafted_optimizer_config_raises_value_error(extra):
    from fastnn.optimizers import Adam
    state = Adam().__getstate__()
    state["config"] = {**state["config"], **extra}
    with pytest.raises(ValueError, match="Adam"):
        Adam.__new__(Adam).__setstate__(state)
