"""The multi-layer perceptron: a thin Python layer over the compiled loops.

All parameters live in one flat array (``W_0, b_0, W_1, b_1, ...``, each
``W_l`` of shape (n_in, n_out) row-major, as scikit-learn's ``coefs_``), so
that the optimizer updates them in one fused pass.  Training runs a whole
epoch in compiled code without the GIL (:class:`fastnn._kernels.Trainer`,
which owns every mini-batch buffer); Python runs once per epoch for the
shuffle, the progress bar, validation and early stopping.
"""
import json
import math
import time

import numpy as np

from fastnn import _kernels
from fastnn._npz import read_npz
from fastnn._progress import Progress
from fastnn._validation import as_real_array, check_seed
from fastnn._version import __version__
from fastnn.activations import get_activation
from fastnn.losses import get_loss
from fastnn.optimizers import get_optimizer

__all__ = ["Network", "History"]

_FORMAT = "fastnn.Network/1"
_RELU_FAMILY = {"relu", "leaky_relu", "elu", "softplus", "silu", "gelu", "gelu_tanh"}
_INITS = ("glorot_uniform", "glorot_normal", "he_uniform", "he_normal")


class History:
    """Per-epoch metrics of :meth:`Network.fit`.

    Attributes
    ----------
    history : dict of str to list of float
        ``"loss"`` and, for classification, ``"accuracy"``; with validation
        data also ``"val_loss"`` (and ``"val_accuracy"``).
    epoch : list of int
        Epoch numbers (counting all of the network's epochs, from 1).
    seconds : list of float
        Wall time of each epoch's training pass (without validation).
    stopped_epoch : int or None
        The epoch at which early stopping ended training.
    best_epoch : int or None
        With early stopping: the epoch whose weights were restored.
    """

    def __init__(self):
        self.history = {}
        self.epoch = []
        self.seconds = []
        self.stopped_epoch = None
        self.best_epoch = None

    def _append(self, epoch, seconds, metrics):
        self.epoch.append(epoch)
        self.seconds.append(seconds)
        for key, value in metrics.items():
            self.history.setdefault(key, []).append(value)

    def __getitem__(self, key):
        return self.history[key]

    def __repr__(self):
        return f"History(epochs={len(self.epoch)}, keys={list(self.history)})"


def _layer_sizes(layer_sizes):
    try:
        sizes = list(layer_sizes)
    except TypeError:
        raise TypeError("layer_sizes must be a sequence of integers, "
                        f"got {type(layer_sizes).__name__}") from None
    if len(sizes) < 2:
        raise ValueError(f"layer_sizes needs at least 2 entries (inputs, outputs), got {sizes}")
    for i, s in enumerate(sizes):
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
            raise TypeError(f"layer_sizes[{i}] must be an integer, got {s!r}")
        if s < 1:
            raise ValueError(f"layer_sizes[{i}] must be at least 1, got {s}")
    return [int(s) for s in sizes]


def _all_finite(arr):
    """No NaN or inf in a float array.  One reduction without a temporary in
    the common case: a finite sum proves every term finite (NaN and inf
    propagate); only a non-finite sum, which may be mere overflow, needs the
    elementwise test."""
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(np.add.reduce(arr, axis=None)):
            return True
    return bool(np.all(np.isfinite(arr)))


