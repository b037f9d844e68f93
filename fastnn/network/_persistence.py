"""Persistence: the ``.npz`` model file and the pickle/copy state.

Both go through one restore path (:meth:`_PersistenceMixin._restore`): the
config through the constructor's checks, the arrays' shapes and dtype
against the config before anything is allocated for them, finite values.
The ``.npz`` file holds the arrays ``W0, b0, W1, ...`` and a JSON
``config``; no pickled objects, so :meth:`load` never executes code.
"""
import copy
import json
import os
import weakref
from typing import Any, Mapping, Union

import numpy as np

from fastnn._npz import ModelArchive, check_path, write_npz_atomic
from fastnn._validation import check_int
from fastnn._version import __version__
from fastnn.network._history import History
from fastnn.network._model import _Model, _layer_sizes, activation_entry
from fastnn.optimizers import Optimizer

__all__: list[str] = []

FORMAT = "fastnn.Network/1"


def _stored_arrays(config: Any, where: str,
                   n_stored: int) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """{name: (shape, dtype)} of the arrays a stored config needs, known
    before anything is read or allocated for them.

    ``n_stored`` is how many arrays the file or state holds.  Each layer
    needs at least one of them, so a config claiming more layers than that
    is refused on its length alone, before its sizes are checked one by
    one: the work stays proportional to what was stored, not to what the
    config claims (a million claimed layers took seconds to refuse)."""
    try:
        claimed = config["layer_sizes"]
    except (KeyError, TypeError) as exc:
        raise ValueError(f"{where} has an invalid config: {exc!r}") from None
    if not isinstance(claimed, (list, tuple)):
        raise ValueError(f"{where} has an invalid config: layer_sizes must be a list of "
                         f"integers, got {type(claimed).__name__}")
    if len(claimed) - 1 > n_stored:
        raise ValueError(f"{where} has an invalid config: layer_sizes claims "
                         f"{len(claimed) - 1} layers, but only {n_stored} arrays are stored")
    try:
        sizes = _layer_sizes(claimed)
        dtype = np.dtype(config["dtype"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{where} has an invalid config: {exc!r}") from None
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"{where} has an invalid config: dtype {dtype}")
    expected: dict[str, tuple[tuple[int, ...], np.dtype]] = {}
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        expected[f"W{i}"] = ((n_in, n_out), dtype)
        expected[f"b{i}"] = ((n_out,), dtype)
    return expected


def _check_stored_arrays(arrays: Mapping[str, Any], config: Any, where: str) -> None:
    """Check the stored arrays against the shapes and dtype the config needs."""
    for key, (shape, dtype) in _stored_arrays(config, where, len(arrays)).items():
        if key not in arrays:
            raise ValueError(f"{where} misses array {key}")
        arr = arrays[key]
        if not isinstance(arr, np.ndarray):
            raise ValueError(f"{where}: {key} is not an array")
        if arr.shape != shape or arr.dtype != dtype:
            raise ValueError(f"{where}: {key} is {arr.dtype}{arr.shape}, the config "
                             f"needs {dtype}{shape}")


class _PersistenceMixin(_Model):
    """get_config, save, load, pickling and copying."""

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments as a JSON-serialisable dict.

        ``activations`` holds a name per layer, or ``{"name": ..., "alpha":
        ...}`` for an activation whose parameter is not the default.

        Examples
        --------
        >>> import fastnn
        >>> fastnn.Network([2, 3, 1], [("leaky_relu", {"alpha": 0.2}), "sigmoid"]
        ...                ).get_config()["activations"]
        [{'name': 'leaky_relu', 'alpha': 0.2}, 'sigmoid']
        """
        return {"layer_sizes": self.layer_sizes,
                "activations": [activation_entry(a) for a in self._acts],
                "loss": self.loss, "dtype": self.dtype.name, "init": self.init,
                "l2": self.l2,
                "seed": int(self.seed) if isinstance(self.seed, (int, np.integer)) else None}

    def _restore(self, config: Any, arrays: Mapping[str, Any], where: str) -> None:
        """Configure self from a stored config and set its stored parameters,
        checked as the constructor and :meth:`set_params` check them."""
        if not isinstance(config, dict):
            raise ValueError(f"{where} has an invalid config: not a dict")
        _check_stored_arrays(arrays, config, where)
        try:
            # No random initialisation: the stored weights replace it.
            self._configure(config["layer_sizes"], config["activations"],
                            loss=config["loss"], dtype=config["dtype"],
                            seed=config.get("seed"), init=config["init"], l2=config["l2"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{where} has an invalid config: {exc!r}") from None
        try:
            self.set_params([(arrays[f"W{i}"], arrays[f"b{i}"])
                             for i in range(len(self._acts))])
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{where}: {exc}") from None

    def save(self, path: Union[str, bytes, "os.PathLike[str]"]) -> None:
        """Save configuration and parameters to one ``.npz`` file, atomically.

        The file holds the arrays ``W0, b0, W1, ...`` and a JSON ``config``
        string; no pickled objects, so :meth:`load` never executes code.
        A running :meth:`fit` in another thread is waited for, so the file
        holds the weights of a finished call.  The data goes to a temporary
        file in the same directory, is flushed to disk and only then
        replaces ``path``: a failed save (full disk, no permission) leaves
        the previous file at ``path`` as it was, and no partial file.

        Parameters
        ----------
        path : str, bytes or os.PathLike
            Target file, written as given (no extension is added).

        Raises
        ------
        TypeError
            If path is not a file path (an open file descriptor included).
        OSError
            If the file cannot be written.

        Examples
        --------
        >>> import fastnn, tempfile, os
        >>> net = fastnn.Network([2, 2], "softmax", seed=0)
        >>> path = os.path.join(tempfile.mkdtemp(), "model.npz")
        >>> net.save(path)
        >>> fastnn.Network.load(path).get_config() == net.get_config()
        True
        """
        with self._lock:
            config = dict(self.get_config(), format=FORMAT, fastnn_version=__version__)
            arrays = {"config": np.array(json.dumps(config))}
            for i, (W, b) in enumerate(self._views(self._flat)):
                arrays[f"W{i}"] = W.copy()
                arrays[f"b{i}"] = b.copy()
        write_npz_atomic(path, arrays)

    @classmethod
    def load(cls, path: Union[str, bytes, "os.PathLike[str]"]) -> Any:
        """Load a network written by :meth:`save`.

        The file is read as untrusted: only a regular file is opened (not a
        FIFO or a device), the config is read first and then only the
        arrays it names, each checked against the shape and dtype the
        config implies before its data is inflated, and no read inflates
        more than that.  Arrays in either byte order are accepted.

        Parameters
        ----------
        path : str, bytes or os.PathLike

        Returns
        -------
        Network
            With the saved configuration and bitwise the saved parameters.

        Raises
        ------
        TypeError
            If path is not a file path.
        ValueError
            If the file is missing, not a regular file, unreadable,
            truncated, not a fastnn model, or its arrays do not match its
            configuration; the message names the file and says which.
        """
        path = check_path(path)
        where = repr(path)
        with ModelArchive(path) as archive:
            config = archive.read_config()
            if config.get("format") != FORMAT:
                raise ValueError(f"{where} is not a {FORMAT} file")
            arrays = {name: archive.read_array(name, shape, dtype)
                      for name, (shape, dtype)
                      in _stored_arrays(config, where, archive.n_members).items()}
        net = cls.__new__(cls)
        net._restore(config, arrays, where)
        return net

    # ------------------------------------------------------------ pickle, copy

    def __getstate__(self) -> dict[str, Any]:
        """What pickle and :func:`copy.deepcopy` store: ``format``,
        ``config`` (as :meth:`get_config`), ``params`` (copies, ``[(W, b),
        ...]``), ``epochs_trained``, ``history_``, ``shuffle_rng`` (the
        shuffle generator's state) and ``optimizer`` (with its moments and
        step count).  The compiled trainer, which holds raw pointers into
        this network's buffers, is not part of it: a copy builds its own at
        its next fit.  Waits for a running fit."""
        with self._lock:
            return {"format": FORMAT, "config": self.get_config(),
                    "params": [(W.copy(), b.copy()) for W, b in self._views(self._flat)],
                    "epochs_trained": self.epochs_trained,
                    "history_": self.history_,
                    "shuffle_rng": self._shuffle_rng.bit_generator.state,
                    "optimizer": self.optimizer}

    def __setstate__(self, state: Any) -> None:
        """Rebuild a network from :meth:`__getstate__`'s dict, with the
        checks of :meth:`load`; ValueError if any fails."""
        where = "pickled Network state"
        if not isinstance(state, dict) or state.get("format") != FORMAT:
            raise ValueError(f"{where} is not a {FORMAT} state")
        params = state.get("params")
        if not isinstance(params, list) or not all(
                isinstance(p, tuple) and len(p) == 2 for p in params):
            raise ValueError(f"{where} needs params as a list of (W, b) pairs")
        config = state.get("config")
        sizes = config.get("layer_sizes") if isinstance(config, dict) else None
        # Checked first, on the lengths alone: a config claiming a million
        # layers is refused at once.
        if isinstance(sizes, (list, tuple)) and len(sizes) - 1 != len(params):
            raise ValueError(f"{where} has {len(params)} layers of parameters, the config's "
                             f"layer_sizes {len(sizes) - 1}")
        arrays = {f"{key}{i}": arr for i, pair in enumerate(params)
                  for key, arr in zip("Wb", pair)}
        self._restore(config, arrays, where)
        try:
            self.epochs_trained = check_int(state.get("epochs_trained"), "epochs_trained", 0)
        except TypeError as exc:
            raise ValueError(f"{where}: {exc}") from None
        history = state.get("history_")
        if history is not None and not isinstance(history, History):
            raise ValueError(f"{where}: history_ must be a History or None")
        self.history_ = history
        rng_state: Any = state.get("shuffle_rng")
        try:
            self._shuffle_rng.bit_generator.state = rng_state
        except (TypeError, ValueError, KeyError) as exc:
            raise ValueError(f"{where}: invalid shuffle generator state: {exc!r}") from None
        self._restore_optimizer(state.get("optimizer"), where)

    def _restore_optimizer(self, opt: Any, where: str) -> None:
        """Bind an unpickled optimizer to this network, its state checked
        against the parameter count and dtype."""
        if opt is None:
            return
        if not isinstance(opt, Optimizer):
            raise ValueError(f"{where}: optimizer must be an Optimizer or None")
        if opt._state is not None and opt._key != (self.n_params, self.dtype):
            raise ValueError(f"{where}: the optimizer's state is for {opt._key[0]} "
                             f"{opt._key[1]} parameters, the network has {self.n_params} "
                             f"{self.dtype}")
        opt._owner = weakref.ref(self)
        self.optimizer = opt

    def __copy__(self) -> Any:
        """A shallow copy would share the parameter buffer (training the copy
        would change the original) and the optimizer (bound to one network),
        so copy.copy makes the same independent copy as copy.deepcopy."""
        return copy.deepcopy(self)
