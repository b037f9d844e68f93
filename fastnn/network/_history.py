"""The per-epoch record that Network.fit returns."""
from typing import Optional

__all__ = ["History"]


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

    Examples
    --------
    >>> import numpy as np, fastnn
    >>> X, y = fastnn.datasets.make_spirals(60, seed=0)
    >>> hist = fastnn.Network([2, 8, 2], ["tanh", "softmax"], seed=0).fit(X, y, epochs=2)
    >>> hist.epoch, sorted(hist.history)
    ([1, 2], ['accuracy', 'loss'])
    """

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []
        self.seconds: list[float] = []
        self.stopped_epoch: Optional[int] = None
        self.best_epoch: Optional[int] = None

    def _append(self, epoch: int, seconds: float, metrics: dict[str, float]) -> None:
        self.epoch.append(epoch)
        self.seconds.append(seconds)
        for key, value in metrics.items():
            self.history.setdefault(key, []).append(value)

    def __getitem__(self, key: str) -> list[float]:
        return self.history[key]

    def __repr__(self) -> str:
        return f"History(epochs={len(self.epoch)}, keys={list(self.history)})"
