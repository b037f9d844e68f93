"""fastnn.bench.machine: the report's header says what the figures were measured on."""
import json

import numpy as np
import pytest

import fastnn
from fastnn.bench import machine


def test_header_says_what_was_measured_on():
    header = machine.machine_header([1], environ={})
    compiled, selected = fastnn._kernels.simd_info()
    assert header["simd_selected"] == selected and header["simd_compiled"] == compiled
    assert header["threads_measured"] == [1]
    assert header["versions"]["numpy"] == np.__version__
    assert header["versions"]["fastnn"] == fastnn.__version__
    assert header["cpu"] and header["warnings"] == []
    json.dumps(header)                                   # JSON-serialisable
    lines = machine.format_header(header)
    assert any(line.startswith("CPU:") for line in lines)
    assert any(selected in line for line in lines)
    assert any(line.startswith("BLAS:") for line in lines)


def test_header_lists_blas_from_threadpoolctl():
    pytest.importorskip("threadpoolctl")
    blas = machine.blas_libraries()
    assert blas, "NumPy's BLAS should be loaded"
    assert {"library", "version", "kernel", "threads", "path"} <= set(blas[0])


def test_openblas_variables_give_a_warning_line():
    env = {"OPENBLAS_CORETYPE": "Haswell", "OPENBLAS_L2_SIZE": "1048576"}
    warnings = machine.environment_warnings(env)
    assert len(warnings) == 2
    assert "OPENBLAS_CORETYPE=Haswell" in warnings[0] and "OPENBLAS_L2_SIZE" in warnings[1]
    header = machine.machine_header([1], environ=env)
    assert header["env"]["OPENBLAS_CORETYPE"] == "Haswell"
    assert warnings[0] in machine.format_header(header)
    assert machine.environment_warnings({"OMP_NUM_THREADS": "1"}) == []


def test_several_threads_without_passive_openmp_give_a_warning_line():
    assert machine.environment_warnings({}, threads=[1]) == []
    (line,) = machine.environment_warnings({}, threads=[1, 2])
    assert "OMP_WAIT_POLICY=PASSIVE" in line
    assert machine.environment_warnings({"OMP_WAIT_POLICY": "passive"}, threads=[2]) == []
    header = machine.machine_header([1, 2], environ={"OMP_WAIT_POLICY": "PASSIVE"})
    assert header["warnings"] == [] and header["env"]["OMP_WAIT_POLICY"] == "PASSIVE"


def test_cpu_model_is_read_from_cpuinfo(tmp_path):
    path = tmp_path / "cpuinfo"
    path.write_text("processor\t: 0\nvendor_id\t: GenuineIntel\n"
                    "model name\t: Example CPU @ 3.00GHz\n")
    assert machine.cpu_model(str(path)) == "Example CPU @ 3.00GHz"
    assert machine.cpu_model(str(tmp_path / "missing"))       # falls back, never empty
