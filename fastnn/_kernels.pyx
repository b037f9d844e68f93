# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False, embedsignature=True
"""Compiled kernels of fastnn.

Only kernels live here: the elementwise activations (C, fnn_kernels.c) with
their array handling.  The dense layer (fastnn._dense) and the training loop
(fastnn._trainer) are their own modules, re-exported at the end.  The public,
documented face of these functions is :mod:`fastnn.activations`; nothing in
this module is meant to be called with unchecked arguments except through it.

How an elementwise call runs
----------------------------
1. ``_as_real_array`` turns the argument into a float32/float64 ndarray
   (bool/int -> float64, float16 -> float32, as NumPy ufuncs do) or raises.
2. ``_check_out`` validates ``out`` (type, dtype, shape, writeable) before
   anything is written.
3. If input(s) and output share one memory order (both C- or both
   F-contiguous) and do not partially overlap, the C loop runs on the flat
   buffers directly, split across OpenMP threads above ``PARALLEL_MIN``
   elements.  Otherwise the input is copied to a contiguous buffer, the
   kernel runs there and the result is copied into ``out``.
"""
cimport numpy as cnp
from cython.parallel cimport prange
import os

import numpy as np

cnp.import_array()

from fastnn._fnn cimport *


def activation_table():
    """The C list of activations (fnn_activation_list.h), in id order.

    Returns
    -------
    list of tuple (name, id, saves, default_init)
        ``saves`` is "input" or "output" (what the backward reads),
        ``default_init`` the weight init a network uses before it.
    """
    cdef const char *name
    cdef const char *saves
    cdef const char *init
    table = []
    for i in range(FNN_N_ACTIVATIONS):
        fnn_activation_info(i, &name, &saves, &init)
        table.append((name.decode(), i, saves.decode(), init.decode()))
    return table


# Name -> id of the C kernels, from the list itself.
ACTIVATION_IDS = {name: i for name, i, _, _ in activation_table()}

# The Cython enum (_kernels.pxd) must name the same ids as the C list: a
# mismatch would send a name to another activation's kernel.
if {m.name: int(m) for m in fnn_activation} != {
        "FNN_" + name.upper(): i for name, i in ACTIVATION_IDS.items()}:
    raise ImportError("fastnn/_kernels.pxd's fnn_activation disagrees with "
                      "fastnn/src/fnn_activation_list.h")

# Below this many elements a second thread costs more than it saves.  Waking
# the OpenMP team costs about 1 us here; measured break-even (float32, 2 cores):
# relu ~32k elements, sigmoid ~8k, gelu ~4k.  One threshold for all kernels,
# set at the cheapest kernel's break-even, never makes a call slower.
cdef Py_ssize_t PARALLEL_MIN = 1 << 15


# ---------------------------------------------------------------- SIMD level

# Read once, at load: FASTNN_CPU_CAPABILITY=baseline|avx2|avx512 forces that
# level of the kernel loops (as PyTorch's ATEN_CPU_CAPABILITY does), so that
# each can be tested on one machine.  A level the CPU cannot run, or an
# unknown name, falls back to the best level the CPU runs, with a warning.
CPU_CAPABILITY_ENV = "FASTNN_CPU_CAPABILITY"


def _apply_cpu_capability():
    import warnings
    request = os.environ.get(CPU_CAPABILITY_ENV)
    status = _select_isa(request)
    if status == FNN_ISA_UNKNOWN:
        warnings.warn(f"{CPU_CAPABILITY_ENV}={request!r} is not one of 'baseline', "
                      f"'avx2', 'avx512'; using {fnn_simd_selected_name().decode()}",
                      RuntimeWarning, stacklevel=2)
    elif status == FNN_ISA_UNSUPPORTED:
        warnings.warn(f"{CPU_CAPABILITY_ENV}={request!r}: this CPU (or build) cannot run "
                      f"it; using {fnn_simd_selected_name().decode()}",
                      RuntimeWarning, stacklevel=2)


_apply_cpu_capability()

# FASTNN_CPU_CAPABILITY's values, by level (fnn_dispatch.h's order).
_CPU_CAPABILITIES = ("baseline", "avx2", "avx512")


def available_cpu_capabilities():
    """The FASTNN_CPU_CAPABILITY values this CPU and build can run, lowest
    first (only "baseline" where the build has no run-time dispatch)."""
    return list(_CPU_CAPABILITIES[:fnn_isa_best() + 1])


