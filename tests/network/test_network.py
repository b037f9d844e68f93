"""fastnn.Network: gradients, training, determinism, persistence, errors."""
import json
import os

import numpy as np
import pytest

import fastnn
from _arrays import unaligned_copy
from fastnn.datasets import load_digits, make_spirals, train_test_split

ACTS = sorted(fastnn.ACTIVATIONS)


def _numeric_gradient(net, X, y, h=1e-6):
    """Central differences of the NumPy-evaluated loss, parameter by parameter."""
    flat = net._flat
    grad = np.empty_like(flat)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        up = net.evaluate(X, y)["loss"]
        flat[i] = old - h
        down = net.evaluate(X, y)["loss"]
        flat[i] = old
        grad[i] = (up - down) / (2 * h)
    return grad


def _flatten(grads):
    return np.concatenate([np.concatenate([gW.ravel(), gb]) for gW, gb in grads])


def _targets(loss, n, n_out, rng, one_hot=False):
    if loss == "cross_entropy":
        labels = rng.integers(0, n_out, n)
        return np.eye(n_out)[labels] if one_hot else labels
    if loss == "binary_cross_entropy":
        return rng.integers(0, 2, (n, n_out)).astype(float)
    return rng.standard_normal((n, n_out))


# Every activation as hidden layer (softmax/CE output) and as MSE output, and
# the two fused pairs with class indices, one-hot and soft targets.
CASES = ([(h, "softmax", "cross_entropy", False) for h in ACTS]
         + [("tanh", o, "mse", False) for o in ACTS]
         + [("relu", "sigmoid", "binary_cross_entropy", False),
            ("elu", "softmax", "cross_entropy", True)])


@pytest.mark.parametrize("hidden, output, loss, one_hot", CASES)
def test_gradients_match_finite_differences(hidden, output, loss, one_hot):
    rng = np.random.default_rng(1)
    net = fastnn.Network([4, 5, 3], [hidden, output], loss=loss, dtype="float64", seed=3,
                         l2=0.05)
    X = rng.standard_normal((9, 4))
    y = _targets(loss, 9, 3, rng, one_hot)
    loss_value, grads = net.loss_and_gradients(X, y)
    assert loss_value == pytest.approx(net.evaluate(X, y)["loss"], rel=1e-12)
    analytic = _flatten(grads)
    numeric = _numeric_gradient(net, X, y)
    err = np.abs(analytic - numeric).max() / np.abs(numeric).max()
    assert err < 1e-6, err


def test_soft_targets_and_deeper_network():
    rng = np.random.default_rng(2)
    net = fastnn.Network([3, 6, 4, 5], ["silu", "sigmoid", "softmax"], dtype="float64", seed=0)
    X = rng.standard_normal((7, 3))
    y = rng.dirichlet(np.ones(5), 7)             # probability rows, as torch accepts
    _, grads = net.loss_and_gradients(X, y)
    numeric = _numeric_gradient(net, X, y)
    assert np.abs(_flatten(grads) - numeric).max() / np.abs(numeric).max() < 1e-6


def test_loss_and_gradients_float32_close_to_float64():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((20, 4)), rng.integers(0, 3, 20)
    n64 = fastnn.Network([4, 8, 3], ["relu", "softmax"], dtype="float64", seed=0)
    n32 = fastnn.Network([4, 8, 3], ["relu", "softmax"], dtype="float32", seed=0)
    n32.set_params(n64.params)
    l64, g64 = n64.loss_and_gradients(X, y)
    l32, g32 = n32.loss_and_gradients(X, y)
    assert l32 == pytest.approx(l64, rel=1e-5)
    np.testing.assert_allclose(_flatten(g32), _flatten(g64), rtol=1e-3, atol=1e-5)


# ------------------------------------------------------------------ optimizers

def _one_batch_net(dtype="float64"):
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((16, 4)), rng.integers(0, 3, 16)
    net = fastnn.Network([4, 6, 3], ["tanh", "softmax"], dtype=dtype, seed=0)
    return net, X, y


@pytest.mark.parametrize("momentum, nesterov", [(0.0, False), (0.9, False), (0.9, True)])
def test_sgd_steps_match_torch_formula(momentum, nesterov):
    net, X, y = _one_batch_net()
    w = net._flat.copy()
    buf = np.zeros_like(w)
    opt = fastnn.SGD(0.1, momentum, nesterov)
    for _ in range(3):        # one batch per epoch -> one step per epoch, no shuffle effect
        _, grads = net.loss_and_gradients(X, y)
        g = _flatten(grads)
        buf = momentum * buf + g
        step = g + momentum * buf if nesterov else (buf if momentum else g)
        w = w - 0.1 * step
        net.fit(X, y, epochs=1, batch_size=16, optimizer=opt)
        np.testing.assert_allclose(net._flat, w, rtol=1e-12, atol=1e-14)


