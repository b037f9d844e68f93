"""Build and run-time facts for bug reports: fastnn.show_config()."""
import os
import platform
import sys

import numpy as np

from fastnn import _kernels
from fastnn._version import __version__


def config():
    """The facts :func:`show_config` prints, as a dict of strings."""
    compiled, selected = _kernels.simd_info()
    compiler, flags = _kernels.build_info()
    return {
        "fastnn": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "compiler": compiler,
        "compiler flags": flags,
        "simd targets compiled": compiled,
        "simd target selected": selected,
        "simd override": _override(),
        "openmp": "enabled" if _kernels.openmp_enabled() else "disabled",
        "openmp threads": str(_kernels.get_num_threads()),
        "numpy": np.__version__,
    }


def _override():
    """What FASTNN_CPU_CAPABILITY asked for and what the dispatcher did."""
    request = os.environ.get(_kernels.CPU_CAPABILITY_ENV)
    if not request:
        return f"none ({_kernels.CPU_CAPABILITY_ENV} not set: the CPU's best)"
    chosen = _kernels.selected_cpu_capability()
    verdict = "honoured" if chosen == request else f"not runnable here, running {chosen}"
    return f"{_kernels.CPU_CAPABILITY_ENV}={request} ({verdict})"


def show_config(file=None):
    """Print what a bug report needs: versions, compiler and flags, SIMD
    targets compiled and the one selected at run time, OpenMP threads.

    Parameters
    ----------
    file : file-like, optional
        Where to print; standard output by default.
    """
    for key, value in config().items():
        print(f"{key:>22}: {value}", file=file or sys.stdout)


# ``python -m fastnn config`` (see fastnn.__main__ for the command protocol).
DESCRIPTION = ("Print fastnn's build and run-time configuration (versions, compiler "
               "and flags, SIMD targets, OpenMP threads), as a bug report needs it.")


def add_arguments(parser):
    """``config`` takes no options besides --help."""


def run(args):
    """Print :func:`show_config`; returns exit status 0."""
    show_config()
    return 0
