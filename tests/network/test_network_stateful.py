"""Random sequences of operations on small random networks.

A hypothesis state machine drives fit / partial_fit / set_params / save /
load / predict / pickle, and checks after every step what must always hold:
finite weights, shapes, exact round trips, copies that train on bitwise as
the original, and errors only of the documented types.
"""
import os
import pickle
import tempfile

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from threadpoolctl import threadpool_limits

import fastnn

_HIDDEN = ["relu", "tanh", "sigmoid", "leaky_relu", "elu", "softplus", "silu", "gelu"]
_TASKS = {
    "cross_entropy": "softmax",
    "binary_cross_entropy": "sigmoid",
    "mse": "identity",
}


def _weights(net):
    return np.concatenate([np.concatenate([W.ravel(), b]) for W, b in net.params])


class NetworkMachine(RuleBasedStateMachine):
    """One network, one data set, and the operations a user may apply."""

    @initialize(n_in=st.integers(1, 5), hidden=st.lists(st.integers(1, 6), max_size=2),
                n_out=st.integers(1, 4), act=st.sampled_from(_HIDDEN),
                loss=st.sampled_from(sorted(_TASKS)), dtype=st.sampled_from(["float32",
                                                                              "float64"]),
                seed=st.integers(0, 2**16), n_rows=st.integers(1, 40))
    def build(self, n_in, hidden, n_out, act, loss, dtype, seed, n_rows):
        if loss == "cross_entropy":
            n_out = max(n_out, 2)              # a softmax of one unit is refused
        sizes = [n_in, *hidden, n_out]
        acts = [act] * len(hidden) + [_TASKS[loss]]
        self.net = fastnn.Network(sizes, acts, loss=loss, dtype=dtype, seed=seed)
        rng = np.random.default_rng(seed)
        self.X = rng.normal(size=(n_rows, n_in)).astype(dtype)
        if loss == "cross_entropy":
            self.y = rng.integers(0, n_out, size=n_rows)
        elif loss == "binary_cross_entropy":
            self.y = rng.integers(0, 2, size=(n_rows, n_out)).astype(dtype)
        else:
            self.y = rng.normal(size=(n_rows, n_out)).astype(dtype)
        # Once an absurd step has been taken the weights may be finite but
        # huge, and any later step may overflow; partial_fit keeps the
        # optimizer, and with it the absurd learning rate.
        self.absurd = False
        self.dir = tempfile.mkdtemp(prefix="fastnn-stateful-")

    def teardown(self):
        if hasattr(self, "dir"):
            for name in os.listdir(self.dir):
                os.unlink(os.path.join(self.dir, name))
            os.rmdir(self.dir)

    # ------------------------------------------------------------ operations

    @rule(epochs=st.integers(1, 3), batch_size=st.integers(1, 50),
          optimizer=st.sampled_from(["sgd", "adam"]),
          learning_rate=st.sampled_from([1e-3, 1e-2, 0.1, 1e30]))
    def fit(self, epochs, batch_size, optimizer, learning_rate):
        before = self.net.epochs_trained
        self.absurd |= learning_rate > 1
        try:
            self.net.fit(self.X, self.y, epochs=epochs, batch_size=batch_size,
                         optimizer=optimizer, learning_rate=learning_rate)
        except FloatingPointError:
            # Only an absurd step may diverge, and the network keeps weights
            # it had before (finite: checked by the invariant).
            assert self.absurd
            assert before <= self.net.epochs_trained < before + epochs
        else:
            assert self.net.epochs_trained == before + epochs

    @rule(batch_size=st.integers(1, 50))
    def partial_fit(self, batch_size):
        before = self.net.epochs_trained
        try:
            self.net.partial_fit(self.X, self.y, batch_size=batch_size)
        except FloatingPointError:
            assert self.absurd
            assert self.net.epochs_trained == before
        else:
            assert self.net.epochs_trained == before + 1

    @rule(scale=st.sampled_from([0.0, 0.1, 1.0]), seed=st.integers(0, 100))
    def set_params(self, scale, seed):
        rng = np.random.default_rng(seed)
        new = [(rng.normal(size=W.shape) * scale, rng.normal(size=b.shape) * scale)
               for W, b in self.net.params]
        self.net.set_params(new)
        expected = np.concatenate([np.concatenate([W.ravel(), b]) for W, b in new])
        np.testing.assert_array_equal(_weights(self.net), expected.astype(self.net.dtype))

    @rule()
    def save_and_load(self):
        path = os.path.join(self.dir, "m.npz")
        self.net.save(path)
        loaded = fastnn.Network.load(path)
        assert loaded.get_config() == self.net.get_config()
        assert _weights(loaded).tobytes() == _weights(self.net).tobytes()
        assert loaded.forward(self.X).tobytes() == self.net.forward(self.X).tobytes()

    @rule()
    def pickle_and_train_both(self):
        twin = pickle.loads(pickle.dumps(self.net))
        assert _weights(twin).tobytes() == _weights(self.net).tobytes()
        kwargs = dict(epochs=1, batch_size=8, learning_rate=1e-2)
        outcomes = []
        with threadpool_limits(1):
            for net in (self.net, twin):
                try:
                    net.fit(self.X, self.y, **kwargs)
                    outcomes.append("ok")
                except FloatingPointError:
                    outcomes.append("diverged")
        assert outcomes[0] == outcomes[1]
        assert _weights(twin).tobytes() == _weights(self.net).tobytes()

    @rule()
    def predict(self):
        out = self.net.predict(self.X)
        assert out.shape[0] == self.X.shape[0]
        # After an absurd step the weights are finite but may be huge (up to
        # ~1e29), and their products overflow as IEEE arithmetic says.
        if self.net.loss == "mse" and not self.absurd:
            assert np.all(np.isfinite(out))

    @rule(extra=st.integers(1, 3))
    def wrong_feature_count_is_a_value_error(self, extra):
        bad = np.zeros((2, self.X.shape[1] + extra), self.X.dtype)
        for call in (self.net.predict, lambda X: self.net.fit(X, self.y[:2], epochs=1)):
            try:
                call(bad)
            except ValueError as exc:
                assert "features" in str(exc)
            else:
                raise AssertionError("a wrong feature count was accepted")

    @rule()
    def nan_input_is_a_value_error(self):
        bad = self.X.copy()
        bad.flat[0] = np.nan
        try:
            self.net.fit(bad, self.y, epochs=1)
        except ValueError as exc:
            assert "NaN" in str(exc)
        else:
            raise AssertionError("NaN input was accepted")

    # ------------------------------------------------------------ invariants

    @invariant()
    def weights_finite_and_shaped(self):
        if not hasattr(self, "net"):
            return
        sizes = self.net.layer_sizes
        for (W, b), n_in, n_out in zip(self.net.params, sizes[:-1], sizes[1:]):
            assert W.shape == (n_in, n_out) and b.shape == (n_out,)
            assert W.dtype == b.dtype == self.net.dtype
            assert np.all(np.isfinite(W)) and np.all(np.isfinite(b))


NetworkMachine.TestCase.settings = settings(
    max_examples=int(os.environ.get("FASTNN_STATEFUL_EXAMPLES", "100")), stateful_step_count=12,
    deadline=None, suppress_health_check=[HealthCheck.too_slow])
test_network_state_machine = NetworkMachine.TestCase