def selected_cpu_capability():
    """The FASTNN_CPU_CAPABILITY value of the level the kernels run."""
    return _CPU_CAPABILITIES[fnn_isa_level()]


# ---------------------------------------------------------------- threads

# Set by set_num_threads for every Python thread (OpenMP's own setting is per
# thread); 0 means follow OpenMP's default.  threadpoolctl, which lowers
# OpenMP's setting in the calling thread, can only lower the count further.
cdef int _requested_threads = 0


cdef inline int _num_threads() noexcept nogil:
    cdef int available = fnn_omp_max_threads()
    if 0 < _requested_threads < available:
        return _requested_threads
    return available


# True in a process made by fork() from one that had loaded this module.
cdef bint _forked_child = False


def _after_fork_in_child():
    """GNU OpenMP's thread pool does not survive fork(): a forked child that
    entered a parallel region the parent had used would hang.  The child
    therefore runs the kernels on one thread, and set_num_threads refuses
    more (spawn-started processes are unaffected)."""
    global _requested_threads, _forked_child
    _requested_threads = 1
    _forked_child = True
    fnn_omp_set_threads(1)


def _available_cpus():
    """CPUs this process may run on: its affinity mask where the OS has one
    (Linux; a container's or taskset's limit), else os.cpu_count()."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


if hasattr(os, "register_at_fork"):      # POSIX only; Windows has no fork()
    os.register_at_fork(after_in_child=_after_fork_in_child)


def get_num_threads():
    """Number of OpenMP threads the kernels use (1 without OpenMP)."""
    return _num_threads()


def set_num_threads(n):
    """Set the number of OpenMP threads the kernels use (n >= 1).

    A count above the CPUs this process may run on (its affinity mask, else
    os.cpu_count()) is capped to that number: more threads than CPUs only
    cost, and thousands would make the OpenMP runtime fail to create them or
    overflow its stack.

    Raises TypeError unless n is an integer (a float such as 1.5 would
    otherwise be truncated silently), ValueError if n < 1, RuntimeError for
    n > 1 in a process forked from one that had loaded fastnn (GNU OpenMP's
    threads do not survive fork(): the kernels would deadlock; start such
    workers with the "spawn" or "forkserver" method instead)."""
    if isinstance(n, bool) or not hasattr(n, "__index__"):
        raise TypeError(f"n must be an integer, got {type(n).__name__}")
    n = n.__index__()
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    if _forked_child and n > 1:
        raise RuntimeError(
            f"cannot use {n} threads in a process started by fork(): OpenMP's thread "
            f"pool does not survive fork() and the kernels would deadlock; this process "
            f"keeps 1 thread (use multiprocessing's 'spawn' or 'forkserver' start method "
            f"for parallel workers)")
    global _requested_threads
    _requested_threads = min(n, _available_cpus())
    fnn_omp_set_threads(_requested_threads)


def openmp_enabled():
    """True when the extension was compiled with OpenMP."""
    return bool(fnn_omp_enabled())


def build_info():
    """(compiler, compiler flags) this extension was built with."""
    return (fnn_compiler().decode(), fnn_build_flags().decode())


def simd_info():
    """(targets compiled, target selected at run time) of the kernel loops,
    as the dispatcher reports them (after FASTNN_CPU_CAPABILITY)."""
    return (fnn_simd_compiled_names().decode(), fnn_simd_selected_name().decode())


# ---------------------------------------------------------------- validation

cdef object _as_real_array(object x, str name):
    """x as a float32/float64 ndarray (a view when it already is one)."""
    cdef int typenum
    if cnp.PyArray_CheckExact(x):
        typenum = cnp.PyArray_TYPE(<cnp.ndarray>x)
        if (typenum == cnp.NPY_FLOAT32 or typenum == cnp.NPY_FLOAT64) and _native(<cnp.ndarray>x):
            return x
    try:
        arr = np.asarray(x)
    except (ValueError, TypeError) as exc:
        raise TypeError(f"{name} must be array-like of real numbers: {exc}") from None
    kind = arr.dtype.kind
    if kind in "biu":
        return arr.astype(np.float64)
    if kind == "f":
        if arr.dtype.itemsize == 2:
            return arr.astype(np.float32)
        if arr.dtype.itemsize in (4, 8):
            # The C loops read native, aligned floats only.
            return arr if _native(arr) else arr.astype(arr.dtype.newbyteorder("="), order="K")
    raise TypeError(
        f"{name} must hold real numbers (bool, integer, float16/32/64), "
        f"got dtype {arr.dtype}")


cdef inline bint _native(cnp.ndarray a):
    """Aligned and in the machine's byte order: what the C loops can read."""
    return cnp.PyArray_ISALIGNED(a) and cnp.PyArray_ISNOTSWAPPED(a)


