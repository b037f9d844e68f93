"""The benchmark report's header: what the figures were measured on."""
import datetime
import importlib
import os
import platform

import numpy as np

import fastnn
from fastnn import _kernels

# Set on some machines; they slow NumPy's BLAS and ufuncs, so ratios against
# NumPy taken with them set are not the headline figures.
OPENBLAS_WARN_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
THREAD_VARS = ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "OPENBLAS_NUM_THREADS",
               "MKL_NUM_THREADS")
OPTIONAL_PACKAGES = ("scipy", "torch", "sklearn", "threadpoolctl", "tqdm", "matplotlib")


def cpu_model(cpuinfo_path="/proc/cpuinfo"):
    """The CPU's model name from /proc/cpuinfo, else platform's guess.

    Parameters
    ----------
    cpuinfo_path : str
        The file to read (a parameter so tests can feed their own).

    Returns
    -------
    str
    """
    try:
        with open(cpuinfo_path, encoding="utf-8", errors="replace") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() == "model name" and value.strip():
                    return value.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def blas_libraries():
    """BLAS libraries loaded in the process, as threadpoolctl reports them.

    Returns
    -------
    list of dict
        One per library: ``library`` (openblas, mkl, ...), ``version``,
        ``kernel`` (the architecture it selected, e.g. SkylakeX), ``threads``
        and ``path``; empty if threadpoolctl is not installed.
    """
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    return [{"library": info.get("internal_api", "?"),
             "version": info.get("version") or "?",
             "kernel": info.get("architecture") or "?",
             "threads": info.get("num_threads"),
             "path": info.get("filepath", "")}
            for info in threadpool_info() if info.get("user_api") == "blas"]


def openmp_runtimes():
    """OpenMP runtimes loaded in the process (fastnn's, torch's, ...), from threadpoolctl.

    Returns
    -------
    list of dict
        ``library`` (file name), ``version`` and ``threads``; empty without
        threadpoolctl.
    """
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    return [{"library": os.path.basename(info.get("filepath", "?")),
             "version": info.get("version") or "?", "threads": info.get("num_threads")}
            for info in threadpool_info() if info.get("user_api") == "openmp"]


def package_versions():
    """Versions of Python, NumPy, fastnn and the optional packages (None if absent)."""
    versions = {"python": platform.python_version(), "numpy": np.__version__,
                "fastnn": fastnn.__version__}
    for name in OPTIONAL_PACKAGES:
        try:
            versions[name] = getattr(importlib.import_module(name), "__version__", "?")
        except ImportError:
            versions[name] = None
    return versions


def environment_warnings(environ=None, threads=(1,)):
    """Warning lines about the environment the figures are taken in.

    Parameters
    ----------
    environ : mapping, optional
        os.environ by default.
    threads : sequence of int
        The thread counts measured.

    Returns
    -------
    list of str
        One per variable of OPENBLAS_WARN_VARS that is set, and one when more
        than one thread is measured without OMP_WAIT_POLICY=PASSIVE: idle
        OpenMP threads then spin between calls and, with fastnn and torch
        interleaved, take the cores the other side's threads need (torch ran
        10-700x slower here).
    """
    environ = os.environ if environ is None else environ
    lines = [f"WARNING: {var}={environ[var]} is set: NumPy's BLAS and ufuncs run slower, "
             "ratios against NumPy are not headline figures (unset it for this command)"
             for var in OPENBLAS_WARN_VARS if var in environ]
    if max(threads, default=1) > 1 and environ.get("OMP_WAIT_POLICY", "").upper() != "PASSIVE":
        lines.append("WARNING: more than one thread without OMP_WAIT_POLICY=PASSIVE: idle "
                     "OpenMP threads spin between calls and slow the interleaved sides "
                     "down; re-run with OMP_WAIT_POLICY=PASSIVE for multi-thread figures")
    return lines


def machine_header(threads, environ=None):
    """Everything the report says about the machine and the software.

    Parameters
    ----------
    threads : list of int
        The thread counts the run measures.
    environ : mapping, optional
        Environment to inspect; os.environ by default.

    Returns
    -------
    dict
        JSON-serialisable.
    """
    environ = os.environ if environ is None else environ
    compiled, selected = _kernels.simd_info()
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:
        affinity = os.cpu_count()
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "cpu": cpu_model(),
        "logical_cpus": os.cpu_count(),
        "usable_cpus": affinity,
        "platform": platform.platform(),
        "simd_selected": selected,
        "simd_compiled": compiled,
        "openmp": bool(_kernels.openmp_enabled()),
        "fastnn_threads_default": _kernels.get_num_threads(),
        "threads_measured": list(threads),
        "blas": blas_libraries(),
        "openmp_runtimes": openmp_runtimes(),
        "versions": package_versions(),
        "env": {var: environ[var] for var in OPENBLAS_WARN_VARS + THREAD_VARS
                if var in environ},
        "warnings": environment_warnings(environ, threads),
    }


def format_header(header):
    """The header as the lines printed above the tables."""
    versions = ", ".join(f"{k} {v}" for k, v in header["versions"].items() if v)
    lines = [
        f"fastnn benchmark  {header['date']}",
        f"CPU:      {header['cpu']} ({header['usable_cpus']} usable of "
        f"{header['logical_cpus']} logical CPUs)",
        f"SIMD:     {header['simd_selected']} selected; compiled: {header['simd_compiled']}",
    ]
    for blas in header["blas"] or [{"library": "unknown (install threadpoolctl)",
                                    "version": "", "kernel": "", "threads": "", "path": ""}]:
        lines.append(f"BLAS:     {blas['library']} {blas['version']} kernel {blas['kernel']}, "
                     f"{blas['threads']} threads ({os.path.basename(str(blas['path']))})")
    if header.get("openmp_runtimes"):
        lines.append("OpenMP:   " + ", ".join(f"{rt['library']} ({rt['threads']} threads)"
                                              for rt in header["openmp_runtimes"]))
    lines.append(f"Threads:  measured with {','.join(map(str, header['threads_measured']))}; "
                 f"OpenMP {'on' if header['openmp'] else 'off'}, fastnn default "
                 f"{header['fastnn_threads_default']}")
    lines.append(f"Versions: {versions}")
    if header["env"]:
        lines.append("Env:      " + " ".join(f"{k}={v}" for k, v in header["env"].items()))
    lines.extend(header["warnings"])
    return lines
