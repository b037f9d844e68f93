# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False, embedsignature=True
"""Compiled dense layer of fastnn: Z = X @ W + b, A = f(Z), and its backward.

The checked, documented entry points are in fastnn/dense.py.  The def
functions here are private, but each still re-checks (cheaply) everything its
pointers depend on -- None, rank, shape, dtype, contiguity, alignment, byte
order, writeability of outputs -- so that a wrong call raises
TypeError/ValueError instead of reading or writing out of bounds.  The passes
themselves are in _dense.pxd, shared with the training loop (_trainer.pyx).
"""
cimport numpy as cnp

import numpy as np

from fastnn._fnn cimport *
from fastnn._dense cimport *

cnp.import_array()

# This module's copy of the kernels runs the SIMD level _kernels runs
# (FASTNN_CPU_CAPABILITY, read once at load; _kernels warns about it).
import os
_select_isa(os.environ.get("FASTNN_CPU_CAPABILITY"))


def simd_selected():
    """The SIMD level this module's kernels run, as the dispatcher reports it."""
    return fnn_simd_selected_name().decode()


cdef struct _Operands:
    Py_ssize_t n, n_in, n_out        # X is (n, n_in), W is (n_in, n_out)
    int typenum
    void *px                         # X and W as BLAS operands
    void *pw
    int ldx, ldw
    bint tx, tw


cdef _Operands _checked_operands(cnp.ndarray X, cnp.ndarray W, int act) except *:
    """The shapes, dtype and BLAS views of X and W, which dense_forward_into
    and dense_backward_into share, after checking them and the activation id
    (the other arrays are checked against these shapes by the caller)."""
    cdef _Operands o
    _check_rank_2(X, W)
    o.n, o.n_in = cnp.PyArray_DIMS(X)[0], cnp.PyArray_DIMS(X)[1]
    o.n_out = cnp.PyArray_DIMS(W)[1]
    o.typenum = cnp.PyArray_TYPE(X)
    if o.typenum != cnp.NPY_FLOAT32 and o.typenum != cnp.NPY_FLOAT64:
        raise TypeError(f"X must be float32 or float64, got {X.dtype}")
    if not (act == FNN_SOFTMAX_ID or 0 <= act < FNN_N_ACTIVATIONS):
        raise ValueError(f"unknown activation id {act}")
    _check_2d(X, o.n, o.n_in, o.typenum, "X")
    _check_2d(W, o.n_in, o.n_out, o.typenum, "W")
    _operand(X, &o.px, &o.ldx, &o.tx)
    _operand(W, &o.pw, &o.ldw, &o.tw)
    return o


def dense_forward_into(cnp.ndarray X not None, cnp.ndarray W not None,
                       cnp.ndarray b not None, int act, double param,
                       cnp.ndarray Z not None, cnp.ndarray A not None):
    """Z = X @ W + b, A = f(Z) (A may be Z).  X, W C- or F-contiguous; b, Z, A
    C-contiguous; all of one dtype (checked).  Unchecked wrapper of the
    public fastnn.dense_forward."""
    cdef _Operands o = _checked_operands(X, W, act)
    _check_2d(b.reshape(1, -1), 1, o.n_out, o.typenum, "b", True)
    _check_2d(Z, o.n, o.n_out, o.typenum, "Z", True, True)
    _check_2d(A, o.n, o.n_out, o.typenum, "A", True, True)
    if o.typenum == cnp.NPY_FLOAT32:
        with nogil:
            _dense_forward_impl[float](<float *>o.px, o.ldx, o.tx, <float *>o.pw, o.ldw, o.tw,
                                       <float *>cnp.PyArray_DATA(b),
                                       <float *>cnp.PyArray_DATA(Z),
                                       <float *>cnp.PyArray_DATA(A), o.n, o.n_in, o.n_out,
                                       act, param)
    else:
        with nogil:
            _dense_forward_impl[double](<double *>o.px, o.ldx, o.tx, <double *>o.pw, o.ldw, o.tw,
                                        <double *>cnp.PyArray_DATA(b),
                                        <double *>cnp.PyArray_DATA(Z),
                                        <double *>cnp.PyArray_DATA(A), o.n, o.n_in, o.n_out,
                                        act, param)


