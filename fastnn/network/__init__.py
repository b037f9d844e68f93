"""The multi-layer perceptron: a thin Python layer over the compiled loops.

:class:`Network` keeps the public surface; its concerns live in the
modules of this package: the model (``_model``), predictions
(``_prediction``), the training loop (``_training``), persistence
(``_persistence``), the loss-dependent task objects (``_tasks``) and the
training record (``_history``)."""
from fastnn.network._history import History
from fastnn.network._network import Network

# Pickles name a class by its module: the public one, so that a pickle does
# not depend on which private module defines the class.
Network.__module__ = __name__
History.__module__ = __name__

__all__ = ["Network", "History"]