def test_adam_steps_match_torch_formula():
    net, X, y = _one_batch_net()
    w = net._flat.copy()
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    opt = fastnn.Adam(learning_rate=0.01)
    for t in range(1, 4):
        _, grads = net.loss_and_gradients(X, y)
        g = _flatten(grads)
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        denom = np.sqrt(v) / np.sqrt(1 - 0.999 ** t) + 1e-8
        w = w - 0.01 / (1 - 0.9 ** t) * m / denom
        net.fit(X, y, epochs=1, batch_size=16, optimizer=opt)
        np.testing.assert_allclose(net._flat, w, rtol=1e-10, atol=1e-13)
    assert opt.step == 3


# ------------------------------------------------------------------ training

def test_fit_lowers_the_loss_on_spirals():
    X, y = make_spirals(300, seed=0)
    net = fastnn.Network([2, 32, 32, 2], ["relu", "relu", "softmax"], seed=0)
    before = net.evaluate(X, y)["loss"]
    hist = net.fit(X, y, epochs=60, batch_size=16, learning_rate=0.01)
    after = net.evaluate(X, y)["loss"]
    assert after < 0.5 * before
    assert hist["loss"][-1] < hist["loss"][0]
    assert net.score(X, y) > 0.9


def test_regression_and_binary_outputs():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (200, 2))
    target = np.sin(2 * X[:, 0]) + X[:, 1] ** 2
    reg = fastnn.Network([2, 16, 1], ["tanh", "identity"], loss="mse", seed=0)
    reg.fit(X, target, epochs=100, batch_size=20, learning_rate=0.01)
    assert reg.score(X, target) > 0.9                          # R^2
    assert reg.predict(X).shape == (200, 1)
    labels = (target > target.mean()).astype(int)
    clf = fastnn.Network([2, 16, 1], ["relu", "sigmoid"], seed=0)
    assert clf.loss == "binary_cross_entropy"
    hist = clf.fit(X, labels, epochs=60, batch_size=20, learning_rate=0.01)
    assert clf.predict(X).shape == (200,)
    assert clf.score(X, labels) > 0.85
    assert hist["accuracy"][-1] > 0.85


def test_digits_reach_096_test_accuracy():
    X, y = load_digits()
    assert X.shape == (1797, 64) and y.shape == (1797,)
    assert X.min() == 0 and X.max() == 16 and set(np.unique(y)) == set(range(10))
    X_train, X_test, y_train, y_test = train_test_split(X / 16, y, 0.25, seed=0)
    net = fastnn.Network([64, 64, 10], ["relu", "softmax"], loss="cross_entropy", seed=0)
    net.fit(X_train, y_train, epochs=50, batch_size=32, learning_rate=3e-3)
    assert net.score(X_test, y_test) >= 0.96
    proba = net.predict_proba(X_test)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    np.testing.assert_array_equal(net.predict(X_test), proba.argmax(axis=1))


def test_same_seed_gives_bitwise_same_weights():
    from threadpoolctl import threadpool_limits
    X, y = make_spirals(200, seed=1)
    before = fastnn.get_num_threads()
    fastnn.set_num_threads(1)
    try:
        with threadpool_limits(1):
            runs = []
            for _ in range(2):
                net = fastnn.Network([2, 16, 2], ["relu", "softmax"], seed=42)
                net.fit(X, y, epochs=5, batch_size=7)
                runs.append(net._flat.copy())
    finally:
        fastnn.set_num_threads(before)
    assert runs[0].tobytes() == runs[1].tobytes()
    other = fastnn.Network([2, 16, 2], ["relu", "softmax"], seed=43)
    assert other._flat.tobytes() != runs[0].tobytes()