def dense_backward_into(cnp.ndarray grad_A not None, cnp.ndarray X not None,
                        cnp.ndarray W not None, cnp.ndarray saved not None, int act,
                        double param, cnp.ndarray dZ not None, cnp.ndarray grad_X,
                        cnp.ndarray grad_W not None, cnp.ndarray grad_b not None):
    """dZ = grad_A * f'(saved), grad_W = X^T dZ, grad_b = sum_rows dZ and, if
    grad_X is not None, grad_X = dZ W^T.  grad_A, saved, dZ (may be grad_A)
    and the outputs C-contiguous; X, W C- or F-contiguous; one dtype."""
    cdef _Operands o = _checked_operands(X, W, act)
    _check_2d(grad_A, o.n, o.n_out, o.typenum, "grad_A", True)
    _check_2d(saved, o.n, o.n_out, o.typenum, "saved", True)
    _check_2d(dZ, o.n, o.n_out, o.typenum, "dZ", True, True)
    _check_2d(grad_W, o.n_in, o.n_out, o.typenum, "grad_W", True, True)
    _check_2d(grad_b.reshape(1, -1), 1, o.n_out, o.typenum, "grad_b", True, True)
    if grad_X is not None:        # optional: None skips the product
        _check_2d(grad_X, o.n, o.n_in, o.typenum, "grad_X", True, True)
    cdef void *pgx = cnp.PyArray_DATA(grad_X) if grad_X is not None else NULL
    if o.typenum == cnp.NPY_FLOAT32:
        with nogil:
            _dense_backward_impl[float](
                <float *>cnp.PyArray_DATA(grad_A), <float *>cnp.PyArray_DATA(saved),
                <float *>cnp.PyArray_DATA(dZ), <float *>o.px, o.ldx, o.tx, <float *>o.pw, o.ldw, o.tw,
                <float *>pgx, <float *>cnp.PyArray_DATA(grad_W),
                <float *>cnp.PyArray_DATA(grad_b), o.n, o.n_in, o.n_out, act, param)
    else:
        with nogil:
            _dense_backward_impl[double](
                <double *>cnp.PyArray_DATA(grad_A), <double *>cnp.PyArray_DATA(saved),
                <double *>cnp.PyArray_DATA(dZ), <double *>o.px, o.ldx, o.tx, <double *>o.pw, o.ldw, o.tw,
                <double *>pgx, <double *>cnp.PyArray_DATA(grad_W),
                <double *>cnp.PyArray_DATA(grad_b), o.n, o.n_in, o.n_out, act, param)


def _float_dtype(dtype):
    """np.dtype(dtype), which must be float32 or float64 (TypeError)."""
    dt = np.dtype(dtype)
    if dt not in (np.float32, np.float64):
        raise TypeError(f"dtype must be float32 or float64, got {dt}")
    return dt


def small_product_takes(Py_ssize_t m, Py_ssize_t n, Py_ssize_t k, dtype):
    """Whether fastnn's small-product kernel can compute a row-major
    (m, k) @ (k, n) product of `dtype` (fnn_small_gemm_takes): what
    small_product accepts."""
    return bool(fnn_small_gemm_takes(m, n, k, _float_dtype(dtype).itemsize))


def small_product_fits(Py_ssize_t m, Py_ssize_t n, Py_ssize_t k, dtype):
    """Whether a row-major (m, k) @ (k, n) product of `dtype` runs fastnn's
    small-product kernel rather than BLAS at the selected SIMD level
    (fnn_small_gemm_fits: the shapes it takes, less the ragged widths where
    BLAS is faster)."""
    return bool(fnn_small_gemm_fits(m, n, k, _float_dtype(dtype).itemsize))


