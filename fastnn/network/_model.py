"""The model: configuration, parameters and the forward pass.

All parameters live in one flat array (``W_0, b_0, W_1, b_1, ...``, each
``W_l`` of shape (n_in, n_out) row-major, as scikit-learn's ``coefs_``), so
that the optimizer updates them in one fused pass.  The array is allocated
once, when the network is configured, and never reallocated: every later
change (training, :meth:`set_params`) writes into it, so a reader never
holds a dangling buffer.
"""
import dataclasses
import functools
import math
import threading
from typing import Any, Optional, Sequence, Union

import numpy as np

from fastnn import _kernels
from fastnn._validation import (all_finite, as_c_native, as_real_array, check_choice,
                                check_int, check_real, check_seed)
from fastnn.activations import ACTIVATIONS, Activation, get_activation
from fastnn.losses import get_loss
from fastnn.network._tasks import Task, task_for

__all__ = ["ActivationSpec", "activation_entry"]

_INITS = ("glorot_uniform", "glorot_normal", "he_uniform", "he_normal")
# The activations whose kernel takes a parameter, and its keyword.
_PARAMETRISED = {"leaky_relu": "alpha", "elu": "alpha"}

# One entry of ``activations=``: a name, (name, {"alpha": a}), a config
# dict {"name": ..., "alpha": ...}, or an Activation object.
ActivationSpec = Union[str, tuple[str, dict[str, float]], dict[str, Any], Activation]


def _layer_sizes(layer_sizes: Any) -> list[int]:
    try:
        sizes = list(layer_sizes)
    except TypeError:
        raise TypeError("layer_sizes must be a sequence of integers, "
                        f"got {type(layer_sizes).__name__}") from None
    if len(sizes) < 2:
        raise ValueError(f"layer_sizes needs at least 2 entries (inputs, outputs), got {sizes}")
    return [check_int(s, f"layer_sizes[{i}]", 1) for i, s in enumerate(sizes)]


def _with_param(act: Activation, value: Any, where: str) -> Activation:
    """act with its kernel parameter set to value, checked by the
    activation's own function (one source for its valid range)."""
    keyword = _PARAMETRISED.get(act.name)
    if keyword is None:
        raise ValueError(f"{where}: activation {act.name!r} takes no parameter")
    value = check_real(value, f"{where} {keyword}")
    act.forward(np.zeros(1), **{keyword: value})          # raises for out-of-range values
    bind = functools.partial
    return dataclasses.replace(
        act, param=value, forward=bind(act.forward, **{keyword: value}),
        derivative=bind(act.derivative, **{keyword: value}) if act.derivative else None,
        backward=bind(act.backward, **{keyword: value}))


def _activation(entry: Any, index: int) -> Activation:
    """The Activation of one ``activations=`` entry."""
    where = f"activations[{index}]"
    if isinstance(entry, str):
        return get_activation(entry)
    if isinstance(entry, Activation):
        base = get_activation(entry.name)
        return base if entry.param == base.param else _with_param(base, entry.param, where)
    if isinstance(entry, dict):
        params = dict(entry)
        name = params.pop("name", None)
    elif isinstance(entry, (tuple, list)) and len(entry) == 2 and isinstance(entry[1], dict):
        name, params = entry[0], dict(entry[1])
    else:
        raise TypeError(f"{where} must be a name, (name, {{'alpha': ...}}), or an Activation, "
                        f"got {entry!r}")
    act = get_activation(name)
    keyword = _PARAMETRISED.get(act.name)
    unknown = set(params) - {keyword}
    if unknown:
        raise ValueError(f"{where}: activation {act.name!r} takes "
                         f"{repr(keyword) if keyword else 'no parameter'}, got {sorted(unknown)}")
    return _with_param(act, params[keyword], where) if params else act