def test_history_validation_and_partial_fit():
    X, y = make_spirals(120, seed=0)
    net = fastnn.Network([2, 8, 2], ["tanh", "softmax"], seed=0)
    hist = net.fit(X, y, epochs=3, validation_split=0.25)
    assert set(hist.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert hist.epoch == [1, 2, 3] and len(hist.seconds) == 3
    step = net.optimizer.step
    assert step == 3 * int(np.ceil(90 / 32))       # last partial batch included
    more = net.partial_fit(X, y)
    assert more.epoch == [4] and net.epochs_trained == 4
    assert net.optimizer.step == step + int(np.ceil(120 / 32))


def test_batch_larger_than_data_is_one_full_batch():
    X, y = make_spirals(50, seed=0)
    net = fastnn.Network([2, 4, 2], ["relu", "softmax"], seed=0, dtype="float64")
    _, grads = net.loss_and_gradients(X, y)
    w = net._flat.copy()
    net.fit(X, y, epochs=1, batch_size=10 ** 9, optimizer="sgd", learning_rate=0.1)
    np.testing.assert_allclose(net._flat, w - 0.1 * _flatten(grads), rtol=1e-12, atol=1e-15)


def test_early_stopping_restores_best_weights():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((60, 5)), rng.integers(0, 3, 60)    # noise: overfits
    Xv, yv = rng.standard_normal((40, 5)), rng.integers(0, 3, 40)
    net = fastnn.Network([5, 64, 3], ["relu", "softmax"], seed=0)
    hist = net.fit(X, y, epochs=200, batch_size=8, learning_rate=0.01,
                   validation_data=(Xv, yv), early_stopping=True, patience=3)
    assert hist.stopped_epoch is not None and hist.stopped_epoch < 200
    best = hist.best_epoch
    assert hist["val_loss"][best - 1] == min(hist["val_loss"])
    assert net.evaluate(Xv, yv)["loss"] == pytest.approx(hist["val_loss"][best - 1], rel=1e-12)


def test_non_finite_loss_names_epoch_and_keeps_finite_weights():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 3)) * 10
    y = rng.standard_normal(64) * 1e3
    net = fastnn.Network([3, 16, 1], ["relu", "identity"], loss="mse", seed=0)
    with pytest.raises(FloatingPointError, match=r"epoch \d+") as info:
        net.fit(X, y, epochs=50, batch_size=8, optimizer="sgd", learning_rate=1.0)
    assert np.all(np.isfinite(net._flat))
    epoch = int(info.value.args[0].split("epoch ")[1].split()[0])
    assert net.epochs_trained == epoch - 1


def test_fit_restores_the_floating_point_mode():
    X, y = make_spirals(50, seed=0)
    fastnn.Network([2, 4, 2], ["relu", "softmax"], seed=0).fit(X, y, epochs=1)
    tiny = np.float32(1e-38)
    assert tiny / np.float32(16) != 0          # denormals still exist after training


# ------------------------------------------------------------------ params, save/load

def test_params_are_read_only_views_and_set_params_copies():
    net = fastnn.Network([3, 4, 2], ["relu", "softmax"], seed=0)
    (W0, b0), (W1, b1) = net.params
    assert W0.shape == (3, 4) and b1.shape == (2,)
    assert not W0.flags.writeable
    np.testing.assert_array_equal(b0, 0)                       # biases start at zero
    new = [(np.ones((3, 4)), np.full(4, 2.0)), (np.zeros((4, 2)), np.ones(2))]
    net.set_params(new)
    np.testing.assert_array_equal(net.params[0][1], 2.0)
    with pytest.raises(ValueError, match=r"W\[1\] must have shape \(4, 2\)"):
        net.set_params([new[0], (np.zeros((2, 4)), np.ones(2))])
    with pytest.raises(ValueError, match=r"b\[0\] holds NaN"):
        net.set_params([(np.ones((3, 4)), np.full(4, np.nan)), new[1]])


def test_set_params_rejects_values_that_overflow_the_dtype():
    net = fastnn.Network([2, 3, 2], ["relu", "softmax"], dtype="float32", seed=0)
    before = net._flat.copy()
    W0, b0 = (np.array(a, dtype=np.float64) for a in net.params[0])
    W0[1, 2] = 1e300                          # finite in float64, inf in float32
    with pytest.raises(ValueError, match=r"W\[0\].*float32"):
        net.set_params([(W0, b0), net.params[1]])
    assert net._flat.tobytes() == before.tobytes()
    assert np.all(np.isfinite(net.predict_proba(np.ones((1, 2)))))


def test_trainer_rejects_bad_calls_instead_of_crashing():
    # fastnn._kernels.Trainer is private; a wrong call must still raise.
    net = fastnn.Network([3, 4, 2], ["relu", "softmax"], seed=0)
    X = np.ones((6, 3), np.float32)
    labels = np.zeros(6, np.int64)
    perm = np.arange(6, dtype=np.int64)
    trainer = net._make_trainer(2)
    opt = fastnn.Adam()
    opt.bind(net, net.n_params, net.dtype)
    with pytest.raises(TypeError):
        trainer.run(None, None, labels, perm)
    with pytest.raises(TypeError):
        trainer.run(X, None, labels, None)
    with pytest.raises(TypeError, match="Y .* or labels"):
        trainer.run(X, None, None, perm)
    with pytest.raises(ValueError, match="2-D"):
        trainer.run(X.ravel(), None, labels, perm)
    for kind in (2, -1):
        with pytest.raises(ValueError, match="optimizer kind"):
            trainer.run(X, None, labels, perm, dict(opt.kernel_args(), kind=kind))
    with pytest.raises(ValueError, match="Adam needs both"):
        trainer.run(X, None, labels, perm, dict(opt.kernel_args(), s2=None))
    with pytest.raises(TypeError, match="state s1"):
        trainer.run(X, None, labels, perm, dict(opt.kernel_args(), s1=[0.0]))
    with pytest.raises(TypeError, match="params"):
        fastnn._kernels.Trainer(net.layer_sizes, [3, -1], [0.0, 0.0], [False, True], 2,
                                0.0, 2, None, net._grads, net._w_off, net._b_off)


