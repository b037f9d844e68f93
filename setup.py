"""Build of fastnn's compiled extensions.

BuildExt gives every extension fastnn's flags (-O3, OpenMP, -g0; never
-march=native or -ffast-math) followed by the user's CPPFLAGS, CFLAGS and
LDFLAGS, which therefore win.  Without OpenMP the build still succeeds, with a
loud warning (FASTNN_REQUIRE_OPENMP=1 makes it an error).  The rules, and why,
are in tools/_buildflags.py.
"""
import os
import sys

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "tools"))
import _buildflags  # noqa: E402  (found through the line above)


class BuildExt(build_ext):
    """build_ext that gives every extension fastnn's flags, then the user's."""

    def build_extensions(self):
        try:
            have_omp, why_not = _buildflags.configure_extensions(
                self.compiler, self.extensions, os.environ)
        except _buildflags.OpenMPUnavailable as exc:
            sys.exit(f"fastnn: error: {exc}")
        if have_omp:
            print("fastnn: OpenMP enabled", file=sys.stderr)
        else:
            print(_buildflags.fallback_warning(why_not), file=sys.stderr)
        super().build_extensions()


def _extension(name, c_sources):
    """fastnn.<name> from fastnn/<name>.pyx and the C sources it calls."""
    return Extension(
        f"fastnn.{name}",
        sources=[f"fastnn/{name}.pyx"] + [f"fastnn/src/{c}" for c in c_sources],
        include_dirs=[np.get_include(), "fastnn/src"],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        depends=[os.path.join("fastnn/src", f) for f in os.listdir("fastnn/src")]
        + [os.path.join("fastnn", f) for f in os.listdir("fastnn") if f.endswith(".pxd")],
    )


# The elementwise kernels, the dense layer and the training loop; each links
# the C translation units it calls (fastnn/_fnn.pxd declares them).
extensions = [
    _extension("_kernels", ["fnn_kernels.c"]),
    _extension("_dense", ["fnn_kernels.c", "fnn_train.c"]),
    _extension("_trainer", ["fnn_kernels.c", "fnn_train.c"]),
]

setup(
    ext_modules=cythonize(extensions, compiler_directives={"language_level": "3"}),
    cmdclass={"build_ext": BuildExt},
)
