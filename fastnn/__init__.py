"""fastnn: small, fast neural networks on the CPU.

Compiled SIMD kernels for activations and their gradients
(:mod:`fastnn.activations`), built for float32 and float64.
"""
from fastnn._version import __version__
from fastnn._kernels import get_num_threads, set_num_threads
from fastnn.activations import *  # noqa: F401,F403  (the public kernel API)
from fastnn.activations import __all__ as _activation_names
from fastnn._config import show_config

__all__ = ["__version__", "get_num_threads", "set_num_threads", "show_config",
           *_activation_names]