def small_product(cnp.ndarray A not None, cnp.ndarray B not None, bint trans_a=False,
                  bint trans_b=False):
    """op(A) @ op(B) by the small-product kernel alone (op(X) = X.T where
    asked), for tests: A and B C-contiguous and aligned, one native float
    dtype, a shape the kernel takes (small_product_takes)."""
    if A.ndim != 2 or B.ndim != 2 or A.dtype != B.dtype or A.dtype not in (np.float32, np.float64):
        raise TypeError("A and B must be 2-D arrays of one float dtype")
    if not (A.flags.c_contiguous and B.flags.c_contiguous):
        raise ValueError("A and B must be C-contiguous")
    if not (A.flags.aligned and B.flags.aligned):     # the kernel reads through T pointers
        raise ValueError("A and B must be aligned to their element size")
    cdef Py_ssize_t m = A.shape[1] if trans_a else A.shape[0]
    cdef Py_ssize_t k = A.shape[0] if trans_a else A.shape[1]
    cdef Py_ssize_t n = B.shape[0] if trans_b else B.shape[1]
    cdef Py_ssize_t b_rows = B.shape[1] if trans_b else B.shape[0]
    if b_rows != k or not fnn_small_gemm_takes(m, n, k, A.itemsize):
        raise ValueError(f"no small product for op(A) {m}x{k} and op(B) {b_rows}x{n}")
    cdef cnp.ndarray C = np.empty((m, n), A.dtype)
    if A.dtype == np.float32:
        fnn_small_gemm_f32(trans_a, trans_b, m, n, k, <float *>cnp.PyArray_DATA(A), A.shape[1],
                           <float *>cnp.PyArray_DATA(B), B.shape[1],
                           <float *>cnp.PyArray_DATA(C), n)
    else:
        fnn_small_gemm_f64(trans_a, trans_b, m, n, k, <double *>cnp.PyArray_DATA(A), A.shape[1],
                           <double *>cnp.PyArray_DATA(B), B.shape[1],
                           <double *>cnp.PyArray_DATA(C), n)
    return C


def fma_burst(dtype, double flops, int threads=1):
    """Run at least `flops` floating-point operations of independent vector
    FMAs of `dtype` at the best SIMD level the CPU runs (whatever
    FASTNN_CPU_CAPABILITY selects: the bound is the CPU's), split over
    `threads` of fastnn's pool, without the GIL: timed, the FMA units'
    peak, which bounds any loop of products (the benchmark report's
    ``fma peak``).

    Parameters
    ----------
    dtype : float32 or float64
    flops : float
        At most 1e13 (about two minutes at 100 GF/s: the call cannot be
        interrupted).
    threads : int
        At least 1, at most the CPUs this process may run on.

    Returns
    -------
    float
        The operations run: 0.0 where the build has no small-product kernel
        (MSVC), which runs none.

    Raises
    ------
    TypeError
        dtype not float32 or float64.
    ValueError
        flops negative, not finite or above 1e13; threads out of range.
    """
    dt = _float_dtype(dtype)
    if not (0 <= flops <= 1e13):
        raise ValueError(f"flops must be a number from 0 to 1e13, got {flops}")
    from fastnn._kernels import _available_cpus
    cpus = _available_cpus()
    if not 1 <= threads <= cpus:
        raise ValueError(f"threads must be from 1 to the {cpus} CPUs this process may use, "
                         f"got {threads}")
    cdef size_t elem = dt.itemsize
    cdef double done, chains_sum
    with nogil:
        done = fnn_fma_burst_par(elem, flops, threads, &chains_sum)
    return done


# ---------------------------------------------------------------- whole forward pass
#
# Inference runs every layer in one compiled call without the GIL
# (ForwardPass.run).  Two costs dominate small calls and are removed here:
# Python work per layer, and BLAS threads that a small product cannot use
# (waking a second thread costs more than the product on a busy machine).
# The second is a work threshold: a product of fewer than
# _single_thread_work multiply-adds runs on one BLAS thread, whatever the
# pool's size.  scipy's OpenBLAS exposes no per-call thread argument, so the
# pool size is changed around the product through its own
# openblas_set_num_threads, found once with dlsym in the library that
# scipy.linalg.cython_blas (the BLAS fastnn calls) is linked to.  The change
# is global to that library: a counter under a mutex makes overlapping
# calls from several threads restore the size the first one saw, once the
# last one finishes; meanwhile other users of scipy's BLAS (a fit in another
# thread) also run on one thread -- slower, never unsafe.

from libc.string cimport memcpy
from posix.dlfcn cimport dlopen, dlsym, RTLD_LAZY
from scipy.linalg.cython_blas cimport sgemv, dgemv