cdef bint _same_shape(cnp.ndarray a, cnp.ndarray b):
    cdef int i, ndim = cnp.PyArray_NDIM(a)
    if ndim != cnp.PyArray_NDIM(b):
        return False
    for i in range(ndim):
        if cnp.PyArray_DIMS(a)[i] != cnp.PyArray_DIMS(b)[i]:
            return False
    return True


cdef object _check_out(object out, cnp.ndarray like, str name):
    """Raise unless out can receive a result shaped and typed like `like`."""
    if not cnp.PyArray_Check(out):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(out).__name__}")
    cdef cnp.ndarray o = <cnp.ndarray>out
    if cnp.PyArray_TYPE(o) != cnp.PyArray_TYPE(like):
        raise TypeError(f"{name} must have dtype {like.dtype} (the result's), got {o.dtype}")
    if not _same_shape(o, like):
        raise ValueError(f"{name} must have shape {(<object>like).shape}, got {out.shape}")
    if not cnp.PyArray_ISWRITEABLE(o):
        raise ValueError(f"{name} is read-only")
    return o


cdef inline int _order(cnp.ndarray a):
    """1 for C-contiguous, 2 for F-contiguous only, 0 for neither."""
    if cnp.PyArray_IS_C_CONTIGUOUS(a):
        return 1
    if cnp.PyArray_IS_F_CONTIGUOUS(a):
        return 2
    return 0


cdef inline bint _partial_overlap(cnp.ndarray a, cnp.ndarray b):
    """Contiguous a and b share memory but do not start at the same element:
    an elementwise loop would then read values it has already written."""
    cdef char *pa = <char *>cnp.PyArray_DATA(a)
    cdef char *pb = <char *>cnp.PyArray_DATA(b)
    if pa == pb:
        return False
    return pa < pb + cnp.PyArray_NBYTES(b) and pb < pa + cnp.PyArray_NBYTES(a)


cdef bint _flat_ok(cnp.ndarray out, tuple inputs):
    """All arrays contiguous in one order with no partial overlap."""
    cdef int order = _order(out)
    if order == 0 or not _native(out):
        return False
    for a in inputs:
        if _order(<cnp.ndarray>a) != order or _partial_overlap(<cnp.ndarray>a, out):
            return False
    return True


cdef tuple _matched_pair(object first, object second, str first_name, str second_name):
    """Two inputs of one shape, promoted to one dtype as NumPy would
    (float32 with float64 -> float64)."""
    cdef cnp.ndarray a = _as_real_array(first, first_name)
    cdef cnp.ndarray b = _as_real_array(second, second_name)
    if not _same_shape(a, b):
        raise ValueError(f"{first_name} and {second_name} must have the same shape, got "
                         f"{(<object>a).shape} and {(<object>b).shape}")
    if cnp.PyArray_TYPE(a) != cnp.PyArray_TYPE(b):
        common = np.promote_types(a.dtype, b.dtype)
        a = a.astype(common, copy=False)
        b = b.astype(common, copy=False)
    return a, b


cdef cnp.ndarray _empty_like(cnp.ndarray a):
    """Uninitialised array of a's shape and dtype, F-ordered if a is F-only."""
    return cnp.PyArray_EMPTY(cnp.PyArray_NDIM(a), cnp.PyArray_DIMS(a),
                             cnp.PyArray_TYPE(a), _order(a) == 2)


# ---------------------------------------------------------------- elementwise

cdef void _run_flat(int what, int act, const real *a, const real *b, real *y,
                    Py_ssize_t n, double p) noexcept nogil:
    """The loop over n contiguous elements, split into one block per thread.
    Each element's result depends on that element only, so any split gives
    bitwise the same answer."""
    cdef int nthreads = _num_threads()
    cdef Py_ssize_t block, start, c
    if nthreads <= 1 or n < PARALLEL_MIN:
        _loop(what, act, a, b, y, n, p)
        return
    block = (n + nthreads - 1) // nthreads
    block = (block + 15) & ~15            # blocks start on 64-byte lines
    for c in prange(nthreads, num_threads=nthreads, schedule="static"):
        start = c * block
        if start < n:
            _loop(what, act, a + start, b + start if b != NULL else NULL,
                  y + start, min(block, n - start), p)


