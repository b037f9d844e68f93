"""What the network's loss makes of it: a regressor or a classifier.

One :class:`Task` object per network, chosen once from the loss by
:func:`task_for`, answers every question that depends on the kind of
problem: which targets ``fit`` accepts, what ``predict`` returns, whether
there are probabilities, which metrics an epoch reports and what ``score``
means (R^2 or accuracy).
"""
from typing import Optional

import numpy as np

from fastnn._validation import all_finite, as_c_native, as_real_array
from fastnn.losses import Loss

__all__ = ["Task", "Regression", "MulticlassClassification", "BinaryClassification",
           "task_for"]

# Checked targets: (class indices or None, float target rows or None).
Targets = tuple[Optional[np.ndarray], Optional[np.ndarray]]


class Task:
    """The loss-dependent behaviour of a network with n_outputs outputs."""
    classification = False

    def __init__(self, loss: Loss, n_outputs: int, dtype: np.dtype,
                 output_activation: str) -> None:
        self.loss = loss
        self.n_outputs = n_outputs
        self.dtype = dtype
        self.output_activation = output_activation

    # ------------------------------------------------------------ targets

    def check_targets(self, y: object, n_samples: int, name: str = "y") -> Targets:
        """(labels, Y) for checked y of n_samples rows: int64 class indices
        (Y None) or float target rows in the network's dtype (labels None).

        Raises
        ------
        TypeError
            If y is not real-valued.
        ValueError
            If the row count, shape or values do not fit the task.
        """
        arr = as_real_array(y, name)
        if arr.ndim == 0 or arr.shape[0] != n_samples:
            raise ValueError(f"{name} has {arr.shape[0] if arr.ndim else 0} rows but X has "
                             f"{n_samples}")
        if arr.dtype.kind == "f" and not all_finite(arr):
            raise ValueError(f"{name} holds NaN or inf")
        return self._targets(arr, n_samples, name)

    def _targets(self, arr: np.ndarray, n_samples: int, name: str) -> Targets:
        return None, self._target_rows(arr, n_samples, name)

    def _target_rows(self, arr: np.ndarray, n_samples: int, name: str) -> np.ndarray:
        n_out = self.n_outputs
        if arr.ndim == 1 and n_out == 1:
            arr = arr.reshape(-1, 1)
        if arr.ndim != 2 or arr.shape[1] != n_out:
            raise ValueError(f"{name} must have shape ({n_samples}, {n_out})"
                             + self._shape_alternative() + f", got {arr.shape}"
                             + self._label_hint(arr))
        return as_c_native(arr, self.dtype)

    def _shape_alternative(self) -> str:
        return " or (n_samples,)" if self.n_outputs == 1 else ""

    def _label_hint(self, arr: np.ndarray) -> str:
        """For 1-D integer-valued y that does not fit: what class labels need."""
        if arr.ndim != 1 or self.n_outputs == 1 or arr.dtype.kind == "f" and not np.all(
                arr == np.round(arr)):
            return ""
        return (f"; integer class labels need a 'softmax' output layer and "
                f"loss='cross_entropy' (this network has a {self.output_activation!r} "
                f"output and loss={self.loss.name!r}), or pass one-hot rows")

    # ------------------------------------------------------------ outputs

    def predict(self, A: np.ndarray) -> np.ndarray:
        """Predictions from the output activations A (n_samples, n_outputs)."""
        return A

    def check_probabilities(self) -> None:
        """Raise ValueError if the outputs are not probabilities."""
        raise ValueError("predict_proba needs a classification loss "
                         f"(cross_entropy, binary_cross_entropy), not {self.loss.name!r}")

    def epoch_metrics(self, loss_sum: float, correct: int, n: int) -> dict[str, float]:
        """The metrics of one training epoch from the compiled loop's sums."""
        return {"loss": loss_sum / n}

    def metrics(self, Z: np.ndarray, A: np.ndarray, targets: Targets,
                penalty: float) -> dict[str, float]:
        """Loss (plus the l2 penalty) and, for classification, accuracy."""
        labels, Y = targets
        loss = self.loss.function(Z if self.loss.from_logits else A,
                                  labels if labels is not None else Y)
        return {"loss": loss + penalty}

    def score(self, A: np.ndarray, targets: Targets) -> float:
        """R^2 ``1 - SS_res / SS_tot`` per output, averaged; a constant
        output scores 1.0 if predicted exactly, else 0.0 (as scikit-learn's
        ``r2_score`` with ``force_finite=True``)."""
        Y = targets[1]
        assert Y is not None
        Yd = Y.astype(np.float64)
        ss_res = np.sum((Yd - A) ** 2, axis=0)
        ss_tot = np.sum((Yd - Yd.mean(axis=0)) ** 2, axis=0)
        constant = ss_tot == 0
        r2 = np.where(constant, np.where(ss_res == 0, 1.0, 0.0),
                      1 - ss_res / np.where(constant, 1.0, ss_tot))
        return float(np.mean(r2))


