"""What a network answers about data: predictions, probabilities, metrics,
scores, and the loss with its gradients.  The loss-dependent parts are the
network's task object (fastnn/network/_tasks.py).

:class:`Predictor` is the inference path: every layer in one compiled call
(``fastnn._dense.ForwardPass``), its scratch buffers kept per batch size, and
a fast path that skips the Python-level argument checks for an array that
is already what the compiled code reads (exactly a numpy.ndarray of the
network's dtype and width, aligned, native, C- or F-contiguous).  Anything
else goes through the network's full checks (``_check_X``), so errors are
the same; NaN or inf raise ValueError from the compiled pass itself.
"""
import threading
from typing import Any, Callable, Optional

import numpy as np

from fastnn import _dense, _kernels
from fastnn.network._model import _Model

__all__ = ["Predictor", "fast_forward"]

# Batch sizes whose scratch buffers a Predictor keeps.  A different size
# replaces the oldest; a scratch buffer above _MAX_KEPT_BYTES is not kept.
_MAX_KEPT_SIZES = 4
_MAX_KEPT_BYTES = 64 << 20


class Predictor:
    """The forward pass of one network's parameters, with its buffers.

    Parameters
    ----------
    params : numpy.ndarray, 1-D
        The flat parameter vector (read at every call, never copied).
    layer_sizes, w_off, b_off : sequence of int
        The layout of params (as ``_Model._layout``).
    act_ids : sequence of int
        Kernel ids of the activations (``_kernels.SOFTMAX_ID`` for softmax).
    act_params : sequence of float
    check_X : callable
        array_like -> checked C-contiguous array of the network's dtype: the
        slow path, raising the network's usual TypeError/ValueError.

    Notes
    -----
    Thread-safe: a scratch buffer is taken out of the cache for the call and
    put back after, so concurrent calls never share one.  The output of
    every call is a new array.
    """

    def __init__(self, params: np.ndarray, layer_sizes: Any, w_off: Any, b_off: Any,
                 act_ids: Any, act_params: Any,
                 check_X: Callable[[Any], np.ndarray]) -> None:
        self.params = params
        self._pass = _dense.ForwardPass(params, layer_sizes, w_off, b_off, act_ids,
                                        act_params)
        self._check_X = check_X
        self._shape_out = int(layer_sizes[-1])
        self._dtype = params.dtype
        self._scratch: dict[int, np.ndarray] = {}
        self._lock = threading.Lock()

    def __call__(self, X: Any) -> np.ndarray:
        """The output-layer activations for X, as a new array
        (n_samples, n_outputs) of the network's dtype.

        Raises
        ------
        ValueError, TypeError
            As ``check_X`` for a bad X; ValueError if X holds NaN or inf.
        """
        if not self._pass.accepts(X):
            X = self._check_X(X)
        n = X.shape[0]
        out = np.empty((n, self._shape_out), self._dtype)
        scratch = self._scratch.pop(n, None)       # atomic: no other call gets it
        if scratch is None:
            scratch = np.empty(self._pass.scratch_size(n), self._dtype)
        self._pass.run(X, out, scratch)
        self._keep(n, scratch)
        return out

    def _keep(self, n: int, scratch: np.ndarray) -> None:
        if scratch.nbytes > _MAX_KEPT_BYTES:
            return
        with self._lock:
            while len(self._scratch) >= _MAX_KEPT_SIZES:
                self._scratch.pop(next(iter(self._scratch)))
            self._scratch[n] = scratch


def _predictor_of(model: _Model) -> Predictor:
    """model's Predictor, built on first use and again after its parameter
    vector was replaced (restoring a saved or pickled state)."""
    predictor: Optional[Predictor] = model._predictor
    if predictor is None or predictor.params is not model._flat:
        acts = model._acts
        predictor = Predictor(model._flat, model.layer_sizes, model._w_off, model._b_off,
                              [_kernels.SOFTMAX_ID if a.kernel_id is None else a.kernel_id
                               for a in acts], [a.param for a in acts], model._check_X)
        model._predictor = predictor
    return predictor


def fast_forward(model: _Model, X: Any) -> np.ndarray:
    """model's output-layer activations for X through its Predictor (what
    ``Network.forward`` returns; for estimators wrapping a Network).

    Parameters
    ----------
    model : Network
    X : array_like, shape (n_samples, n_inputs)

    Returns
    -------
    numpy.ndarray, shape (n_samples, n_outputs), the network's dtype; new.

    Raises
    ------
    ValueError, TypeError
        As :meth:`Network.forward`.
    """
    return _predictor_of(model)(X)