cdef void _dispatch(int what, int act, cnp.ndarray a, cnp.ndarray b, cnp.ndarray y,
                    double p):
    cdef Py_ssize_t n = cnp.PyArray_SIZE(y)
    if cnp.PyArray_TYPE(y) == cnp.NPY_FLOAT32:
        with nogil:
            _run_flat[float](what, act, <float *>cnp.PyArray_DATA(a),
                             <float *>cnp.PyArray_DATA(b) if b is not None else NULL,
                             <float *>cnp.PyArray_DATA(y), n, p)
    else:
        with nogil:
            _run_flat[double](what, act, <double *>cnp.PyArray_DATA(a),
                              <double *>cnp.PyArray_DATA(b) if b is not None else NULL,
                              <double *>cnp.PyArray_DATA(y), n, p)


cdef object _finish(cnp.ndarray res, object out):
    """NumPy's convention: a 0-d result without out= comes back as a scalar."""
    if out is None and cnp.PyArray_NDIM(res) == 0:
        return res[()]
    return res


cdef object _run_into(int what, int act, cnp.ndarray a, cnp.ndarray b, cnp.ndarray res,
                      object out, double param):
    """Run the loop on the flat buffers, or, where layouts or overlap forbid
    that, on contiguous copies with the result copied into res."""
    if _flat_ok(res, (a,) if b is None else (a, b)):
        _dispatch(what, act, a, b, res, param)
    else:
        a = np.ascontiguousarray(a)
        b = np.ascontiguousarray(b) if b is not None else None
        buf = _empty_like(a)
        _dispatch(what, act, a, b, buf, param)
        res[...] = buf
    return _finish(res, out)


def elementwise(int what, int act, x, out=None, double param=0.0):
    """f(x) (what=0) or f'(x) (what=1) for activation id `act`, see module doc."""
    if not 0 <= act < FNN_N_ACTIVATIONS or what not in (_FORWARD, _DERIVATIVE):
        raise ValueError(f"unknown kernel ({what}, {act})")
    cdef cnp.ndarray xa = _as_real_array(x, "x")
    cdef cnp.ndarray res
    if out is None:
        res = _empty_like(xa)
    else:
        res = _check_out(out, xa, "out")
    return _run_into(what, act, xa, None, res, out, param)


def backward(int act, grad, saved, out=None, double param=0.0):
    """grad * f'(.) for activation id `act`, from what the forward saved."""
    if not 0 <= act < FNN_N_ACTIVATIONS:
        raise ValueError(f"unknown kernel {act}")
    cdef cnp.ndarray g, s, res
    g, s = _matched_pair(grad, saved, "grad", "saved")
    if out is None:
        res = _empty_like(g)
    else:
        res = _check_out(out, g, "out")
    return _run_into(_BACKWARD, act, g, s, res, out, param)


# ---------------------------------------------------------------- softmax rows

cdef enum:
    _SOFTMAX = 0
    _LOG_SOFTMAX = 1
    _SOFTMAX_BACKWARD = 2


cdef inline void _rows(int what, const real *a, const real *b, real *y,
                       Py_ssize_t rows, Py_ssize_t cols) noexcept nogil:
    if real is float:
        if what == _SOFTMAX:
            fnn_softmax_rows_f32(a, y, rows, cols)
        elif what == _LOG_SOFTMAX:
            fnn_log_softmax_rows_f32(a, y, rows, cols)
        else:
            fnn_softmax_backward_rows_f32(a, b, y, rows, cols)
    else:
        if what == _SOFTMAX:
            fnn_softmax_rows_f64(a, y, rows, cols)
        elif what == _LOG_SOFTMAX:
            fnn_log_softmax_rows_f64(a, y, rows, cols)
        else:
            fnn_softmax_backward_rows_f64(a, b, y, rows, cols)


cdef void _run_rows(int what, const real *a, const real *b, real *y,
                    Py_ssize_t rows, Py_ssize_t cols) noexcept nogil:
    """Rows are independent: split them into one block per thread."""
    cdef int nthreads = _num_threads()
    cdef Py_ssize_t block, start, c, off
    if nthreads <= 1 or rows * cols < PARALLEL_MIN or rows < 2:
        _rows(what, a, b, y, rows, cols)
        return
    block = (rows + nthreads - 1) // nthreads
    for c in prange(nthreads, num_threads=nthreads, schedule="static"):
        start = c * block
        if start < rows:
            off = start * cols
            _rows(what, a + off, b + off if b != NULL else NULL, y + off,
                  min(block, rows - start), cols)


