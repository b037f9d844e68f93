"""The compiled Trainer checks every per-layer argument of its constructor
(length, type, range, consistency) before it allocates or runs anything: the
epoch indexes them without bounds checks."""
import numpy as np
import pytest

from fastnn import _kernels

RELU = _kernels.ACTIVATION_IDS["relu"]
SIGMOID = _kernels.ACTIVATION_IDS["sigmoid"]
SOFTMAX = _kernels.SOFTMAX_ID
CE = _kernels.LOSS_IDS["cross_entropy"]
BCE = _kernels.LOSS_IDS["binary_cross_entropy"]
MSE = _kernels.LOSS_IDS["mse"]
# 3 -> 4 -> 2, laid out W0 b0 W1 b1 as fastnn.Network lays it out.
N_PARAMS = 3 * 4 + 4 + 4 * 2 + 2


def _args(**changes):
    flat = np.zeros(N_PARAMS, np.float32)
    args = dict(sizes=[3, 4, 2], act_ids=[RELU, SOFTMAX], act_params=[0.0, 0.0],
                saves_output=[False, True], loss_id=CE, l2=0.0, batch=8, params=flat,
                grads=flat.copy(), w_offsets=[0, 16], b_offsets=[12, 24])
    args.update(changes)
    return args


def test_the_reference_arguments_build_a_trainer_that_runs():
    trainer = _kernels.Trainer(**_args())
    X = np.ones((4, 3), np.float32)
    labels = np.array([0, 1, 0, 1], np.int64)
    loss, _, bad, _ = trainer.run(X, None, labels, np.arange(4, dtype=np.int64))
    assert bad == -1 and loss == pytest.approx(4 * np.log(2), rel=1e-6)


@pytest.mark.parametrize("bad_value", [np.nan, np.inf, -np.inf])
def test_run_refuses_a_non_finite_row_of_X_as_it_is_gathered(bad_value):
    trainer = _kernels.Trainer(**_args())
    X = np.ones((4, 3), np.float32)
    X[2, 1] = bad_value
    labels = np.array([0, 1, 0, 1], np.int64)
    with pytest.raises(ValueError, match="X holds NaN or inf .*float32"):
        trainer.run(X, None, labels, np.arange(4, dtype=np.int64))
    # Rows of X the perm never gathers are never read.
    loss, _, bad, _ = trainer.run(X, None, labels, np.array([0, 1, 3], np.int64))
    assert bad == -1 and loss == pytest.approx(3 * np.log(2), rel=1e-6)


@pytest.mark.parametrize("name", ["w_offsets", "b_offsets", "act_ids", "act_params",
                                  "saves_output"])
@pytest.mark.parametrize("length", [0, 1, 3])
def test_a_per_layer_sequence_of_the_wrong_length_names_itself(name, length):
    value = ([0, 16, 30] if "offsets" in name else _args()[name] * 2)[:length]
    with pytest.raises(ValueError, match=rf"^{name} needs one entry per layer \(2\), "
                                         rf"got {length}$"):
        _kernels.Trainer(**_args(**{name: value}))


@pytest.mark.parametrize("sizes, error, match", [
    ([3], ValueError, r"sizes needs at least 2 entries"),
    ([3, 0, 2], ValueError, r"sizes\[1\] = 0 must be at least 1"),
    ([3, -4, 2], ValueError, r"sizes\[1\] = -4 must be at least 1"),
    ([3, 4.0, 2], TypeError, r"sizes\[1\] must be an integer"),
    ([3, True, 2], TypeError, r"sizes\[1\] must be an integer"),
    (None, TypeError, r"sizes must be a sequence"),
])
def test_sizes_are_positive_integers(sizes, error, match):
    with pytest.raises(error, match=match):
        _kernels.Trainer(**_args(sizes=sizes))