cdef extern from "dlfcn.h" nogil:
    int RTLD_NOLOAD

cdef extern from "pythread.h" nogil:
    ctypedef void *PyThread_type_lock
    PyThread_type_lock PyThread_allocate_lock()
    int PyThread_acquire_lock(PyThread_type_lock, int waitflag)
    void PyThread_release_lock(PyThread_type_lock)

ctypedef void (*_set_threads_fn)(int) noexcept nogil
ctypedef int (*_get_threads_fn)() noexcept nogil

cdef _set_threads_fn _blas_set_threads = NULL
cdef _get_threads_fn _blas_get_threads = NULL
cdef PyThread_type_lock _blas_lock = PyThread_allocate_lock()
cdef int _single_holders = 0        # calls inside a single-thread section
cdef int _saved_threads = 0         # the pool size the first of them saw
# On an idle 2-core AVX2 machine a second OpenBLAS thread saves half of a
# product (single-threaded sgemm runs about 25 multiply-adds per ns) but
# costs some 10-50 us to wake and join, so it pays above a few million
# multiply-adds; on a busy machine (load 9 on 2 cores, measured with
# 784 x 256 products of 16 to 1024 rows) the second thread lost at every
# size, by up to 10x.  2^24 keeps every product of the 64-64-10 network up
# to 4,096 rows and the 784 -> 256 layer up to 83 rows on one thread.
cdef long long _single_thread_work = 1 << 24
# The BLAS thread count each layer's product saw in the last run (a hook
# for tests; -1 where it could not be read).
cdef enum:
    _MAX_OBSERVED = 64
cdef int _observed[_MAX_OBSERVED]
cdef int _n_observed = 0


def _bind_blas_threads(path):
    """Find openblas_set/get_num_threads in the library `path` (a module
    linked to scipy's OpenBLAS) and its dependencies; True if found."""
    global _blas_set_threads, _blas_get_threads
    cdef bytes raw = str(path).encode()
    cdef void *handle = dlopen(raw, RTLD_LAZY | RTLD_NOLOAD)
    if handle == NULL:
        return False
    cdef void *set_fn = NULL
    cdef void *get_fn = NULL
    for prefix in (b"scipy_", b""):
        set_fn = dlsym(handle, prefix + b"openblas_set_num_threads")
        get_fn = dlsym(handle, prefix + b"openblas_get_num_threads")
        if set_fn != NULL and get_fn != NULL:
            _blas_set_threads = <_set_threads_fn>set_fn
            _blas_get_threads = <_get_threads_fn>get_fn
            return True
    return False


def blas_threads_bound():
    """Whether the BLAS thread count can be changed per product."""
    return _blas_set_threads != NULL


def single_thread_work(value=None):
    """The work (multiply-adds of one product) below which a product of
    ForwardPass runs on one BLAS thread; sets it first if value is given."""
    global _single_thread_work
    if value is not None:
        if int(value) < 0:
            raise ValueError(f"single_thread_work must be non-negative, got {value}")
        _single_thread_work = int(value)
    return int(_single_thread_work)


def observed_blas_threads():
    """The BLAS thread count each product of the last ForwardPass.run saw."""
    return [_observed[i] for i in range(_n_observed)]


cdef bint _single_begin() noexcept nogil:
    """Pin scipy's BLAS to one thread (see above); True if _single_end is due.
    Also the training loop's hold while it runs on fastnn's threads (one
    counter for both, so that neither restores under the other)."""
    global _single_holders, _saved_threads
    if _blas_set_threads == NULL:
        return False
    PyThread_acquire_lock(_blas_lock, 1)
    if _single_holders == 0:
        _saved_threads = _blas_get_threads()
        if _saved_threads > 1:
            _blas_set_threads(1)
    _single_holders += 1
    PyThread_release_lock(_blas_lock)
    return True


cdef void _single_end() noexcept nogil:
    global _single_holders
    PyThread_acquire_lock(_blas_lock, 1)
    # Never below 0: a fork() child whose hold was cleared (see below) may
    # still close the one its forking thread had open.
    if _single_holders > 0:
        _single_holders -= 1
        if _single_holders == 0 and _saved_threads > 1:
            _blas_set_threads(_saved_threads)
    PyThread_release_lock(_blas_lock)