cdef void _dispatch_rows(int what, cnp.ndarray a, cnp.ndarray b, cnp.ndarray y):
    cdef Py_ssize_t cols = cnp.PyArray_DIMS(y)[cnp.PyArray_NDIM(y) - 1]
    cdef Py_ssize_t rows = cnp.PyArray_SIZE(y) // cols if cols else 0
    if rows == 0:
        return
    if cnp.PyArray_TYPE(y) == cnp.NPY_FLOAT32:
        with nogil:
            _run_rows[float](what, <float *>cnp.PyArray_DATA(a),
                             <float *>cnp.PyArray_DATA(b) if b is not None else NULL,
                             <float *>cnp.PyArray_DATA(y), rows, cols)
    else:
        with nogil:
            _run_rows[double](what, <double *>cnp.PyArray_DATA(a),
                              <double *>cnp.PyArray_DATA(b) if b is not None else NULL,
                              <double *>cnp.PyArray_DATA(y), rows, cols)


cdef cnp.ndarray _axis_last(cnp.ndarray a, int axis):
    """a with `axis` moved last, C-contiguous (a itself when it already is)."""
    if axis == cnp.PyArray_NDIM(a) - 1 and cnp.PyArray_IS_C_CONTIGUOUS(a):
        return a
    return np.ascontiguousarray(np.moveaxis(a, axis, -1))


def rowwise(int what, x, y=None, int axis=-1, out=None):
    """softmax (what=0) / log_softmax (1) of x, or softmax_backward (2) of
    grad=x given the softmax output y, along `axis`."""
    if what not in (_SOFTMAX, _LOG_SOFTMAX, _SOFTMAX_BACKWARD):
        raise ValueError(f"unknown row kernel {what}")
    cdef cnp.ndarray a = _as_real_array(x, "grad" if what == _SOFTMAX_BACKWARD else "x")
    cdef cnp.ndarray b = None
    if cnp.PyArray_NDIM(a) == 0:
        raise ValueError("x must have at least one dimension for a softmax along an axis")
    ndim = cnp.PyArray_NDIM(a)
    if not -ndim <= axis < ndim:
        raise np.exceptions.AxisError(axis, ndim)
    axis %= ndim
    if what == _SOFTMAX_BACKWARD:
        a, b = _matched_pair(a, y, "grad", "y")
    if out is not None:
        _check_out(out, a, "out")
    # The C loops want the softmax axis last and rows packed.
    am = _axis_last(a, axis)
    bm = _axis_last(b, axis) if b is not None else None
    direct = (out is not None and axis == ndim - 1 and _order(<cnp.ndarray>out) == 1
              and _native(<cnp.ndarray>out)
              and not _partial_overlap(am, <cnp.ndarray>out)
              and (bm is None or not _partial_overlap(bm, <cnp.ndarray>out)))
    cdef cnp.ndarray res = <cnp.ndarray>out if direct else _empty_like(am)
    _dispatch_rows(what, am, bm, res)
    if direct:
        return out
    result = res if axis == ndim - 1 else np.moveaxis(res, -1, axis)
    if out is None:
        return result
    out[...] = result
    return out


# The dense layer and the training loop are their own modules; their names
# are re-exported here, where fastnn.dense and fastnn.network look them up.
from fastnn._dense import dense_backward_into, dense_forward_into
from fastnn._trainer import LOSS_IDS, OPTIMIZER_IDS, SK_POISSON_ID, SOFTMAX_ID, Trainer


def all_finite(cnp.ndarray arr not None):
    """Whether a C-contiguous, aligned float32 or float64 array holds no NaN
    or inf: the dispatched bit test of fnn_loops.h, without the GIL.
    TypeError for any other array (fastnn._validation.all_finite takes
    those)."""
    cdef int typenum = cnp.PyArray_TYPE(arr)
    if ((typenum != cnp.NPY_FLOAT32 and typenum != cnp.NPY_FLOAT64)
            or not cnp.PyArray_IS_C_CONTIGUOUS(arr) or not cnp.PyArray_ISBEHAVED_RO(arr)):
        raise TypeError("arr must be a C-contiguous, aligned, native float32 or float64 "
                        "array")
    cdef const void *data = cnp.PyArray_DATA(arr)
    cdef Py_ssize_t n = cnp.PyArray_SIZE(arr)
    cdef bint ok
    with nogil:
        ok = _all_finite_of(data, n, typenum == cnp.NPY_FLOAT32)
    return ok
