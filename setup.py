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
from setuptools.modified import newer_group

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
        self._compile_shared_sources()
        super().build_extensions()

    def _compile_shared_sources(self):
        """Compile once the C files that several extensions link (they all
        get the same flags), and link each extension with their objects
        instead: each .so still holds its own copy, built a third as often."""
        shared = sorted({s for ext in self.extensions for s in ext.sources
                         if s.startswith("fastnn/src/") and s.endswith(".c")})
        first = self.extensions[0]
        objects = self.compiler.object_filenames(shared, output_dir=self.build_temp)
        stale = [src for src, obj in zip(shared, objects)
                 if self.force or newer_group([src] + first.depends, obj)]
        if stale:
            self.compiler.compile(stale, output_dir=self.build_temp,
                                  macros=first.define_macros, include_dirs=first.include_dirs,
                                  extra_postargs=first.extra_compile_args, debug=self.debug)
        object_of = dict(zip(shared, objects))
        for ext in self.extensions:
            ext.extra_objects = list(ext.extra_objects) + [object_of[s] for s in ext.sources
                                                           if s in object_of]
            ext.sources = [s for s in ext.sources if s not in object_of]


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
    _extension("_dense", ["fnn_kernels.c", "fnn_train.c", "fnn_pool.c", "fnn_parallel.c"]),
    _extension("_trainer", ["fnn_kernels.c", "fnn_train.c", "fnn_pool.c", "fnn_parallel.c"]),
]

setup(
    ext_modules=cythonize(extensions, compiler_directives={"language_level": "3"}),
    cmdclass={"build_ext": BuildExt},
)
