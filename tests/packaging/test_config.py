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


# ---------------------------------------------------------------- SIMD override

import json
import os
import subprocess
import sys

import pytest

from fastnn import _kernels

_PROBE = r"""
import json, sys, numpy as np, fastnn
from fastnn import _config, _dense, _kernels, _trainer
x64 = np.linspace(-30, 30, 20011).astype(np.float32).astype(np.float64)  # exact in float32
out = {"config": _config.config(), "capability": _kernels.selected_cpu_capability(),
       "modules": [_dense.simd_selected(), _trainer.simd_selected()], "acts": {}}
for name, act in fastnn.ACTIVATIONS.items():
    if act.derivative is None:
        continue
    out["acts"][name] = [act.forward(x64.astype(np.float32)).tolist(),
                         act.forward(x64).tolist(),
                         act.derivative(x64.astype(np.float32)).tolist()]
rng = np.random.default_rng(0)
X = rng.standard_normal((256, 8)); y = rng.integers(0, 3, 256)
net = fastnn.Network([8, 16, 3], ["relu", "softmax"], loss="cross_entropy", seed=0)
net.fit(X, y, epochs=2, batch_size=32)
out["net_flat"] = net._flat.tolist()
json.dump(out, sys.stdout)
"""


def _probe(capability):
    env = dict(os.environ)
    env.pop("FASTNN_CPU_CAPABILITY", None)
    if capability is not None:
        env["FASTNN_CPU_CAPABILITY"] = capability
    run = subprocess.run([sys.executable, "-W", "error::RuntimeWarning", "-c", _PROBE],
                         env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


@pytest.fixture(scope="module")
def default_probe():
    return _probe(None)


def _ulps32(got, ref):
    got = np.asarray(got, np.float32).astype(np.float64)
    ref = np.asarray(ref, np.float64)
    spacing = np.spacing(np.abs(ref).astype(np.float32)).astype(np.float64)
    spacing = np.maximum(spacing, np.finfo(np.float32).smallest_subnormal)
    return np.abs(got - ref) / spacing


@pytest.mark.parametrize("capability", _kernels.available_cpu_capabilities())
def test_forced_capability_runs_and_agrees(capability, default_probe):
    probe = _probe(capability)
    assert probe["capability"] == capability
    selected = probe["config"]["simd target selected"]
    assert probe["modules"] == [selected, selected]      # one level in every module
    assert "honoured" in probe["config"]["simd override"]
    assert selected.startswith({"baseline": "baseline", "avx2": "x86-64-v3",
                                "avx512": "x86-64-v4"}[capability]) \
        or selected.startswith("portable")
    # Against the float64 results of the default level: the accuracy tests'
    # 4 ULP in float32 (8 for the exact GELU), and 1e-13 relative in float64.
    for name, (f32, f64, d32) in probe["acts"].items():
        ref64 = np.asarray(default_probe["acts"][name][1])
        bound = 8 if name == "gelu" else 4
        assert _ulps32(f32, ref64).max() <= bound, name
        np.testing.assert_allclose(f64, ref64, rtol=1e-13, atol=1e-300, err_msg=name)
        np.testing.assert_allclose(d32, default_probe["acts"][name][2], rtol=1e-5,
                                   atol=1e-6, err_msg=name)
    # Two float32 epochs: rounding differences between levels stay ~1e-7.
    np.testing.assert_allclose(probe["net_flat"], default_probe["net_flat"], rtol=1e-4,
                               atol=1e-5)


def test_unrunnable_or_unknown_capability_falls_back_with_a_warning():
    best = _kernels.available_cpu_capabilities()[-1]
    requests = ["no-such-level"]
    if best != "avx512":
        requests.append("avx512")
    for request in requests:
        env = dict(os.environ, FASTNN_CPU_CAPABILITY=request)
        run = subprocess.run([sys.executable, "-c",
                              "import fastnn; from fastnn import _kernels, _config;"
                              "print(_kernels.selected_cpu_capability());"
                              "print(_config.config()['simd override'])"],
                             env=env, capture_output=True, text=True, timeout=60)
        assert run.returncode == 0, run.stderr
        assert "RuntimeWarning" in run.stderr and "FASTNN_CPU_CAPABILITY" in run.stderr
        chosen, override = run.stdout.splitlines()
        assert chosen == best
        assert "not runnable here" in override


def test_show_config_reads_the_dispatcher():
    assert _config.config()["simd target selected"] == _kernels.simd_info()[1]
    assert _kernels.selected_cpu_capability() in _kernels.available_cpu_capabilities()