def test_bce_training_accuracy_uses_the_same_criterion_as_evaluate():
    # z = 1e-9 > 0 but sigmoid(z) rounds to 0.5 in float32: predicted 0.
    net = fastnn.Network([1, 1], ["sigmoid"], dtype="float32", seed=0)
    net.set_params([(np.zeros((1, 1)), np.array([1e-9]))])
    X = np.ones((4, 1), np.float32)
    y = np.zeros(4)
    assert net.predict_proba(X)[0, 0] == 0.5
    assert net.evaluate(X, y)["accuracy"] == 1.0
    # One batch: the accuracy is counted before the (tiny) update.
    history = net.fit(X, y, epochs=1, batch_size=4, optimizer=fastnn.SGD(1e-30))
    assert history["accuracy"] == [1.0]


def test_r2_score_with_constant_targets_follows_scikit_learn():
    import warnings
    net = fastnn.Network([2, 2], ["identity"], loss="mse", dtype="float64", seed=0)
    net.set_params([(np.zeros((2, 2)), np.array([3.0, 1.0]))])     # predicts (3, 1)
    X = np.ones((4, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # Output 0 constant and predicted exactly: 1; output 1 constant, missed: 0.
        assert net.score(X, np.tile([3.0, 5.0], (4, 1))) == 0.5
        assert net.score(X, np.tile([3.0, 1.0], (4, 1))) == 1.0
        assert net.score(X[:1], [[2.0, 1.0]]) == 0.5                 # one sample
    rng = np.random.default_rng(0)
    y = rng.standard_normal((4, 2))
    pred = np.tile([3.0, 1.0], (4, 1))
    expected = np.mean(1 - ((y - pred) ** 2).sum(0) / ((y - y.mean(0)) ** 2).sum(0))
    assert net.score(X, y) == pytest.approx(expected, rel=1e-12)


def test_empty_validation_is_rejected_before_training():
    net = fastnn.Network([3, 4, 3], ["relu", "softmax"], seed=0)
    X = np.ones((10, 3))
    y = np.zeros(10, int)
    before = net._flat.copy()
    with pytest.raises(ValueError, match="validation_data has no rows"):
        net.fit(X, y, epochs=1, validation_data=(X[:0], y[:0]))
    with pytest.raises(ValueError, match="validation_split=0.01 leaves 10 training and 0"):
        net.fit(X, y, epochs=1, validation_split=0.01)
    assert net._flat.tobytes() == before.tobytes() and net.epochs_trained == 0


@pytest.mark.parametrize("seed, error", [(-1, ValueError), (1.5, TypeError),
                                         ("0", TypeError), (True, TypeError)])
def test_bad_seed_names_the_argument(seed, error):
    with pytest.raises(error, match="seed must be a non-negative integer"):
        fastnn.Network([2, 2], ["sigmoid"], seed=seed)


def test_numpy_integer_and_large_seeds_are_accepted():
    net = fastnn.Network([2, 2], ["sigmoid"], seed=np.int64(3))
    assert net.get_config()["seed"] == 3
    assert fastnn.Network([2, 2], ["sigmoid"], seed=2 ** 70).seed == 2 ** 70


def test_optimizer_object_belongs_to_one_network():
    import gc
    X = np.ones((6, 3))
    y = np.zeros(6, int)
    first = fastnn.Network([3, 4, 3], ["relu", "softmax"], seed=0)
    second = fastnn.Network([3, 4, 3], ["relu", "softmax"], seed=1)   # same size, dtype
    opt = fastnn.Adam()
    first.fit(X, y, epochs=2, optimizer=opt)
    moments = opt._state[0].copy()
    before = second._flat.copy()
    with pytest.raises(ValueError, match="another network"):
        second.fit(X, y, epochs=1, optimizer=opt)
    assert second._flat.tobytes() == before.tobytes()
    assert opt._state[0].tobytes() == moments.tobytes() and opt.step == 2
    first.partial_fit(X, y)                                  # its owner goes on
    assert opt.step == 3
    del first
    gc.collect()
    second.fit(X, y, epochs=1, optimizer=opt)                # owner gone: fresh state
    assert opt.step == 1


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_unaligned_and_byte_swapped_inputs_are_converted(dtype):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20, 3)).astype(dtype)
    y = rng.integers(0, 3, 20)
    Y = rng.standard_normal((20, 2)).astype(dtype)
    for convert in (unaligned_copy, lambda a: a.astype(a.dtype.newbyteorder())):
        net = fastnn.Network([3, 4, 3], ["relu", "softmax"], dtype=dtype, seed=0)
        ref = fastnn.Network([3, 4, 3], ["relu", "softmax"], dtype=dtype, seed=0)
        assert net.forward(convert(X)).tobytes() == ref.forward(X).tobytes()
        net.fit(convert(X), convert(y), epochs=2, batch_size=8,
                validation_data=(convert(X), convert(y)))
        ref.fit(X, y, epochs=2, batch_size=8, validation_data=(X, y))
        assert net._flat.tobytes() == ref._flat.tobytes()
        reg = fastnn.Network([3, 2], ["identity"], dtype=dtype, seed=0)
        loss, _ = reg.loss_and_gradients(convert(X), convert(Y))
        assert loss == reg.loss_and_gradients(X, Y)[0]


