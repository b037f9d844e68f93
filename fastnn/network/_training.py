"""The training loop: epochs, validation, early stopping, rollback, history.

The epochs run in compiled code without the GIL
(:class:`fastnn._kernels.Trainer`, which owns every mini-batch buffer):
each epoch's shuffle (numpy's draws, into one reused buffer), the snapshot
it can roll back to and the finiteness check of the parameters are compiled
too.  All epochs of a fit call run in one compiled call unless Python has
work after each (validation, early stopping, the progress bar).
"""
import contextlib
from typing import Any, Callable, Optional

import numpy as np

from fastnn._progress import Progress
from fastnn._validation import all_finite, check_int, check_params, check_real
from fastnn.network._history import History
from fastnn.network._prediction import _PredictionMixin
from fastnn.network._tasks import Targets
from fastnn.optimizers import Optimizer, get_optimizer

__all__: list[str] = []

# fit's counting arguments: each an integer of at least 1.
_FIT_COUNTS = {name: (lambda value, name: check_int(value, name, 1))
               for name in ("epochs", "batch_size", "patience")}

# (X, labels, Y) of checked data.
Data = tuple[np.ndarray, Optional[np.ndarray], Optional[np.ndarray]]


def _rows(data: Data, rows: slice) -> Data:
    X, labels, Y = data
    return (X[rows], labels[rows] if labels is not None else None,
            Y[rows] if Y is not None else None)


