"""What a network answers about data: predictions, probabilities, metrics,
scores, and the loss with its gradients.  The loss-dependent parts are the
network's task object (fastnn/network/_tasks.py)."""
from typing import Any

import numpy as np

from fastnn.network._model import _Model

__all__: list[str] = []


class _PredictionMixin(_Model):
    """predict, predict_proba, evaluate, score and loss_and_gradients.

    These read the parameters without the network's lock: during a
    :meth:`fit` in another thread they see the weights as the training loop
    is updating them (the parameter buffer is never reallocated, so this is
    memory-safe, but the weights may mix consecutive mini-batch updates).
    """

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
                                              np.arange(X.shape[0], dtype=np.int64))
            grads = [(gW.copy(), gb.copy()) for gW, gb in self._views(self._grads)]
        loss = loss_sum / X.shape[0] if bad < 0 else float("nan")
        return loss, grads