def test_initialisation_scales():
    net = fastnn.Network([400, 300, 200], ["relu", "tanh"], seed=0)
    (W0, _), (W1, _) = net.params
    assert net.init == ["he_uniform", "glorot_uniform"]
    assert np.abs(W0).max() <= np.sqrt(6 / 400) and np.std(W0) == pytest.approx(
        np.sqrt(2 / 400), rel=0.02)
    assert np.abs(W1).max() <= np.sqrt(6 / 500) and np.std(W1) == pytest.approx(
        np.sqrt(2 / 500), rel=0.02)


def test_save_load_round_trip_is_bitwise(tmp_path):
    X, y = make_spirals(100, seed=0)
    net = fastnn.Network([2, 8, 2], ["gelu", "softmax"], seed=0, l2=1e-3)
    net.fit(X, y, epochs=2)
    path = tmp_path / "model.fastnn"            # written as named, no .npz appended
    net.save(path)
    loaded = fastnn.Network.load(path)
    assert loaded.get_config() == net.get_config()
    assert loaded.forward(X).tobytes() == net.forward(X).tobytes()
    np.testing.assert_array_equal(loaded.predict(X), net.predict(X))
    with np.load(path, allow_pickle=False) as data:                # no pickled objects
        assert json.loads(str(data["config"]))["layer_sizes"] == [2, 8, 2]


def test_load_errors(tmp_path):
    net = fastnn.Network([2, 3, 2], ["relu", "softmax"], seed=0)
    good = tmp_path / "good.npz"
    net.save(good)
    with pytest.raises(ValueError, match="does not exist"):
        fastnn.Network.load(tmp_path / "missing.npz")
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(good.read_bytes()[: os.path.getsize(good) // 2])
    with pytest.raises(ValueError, match="truncated"):
        fastnn.Network.load(truncated)
    text = tmp_path / "text.npz"
    text.write_text("not a model")
    with pytest.raises(ValueError):
        fastnn.Network.load(text)
    with np.load(good) as data:
        arrays = dict(data)
    arrays["W1"] = np.zeros((4, 2), np.float32)
    np.savez(tmp_path / "mismatch.npz", **arrays)
    with pytest.raises(ValueError, match="W1 is float32"):
        fastnn.Network.load(tmp_path / "mismatch.npz")
    del arrays["W1"]
    np.savez(tmp_path / "missing_array.npz", **arrays)
    with pytest.raises(ValueError, match="misses array W1"):
        fastnn.Network.load(tmp_path / "missing_array.npz")
    np.savez(tmp_path / "other.npz", a=np.zeros(3))
    with pytest.raises(ValueError, match="not a fastnn model"):
        fastnn.Network.load(tmp_path / "other.npz")
    np.savez(tmp_path / "pickled.npz", config=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError):
        fastnn.Network.load(tmp_path / "pickled.npz")


def _patch_central_directory(data, offset, value):
    """Set a 2-byte field of every central-directory entry of a zip file."""
    import struct
    data = bytearray(data)
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        struct.pack_into("<H", data, at + offset, value)
        at = data.find(b"PK\x01\x02", at + 4)
    return bytes(data)


def test_load_turns_every_read_failure_into_value_error(tmp_path):
    net = fastnn.Network([2, 3, 2], ["relu", "softmax"], seed=0)
    good = tmp_path / "good.npz"
    net.save(good)
    data = good.read_bytes()
    # Unknown compression method and "version needed to extract" make
    # zipfile raise NotImplementedError.
    for name, offset, value, reason in (("method", 10, 99, "compression method"),
                                        ("version", 6, 99, "zip file version")):
        bad = tmp_path / f"{name}.npz"
        bad.write_bytes(_patch_central_directory(data, offset, value))
        with pytest.raises(ValueError, match=reason):
            fastnn.Network.load(bad)
    with pytest.raises(ValueError, match="cannot read"):
        fastnn.Network.load(tmp_path)                      # a directory


def test_load_checks_sizes_before_allocating(tmp_path):
    import io
    import zipfile
    net = fastnn.Network([2, 3, 2], ["relu", "softmax"], seed=0)
    good = tmp_path / "good.npz"
    net.save(good)
    with np.load(good) as data:
        arrays = dict(data)
    # A config claiming a 200000 x 200000 layer (160 GB) next to small arrays.
    config = json.loads(str(arrays["config"]))
    config.update(layer_sizes=[200000, 200000], activations=["softmax"],
                  init=["glorot_uniform"])
    np.savez(tmp_path / "big_config.npz", **dict(arrays, config=np.array(json.dumps(config))))
    with pytest.raises(ValueError, match=r"W0 is float32\(2, 3\).*\(200000, 200000\)"):
        fastnn.Network.load(tmp_path / "big_config.npz")
    # An .npy header declaring 8 TB of data in a tiny member.
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000,), }"
    header = header.ljust(117) + "\n"
    huge = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode()
    with zipfile.ZipFile(tmp_path / "huge.npz", "w") as archive:
        for key, value in arrays.items():
            buf = io.BytesIO()
            np.save(buf, value)
            archive.writestr(key + ".npy", huge if key == "W0" else buf.getvalue())
    with pytest.raises(ValueError, match="W0.npy declares"):
        fastnn.Network.load(tmp_path / "huge.npz")