class _PredictionMixin(_Model):
    """predict, predict_proba, evaluate, score and loss_and_gradients.

    These read the parameters without the network's lock: during a
    :meth:`fit` in another thread they see the weights as the training loop
    is updating them (the parameter buffer is never reallocated, so this is
    memory-safe, but the weights may mix consecutive mini-batch updates).
    """

    def forward(self, X: Any) -> np.ndarray:
        """Output-layer activations.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_inputs)
            Finite real values.

        Returns
        -------
        numpy.ndarray, shape (n_samples, n_outputs), the network's dtype
            A new array on every call.

        Raises
        ------
        ValueError
            If X is not 2-D, has the wrong number of features, or holds
            NaN/inf.
        TypeError
            If X is not real-valued.

        Examples
        --------
        >>> import numpy as np, fastnn
        >>> fastnn.Network([2, 3], "softmax", seed=0).forward(np.zeros((1, 2))).round(3)
        array([[0.333, 0.333, 0.333]], dtype=float32)
        """
        return _predictor_of(self)(X)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities: the softmax or sigmoid outputs.

        Parameters and raises as :meth:`forward`; ValueError for an MSE
        network, which has no probabilities.

        Returns
        -------
        numpy.ndarray, shape (n_samples, n_outputs)

        Examples
        --------
        >>> import numpy as np, fastnn
        >>> net = fastnn.Network([2, 3], "softmax", seed=0)
        >>> float(net.predict_proba(np.zeros((1, 2))).sum())
        1.0
        """
        self._task.check_probabilities()
        return self.forward(X)

    def predict(self, X: Any) -> np.ndarray:
        """Predictions: class indices (cross-entropy), 0/1 labels (binary
        cross-entropy; shape (n_samples,) for one output), or the outputs (MSE).

        Parameters and raises as :meth:`forward`.

        Returns
        -------
        numpy.ndarray

        Examples
        --------
        >>> import numpy as np, fastnn
        >>> fastnn.Network([2, 3], "softmax", seed=0).predict(np.zeros((2, 2))).shape
        (2,)
        """
        return self._task.predict(self.forward(X))

    def evaluate(self, X: Any, y: Any) -> dict[str, float]:
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

        Examples
        --------
        >>> import numpy as np, fastnn
        >>> net = fastnn.Network([2, 2], "softmax", seed=0)
        >>> sorted(net.evaluate(np.zeros((2, 2)), [0, 1]))
        ['accuracy', 'loss']
        """
        X = self._check_X_scored(X)
        targets = self._task.check_targets(y, X.shape[0])
        Z, A = self._forward_last(X)
        return self._task.metrics(Z, A, targets, self._penalty())

    def score(self, X: Any, y: Any) -> float:
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

        Examples
        --------
        >>> import numpy as np, fastnn
        >>> net = fastnn.Network([1, 1], "identity", seed=0)
        >>> net.set_params([(np.ones((1, 1)), np.zeros(1))])
        >>> net.score([[1.0], [2.0]], [1.0, 2.0])
        1.0
        """
        X = self._check_X_scored(X)
        targets = self._task.check_targets(y, X.shape[0])
        return self._task.score(self._forward_last(X)[1], targets)

    def loss_and_gradients(self, X: Any,
                           y: Any) -> tuple[float, list[tuple[np.ndarray, np.ndarray]]]:
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

        Examples
        --------
        >>> import numpy as np, fastnn
        >>> net = fastnn.Network([2, 2], "softmax", seed=0)
        >>> loss, grads = net.loss_and_gradients(np.ones((3, 2)), [0, 1, 1])
        >>> [g.shape for g in grads[0]]
        [(2, 2), (2,)]
        """
        X = self._check_X(X)
        labels, Y = self._task.check_targets(y, X.shape[0])
        if X.shape[0] == 0:
            raise ValueError("X must have at least one row")
        # The gradient buffer is shared with training: one at a time.
        with self._lock:
            trainer = self._make_trainer(X.shape[0])
            loss_sum, _, bad, _ = trainer.run(X, Y, labels,
                                              np.arange(X.shape[0], dtype=np.int64),
                                              check_x=False)       # _check_X tested X
            grads = [(gW.copy(), gb.copy()) for gW, gb in self._views(self._grads)]
        loss = loss_sum / X.shape[0] if bad < 0 else float("nan")
        return loss, grads