def _blas_hold_after_fork_in_child():
    """fork() copies only the calling thread: a single-thread section that
    another thread (an epoch, a product) had open is never closed in the
    child, whose BLAS would stay at one thread, and _blas_lock may be held
    for ever.  The child starts with a new lock, no section open, and BLAS
    at the count the user had set."""
    global _blas_lock, _single_holders
    _blas_lock = PyThread_allocate_lock()
    if _single_holders > 0:
        _single_holders = 0
        if _saved_threads > 1 and _blas_set_threads != NULL:
            _blas_set_threads(_saved_threads)


cdef int _blas_user_threads() noexcept nogil:
    """BLAS's thread count as set outside fastnn's single-thread sections
    (the one the first of them saved while any is open); 1 if unbound."""
    cdef int n
    if _blas_get_threads == NULL:
        return 1
    PyThread_acquire_lock(_blas_lock, 1)
    n = _saved_threads if _single_holders > 0 else _blas_get_threads()
    PyThread_release_lock(_blas_lock)
    return n


cdef inline void _product(const real *x, int ldx, bint trans_x, const real *w,
                          Py_ssize_t n, Py_ssize_t n_in, Py_ssize_t n_out,
                          real *z) noexcept nogil:
    """z = x @ w (w row-major (n_in, n_out)); one row is a GEMV, which
    skips GEMM's packing of w."""
    cdef int m_ = <int>n_out, k_ = <int>n_in, one = 1, ld = <int>max(n_out, 1)
    cdef real alpha = 1, beta = 0
    cdef char no = b'N'
    if n == 1 and n_in > 0 and n_out > 0:
        # Column-major, w is (n_out, n_in) with ld n_out: z = w x.
        if real is float:
            sgemv(&no, &m_, &k_, &alpha, <float *>w, &ld, <float *>x, &one, &beta,
                  <float *>z, &one)
        else:
            dgemv(&no, &m_, &k_, &alpha, <double *>w, &ld, <double *>x, &one, &beta,
                  <double *>z, &one)
    elif n_in == 0:
        memset(z, 0, n * n_out * sizeof(real))
    else:
        _gemm(trans_x, False, <int>n, <int>n_out, <int>n_in, <real>1, x, ldx, w,
              <int>n_out, <real>0, z, <int>n_out)


cdef inline void _forward_all(const real *x, int ldx, bint trans_x, const real *params,
                              const Py_ssize_t *sizes, const Py_ssize_t *w_off,
                              const Py_ssize_t *b_off, const int *acts,
                              const double *act_params, Py_ssize_t n_layers, Py_ssize_t n,
                              real *scratch, Py_ssize_t half, real *out) noexcept nogil:
    """Every layer: hidden activations alternate between the two halves of
    scratch, the last layer writes out."""
    global _n_observed
    cdef Py_ssize_t l
    cdef real *dest
    cdef bint single, own_kernel
    cdef const real *a = x
    cdef int lda = ldx
    cdef bint trans = trans_x
    _n_observed = 0
    for l in range(n_layers):
        dest = out if l == n_layers - 1 else scratch + (l % 2) * half
        # A product on fastnn's small-product kernel runs on this thread
        # and needs no BLAS thread change (one row is _product's GEMV).
        own_kernel = n > 1 and fnn_small_gemm_fits(n, sizes[l + 1], sizes[l], sizeof(real))
        single = (not own_kernel and <long long>n * sizes[l] * sizes[l + 1] < _single_thread_work
                  and _single_begin())
        if l < _MAX_OBSERVED:
            _observed[l] = (1 if own_kernel else
                            _blas_get_threads() if _blas_get_threads != NULL else -1)
            _n_observed = l + 1
        _product(a, lda, trans, params + w_off[l], n, sizes[l], sizes[l + 1], dest)
        if single:
            _single_end()
        _bias_activation(dest, dest, params + b_off[l], n, sizes[l + 1], acts[l],
                         act_params[l])
        a = dest
        lda = <int>sizes[l + 1]
        trans = False