def test_load_does_not_draw_initial_weights(tmp_path, monkeypatch):
    net = fastnn.Network([2, 3, 2], ["relu", "softmax"], seed=0)
    net.save(tmp_path / "m.npz")
    monkeypatch.setattr(fastnn.Network, "_initialise",
                        lambda self, rng: pytest.fail("load initialised weights"))
    loaded = fastnn.Network.load(tmp_path / "m.npz")
    assert loaded._flat.tobytes() == net._flat.tobytes()


# ------------------------------------------------------------------ input errors

@pytest.fixture
def small():
    rng = np.random.default_rng(0)
    net = fastnn.Network([3, 4, 3], ["relu", "softmax"], seed=0)
    return net, rng.standard_normal((10, 3)), rng.integers(0, 3, 10)


@pytest.mark.parametrize("change, error, match", [
    (lambda X, y: (np.where(np.eye(10, 3) > 0, np.nan, X), y), ValueError, "X holds NaN"),
    (lambda X, y: (np.where(np.eye(10, 3) > 0, np.inf, X), y), ValueError, "X holds NaN or inf"),
    (lambda X, y: (X, np.where(np.arange(10) == 2, np.nan, y)), ValueError, "y holds NaN"),
    (lambda X, y: (X[:-1], y), ValueError, "y has 10 rows but X has 9"),
    (lambda X, y: (X, np.where(np.arange(10) == 0, -1, y)), ValueError, "0..2"),
    (lambda X, y: (X, np.where(np.arange(10) == 0, 3, y)), ValueError, "0..2"),
    (lambda X, y: (X, y + 0.5), ValueError, "must be integers"),
    (lambda X, y: (X[:, :2], y), ValueError, "X has 2 features but the network expects 3"),
    (lambda X, y: (X[0], y), ValueError, "X must be 2-D"),
    (lambda X, y: (X.astype(str), y), TypeError, "X must hold real numbers"),
])
def test_bad_data_is_rejected_before_training(small, change, error, match):
    net, X, y = small
    before = net._flat.copy()
    Xb, yb = change(X, y)
    with pytest.raises(error, match=match):
        net.fit(Xb, yb, epochs=1)
    assert net._flat.tobytes() == before.tobytes()
    with pytest.raises(error, match=match):
        net.loss_and_gradients(Xb, yb)


# A dense X is checked for NaN and inf only in the compiled gather, row by
# row as each batch is copied: wherever the value sits (any row, any lane
# of a vector or its scalar tail) the fit raises and leaves no trace.
_GATHER_ROWS, _GATHER_COLS = 203, 37          # 37: vector lanes plus a tail