def activation_entry(act: Activation) -> Union[str, dict[str, Any]]:
    """act as a config entry: its name where its parameter is the default
    (the entry older readers know), else ``{"name": ..., "alpha": ...}``."""
    keyword = _PARAMETRISED.get(act.name)
    if keyword is None or act.param == ACTIVATIONS[act.name].param:
        return act.name
    return {"name": act.name, keyword: act.param}


def _activations(activations: Any, sizes: list[int]) -> list[Activation]:
    n_layers = len(sizes) - 1
    if isinstance(activations, (str, Activation)):
        activations = [activations] * n_layers
    activations = list(activations)
    if len(activations) != n_layers:
        raise ValueError(f"activations needs one name per layer ({n_layers}), "
                         f"got {len(activations)}")
    acts = [_activation(a, i) for i, a in enumerate(activations)]
    for i, act in enumerate(acts):
        if act.name == "softmax" and sizes[i + 1] == 1:
            raise ValueError(f"activations[{i}]: softmax over layer {i}'s single unit is "
                             f"always 1; use 'sigmoid' for one output, or more units")
    return acts


def _init_names(init: Any, acts: list[Activation]) -> list[str]:
    if init is None:
        return [a.default_init for a in acts]
    names = [init] * len(acts) if isinstance(init, str) else list(init)
    if len(names) != len(acts):
        raise ValueError(f"init needs one name per layer ({len(acts)}), got {len(names)}")
    return [check_choice(name, "init", _INITS) for name in names]


def _dtype(dtype: Any) -> np.dtype:
    try:
        checked: np.dtype[Any] = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be float32 or float64, got {dtype!r}") from None
    if checked not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64, got {checked}")
    return checked


