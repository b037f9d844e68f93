"""fastnn: small, fast neural networks on the CPU.

Compiled SIMD kernels for activations and their gradients
(:mod:`fastnn.activations`), built for float32 and float64; the fused dense
layer (:func:`dense_forward`, :func:`dense_backward`) and the multi-layer
perceptron :class:`Network`, trained an epoch at a time in compiled code.
"""
from fastnn._version import __version__
from fastnn._openmp_wait import short_spin_while_loading

with short_spin_while_loading():   # libgomp loads with the first compiled module
    from fastnn._kernels import get_num_threads, set_num_threads
from fastnn.activations import *  # noqa: F401,F403  (the public kernel API)
from fastnn.activations import __all__ as _activation_names
from fastnn._config import show_config
from fastnn.dense import dense_forward, dense_backward
from fastnn.losses import get_loss, LOSSES
from fastnn.optimizers import SGD, Adam, Optimizer, get_optimizer
from fastnn.network import Network, History
from fastnn import datasets

__all__ = ["__version__", "get_num_threads", "set_num_threads", "show_config",
           *_activation_names, "dense_forward", "dense_backward", "get_loss", "LOSSES",
           "SGD", "Adam", "Optimizer", "get_optimizer", "Network", "History", "datasets"]


# The scikit-learn estimators load on first use, so that `import fastnn`
# never imports scikit-learn (an optional extra).
_ESTIMATORS = ("MLPClassifier", "MLPRegressor")


def __getattr__(name):
    if name in _ESTIMATORS:
        from fastnn import estimators
        return getattr(estimators, name)
    raise AttributeError(f"module 'fastnn' has no attribute {name!r}")