def _trace(net):
    """Everything a failed fit must leave as it was."""
    opt = net.optimizer
    state = [] if opt is None or opt._state is None else [
        s.copy() for s in opt._state if s is not None]
    return (net._flat.copy(), opt, None if opt is None else opt.step, state, net.history_,
            net.epochs_trained, net._shuffle_rng.bit_generator.state)


def _same_trace(a, b):
    return (np.array_equal(a[0], b[0]) and a[1] is b[1] and a[2] == b[2]
            and all(np.array_equal(x, y) for x, y in zip(a[3], b[3]))
            and len(a[3]) == len(b[3]) and a[4] is b[4] and a[5] == b[5] and a[6] == b[6])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("row, col", [(0, 0), (101, 36), (202, 17), (202, 31), (57, 32)])
def test_non_finite_X_is_found_in_the_gather_and_leaves_no_trace(dtype, bad, row, col):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((_GATHER_ROWS, _GATHER_COLS)).astype(dtype)
    y = rng.integers(0, 3, _GATHER_ROWS)
    net = fastnn.Network([_GATHER_COLS, 8, 3], ["relu", "softmax"], dtype=dtype, seed=0)
    adam = fastnn.Adam()
    net.fit(X, y, epochs=2, batch_size=16, optimizer=adam)      # state to keep
    before = _trace(net)
    X_bad = X.copy()
    X_bad[row, col] = bad
    for call in (lambda: net.partial_fit(X_bad, y, batch_size=16),
                 lambda: net.fit(X_bad, y, epochs=3, batch_size=16, optimizer=adam),
                 lambda: net.fit(X_bad, y, epochs=3, batch_size=16, optimizer="sgd",
                                 verbose=False, early_stopping=True)):
        with pytest.raises(ValueError, match=f"X holds NaN or inf .*{dtype}"):
            call()
        assert _same_trace(_trace(net), before)
    # And so the next epoch is the one it would have been.
    twin = fastnn.Network([_GATHER_COLS, 8, 3], ["relu", "softmax"], dtype=dtype, seed=0)
    twin_adam = fastnn.Adam()
    twin.fit(X, y, epochs=2, batch_size=16, optimizer=twin_adam)
    twin.partial_fit(X, y, batch_size=16)
    net.partial_fit(X, y, batch_size=16)
    assert net._flat.tobytes() == twin._flat.tobytes()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_extreme_finite_X_passes_the_gather(dtype):
    info = np.finfo(dtype)
    X = np.zeros((9, _GATHER_COLS), dtype)
    X[0], X[1], X[2], X[3], X[4] = info.max, -info.max, info.smallest_subnormal, -0.0, \
        -info.smallest_subnormal
    X[5:] = 1e-3
    net = fastnn.Network([_GATHER_COLS, 4, 2], ["relu", "softmax"], dtype=dtype, seed=0)
    net.set_params([(W * 0, b) for W, b in net.params])       # max * W stays finite
    net.fit(X, np.arange(9) % 2, epochs=1, batch_size=4)
    assert net.epochs_trained == 1


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_all_finite_compiled_and_numpy_paths_agree(dtype):
    from fastnn._validation import all_finite
    info = np.finfo(dtype)
    base = np.linspace(-1, 1, 37).astype(dtype)
    base[:4] = info.max, -info.max, info.smallest_subnormal, -0.0
    assert all_finite(base) and fastnn._kernels.all_finite(base)
    for bad in (np.nan, np.inf, -np.inf):
        for i in range(37):                       # every lane and the tail
            x = base.copy()
            x[i] = bad
            assert not fastnn._kernels.all_finite(x)
            assert not all_finite(x) and not all_finite(x[::-1])    # numpy's path
    assert all_finite(np.zeros((0, 3), dtype))
    with pytest.raises(TypeError, match="C-contiguous"):
        fastnn._kernels.all_finite(base[::2])


def test_non_finite_validation_rows_are_found_before_training():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((40, 3))
    X[-1, 2] = np.nan                             # in the validation split only
    net = fastnn.Network([3, 4, 3], ["relu", "softmax"], seed=0)
    before = net._flat.copy()
    with pytest.raises(ValueError, match="X holds NaN or inf"):
        net.fit(X, rng.integers(0, 3, 40), epochs=2, validation_split=0.25)
    assert net._flat.tobytes() == before.tobytes() and net.epochs_trained == 0


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(batch_size=0), ValueError, "batch_size must be at least 1"),
    (dict(batch_size=-3), ValueError, "batch_size must be at least 1"),
    (dict(epochs=0), ValueError, "epochs must be at least 1"),
    (dict(learning_rate=0.0), ValueError, "learning_rate must be positive"),
    (dict(learning_rate=-1e-3), ValueError, "learning_rate must be positive"),
    (dict(optimizer="rmsprop"), ValueError, "unknown optimizer 'rmsprop'"),
    (dict(optimizer="sgd", momentum=1.5), ValueError, "momentum must lie in"),
    (dict(validation_split=1.5), ValueError, "validation_split"),
    (dict(batch_size=2.5), TypeError, "batch_size must be an integer"),
])
def test_bad_training_arguments(small, kwargs, error, match):
    net, X, y = small
    with pytest.raises(error, match=match):
        net.fit(X, y, **kwargs)