class _FitRun:
    """One call of fit: binds the optimizer and trainer, runs the epochs in
    compiled calls (all of them in one where no per-epoch Python work is
    asked for) and reports each finished epoch; on a failure before training
    frees what the call allocated."""

    def __init__(self, net: Any, opt: Optimizer, batch_size: int, chunk: int) -> None:
        self.net = net
        self.opt = opt
        self.before = (net.optimizer, opt._owner, opt._state, getattr(opt, "_key", None),
                       opt.step, net.history_)
        try:
            opt.bind(net, net.n_params, net.dtype)
            net.optimizer = opt
            if net._trainer is None or net._trainer.batch_size != batch_size:
                net._trainer = None         # free the old workspace before the new one
                net._trainer = net._make_trainer(batch_size)
            # Where each epoch saves the weights and optimizer state it
            # starts from, to fall back to if the epoch fails.
            live = opt._state if opt._state is not None else (None, None)
            self.snapshot = (np.empty_like(net._flat),
                             *(None if s is None else np.empty_like(s) for s in live))
            # Per epoch of one compiled call: loss sum, correct predictions,
            # seconds; then (epochs kept, optimizer step after them).
            self.log = (np.empty(chunk), np.empty(chunk, np.int64), np.empty(chunk))
            self.progress = np.zeros(2, np.int64)
            # Whether a finished epoch has gathered, and so tested, every
            # row of X (the compiled test then stops for the later calls).
            self.x_tested = False
        except BaseException:
            # The call leaves nothing behind: no trainer, and the optimizer
            # as it was (state allocated by this bind dropped).
            net._trainer = None
            self._restore()
            raise

    def _restore(self) -> None:
        """The network's optimizer and history, and the optimizer, as they
        were before this call."""
        net, opt = self.net, self.opt
        net.optimizer, opt._owner, opt._state, key, opt.step, net.history_ = self.before
        if key is not None:
            opt._key = key

    def _finite(self) -> bool:
        return all_finite(self.net._flat) and all(
            all_finite(buf) for buf in (self.opt._state or ()) if buf is not None)

    def epochs(self, data: Data, perm: np.ndarray, rng: Optional[np.random.Generator],
               count: int, args: dict[str, Any],
               record: Callable[[int, float, dict[str, float]], None]) -> None:
        """``count`` epochs in one compiled call (rows reshuffled into perm
        before each when rng is given); record(number, seconds, metrics) for
        each finished one, also when the call then fails or is interrupted.
        An epoch whose loss or parameters turn non-finite (checked by the
        compiled loop) is undone there, and raises FloatingPointError here;
        one that gathers a row of X holding NaN or inf is undone there too,
        and its ValueError propagates.
        args: the optimizer's kernel_args of this fit call."""
        X, labels, Y = data
        loss_sum, correct, seconds = (column[:count] for column in self.log)
        args["step"] = self.progress[1] = self.opt.step
        self.progress[0] = 0
        try:
            with rng.bit_generator.lock if rng is not None else contextlib.nullcontext():
                status = self.net._trainer.fit_epochs(X, Y, labels, perm, args, rng,
                                                      self.snapshot, loss_sum, correct,
                                                      seconds, self.progress,
                                                      check_x=not self.x_tested)
        finally:
            done, self.opt.step = (int(value) for value in self.progress)
            self.x_tested = self.x_tested or done > 0
            for e in range(done):
                self.net.epochs_trained += 1
                record(self.net.epochs_trained, float(seconds[e]),
                       self.net._task.epoch_metrics(float(loss_sum[e]), int(correct[e]),
                                                    X.shape[0]))
        if status != -1:
            number = self.net.epochs_trained + 1
            what = (f"the training loss became non-finite in epoch {number} (mini-batch {status})"
                    if status >= 0 else
                    f"the parameters became non-finite in epoch {number} (an update overflowed)")
            raise FloatingPointError(f"{what}; the network keeps its weights from before that "
                                     f"epoch; try a smaller learning rate or scaled inputs")

    def run(self, data: Data, val: Optional[Data], epochs: int, early_stopping: bool,
            patience: int, shuffle: bool, verbose: bool) -> History:
        net = self.net
        if not self._finite():
            raise FloatingPointError("the network's parameters hold NaN or inf before fit")
        history = History()
        net.history_ = history
        # Generator.permutation(n) is shuffle(arange(n)): the compiled loop
        # makes the same draws into this one buffer before every epoch.
        perm = np.arange(data[0].shape[0], dtype=np.int64)
        rng = net._shuffle_rng if shuffle else None
        args = self.opt.kernel_args()       # the hyperparameters stay fixed during fit
        rng_state = rng.bit_generator.state if rng is not None else None
        trained_before = net.epochs_trained
        try:
            if _per_epoch_work(val, early_stopping, verbose):
                self._run_per_epoch(data, val, perm, rng, epochs, args, early_stopping,
                                    patience, verbose, history)
            else:
                self.epochs(data, perm, rng, epochs, args, history._append)
        except MemoryError:
            net._trainer = None
            raise
        except ValueError:
            # A row of X held NaN or inf (the one ValueError of the compiled
            # epochs on checked data): the gather found it in the first
            # epoch, which it undid.  The call then leaves no trace, so that
            # a fit on cleaned data gives what it would have given.
            if net.epochs_trained == trained_before:
                self._restore()
                if rng is not None:
                    rng.bit_generator.state = rng_state
            raise
        return history

    def _run_per_epoch(self, data: Data, val: Optional[Data], perm: np.ndarray,
                       rng: Optional[np.random.Generator], epochs: int, args: dict[str, Any],
                       early_stopping: bool, patience: int, verbose: bool,
                       history: History) -> None:
        """The epochs one compiled call each, with validation, the progress
        bar and early stopping after each."""
        net = self.net
        best: tuple[float, Optional[int], Optional[np.ndarray]] = (np.inf, None, None)
        waited = 0
        bar = Progress(epochs, verbose)
        try:
            for _ in range(epochs):
                finished: list[tuple[int, float, dict[str, float]]] = []
                self.epochs(data, perm, rng, 1, args, lambda *epoch: finished.append(epoch))
                number, seconds, metrics = finished[0]
                if val is not None:
                    X_val, *targets = val
                    Z, A = net._forward_last(X_val)
                    for key, value in net._task.metrics(Z, A, tuple(targets),
                                                        net._penalty()).items():
                        metrics["val_" + key] = value
                history._append(number, seconds, metrics)
                bar.update(number, metrics, seconds)
                if early_stopping:
                    monitored = metrics.get("val_loss", metrics["loss"])
                    if monitored < best[0]:
                        best = (monitored, number, net._flat.copy())
                        waited = 0
                    else:
                        waited += 1
                        if waited >= patience:
                            history.stopped_epoch = number
                            break
        finally:
            bar.close()
        if early_stopping and best[2] is not None:
            net._flat[...] = best[2]
            history.best_epoch = best[1]


def _per_epoch_work(val: Optional[Data], early_stopping: bool, verbose: bool) -> bool:
    """Whether fit has Python work after every epoch (validation scoring,
    early stopping, the progress bar), which splits the epochs into one
    compiled call each."""
    return val is not None or early_stopping or verbose


