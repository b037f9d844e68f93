"""Build of fastnn's compiled extension.

Flags: -O3 and OpenMP, no debug info (-g0), and never -march=native or
-ffast-math: the wheel must run on any x86-64 CPU (SIMD paths are chosen at
run time by target_clones, see fastnn/src/fnn_dispatch.h) and -ffast-math
would switch on flush-to-zero for the whole Python process.  A compiler
without OpenMP still builds; the kernels then run on one thread.
"""
import os
import sys
import tempfile

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


def _compiles_with(compiler, flag):
    """True if a trivial OpenMP program compiles and links with `flag`."""
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "omp_check.c")
        with open(src, "w") as f:
            f.write("#include <omp.h>\nint main(void){return omp_get_max_threads() < 1;}\n")
        try:
            objs = compiler.compile([src], output_dir=tmp, extra_postargs=[flag])
            compiler.link_executable(objs, os.path.join(tmp, "omp_check"),
                                     extra_postargs=[flag])
        except Exception:
            return False
    return True


class BuildExt(build_ext):
    def build_extensions(self):
        if self.compiler.compiler_type == "msvc":
            base, omp = ["/O2"], "/openmp"
        else:
            # -fno-trapping-math lets GCC if-convert the kernels' selects into SIMD
            # blends; it changes no result and, unlike -ffast-math, no FPU mode.
            base = ["-O3", "-g0", "-std=gnu11", "-fno-math-errno", "-fno-trapping-math"]
            omp = "-fopenmp"
        have_omp = os.environ.get("FASTNN_NO_OPENMP") != "1" and _compiles_with(self.compiler, omp)
        flags = base + ([omp] if have_omp else [])
        for ext in self.extensions:
            ext.extra_compile_args = flags
            ext.extra_link_args = [omp] if have_omp and self.compiler.compiler_type != "msvc" else []
            # Recorded in the binary for fastnn.show_config(): what was really used.
            ext.define_macros.append(("FNN_BUILD_FLAGS", '"' + " ".join(flags) + '"'))
        print(f"fastnn: OpenMP {'enabled' if have_omp else 'not available: single-threaded kernels'}",
              file=sys.stderr)
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