def _check_stored_arrays(arrays, config, where):
    """Check the config's layer sizes and dtype against the stored arrays'
    shapes before anything is allocated for them."""
    try:
        sizes = _layer_sizes(config["layer_sizes"])
        dtype = np.dtype(config["dtype"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{where} has an invalid config: {exc!r}") from None
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        for key, shape in ((f"W{i}", (n_in, n_out)), (f"b{i}", (n_out,))):
            if key not in arrays:
                raise ValueError(f"{where} misses array {key}")
            arr = arrays[key]
            if arr.shape != shape or arr.dtype != dtype:
                raise ValueError(f"{where}: {key} is {arr.dtype}{arr.shape}, the config "
                                 f"needs {dtype}{shape}")


def _behaved(arr, dtype):
    """arr as a C-contiguous, aligned array of the native dtype (a copy only
    if needed): the compiled loops read machine words at natural addresses."""
    return np.require(arr, dtype=np.dtype(dtype).newbyteorder("="),
                      requirements=["C", "A"])


def _positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {value}")
    return int(value)


class Network:
    """A fully connected network trained with mini-batch gradient descent.

    Parameters
    ----------
    layer_sizes : sequence of int
        ``[n_inputs, hidden..., n_outputs]``, each at least 1.
    activations : sequence of str or str
        One activation name per layer (``len(layer_sizes) - 1``) from
        :data:`fastnn.ACTIVATIONS`; the last is the output layer.  A single
        string applies to every layer.
    loss : str, optional
        "mse", "binary_cross_entropy" (sigmoid output) or "cross_entropy"
        (softmax output).  Default: cross-entropy for a softmax output,
        binary cross-entropy for sigmoid, else MSE.
    dtype : {"float32", "float64"}, default "float32"
        Dtype of parameters and computation.
    seed : int or None, default None
        Seed of the ``numpy.random.Generator`` that draws the initial weights
        and shuffles the mini-batches: same seed and data, one thread ->
        bitwise the same weights after :meth:`fit`.
    init : str or sequence of str, optional
        "glorot_uniform", "glorot_normal", "he_uniform" or "he_normal", for
        all layers or per layer.  Default: He-uniform for the ReLU family,
        Glorot-uniform otherwise.  Biases start at zero.
    l2 : float, default 0.0
        Adds ``0.5 * l2 * sum ||W||^2`` (weights only) to the loss.

    Notes
    -----
    Training releases the GIL but a network is not thread-safe: train or
    change one network from one thread at a time.  The training loop's own
    passes run on one thread; only the BLAS products use BLAS's threads
    (``threadpoolctl.threadpool_limits`` sets them).

    Raises
    ------
    ValueError
        For a layer size below 1, a wrong number of activations, an unknown
        activation/loss/init name, a loss that does not fit the output
        activation, or a negative l2.
    TypeError
        For arguments of the wrong type.
    """

    def __init__(self, layer_sizes, activations="relu", loss=None, dtype="float32",
                 seed=None, init=None, l2=0.0):
        init_rng = self._configure(layer_sizes, activations, loss, dtype, seed, init, l2)
        self._initialise(init_rng)

    def _configure(self, layer_sizes, activations, loss, dtype, seed, init, l2):
        """Check the arguments and allocate zeroed parameters; returns the
        generator of the initial weights (unused by :meth:`load`)."""
        self.layer_sizes = _layer_sizes(layer_sizes)
        n_layers = len(self.layer_sizes) - 1
        if isinstance(activations, str):
            activations = [activations] * n_layers
        activations = list(activations)
        if len(activations) != n_layers:
            raise ValueError(f"activations needs one name per layer ({n_layers}), "
                             f"got {len(activations)}")
        self._acts = [get_activation(a) for a in activations]
        self.activations = [a.name for a in self._acts]
        out_act = self.activations[-1]
        if loss is None:
            loss = {"softmax": "cross_entropy", "sigmoid": "binary_cross_entropy"}.get(
                out_act, "mse")
        self._loss = get_loss(loss, out_act)
        self.loss = self._loss.name
        try:
            self.dtype = np.dtype(dtype)
        except TypeError:
            raise TypeError(f"dtype must be float32 or float64, got {dtype!r}") from None
        if self.dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype must be float32 or float64, got {self.dtype}")
        if isinstance(l2, bool) or not isinstance(l2, (int, float, np.floating, np.integer)):
            raise TypeError(f"l2 must be a real number, got {l2!r}")
        if not (math.isfinite(l2) and l2 >= 0):
            raise ValueError(f"l2 must be non-negative and finite, got {l2}")
        self.l2 = float(l2)
        self.seed = check_seed(seed)
        self.init = self._init_names(init)
        init_seq, shuffle_seq = np.random.SeedSequence(seed).spawn(2)
        self._shuffle_rng = np.random.Generator(np.random.PCG64(shuffle_seq))
        self._layout()
        self._trainer = None
        self.optimizer = None
        self.epochs_trained = 0
        self.history_ = None
        return np.random.Generator(np.random.PCG64(init_seq))

    # ------------------------------------------------------------ parameters

    def _init_names(self, init):
        n_layers = len(self._acts)
        if init is None:
            return ["he_uniform" if a.name in _RELU_FAMILY else "glorot_uniform"
                    for a in self._acts]
        names = [init] * n_layers if isinstance(init, str) else list(init)
        if len(names) != n_layers:
            raise ValueError(f"init needs one name per layer ({n_layers}), got {len(names)}")
        for name in names:
            if name not in _INITS:
                raise ValueError(f"unknown init {name!r}; known: {', '.join(_INITS)}")
        return names

    def _layout(self):
        """Offsets of each W and b in the flat parameter vector."""
        self._w_off, self._b_off = [], []
        offset = 0
        for n_in, n_out in zip(self.layer_sizes[:-1], self.layer_sizes[1:]):
            self._w_off.append(offset)
            offset += n_in * n_out
            self._b_off.append(offset)
            offset += n_out
        self._flat = np.zeros(offset, self.dtype)
        self._grads = np.zeros(offset, self.dtype)

    def _views(self, flat):
        return [(flat[w:w + n_in * n_out].reshape(n_in, n_out), flat[b:b + n_out])
                for w, b, n_in, n_out in zip(self._w_off, self._b_off,
                                             self.layer_sizes[:-1], self.layer_sizes[1:])]

    def _initialise(self, rng):
        for (W, _), name in zip(self._views(self._flat), self.init):
            fan_in, fan_out = W.shape
            if name.startswith("glorot"):
                var = 2.0 / (fan_in + fan_out)
            else:
                var = 2.0 / fan_in
            if name.endswith("uniform"):
                limit = math.sqrt(3 * var)
                W[...] = rng.uniform(-limit, limit, size=W.shape)
            else:
                W[...] = rng.normal(0.0, math.sqrt(var), size=W.shape)

    @property
    def n_params(self):
        """Number of trainable parameters."""
        return self._flat.size

    @property
    def params(self):
        """``[(W, b), ...]`` per layer: read-only views of the parameters
        (copy them to keep a snapshot; :meth:`set_params` to change them)."""
        views = self._views(self._flat)
        for W, b in views:
            W.flags.writeable = False
            b.flags.writeable = False
        return views

    def set_params(self, params):
        """Replace all parameters.

        Parameters
        ----------
        params : sequence of (W, b)
            One pair per layer, ``W`` (n_in, n_out) and ``b`` (n_out,), real
            and finite; cast to the network's dtype.

        Raises
        ------
        ValueError
            If the number of layers or a shape does not fit, or a value is
            not finite once cast to the network's dtype (a float64 1e300
            for a float32 network).
        """
        params = list(params)
        if len(params) != len(self._acts):
            raise ValueError(f"params needs {len(self._acts)} (W, b) pairs, got {len(params)}")
        checked = []
        for i, ((W, b), (W0, b0)) in enumerate(zip(params, self._views(self._flat))):
            for arr, ref, name in ((W, W0, f"W[{i}]"), (b, b0, f"b[{i}]")):
                arr = np.asarray(arr)
                if arr.dtype.kind not in "biuf":
                    raise TypeError(f"{name} must be real, got dtype {arr.dtype}")
                if arr.shape != ref.shape:
                    raise ValueError(f"{name} must have shape {ref.shape}, got {arr.shape}")
                # Check what will be stored: a float64 1e300 is finite but
                # becomes inf in a float32 network.
                with np.errstate(over="ignore", invalid="ignore"):
                    arr = arr.astype(self.dtype)
                if not _all_finite(arr):
                    raise ValueError(f"{name} holds NaN or inf (in the network's dtype "
                                     f"{self.dtype})")
                checked.append((ref, arr))
        for ref, arr in checked:
            ref[...] = arr
        if self.optimizer is not None:
            self.optimizer.reset()

    # ------------------------------------------------------------ input checks

    def _check_X(self, X, name="X"):
        arr = as_real_array(X, name)
        if arr.ndim != 2:
            raise ValueError(f"{name} must be 2-D (n_samples, n_features), got shape {arr.shape}")
        if arr.shape[1] != self.layer_sizes[0]:
            raise ValueError(f"{name} has {arr.shape[1]} features but the network expects "
                             f"{self.layer_sizes[0]}")
        arr = _behaved(arr, self.dtype)
        if not _all_finite(arr):
            raise ValueError(f"{name} holds NaN or inf (in the network's dtype {self.dtype})")
        return arr

    def _check_X_scored(self, X):
        """_check_X, and at least one row: a mean over no samples is no score."""
        arr = self._check_X(X)
        if arr.shape[0] == 0:
            raise ValueError("X has no rows: a loss or score needs at least one sample")
        return arr

    def _check_y(self, y, n_samples, name="y"):
        """(labels, Y): int64 class indices for cross-entropy with 1-D y
        (Y None), else float targets (n_samples, n_outputs) (labels None)."""
        arr = as_real_array(y, name)
        if arr.ndim == 0 or arr.shape[0] != n_samples:
            raise ValueError(f"{name} has {arr.shape[0] if arr.ndim else 0} rows but X has "
                             f"{n_samples}")
        n_out = self.layer_sizes[-1]
        if arr.dtype.kind == "f" and not _all_finite(arr):
            raise ValueError(f"{name} holds NaN or inf")
        if self.loss == "cross_entropy" and arr.ndim == 1:
            if arr.dtype.kind == "f" and not np.all(arr == np.round(arr)):
                raise ValueError(f"{name} class labels must be integers")
            if arr.dtype.kind == "b":
                raise TypeError(f"{name} class labels must be integers, got bool")
            if n_samples and (arr.min() < 0 or arr.max() >= n_out):
                raise ValueError(f"{name} class labels must lie in 0..{n_out - 1} "
                                 f"(the {n_out} outputs), got {arr.min()}..{arr.max()}")
            return arr.astype(np.int64), None
        if arr.ndim == 1 and n_out == 1:
            arr = arr.reshape(-1, 1)
        if arr.ndim != 2 or arr.shape[1] != n_out:
            raise ValueError(f"{name} must have shape ({n_samples}, {n_out})"
                             + (" or (n_samples,)" if n_out == 1 or self.loss ==
                                "cross_entropy" else "") + f", got {arr.shape}")
        if self.loss == "binary_cross_entropy" and n_samples and (arr.min() < 0 or arr.max() > 1):
            raise ValueError(f"{name} targets of binary cross-entropy must lie in [0, 1]")
        if self.loss == "cross_entropy" and n_samples and arr.min() < 0:
            raise ValueError(f"{name} class probabilities must be non-negative")
        return None, _behaved(arr, self.dtype)

    # ------------------------------------------------------------ inference

    def _forward_last(self, X):
        """(Z, A) of the output layer for checked X."""
        A = X
        Z = None
        for (W, b), act in zip(self._views(self._flat), self._acts):
            act_id = _kernels.SOFTMAX_ID if act.kernel_id is None else act.kernel_id
            out = np.empty((A.shape[0], W.shape[1]), self.dtype)
            Z = np.empty_like(out)
            _kernels.dense_forward_into(A, W, b, act_id, act.param, Z, out)
            A = out
        return Z, A

    def forward(self, X):
        """Output-layer activations.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_inputs)
            Finite real values.

        Returns
        -------
        numpy.ndarray, shape (n_samples, n_outputs), the network's dtype

        Raises
        ------
        ValueError
            If X is not 2-D, has the wrong number of features, or holds
            NaN/inf.
        TypeError
            If X is not real-valued.
        """
        return self._forward_last(self._check_X(X))[1]

    def predict_proba(self, X):
        """Class probabilities: the softmax or sigmoid outputs.

        Parameters and raises as :meth:`forward`; ValueError for an MSE
        network, which has no probabilities.

        Returns
        -------
        numpy.ndarray, shape (n_samples, n_outputs)
        """
        if not self._loss.classification:
            raise ValueError("predict_proba needs a classification loss "
                             f"(cross_entropy, binary_cross_entropy), not {self.loss!r}")
        return self.forward(X)

    def predict(self, X):
        """Predictions: class indices (cross-entropy), 0/1 labels (binary
        cross-entropy; shape (n_samples,) for one output), or the outputs (MSE).

        Parameters and raises as :meth:`forward`.

        Returns
        -------
        numpy.ndarray
        """
        A = self.forward(X)
        if self.loss == "cross_entropy":
            return A.argmax(axis=1)
        if self.loss == "binary_cross_entropy":
            labels = (A > 0.5).astype(np.int64)
            return labels[:, 0] if labels.shape[1] == 1 else labels
        return A

    def _penalty(self):
        if not self.l2:
            return 0.0
        return 0.5 * self.l2 * sum(float(np.sum(W.astype(np.float64) ** 2))
                                   for W, _ in self._views(self._flat))

    def _metrics(self, X, labels, Y):
        Z, A = self._forward_last(X)
        target = labels if labels is not None else Y
        loss = self._loss.function(Z if self._loss.from_logits else A, target)
        metrics = {"loss": loss + self._penalty()}
        if self._loss.classification:
            metrics["accuracy"] = self._accuracy(A, labels, Y)
        return metrics

    def _accuracy(self, A, labels, Y):
        if len(A) == 0:
            return float("nan")
        if self.loss == "cross_entropy":
            truth = labels if labels is not None else Y.argmax(axis=1)
            return float(np.mean(A.argmax(axis=1) == truth))
        return float(np.mean(np.all((A > 0.5) == (Y > 0.5), axis=1)))

    def evaluate(self, X, y):
        """Loss (with the l2 term) and, for classification, accuracy.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_inputs)
        y : array_like
            Class indices (n_samples,) or one-hot rows for cross-entropy;
            targets (n_samples, n_outputs) (or (n_samples,) for one output).

        Returns
        -------
        dict
            ``{"loss": float}`` plus ``"accuracy"`` for classification.

        Raises
        ------
        ValueError, TypeError
            For bad X or y (see :meth:`fit`).
        """
        X = self._check_X_scored(X)
        labels, Y = self._check_y(y, X.shape[0])
        return self._metrics(X, labels, Y)

    def score(self, X, y):
        """Accuracy (classification) or the coefficient of determination R^2
        (MSE), as scikit-learn's ``score``.

        R^2 is ``1 - SS_res / SS_tot`` per output, averaged over the outputs.
        An output whose targets are constant (``SS_tot == 0``, always so for
        one sample) scores 1.0 if it is predicted exactly and 0.0 otherwise,
        as ``sklearn.metrics.r2_score`` does (``force_finite=True``), so the
        score is always finite.

        Parameters, raises as :meth:`evaluate`.

        Returns
        -------
        float
        """
        X = self._check_X_scored(X)
        labels, Y = self._check_y(y, X.shape[0])
        A = self._forward_last(X)[1]
        if self._loss.classification:
            return self._accuracy(A, labels, Y)
        Yd = Y.astype(np.float64)
        ss_res = np.sum((Yd - A) ** 2, axis=0)
        ss_tot = np.sum((Yd - Yd.mean(axis=0)) ** 2, axis=0)
        constant = ss_tot == 0
        r2 = np.where(constant, np.where(ss_res == 0, 1.0, 0.0),
                      1 - ss_res / np.where(constant, 1.0, ss_tot))
        return float(np.mean(r2))

    # ------------------------------------------------------------ gradients

    def _make_trainer(self, batch_size):
        saves_output = [a.kernel_id is None or a.saves == "output" for a in self._acts]
        act_ids = [_kernels.SOFTMAX_ID if a.kernel_id is None else a.kernel_id
                   for a in self._acts]
        return _kernels.Trainer(self.layer_sizes, act_ids, [a.param for a in self._acts],
                                saves_output, _kernels.LOSS_IDS[self.loss], self.l2,
                                batch_size, self._flat, self._grads, self._w_off,
                                self._b_off)

    def loss_and_gradients(self, X, y):
        """Loss and its gradient with respect to every parameter.

        Computed by the same compiled code as training, on all rows at once.

        Parameters
        ----------
        X, y : array_like
            As in :meth:`fit`.

        Returns
        -------
        loss : float
            Mean loss plus ``0.5 * l2 * sum ||W||^2``.
        grads : list of (grad_W, grad_b)
            One pair per layer, shaped like :attr:`params` (new arrays).

        Raises
        ------
        ValueError, TypeError
            For bad X or y (see :meth:`fit`), or an empty X.
        """
        X = self._check_X(X)
        labels, Y = self._check_y(y, X.shape[0])
        if X.shape[0] == 0:
            raise ValueError("X must have at least one row")
        trainer = self._make_trainer(X.shape[0])
        loss_sum, _, bad, _ = trainer.run(X, Y, labels, np.arange(X.shape[0], dtype=np.int64))
        loss = loss_sum / X.shape[0] if bad < 0 else float("nan")
        grads = [(gW.copy(), gb.copy()) for gW, gb in self._views(self._grads)]
        return loss, grads

    # ------------------------------------------------------------ training

    def fit(self, X, y, epochs=10, batch_size=32, optimizer="adam", learning_rate=None,
            momentum=None, nesterov=None, validation_data=None, validation_split=0.0,
            early_stopping=False, patience=5, shuffle=True, verbose=False):
        """Train with mini-batches, each epoch in compiled code.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_inputs)
            Finite real inputs.
        y : array_like
            cross-entropy: integer class indices (n_samples,) in
            0..n_outputs-1, or one-hot / probability rows; binary
            cross-entropy: 0/1 (or [0, 1]) targets (n_samples, n_outputs),
            (n_samples,) for one output; MSE: real targets, same shapes.
        epochs : int, default 10
        batch_size : int, default 32
            Rows per mini-batch; the last, partial batch is included.
        optimizer : str or Optimizer, default "adam"
            "sgd", "adam" or an object (:class:`fastnn.SGD`,
            :class:`fastnn.Adam`) whose state carries over between calls;
            an object belongs to the first network that trains with it.
        learning_rate : float, optional
            Overrides the optimizer's (defaults: adam 1e-3, sgd 0.01).
        momentum, nesterov : optional
            For "sgd".
        validation_data : (X_val, y_val), optional
            Evaluated after each epoch.
        validation_split : float, default 0.0
            Fraction of the rows (the last ones, before shuffling) held out
            for validation when ``validation_data`` is not given.
        early_stopping : bool, default False
            Stop when the validation loss (train loss without validation)
            has not improved for ``patience`` epochs, and restore the weights
            of the best epoch.
        patience : int, default 5
        shuffle : bool, default True
            Reshuffle the rows every epoch (from the network's seed).
        verbose : bool, default False
            Show a progress bar (tqdm when installed, else one line per
            epoch).

        Returns
        -------
        History

        Raises
        ------
        ValueError
            Before any training: NaN or inf in X or y, row-count mismatch,
            class labels negative/out of range/not integers, wrong feature
            count, unknown optimizer, non-positive batch size, epochs or
            learning rate, an optimizer object bound to another network,
            validation_split outside [0, 1) or leaving no
            training or no validation rows, validation_data without rows.
        TypeError
            For arguments of the wrong type.
        FloatingPointError
            If the loss becomes non-finite; the message names the epoch and
            the network keeps the weights of the end of the previous epoch.
        """
        epochs = _positive_int(epochs, "epochs")
        batch_size = _positive_int(batch_size, "batch_size")
        patience = _positive_int(patience, "patience")
        opt_kwargs = {k: v for k, v in (("momentum", momentum), ("nesterov", nesterov))
                      if v is not None}
        opt = get_optimizer(optimizer, learning_rate, **opt_kwargs)
        X = self._check_X(X)
        labels, Y = self._check_y(y, X.shape[0])
        if X.shape[0] == 0:
            raise ValueError("X must have at least one row")
        val = None
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                raise TypeError("validation_data must be a pair (X_val, y_val)")
            X_val = self._check_X(validation_data[0], "X_val")
            if X_val.shape[0] == 0:
                raise ValueError("validation_data has no rows (X_val is empty); pass at "
                                 "least one row or no validation_data")
            val = (X_val, *self._check_y(validation_data[1], X_val.shape[0], "y_val"))
        elif validation_split:
            if (isinstance(validation_split, bool)
                    or not isinstance(validation_split, (int, float, np.floating))
                    or not 0 <= validation_split < 1):
                raise ValueError(f"validation_split must lie in [0, 1), got {validation_split!r}")
            n_val = int(round(X.shape[0] * validation_split))
            n_train = X.shape[0] - n_val
            if n_val < 1 or n_train < 1:
                raise ValueError(f"validation_split={validation_split} leaves "
                                 f"{n_train} training and {n_val} validation rows")
            val = (X[n_train:], labels[n_train:] if labels is not None else None,
                   Y[n_train:] if Y is not None else None)
            X = X[:n_train]
            labels = labels[:n_train] if labels is not None else None
            Y = Y[:n_train] if Y is not None else None
        return self._train(X, labels, Y, epochs, batch_size, opt, val, early_stopping,
                           patience, shuffle, verbose)

    def partial_fit(self, X, y, batch_size=32, optimizer=None, learning_rate=None):
        """Train one more epoch, continuing the last optimizer's state.

        Parameters
        ----------
        X, y : array_like
            As in :meth:`fit`.
        batch_size : int, default 32
        optimizer : str or Optimizer, optional
            Default: the one of the last fit/partial_fit, else "adam".
        learning_rate : float, optional

        Returns
        -------
        History
            Of this one epoch.

        Raises
        ------
        As :meth:`fit`.
        """
        if optimizer is None:
            optimizer = self.optimizer if self.optimizer is not None else "adam"
        return self.fit(X, y, epochs=1, batch_size=batch_size, optimizer=optimizer,
                        learning_rate=learning_rate)

    def _train(self, X, labels, Y, epochs, batch_size, opt, val, early_stopping, patience,
               shuffle, verbose):
        opt.bind(self, self.n_params, self.dtype)
        self.optimizer = opt
        # Buffers for more rows than the data has would be wasted.
        batch_size = min(batch_size, X.shape[0])
        if self._trainer is None or self._trainer.batch_size != batch_size:
            self._trainer = self._make_trainer(batch_size)
        history = History()
        self.history_ = history
        n = X.shape[0]
        best = (math.inf, None, None)       # (monitored loss, epoch, weights)
        waited = 0
        order = np.arange(n, dtype=np.int64)
        # Where each epoch saves the weights and optimizer state it starts
        # from, to fall back to if its loss turns non-finite.
        self._snapshot = (np.empty_like(self._flat),
                          [np.empty_like(s) if s is not None else None for s in opt._state])
        bar = Progress(epochs, verbose)
        try:
            for _ in range(epochs):
                epoch = self.epochs_trained + 1
                perm = (self._shuffle_rng.permutation(n).astype(np.int64, copy=False)
                        if shuffle else order)
                metrics, seconds = self._run_epoch(X, labels, Y, perm, opt, epoch)
                self.epochs_trained = epoch
                if val is not None:
                    for key, value in self._metrics(*val).items():
                        metrics["val_" + key] = value
                history._append(epoch, seconds, metrics)
                bar.update(epoch, metrics, seconds)
                if early_stopping:
                    monitored = metrics.get("val_loss", metrics["loss"])
                    if monitored < best[0]:
                        best = (monitored, epoch, self._flat.copy())
                        waited = 0
                    else:
                        waited += 1
                        if waited >= patience:
                            history.stopped_epoch = epoch
                            break
        finally:
            bar.close()
        if early_stopping and best[2] is not None:
            self._flat[...] = best[2]
            history.best_epoch = best[1]
        return history

    def _run_epoch(self, X, labels, Y, perm, opt, epoch):
        """One compiled epoch; on a non-finite loss, restore the weights and
        optimizer state of the epoch's start and raise."""
        snapshot, state = self._snapshot
        np.copyto(snapshot, self._flat)
        for buf, saved in zip(opt._state, state):
            if buf is not None:
                np.copyto(saved, buf)
        step = opt.step

        def restore_epoch_start():
            self._flat[...] = snapshot
            for buf, saved in zip(opt._state, state):
                if buf is not None:
                    buf[...] = saved
            opt.step = step

        start = time.perf_counter()
        try:
            loss_sum, correct, bad, opt.step = self._trainer.run(X, Y, labels, perm,
                                                                 opt.kernel_args())
        except KeyboardInterrupt:
            # Ctrl-C between mini-batches: keep the epoch's starting weights
            # and optimizer state, which agree with epochs_trained.
            restore_epoch_start()
            raise
        seconds = time.perf_counter() - start
        if bad >= 0:
            restore_epoch_start()
            raise FloatingPointError(
                f"the training loss became non-finite in epoch {epoch} (mini-batch {bad}); "
                f"the network keeps its weights from before that epoch; try a smaller "
                f"learning rate or scaled inputs")
        n = X.shape[0]
        metrics = {"loss": loss_sum / n}
        if self._loss.classification:
            metrics["accuracy"] = correct / n
        return metrics, seconds

    # ------------------------------------------------------------ persistence

    def get_config(self):
        """The constructor arguments as a JSON-serialisable dict."""
        return {"layer_sizes": self.layer_sizes, "activations": self.activations,
                "loss": self.loss, "dtype": self.dtype.name, "init": self.init,
                "l2": self.l2,
                "seed": int(self.seed) if isinstance(self.seed, (int, np.integer)) else None}

    def save(self, path):
        """Save configuration and parameters to one ``.npz`` file.

        The file holds the arrays ``W0, b0, W1, ...`` and a JSON ``config``
        string; no pickled objects, so :meth:`load` never executes code.

        Parameters
        ----------
        path : str or os.PathLike
            Target file, written as given (no extension is added).
        """
        config = dict(self.get_config(), format=_FORMAT, fastnn_version=__version__)
        arrays = {"config": np.array(json.dumps(config))}
        for i, (W, b) in enumerate(self._views(self._flat)):
            arrays[f"W{i}"] = W
            arrays[f"b{i}"] = b
        with open(path, "wb") as f:
            np.savez(f, **arrays)

    @classmethod
    def load(cls, path):
        """Load a network written by :meth:`save`.

        Parameters
        ----------
        path : str or os.PathLike

        Returns
        -------
        Network
            With the saved configuration and bitwise the saved parameters.

        Raises
        ------
        ValueError
            If the file is missing, unreadable, truncated, not a fastnn model,
            or its arrays do not match its configuration; the message says
            which.
        """
        where = repr(str(path))
        arrays = read_npz(path)
        if "config" not in arrays or arrays["config"].dtype.kind != "U":
            raise ValueError(f"{where} is not a fastnn model: no config entry")
        try:
            config = json.loads(str(arrays["config"]))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{where} has an unreadable config: {exc}") from None
        if not isinstance(config, dict) or config.get("format") != _FORMAT:
            raise ValueError(f"{where} is not a {_FORMAT} file")
        # The arrays are in memory already: checking the config's sizes
        # against them first bounds what the network allocates by the file.
        _check_stored_arrays(arrays, config, where)
        net = cls.__new__(cls)
        try:
            # No random initialisation: the stored weights replace it.
            net._configure(config["layer_sizes"], config["activations"], loss=config["loss"],
                           dtype=config["dtype"], seed=config.get("seed"),
                           init=config["init"], l2=config["l2"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{where} has an invalid config: {exc!r}") from None
        net.set_params([(arrays[f"W{i}"], arrays[f"b{i}"]) for i in range(len(net._acts))])
        return net

    def __repr__(self):
        return (f"Network({self.layer_sizes}, activations={self.activations}, "
                f"loss={self.loss!r}, dtype={self.dtype.name!r})")
