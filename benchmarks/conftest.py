"""pytest configuration of the benchmark suites (``pytest benchmarks --benchmark-only``).

- Collects ``bench_*.py`` files (the project's tests/ keep the usual test_*.py).
- Pins fastnn's OpenMP threads, the BLAS libraries (threadpoolctl) and torch to
  ``--bench-threads`` (default 1) for the session, as the report does
  (:func:`fastnn.bench.threads.pin_threads`).
- Warns when OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are set: they slow NumPy.
"""
import os
import warnings

import pytest

import fastnn
from fastnn.bench import baselines
from fastnn.bench.machine import environment_warnings
from fastnn.bench.threads import pin_threads


def pytest_addoption(parser):
    parser.addoption("--bench-threads", type=int, default=1,
                     help="threads for fastnn, BLAS and torch in the benchmarks (default 1)")


def pytest_collect_file(file_path, parent):
    # A file named on the command line is collected by pytest itself already:
    # collecting it here too would run every benchmark twice.
    if parent.session.isinitpath(file_path):
        return None
    if file_path.suffix == ".py" and file_path.name.startswith("bench_"):
        return pytest.Module.from_parent(parent, path=file_path)
    return None


def pytest_report_header(config):
    compiled, selected = fastnn._kernels.simd_info()
    lines = [f"fastnn {fastnn.__version__}, SIMD {selected}, "
             f"threads {config.getoption('--bench-threads')}"]
    return lines + environment_warnings(os.environ)


@pytest.fixture(scope="session", autouse=True)
def bench_threads(request):
    """Every library at the same thread count for the whole session."""
    threads = request.config.getoption("--bench-threads")
    with pin_threads(threads, baselines.load(["torch"]).get("torch")) as blas_pinned:
        if not blas_pinned:
            warnings.warn("threadpoolctl is not installed: BLAS threads are not pinned")
        yield threads
