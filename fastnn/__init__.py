"""fastnn: small, fast neural networks on the CPU."""
from fastnn._version import __version__
from fastnn._kernels import get_num_threads, set_num_threads
