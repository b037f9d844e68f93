"""Optimizers: hyperparameters and state of the fused compiled updates.

The update itself is one compiled pass over all parameters per mini-batch
(fastnn/src/fnn_train.h), with PyTorch's formulas:

- :class:`SGD`: ``buf = momentum * buf + g``; step ``buf``, or
  ``g + momentum * buf`` with Nesterov; ``w -= lr * step``.
- :class:`Adam`: ``m = b1 m + (1-b1) g``, ``v = b2 v + (1-b2) g^2``,
  ``w -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)``.

An optimizer object keeps its state (moment buffers, step count) once bound
to a network's parameters, so ``partial_fit`` continues where ``fit`` ended.
That state belongs to one network: the first one that trains with the
object.  Training another network with it raises ValueError (sharing Adam's
moments between two networks would silently mix their updates) until the
first network is garbage-collected; give each network its own optimizer.
"""
import weakref
from typing import Any, Optional, Union

import numpy as np

from fastnn import _kernels
from fastnn._validation import check_choice, check_int, check_real

# An optimizer's state: up to two float buffers of the parameters' length.
Buffers = tuple[Optional[np.ndarray], Optional[np.ndarray]]

__all__ = ["Optimizer", "SGD", "Adam", "get_optimizer", "OPTIMIZERS"]


def _positive(value: Any, name: str) -> float:
    return check_real(value, name, 0, low_open=True)


def _fraction(value: Any, name: str) -> float:
    return check_real(value, name, 0, 1, high_open=True)


class Optimizer:
    """Base class: a learning rate and the state buffers of one network.

    The state is bound to the first network that trains with the optimizer
    (see :meth:`bind`); using the object with another network raises
    ValueError.
    """
    name: str = ""                  # set by each subclass: its key in OPTIMIZER_IDS

    def __init__(self, learning_rate: float) -> None:
        self.learning_rate = _positive(learning_rate, "learning_rate")
        # (s1, s2) bound to a parameter vector; None where a kind has no buffer.
        self._state: Optional[Buffers] = None
        self._owner: Optional[weakref.ref[Any]] = None   # the network of the state
        self._key: tuple[int, np.dtype[Any]] = (0, np.dtype(np.float64))
        self.step = 0

    def _buffers(self, n: int, dtype: np.dtype[Any]) -> Buffers:
        raise NotImplementedError

    def bind(self, owner: Any, n_params: int, dtype: Any) -> None:
        """Allocate (or keep) the state of owner's n_params parameters of dtype.

        Parameters
        ----------
        owner : object
            The network that trains with this optimizer.  The first owner
            keeps the optimizer for as long as it lives.
        n_params : int
        dtype : numpy.dtype

        Raises
        ------
        ValueError
            If the optimizer is bound to another network that still exists.
        """
        current = self._owner() if self._owner is not None else None
        if current is not None and current is not owner:
            raise ValueError(f"this {type(self).__name__} optimizer holds the state of another "
                             f"network; give each network its own {type(self).__name__} object")
        if current is None:
            self._owner = weakref.ref(owner)
            self._state = None
        if self._state is None or self._key != (n_params, np.dtype(dtype)):
            self._state = self._buffers(n_params, np.dtype(dtype))
            self._key = (n_params, np.dtype(dtype))
            self.step = 0

    def reset(self) -> None:
        """Forget the state (moments, momentum, step count); the optimizer
        stays bound to its network."""
        self._state = None
        self.step = 0

    def _config(self) -> dict[str, Any]:
        raise NotImplementedError

    def _public(self) -> dict[str, Any]:
        raise NotImplementedError

    def kernel_args(self) -> dict[str, Any]:
        """What the compiled loop reads (a dict, see fastnn._kernels.Trainer.run)."""
        if self._state is None:
            raise RuntimeError("the optimizer is not bound to a network's parameters")
        cfg = dict(kind=_kernels.OPTIMIZER_IDS[self.name], lr=self.learning_rate,
                   momentum=0.0, nesterov=0, beta1=0.0, beta2=0.0, eps=0.0, step=self.step,
                   s1=self._state[0], s2=self._state[1])
        cfg.update(self._config())
        return cfg

    def get_config(self) -> dict[str, Any]:
        """Hyperparameters as a JSON-serialisable dict (with ``name``)."""
        return {"name": self.name, "learning_rate": self.learning_rate, **self._public()}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "name")
        return f"{type(self).__name__}({args})"

    # The owner is a weak reference and does not pickle: a network restores
    # it on its own unpickled copy (Network.__setstate__), so an optimizer
    # that travels with its network comes back bound to that copy.  One
    # pickled alone comes back unbound, its state dropped at its first bind.
    def __getstate__(self) -> dict[str, Any]:
        bound = None
        if self._state is not None:
            n_params, dtype = self._key
            bound = {"n_params": int(n_params), "dtype": np.dtype(dtype).name,
                     "buffers": tuple(self._state)}
        return {"config": self.get_config(), "step": self.step, "bound": bound}

    def __setstate__(self, state: Any) -> None:
        if not isinstance(state, dict) or not isinstance(state.get("config"), dict):
            raise ValueError(f"invalid pickled {type(self).__name__} state")
        config = dict(state["config"])
        if config.pop("name", None) != self.name:
            raise ValueError(f"pickled optimizer state is not a {type(self).__name__}")
        # The constructor's checks apply to unpickled hyperparameters too;
        # a crafted state is a wrong value (unknown or non-string keys, a
        # string rate), so every failure is a ValueError.
        try:
            type(self).__init__(self, **config)
        except TypeError as exc:
            raise ValueError(f"invalid pickled {type(self).__name__} config: {exc}") from None
        try:
            step = check_int(state.get("step"), "pickled optimizer step", 0)
        except TypeError as exc:
            raise ValueError(str(exc)) from None
        if state.get("bound") is not None:
            self._state, self._key = self._checked_state(state["bound"])
        self.step = int(step)

    def _checked_state(self, bound: Any) -> tuple[Buffers, tuple[int, np.dtype[Any]]]:
        """(buffers, key) of unpickled state: each buffer None exactly where
        this optimizer's _buffers makes none, else a finite (n_params,)
        array of the recorded dtype."""
        try:
            n_params = check_int(bound["n_params"], "n_params", 0)
            dtype = np.dtype(bound["dtype"])
            buffers = bound["buffers"]
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"invalid pickled optimizer state: {exc!r}") from None
        if (dtype not in (np.float32, np.float64)
                or not isinstance(buffers, tuple) or len(buffers) != 2):
            raise ValueError("invalid pickled optimizer state")
        expected = self._buffers(0, dtype)
        checked = []
        for buf, want in zip(buffers, expected):
            if (buf is None) != (want is None):
                raise ValueError("pickled optimizer state does not fit its hyperparameters")
            if buf is not None:
                if (not isinstance(buf, np.ndarray) or buf.shape != (n_params,)
                        or buf.dtype.newbyteorder("=") != dtype):
                    raise ValueError(f"pickled optimizer state buffers must be ({n_params},) "
                                     f"{dtype} arrays")
                if not np.all(np.isfinite(buf)):
                    raise ValueError("pickled optimizer state holds NaN or inf")
                buf = np.require(buf, dtype, ["C", "A", "W"])
            checked.append(buf)
        return tuple(checked), (int(n_params), dtype)