cdef class ForwardPass:
    """The forward pass of a network over its flat parameter vector, every
    layer in one call without the GIL.

    The layout (sizes, offsets, activations) is checked once here against
    the parameter vector, so a run only checks its arrays.

    Parameters
    ----------
    params : ndarray, 1-D, float32 or float64, C-contiguous
        ``W_0, b_0, W_1, ...``; read at every run (not copied), so later
        changes to it are seen.
    sizes : sequence of int
        ``[n_inputs, ..., n_outputs]``.
    w_off, b_off : sequence of int
        Offsets of each W (row-major (n_in, n_out)) and b in params.
    act_ids : sequence of int
        Kernel ids of the activations (SOFTMAX_ID for softmax).
    act_params : sequence of float
        Their parameters.

    Raises
    ------
    TypeError, ValueError
        For a wrong dtype, a layout that does not fit params, or an unknown
        activation.
    """
    cdef readonly object params
    cdef readonly int typenum
    cdef readonly Py_ssize_t n_layers, n_in, n_out, max_hidden
    cdef object _sizes, _w_off, _b_off, _acts, _act_params      # owners of the pointers
    cdef Py_ssize_t *sizes_p
    cdef Py_ssize_t *w_off_p
    cdef Py_ssize_t *b_off_p
    cdef int *acts_p
    cdef double *act_params_p

    def __init__(self, cnp.ndarray params not None, sizes, w_off, b_off, act_ids,
                 act_params):
        cdef int typenum = cnp.PyArray_TYPE(params)
        if typenum != cnp.NPY_FLOAT32 and typenum != cnp.NPY_FLOAT64:
            raise TypeError(f"params must be float32 or float64, got {params.dtype}")
        if (cnp.PyArray_NDIM(params) != 1 or not cnp.PyArray_IS_C_CONTIGUOUS(params)
                or not cnp.PyArray_ISALIGNED(params) or not cnp.PyArray_ISNOTSWAPPED(params)):
            raise ValueError("params must be a 1-D aligned C-contiguous native array")
        s = np.ascontiguousarray(sizes, dtype=np.intp)
        w = np.ascontiguousarray(w_off, dtype=np.intp)
        b = np.ascontiguousarray(b_off, dtype=np.intp)
        a = np.ascontiguousarray(act_ids, dtype=np.intc)
        p = np.ascontiguousarray(act_params, dtype=np.float64)
        n_layers = s.size - 1
        if s.ndim != 1 or n_layers < 1 or any(x.shape != (n_layers,) for x in (w, b, a, p)):
            raise ValueError("sizes needs n_layers + 1 entries and w_off, b_off, act_ids, "
                             "act_params n_layers each")
        if (s < 0).any() or (s > 2147483647).any():
            raise ValueError(f"layer sizes must lie in [0, 2^31), got {s.tolist()}")
        size = cnp.PyArray_DIMS(params)[0]
        for l in range(n_layers):
            if not (0 <= w[l] and w[l] + s[l] * s[l + 1] <= size
                    and 0 <= b[l] and b[l] + s[l + 1] <= size):
                raise ValueError(f"layer {l} does not fit in params of size {size}")
            if not (a[l] == FNN_SOFTMAX_ID or 0 <= a[l] < FNN_N_ACTIVATIONS):
                raise ValueError(f"unknown activation id {a[l]}")
        self.params, self.typenum, self.n_layers = params, typenum, n_layers
        self.n_in, self.n_out = s[0], s[n_layers]
        self.max_hidden = int(s[1:n_layers].max()) if n_layers > 1 else 0
        self._sizes, self._w_off, self._b_off, self._acts, self._act_params = s, w, b, a, p
        self.sizes_p = <Py_ssize_t *>cnp.PyArray_DATA(s)
        self.w_off_p = <Py_ssize_t *>cnp.PyArray_DATA(w)
        self.b_off_p = <Py_ssize_t *>cnp.PyArray_DATA(b)
        self.acts_p = <int *>cnp.PyArray_DATA(a)
        self.act_params_p = <double *>cnp.PyArray_DATA(p)

    def accepts(self, X):
        """Whether X is, as it stands, an array :meth:`run` reads: exactly a
        numpy.ndarray, 2-D with n_in columns, params' dtype, aligned, native
        byte order, C- or F-contiguous (its values are not looked at)."""
        if type(X) is not np.ndarray:
            return False
        cdef cnp.ndarray arr = <cnp.ndarray>X
        return (cnp.PyArray_NDIM(arr) == 2 and cnp.PyArray_DIMS(arr)[1] == self.n_in
                and cnp.PyArray_TYPE(arr) == self.typenum and cnp.PyArray_ISALIGNED(arr)
                and cnp.PyArray_ISNOTSWAPPED(arr)
                and (cnp.PyArray_IS_C_CONTIGUOUS(arr) or cnp.PyArray_IS_F_CONTIGUOUS(arr)))

    def scratch_size(self, Py_ssize_t n_rows):
        """Elements of the scratch array a run over n_rows rows needs."""
        return n_rows * self.max_hidden * min(self.n_layers - 1, 2)

    def run(self, cnp.ndarray X not None, cnp.ndarray out not None,
            cnp.ndarray scratch not None):
        """out = the network's output for X.

        Parameters
        ----------
        X : ndarray (n_rows, n_in), params' dtype, C- or F-contiguous,
            aligned, native byte order; finite.
        out : ndarray (n_rows, n_out), params' dtype, C-contiguous, writeable.
        scratch : ndarray, 1-D, params' dtype, C-contiguous, writeable, at
            least ``scratch_size(n_rows)`` elements (contents ignored).

        Raises
        ------
        ValueError
            If X holds NaN or inf (out is then left untouched), or for a
            wrong shape or layout.
        TypeError
            For a wrong dtype.
        """
        cdef int typenum = self.typenum
        if cnp.PyArray_NDIM(X) != 2:
            raise ValueError(f"X must be 2-D, got shape {(<object>X).shape}")
        cdef Py_ssize_t n = cnp.PyArray_DIMS(X)[0]
        _check_2d(X, n, self.n_in, typenum, "X")
        _check_2d(out, n, self.n_out, typenum, "out", True, True)
        if n > 2147483647:
            raise ValueError("X is too large for 32-bit BLAS")
        need = self.scratch_size(n)
        if (cnp.PyArray_NDIM(scratch) != 1 or cnp.PyArray_TYPE(scratch) != typenum
                or not cnp.PyArray_IS_C_CONTIGUOUS(scratch)
                or not cnp.PyArray_ISWRITEABLE(scratch)
                or not cnp.PyArray_ISALIGNED(scratch)
                or cnp.PyArray_DIMS(scratch)[0] < need):
            raise ValueError(f"scratch must be a writeable C-contiguous 1-D array of "
                             f"{need} elements of the parameters' dtype")
        cdef void *px
        cdef int ldx
        cdef bint tx
        _operand(X, &px, &ldx, &tx)
        cdef void *pp = cnp.PyArray_DATA(self.params)
        cdef void *ps = cnp.PyArray_DATA(scratch)
        cdef void *po = cnp.PyArray_DATA(out)
        cdef Py_ssize_t half = n * self.max_hidden
        cdef bint finite
        cdef bint is_float = typenum == cnp.NPY_FLOAT32
        with nogil:
            finite = _all_finite_of(px, n * self.n_in, is_float)
            if finite:
                if is_float:
                    _forward_all[float](<float *>px, ldx, tx, <float *>pp, self.sizes_p,
                                        self.w_off_p, self.b_off_p, self.acts_p,
                                        self.act_params_p, self.n_layers, n,
                                        <float *>ps, half, <float *>po)
                else:
                    _forward_all[double](<double *>px, ldx, tx, <double *>pp,
                                         self.sizes_p, self.w_off_p, self.b_off_p,
                                         self.acts_p, self.act_params_p, self.n_layers,
                                         n, <double *>ps, half, <double *>po)
        if not finite:
            raise ValueError(f"X holds NaN or inf (in the network's dtype "
                             f"{self.params.dtype})")


try:
    import scipy.linalg.cython_blas as _cython_blas
    _bind_blas_threads(_cython_blas.__file__)
except (ImportError, AttributeError, OSError):      # keep BLAS's own thread choice
    pass
if hasattr(os, "register_at_fork"):      # POSIX only; Windows has no fork()
    os.register_at_fork(after_in_child=_blas_hold_after_fork_in_child)