@pytest.mark.parametrize("args, kwargs, error, match", [
    (([3, 0, 2], ["relu", "softmax"]), {}, ValueError, r"layer_sizes\[1\] must be at least 1"),
    (([3], []), {}, ValueError, "at least 2 entries"),
    (([3, 4, 2], ["relu"]), {}, ValueError, "one name per layer"),
    (([3, 4, 2], ["relu", "swish"]), {}, ValueError, "unknown activation 'swish'"),
    (([3, 4, 2], ["relu", "softmax"]), dict(loss="hinge"), ValueError, "unknown loss 'hinge'"),
    (([3, 4, 2], ["relu", "sigmoid"]), dict(loss="cross_entropy"), ValueError,
     "needs a 'softmax' output"),
    (([3, 4, 2], ["relu", "softmax"]), dict(loss="binary_cross_entropy"), ValueError,
     "needs a 'sigmoid' output"),
    (([3, 4, 2], ["relu", "softmax"]), dict(dtype="int32"), ValueError, "float32 or float64"),
    (([3, 4, 2], ["relu", "softmax"]), dict(init="zeros"), ValueError, "unknown init"),
    (([3, 4, 2], ["relu", "softmax"]), dict(l2=-1.0), ValueError, "l2 must be non-negative"),
    (([3, 4.5, 2], ["relu", "softmax"]), {}, TypeError, "must be an integer"),
])
def test_bad_network_configuration(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        fastnn.Network(*args, **kwargs)


def test_binary_targets_outside_unit_interval_are_rejected():
    net = fastnn.Network([2, 3, 1], ["relu", "sigmoid"], seed=0)
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\]"):
        net.fit(np.zeros((4, 2)), np.array([0, 1, 2, 1]))
    with pytest.raises(ValueError, match="predict_proba needs a classification loss"):
        fastnn.Network([2, 3, 1], ["relu", "identity"]).predict_proba(np.zeros((1, 2)))


def test_evaluate_and_score_reject_empty_X():
    net = fastnn.Network([3, 2], activations=["softmax"], loss="cross_entropy", seed=0)
    X, y = np.zeros((0, 3)), np.zeros(0, dtype=int)
    for method in (net.evaluate, net.score):
        with pytest.raises(ValueError, match="X has no rows"):
            method(X, y)
    assert net.predict(X).shape == (0,)          # predicting nothing is fine


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cross_entropy_of_improbable_labels_matches_log_softmax(dtype):
    """The compiled loss sums -log p over rows as the log of their product
    for p >= 1e-30, logged before it could underflow; below, -log p itself
    while p is a normal number (float64), else log-sum-exp of the logits.
    Labels of probability 1e-2 down to 0 (underflowed) take every path,
    against float64 log-softmax of the same logits."""
    rng = np.random.default_rng(5)
    net = fastnn.Network([3, 4], "softmax", loss="cross_entropy", dtype=dtype, seed=0)
    n = 300
    X = rng.standard_normal((n, 3))
    X[:20] *= 40                                      # p underflows to 0 there
    X = X.astype(dtype)
    W = (rng.standard_normal((3, 4)) * 13.0).astype(dtype)
    net.set_params([(W, np.zeros(4, dtype))])
    Z = X.astype(np.float64) @ W.astype(np.float64)
    y = np.argmin(Z, axis=1)                          # the least probable class
    log_p = Z - Z.max(axis=1, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(axis=1, keepdims=True))
    nll = -log_p[np.arange(n), y]
    tiny = np.finfo(dtype).tiny
    assert np.sum(nll < 10) > 10 and np.sum((nll > 12) & (nll < 69)) > 50   # the product
    assert np.sum((nll > 69.1) & (nll < -np.log(tiny))) > 10                # p < 1e-30
    assert np.sum(nll > 800) > 10                     # p 0 in float64 too: log-sum-exp
    loss, _ = net.loss_and_gradients(X, y)
    # float32: the softmax's p carries a relative 1e-7 of rounding, -log p
    # an absolute 1e-7 per row against a mean of ~100.
    assert loss == pytest.approx(nll.mean(), rel=1e-12 if dtype == "float64" else 1e-7)
