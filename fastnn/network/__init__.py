"""The multi-layer perceptron: a thin Python layer over the compiled loops.

:class:`Network` keeps the public surface; its concerns live in the
modules of this package (model, predictions, training loop, persistence,
tasks, history)."""
from fastnn.network._history import History
from fastnn.network._network import Network

__all__ = ["Network", "History"]