class SGD(Optimizer):
    """Stochastic gradient descent with optional (Nesterov) momentum.

    Parameters
    ----------
    learning_rate : float, default 0.01
        Step size, positive.
    momentum : float, default 0.0
        In [0, 1).
    nesterov : bool, default False
        Nesterov momentum (needs momentum > 0).

    Raises
    ------
    ValueError
        If a value is out of range.
    """
    name = "sgd"

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.0,
                 nesterov: bool = False) -> None:
        super().__init__(learning_rate)
        self.momentum = _fraction(momentum, "momentum")
        if not isinstance(nesterov, (bool, np.bool_)):
            raise TypeError(f"nesterov must be a bool, got {type(nesterov).__name__}")
        self.nesterov = bool(nesterov)
        if self.nesterov and self.momentum == 0:
            raise ValueError("nesterov=True needs momentum > 0")

    def _buffers(self, n: int, dtype: np.dtype[Any]) -> Buffers:
        return (np.zeros(n, dtype) if self.momentum else None, None)

    def _config(self) -> dict[str, Any]:
        return dict(momentum=self.momentum, nesterov=int(self.nesterov))

    def _public(self) -> dict[str, Any]:
        return {"momentum": self.momentum, "nesterov": self.nesterov}


class Adam(Optimizer):
    """Adam, as ``torch.optim.Adam`` (bias-corrected moments).

    Parameters
    ----------
    learning_rate : float, default 1e-3
        Step size, positive.
    beta1, beta2 : float, default 0.9, 0.999
        Decay rates of the moment estimates, in [0, 1).
    eps : float, default 1e-8
        Added to the denominator, positive.

    Raises
    ------
    ValueError
        If a value is out of range.
    """
    name = "adam"

    def __init__(self, learning_rate: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8) -> None:
        super().__init__(learning_rate)
        self.beta1 = _fraction(beta1, "beta1")
        self.beta2 = _fraction(beta2, "beta2")
        self.eps = _positive(eps, "eps")

    def _buffers(self, n: int, dtype: np.dtype[Any]) -> Buffers:
        return (np.zeros(n, dtype), np.zeros(n, dtype))

    def _config(self) -> dict[str, Any]:
        return dict(beta1=self.beta1, beta2=self.beta2, eps=self.eps)

    def _public(self) -> dict[str, Any]:
        return {"beta1": self.beta1, "beta2": self.beta2, "eps": self.eps}


OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD, "adam": Adam}


def get_optimizer(optimizer: Union[str, Optimizer], learning_rate: Optional[float] = None,
                  **kwargs: Any) -> Optimizer:
    """An optimizer object from a name or an existing object.

    Parameters
    ----------
    optimizer : str or Optimizer
        "sgd" or "adam", or an :class:`Optimizer` (returned as is).
    learning_rate : float, optional
        For a name: the learning rate (else the optimizer's default).
    **kwargs
        For a name: further hyperparameters (momentum, nesterov, beta1 ...).

    Returns
    -------
    Optimizer

    Raises
    ------
    ValueError
        If the name is unknown or a hyperparameter is out of range.
    TypeError
        If ``optimizer`` is neither a string nor an Optimizer, or an
        unexpected keyword is given.
    """
    if isinstance(optimizer, Optimizer):
        if learning_rate is not None:
            optimizer.learning_rate = _positive(learning_rate, "learning_rate")
        return optimizer
    if not isinstance(optimizer, str):
        raise TypeError(f"optimizer must be a name or an Optimizer, got "
                        f"{type(optimizer).__name__}")
    check_choice(optimizer, "optimizer", OPTIMIZERS)
    if learning_rate is not None:
        kwargs["learning_rate"] = learning_rate
    return OPTIMIZERS[optimizer](**kwargs)