class _TrainingMixin(_PredictionMixin):
    """fit and partial_fit."""

    def fit(self, X: Any, y: Any, epochs: int = 10, batch_size: int = 32,
            optimizer: Any = "adam", learning_rate: Optional[float] = None,
            momentum: Optional[float] = None, nesterov: Optional[bool] = None,
            validation_data: Optional[tuple[Any, Any]] = None,
            validation_split: float = 0.0, early_stopping: bool = False, patience: int = 5,
            shuffle: bool = True, verbose: bool = False) -> History:
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
            If the loss or the parameters become non-finite; the message
            names the epoch and the network keeps the (finite) weights and
            optimizer state of the end of the previous epoch.
        MemoryError
            If the training buffers do not fit; the network keeps nothing
            the failed call allocated.

        Notes
        -----
        Calls that change the network (fit, partial_fit, set_params,
        save, pickling) wait for each other; see the class notes.

        Examples
        --------
        >>> import fastnn
        >>> X, y = fastnn.datasets.make_spirals(100, seed=0)
        >>> net = fastnn.Network([2, 16, 2], ["tanh", "softmax"], seed=0)
        >>> net.fit(X, y, epochs=3, batch_size=16).epoch
        [1, 2, 3]
        """
        counts = check_params(dict(epochs=epochs, batch_size=batch_size, patience=patience),
                              _FIT_COUNTS)
        epochs, batch_size, patience = counts["epochs"], counts["batch_size"], counts["patience"]
        opt_kwargs = {k: v for k, v in (("momentum", momentum), ("nesterov", nesterov))
                      if v is not None}
        opt = get_optimizer(optimizer, learning_rate, **opt_kwargs)
        # The training rows' NaN/inf check runs in the compiled gather (see
        # _FitRun.run); a separate pass over X would cost every call.
        X = self._check_X(X, finite=False)
        data = (X, *self._task.check_targets(y, X.shape[0]))
        if X.shape[0] == 0:
            raise ValueError("X must have at least one row")
        data, val = self._validation(data, validation_data, validation_split)
        with self._lock:
            # Buffers for more rows than the data has would be wasted.
            run = _FitRun(self, opt, min(batch_size, data[0].shape[0]),
                          1 if _per_epoch_work(val, early_stopping, verbose) else epochs)
            return run.run(data, val, epochs, early_stopping, patience, shuffle, verbose)

    def _validation(self, data: Data, validation_data: Any,
                    validation_split: Any) -> tuple[Data, Optional[Data]]:
        """(training data, validation data or None) of fit's arguments."""
        split = check_real(validation_split, "validation_split", 0, 1, high_open=True)
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                raise TypeError("validation_data must be a pair (X_val, y_val)")
            X_val = self._check_X(validation_data[0], "X_val")
            if X_val.shape[0] == 0:
                raise ValueError("validation_data has no rows (X_val is empty); pass at "
                                 "least one row or no validation_data")
            targets: Targets = self._task.check_targets(validation_data[1], X_val.shape[0],
                                                        "y_val")
            return data, (X_val, *targets)
        if not split:
            return data, None
        n = data[0].shape[0]
        n_val = int(round(n * split))
        n_train = n - n_val
        if n_val < 1 or n_train < 1:
            raise ValueError(f"validation_split={validation_split} leaves "
                             f"{n_train} training and {n_val} validation rows")
        val = _rows(data, slice(n_train, None))
        self._require_finite(val[0], "X")        # the gather never reads these rows
        return _rows(data, slice(None, n_train)), val

    def partial_fit(self, X: Any, y: Any, batch_size: int = 32, optimizer: Any = None,
                    learning_rate: Optional[float] = None) -> History:
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

        Examples
        --------
        >>> import fastnn
        >>> X, y = fastnn.datasets.make_spirals(100, seed=0)
        >>> net = fastnn.Network([2, 16, 2], ["tanh", "softmax"], seed=0)
        >>> net.partial_fit(X, y).epoch
        [1]
        """
        with self._lock:
            if optimizer is None:
                optimizer = self.optimizer if self.optimizer is not None else "adam"
            return self.fit(X, y, epochs=1, batch_size=batch_size, optimizer=optimizer,
                            learning_rate=learning_rate)