class Regression(Task):
    """Mean squared error: real targets; ``predict`` returns the outputs."""


class _Classification(Task):
    """Shared by both classifiers: probabilities and accuracy."""
    classification = True

    def check_probabilities(self) -> None:
        return None

    def epoch_metrics(self, loss_sum: float, correct: int, n: int) -> dict[str, float]:
        return {"loss": loss_sum / n, "accuracy": correct / n}

    def metrics(self, Z: np.ndarray, A: np.ndarray, targets: Targets,
                penalty: float) -> dict[str, float]:
        return dict(super().metrics(Z, A, targets, penalty), accuracy=self.score(A, targets))

    def score(self, A: np.ndarray, targets: Targets) -> float:
        """Accuracy: the share of rows predicted right (NaN for no rows)."""
        if len(A) == 0:
            return float("nan")
        return float(np.mean(self._correct(A, targets)))

    def _correct(self, A: np.ndarray, targets: Targets) -> np.ndarray:
        raise NotImplementedError


class MulticlassClassification(_Classification):
    """Cross-entropy over a softmax: class indices or probability rows;
    ``predict`` returns the most probable class."""

    def _targets(self, arr: np.ndarray, n_samples: int, name: str) -> Targets:
        if arr.ndim != 1:
            rows = self._target_rows(arr, n_samples, name)
            if n_samples and rows.min() < 0:
                raise ValueError(f"{name} class probabilities must be non-negative")
            return None, rows
        if arr.dtype.kind == "f" and not np.all(arr == np.round(arr)):
            raise ValueError(f"{name} class labels must be integers")
        if arr.dtype.kind == "b":
            raise TypeError(f"{name} class labels must be integers, got bool")
        n_out = self.n_outputs
        if n_samples and (arr.min() < 0 or arr.max() >= n_out):
            raise ValueError(f"{name} class labels must lie in 0..{n_out - 1} "
                             f"(the {n_out} outputs), got {arr.min()}..{arr.max()}")
        return arr.astype(np.int64), None

    def _shape_alternative(self) -> str:
        return " or (n_samples,)"

    def predict(self, A: np.ndarray) -> np.ndarray:
        return np.asarray(A.argmax(axis=1))

    def _correct(self, A: np.ndarray, targets: Targets) -> np.ndarray:
        labels, Y = targets
        truth = labels if labels is not None else Y.argmax(axis=1)  # type: ignore[union-attr]
        return np.asarray(A.argmax(axis=1) == truth)


class BinaryClassification(_Classification):
    """Binary cross-entropy over sigmoids: 0/1 (or [0, 1]) targets per
    output; ``predict`` returns 0/1 labels (n_samples,) for one output."""

    def _targets(self, arr: np.ndarray, n_samples: int, name: str) -> Targets:
        rows = self._target_rows(arr, n_samples, name)
        if n_samples and (rows.min() < 0 or rows.max() > 1):
            raise ValueError(f"{name} targets of binary cross-entropy must lie in [0, 1]")
        return None, rows

    def predict(self, A: np.ndarray) -> np.ndarray:
        labels = (A > 0.5).astype(np.int64)
        return labels[:, 0] if labels.shape[1] == 1 else labels

    def _correct(self, A: np.ndarray, targets: Targets) -> np.ndarray:
        Y = targets[1]
        assert Y is not None
        return np.asarray(np.all((A > 0.5) == (Y > 0.5), axis=1))


_TASKS: dict[str, type[Task]] = {"mse": Regression, "cross_entropy": MulticlassClassification,
                                 "binary_cross_entropy": BinaryClassification}


def task_for(loss: Loss, n_outputs: int, dtype: np.dtype, output_activation: str) -> Task:
    """The task object of a loss (one class per loss)."""
    return _TASKS[loss.name](loss, n_outputs, dtype, output_activation)