def test_numpy_integers_are_integers():
    _kernels.Trainer(**_args(sizes=np.array([3, 4, 2]), w_offsets=np.array([0, 16]),
                             b_offsets=(np.int32(12), np.int64(24))))


@pytest.mark.parametrize("changes, error, match", [
    (dict(w_offsets=[0, 0.5]), TypeError, r"w_offsets\[1\] must be an integer"),
    (dict(b_offsets=[12, None]), TypeError, r"b_offsets\[1\] must be an integer"),
    (dict(w_offsets=[-1, 16]), ValueError, r"w_offsets\[0\] = -1 is outside \[0, 26\]"),
    (dict(w_offsets=[0, 20]), ValueError, r"offsets out of range: W_1 \(w_offsets\[1\]\) "
                                          r"= 20 \+ 8 entries ends past the 26"),
    (dict(b_offsets=[12, 25]), ValueError, r"offsets out of range: b_1"),
    # In range but on top of each other: one gradient would overwrite another.
    (dict(w_offsets=[0, 10], b_offsets=[20, 24]), ValueError,
     r"offsets overlap: W_0 \(w_offsets\[0\]\) = 0 \+ 12 entries runs into W_1"),
    (dict(b_offsets=[12, 14]), ValueError, r"offsets overlap: b_0"),
])
def test_offsets_are_integers_placing_each_array_inside_params_and_apart(changes, error,
                                                                        match):
    with pytest.raises(error, match=match):
        _kernels.Trainer(**_args(**changes))


def test_the_estimators_layout_of_all_weights_then_all_biases_is_accepted():
    _kernels.Trainer(**_args(w_offsets=[0, 12], b_offsets=[20, 24]))


@pytest.mark.parametrize("changes, error, match", [
    (dict(act_ids=[999, SOFTMAX]), ValueError, r"act_ids\[0\] = 999 is outside \[-1, "),
    (dict(act_ids=[-2, SOFTMAX]), ValueError, r"act_ids\[0\] = -2 is outside \[-1, "),
    (dict(act_ids=[float(RELU), SOFTMAX]), TypeError, r"act_ids\[0\] must be an integer"),
    (dict(act_params=[np.nan, 0.0]), ValueError, r"act_params\[0\] must be finite"),
    (dict(act_params=["x", 0.0]), TypeError, r"act_params\[0\] must be a real number"),
    # The backward would be handed the wrong buffer: a wrong gradient.
    (dict(saves_output=[True, True]), ValueError,
     r"saves_output\[0\] must be False for activation id \d+, whose backward reads its "
     r"input"),
    (dict(act_ids=[SIGMOID, SOFTMAX], saves_output=[False, True]), ValueError,
     r"saves_output\[0\] must be True"),
    (dict(saves_output=[False, False]), ValueError, r"saves_output\[1\] must be True"),
])
def test_activation_entries_are_known_ids_finite_params_and_their_saves(changes, error,
                                                                       match):
    with pytest.raises(error, match=match):
        _kernels.Trainer(**_args(**changes))


@pytest.mark.parametrize("loss_id, out_act, saves, name", [
    (CE, SIGMOID, True, "softmax"), (CE, RELU, False, "softmax"),
    (BCE, SOFTMAX, True, "sigmoid"), (BCE, RELU, False, "sigmoid"),
])
def test_a_fused_loss_needs_its_output_activation(loss_id, out_act, saves, name):
    # The output gradient is fused into A - Y, right only after that activation.
    with pytest.raises(ValueError, match=rf"needs a {name} output layer, act_ids\[1\]"):
        _kernels.Trainer(**_args(loss_id=loss_id, act_ids=[RELU, out_act],
                                 saves_output=[False, saves]))


def test_squared_error_takes_any_output_activation():
    for out_act, saves in ((SOFTMAX, True), (SIGMOID, True), (RELU, False)):
        _kernels.Trainer(**_args(loss_id=MSE, act_ids=[RELU, out_act],
                                 saves_output=[False, saves]))
