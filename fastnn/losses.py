"""Loss functions of the network, as PyTorch defines them (mean reduction).

These NumPy versions compute in float64 and serve evaluation and tests; the
training loop computes the same losses (and the fused output gradients) in
compiled code (the Trainer in fastnn/_trainer.pyx, over the loss ids of
fastnn/src/fnn_train.h).

- ``mse``: mean over all elements of ``(a - y)**2`` (``torch.nn.MSELoss``);
- ``binary_cross_entropy``: from the sigmoid layer's pre-activation ``z``,
  ``mean(max(z, 0) - z*y + log1p(exp(-|z|)))`` (``BCEWithLogitsLoss``);
- ``cross_entropy``: from the softmax layer's pre-activation, mean over
  samples of ``-sum(y * log_softmax(z))``, with ``y`` class indices or one-hot
  / probability rows (``torch.nn.CrossEntropyLoss``).
"""
from dataclasses import dataclass
from typing import Any, Callable, Optional

import numpy as np

from fastnn._validation import check_choice

__all__ = ["Loss", "LOSSES", "get_loss", "mse", "binary_cross_entropy", "cross_entropy"]


def mse(output: Any, target: Any) -> float:
    """Mean squared error over all elements.

    Parameters
    ----------
    output, target : array_like, same shape
        Network output ``A`` and target values.

    Returns
    -------
    float
        ``mean((output - target)**2)``, computed in float64.
    """
    diff = np.asarray(output, np.float64) - np.asarray(target, np.float64)
    return float(np.mean(diff * diff))


def binary_cross_entropy(logits: Any, target: Any) -> float:
    """Binary cross-entropy of a sigmoid output, from its pre-activation.

    Parameters
    ----------
    logits : array_like
        Pre-activation ``z`` of the sigmoid output layer.
    target : array_like, same shape
        Targets in [0, 1].

    Returns
    -------
    float
        ``mean(max(z, 0) - z*y + log1p(exp(-|z|)))``: finite for any finite
        ``z``, unlike ``-log(sigmoid(z))``.
    """
    z = np.asarray(logits, np.float64)
    y = np.asarray(target, np.float64)
    return float(np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))))


def cross_entropy(logits: Any, target: Any) -> float:
    """Cross-entropy of a softmax output, from its pre-activation.

    Parameters
    ----------
    logits : array_like, shape (n_samples, n_classes)
        Pre-activation of the softmax output layer.
    target : array_like
        Class indices, shape (n_samples,), or one-hot / probability rows,
        shape (n_samples, n_classes).

    Returns
    -------
    float
        Mean over samples of ``-sum(y * log_softmax(z))``.
    """
    z = np.asarray(logits, np.float64)
    shifted = z - z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    t = np.asarray(target)
    if t.ndim == 1:
        return float(-np.mean(log_p[np.arange(len(t)), t.astype(np.intp)]))
    return float(-np.mean(np.sum(t.astype(np.float64) * log_p, axis=1)))


@dataclass(frozen=True)
class Loss:
    """A loss as the network sees it.

    Attributes
    ----------
    name : str
    function : callable
        ``function(x, target)`` with x the output (``from_logits`` False) or
        the output layer's pre-activation (True).
    from_logits : bool
    output_activation : str or None
        The output activation the loss requires (None: any).
    classification : bool
        Whether accuracy is a meaningful metric.
    """
    name: str
    function: Callable[[Any, Any], float]
    from_logits: bool
    output_activation: Optional[str]
    classification: bool


LOSSES: dict[str, Loss] = {
    "mse": Loss("mse", mse, False, None, False),
    "binary_cross_entropy": Loss("binary_cross_entropy", binary_cross_entropy, True,
                                 "sigmoid", True),
    "cross_entropy": Loss("cross_entropy", cross_entropy, True, "softmax", True),
}


def get_loss(name: str, output_activation: Optional[str] = None) -> Loss:
    """Look up a loss by name, checking that it fits the output activation.

    Parameters
    ----------
    name : str
        "mse", "binary_cross_entropy" or "cross_entropy".
    output_activation : str, optional
        Name of the network's output activation, to check.

    Returns
    -------
    Loss

    Raises
    ------
    ValueError
        If the name is unknown, or the loss requires another output
        activation (binary cross-entropy needs sigmoid, cross-entropy
        softmax).
    TypeError
        If ``name`` is not a string.
    """
    loss = LOSSES[check_choice(name, "loss", LOSSES)]
    if (output_activation is not None and loss.output_activation is not None
            and output_activation != loss.output_activation):
        raise ValueError(f"loss {name!r} needs a {loss.output_activation!r} output layer, "
                         f"got {output_activation!r}")
    return loss