class _Model:
    """Configuration, parameters and forward pass of a Network."""
    layer_sizes: list[int]
    activations: list[str]
    loss: str
    dtype: np.dtype
    l2: float
    seed: Optional[int]
    init: list[str]
    optimizer: Any
    _acts: list[Activation]
    _task: Task
    _flat: np.ndarray
    _grads: np.ndarray

    def _configure(self, layer_sizes: Any, activations: Any, loss: Optional[str],
                   dtype: Any, seed: Any, init: Any, l2: Any) -> np.random.Generator:
        """Check the arguments and allocate zeroed parameters; returns the
        generator of the initial weights (unused when restoring a network)."""
        self.layer_sizes = _layer_sizes(layer_sizes)
        self._acts = _activations(activations, self.layer_sizes)
        self.activations = [a.name for a in self._acts]
        out_act = self.activations[-1]
        if loss is None:
            loss = {"softmax": "cross_entropy", "sigmoid": "binary_cross_entropy"}.get(
                out_act, "mse")
        self._loss = get_loss(loss, out_act)
        self.loss = self._loss.name
        self.dtype = _dtype(dtype)
        self._task = task_for(self._loss, self.layer_sizes[-1], self.dtype, out_act)
        self.l2 = check_real(l2, "l2", 0)
        self.seed = check_seed(seed)
        self.init = _init_names(init, self._acts)
        init_seq, shuffle_seq = np.random.SeedSequence(seed).spawn(2)
        self._shuffle_rng = np.random.Generator(np.random.PCG64(shuffle_seq))
        self._layout()
        # Serialises every change of this network (fit, set_params, pickling).
        self._lock = threading.RLock()
        self._trainer: Any = None
        # The compiled forward pass and its buffers (see _prediction.Predictor),
        # built at the first prediction.
        self._predictor: Any = None
        self.optimizer = None
        self.epochs_trained = 0
        self.history_: Any = None
        return np.random.Generator(np.random.PCG64(init_seq))

    def _layout(self) -> None:
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

    def _views(self, flat: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        return [(flat[w:w + n_in * n_out].reshape(n_in, n_out), flat[b:b + n_out])
                for w, b, n_in, n_out in zip(self._w_off, self._b_off,
                                             self.layer_sizes[:-1], self.layer_sizes[1:])]

    def _initialise(self, rng: np.random.Generator) -> None:
        for (W, _), name in zip(self._views(self._flat), self.init):
            fan_in, fan_out = W.shape
            var = 2.0 / (fan_in + fan_out) if name.startswith("glorot") else 2.0 / fan_in
            if name.endswith("uniform"):
                limit = math.sqrt(3 * var)
                W[...] = rng.uniform(-limit, limit, size=W.shape)
            else:
                W[...] = rng.normal(0.0, math.sqrt(var), size=W.shape)

    @property
    def n_params(self) -> int:
        """Number of trainable parameters."""
        return int(self._flat.size)

    @property
    def params(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """``[(W, b), ...]`` per layer: read-only views of the parameters
        (copy them to keep a snapshot; :meth:`set_params` to change them)."""
        views = self._views(self._flat)
        for W, b in views:
            W.flags.writeable = False
            b.flags.writeable = False
        return views

    def set_params(self, params: Sequence[tuple[Any, Any]]) -> None:
        """Replace all parameters (waiting for a running :meth:`fit`).

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
        TypeError
            If an array is not real-valued.

        Examples
        --------
        >>> import fastnn
        >>> net = fastnn.Network([2, 3, 1], ["relu", "identity"], seed=0)
        >>> net.set_params([(W * 0, b) for W, b in net.params])
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
                if not all_finite(arr):
                    raise ValueError(f"{name} holds NaN or inf (in the network's dtype "
                                     f"{self.dtype})")
                checked.append((ref, arr))
        with self._lock:
            for ref, arr in checked:
                ref[...] = arr
            if self.optimizer is not None:
                self.optimizer.reset()

    # ------------------------------------------------------------ forward

    def _check_X(self, X: Any, name: str = "X", finite: bool = True) -> np.ndarray:
        """X as a C-contiguous native array of the network's dtype and width;
        free of NaN and inf unless finite is False (the caller checks)."""
        arr = as_real_array(X, name)
        if arr.ndim != 2:
            raise ValueError(f"{name} must be 2-D (n_samples, n_features), got shape {arr.shape}")
        if arr.shape[1] != self.layer_sizes[0]:
            raise ValueError(f"{name} has {arr.shape[1]} features but the network expects "
                             f"{self.layer_sizes[0]}")
        arr = as_c_native(arr, self.dtype)
        if finite:
            self._require_finite(arr, name)
        return arr

    def _require_finite(self, arr: np.ndarray, name: str) -> None:
        if not all_finite(arr):
            raise ValueError(f"{name} holds NaN or inf (in the network's dtype {self.dtype})")

    def _check_X_scored(self, X: Any) -> np.ndarray:
        """_check_X, and at least one row: a mean over no samples is no score."""
        arr = self._check_X(X)
        if arr.shape[0] == 0:
            raise ValueError("X has no rows: a loss or score needs at least one sample")
        return arr

    def _forward_last(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(Z, A) of the output layer for checked X."""
        A = X
        Z = X
        for (W, b), act in zip(self._views(self._flat), self._acts):
            act_id = _kernels.SOFTMAX_ID if act.kernel_id is None else act.kernel_id
            out = np.empty((A.shape[0], W.shape[1]), self.dtype)
            Z = np.empty_like(out)
            _kernels.dense_forward_into(A, W, b, act_id, act.param, Z, out)
            A = out
        return Z, A

    def _penalty(self) -> float:
        if not self.l2:
            return 0.0
        return 0.5 * self.l2 * sum(float(np.sum(W.astype(np.float64) ** 2))
                                   for W, _ in self._views(self._flat))

    def _make_trainer(self, batch_size: int) -> Any:
        saves_output = [a.kernel_id is None or a.saves == "output" for a in self._acts]
        act_ids = [_kernels.SOFTMAX_ID if a.kernel_id is None else a.kernel_id
                   for a in self._acts]
        return _kernels.Trainer(self.layer_sizes, act_ids, [a.param for a in self._acts],
                                saves_output, _kernels.LOSS_IDS[self.loss], self.l2,
                                batch_size, self._flat, self._grads, self._w_off,
                                self._b_off)
