"""show_config() reports the real build, and the build keeps the process's
floating-point mode (no -ffast-math, which would set flush-to-zero)."""
import io

import numpy as np

import fastnn
from fastnn import _config


def test_show_config_prints_the_build_facts():
    buf = io.StringIO()
    fastnn.show_config(file=buf)
    text = buf.getvalue()
    for key in ("fastnn", "compiler flags", "simd targets compiled", "simd target selected",
                "openmp threads", "numpy"):
        assert key in text
    assert fastnn.__version__ in text


def test_build_flags_are_portable():
    flags = _config.config()["compiler flags"].split()
    assert "-ffast-math" not in flags
    assert not any(flag.startswith("-march=") for flag in flags)
    assert "-O3" in flags or "/O2" in flags


def test_subnormals_survive_import_and_kernels():
    tiny = np.array([np.finfo(np.float32).smallest_subnormal], dtype=np.float32)
    fastnn.relu(tiny)
    fastnn.sigmoid(np.zeros(10, np.float32))
    assert (tiny * np.float32(1.0))[0] > 0         # flush-to-zero would give 0
    assert fastnn.identity(tiny)[0] > 0
