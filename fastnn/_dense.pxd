# Dense-layer passes shared by fastnn._dense (the dense_forward/backward
# kernels) and fastnn._trainer (the training epoch): all inline, so this
# file is declarations only and neither module imports the other.
#
# Layout: X (n_samples, n_in), W (n_in, n_out), b (n_out,), Z = X @ W + b,
# A = f(Z), as scikit-learn's coefs_.  Matrix products go to the BLAS that
# scipy ships (scipy.linalg.cython_blas), called without the GIL; BLAS is
# column-major, so a row-major product C = A @ B is computed as C^T = B^T A^T
# (see _gemm).  Small products (fnn_small_gemm_fits) run fastnn's own
# register-tiled kernel on the calling thread instead.  Everything else --
# bias, activation, loss gradient, column sums, optimizer -- is a single pass
# over memory in C (fnn_kernels.h, fnn_train.h).  The dense layer's products
# use BLAS's threads; the training loop on several threads splits its large
# products over fastnn's own pool instead (fnn_parallel.h), so that one pool
# is busy at a time.
cimport numpy as cnp
from libc.string cimport memset
from scipy.linalg.cython_blas cimport sgemm, dgemm

from fastnn._fnn cimport *


# ---------------------------------------------------------------- BLAS

cdef inline void _gemm(bint trans_a, bint trans_b, int m, int n, int k, real alpha,
                       const real *a, int lda, const real *b, int ldb, real beta,
                       real *c, int ldc, int threads=1) noexcept nogil:
    """Row-major C[m, n] = alpha * op(A) @ op(B) + beta * C.

    A row-major matrix with leading dimension ld is, to column-major BLAS, its
    transpose with the same ld; hence C^T = op(B)^T op(A)^T: B goes first.
    Small products (fnn_small_gemm_fits) run fastnn's own register-tiled
    kernel instead, which skips BLAS's packing (it copies op(B) only where
    B is transposed or its rows are not whole vectors).  threads > 1 (the
    training loop's, with BLAS set to one thread) splits a large product
    over fastnn's pool (fnn_parallel.h).
    """
    cdef char ta = b'T' if trans_b else b'N'
    cdef char tb = b'T' if trans_a else b'N'
    if m <= 0 or n <= 0:
        return
    if alpha == 1 and beta == 0 and fnn_small_gemm_fits(m, n, k, sizeof(real)):
        if real is float:
            fnn_small_gemm_f32(trans_a, trans_b, m, n, k, a, lda, b, ldb, c, ldc)
        else:
            fnn_small_gemm_f64(trans_a, trans_b, m, n, k, a, lda, b, ldb, c, ldc)
        return
    # BLAS rejects ld < 1 even when the matrix is empty.
    lda = max(lda, 1)
    ldb = max(ldb, 1)
    ldc = max(ldc, 1)
    if threads > 1:
        if real is float:
            fnn_sgemm_split(<fnn_sgemm_fn>sgemm, ta, tb, n, m, k, alpha, b, ldb, a, lda,
                            beta, c, ldc, threads)
        else:
            fnn_dgemm_split(<fnn_dgemm_fn>dgemm, ta, tb, n, m, k, alpha, b, ldb, a, lda,
                            beta, c, ldc, threads)
    elif real is float:
        sgemm(&ta, &tb, &n, &m, &k, &alpha, <float *>b, &ldb, <float *>a, &lda,
              &beta, c, &ldc)
    else:
        dgemm(&ta, &tb, &n, &m, &k, &alpha, <double *>b, &ldb, <double *>a, &lda,
              &beta, c, &ldc)


cdef inline void _colsum_add(const real *x, real *acc, Py_ssize_t rows,
                             Py_ssize_t cols) noexcept nogil:
    if real is float:
        fnn_colsum_add_f32(x, acc, rows, cols)
    else:
        fnn_colsum_add_f64(x, acc, rows, cols)


# ---------------------------------------------------------------- layer passes

cdef inline void _bias_activation(real *z, real *a, const real *b, Py_ssize_t rows,
                                  Py_ssize_t cols, int act, double param,
                                  int threads=1) noexcept nogil:
    """a = f(z + b); z keeps z + b.  a may be z.  Split by rows over
    fastnn's pool at threads > 1 (fnn_parallel.h)."""
    if real is float:
        fnn_bias_act_par_f32(z, a, b, rows, cols, act, param, threads)
    else:
        fnn_bias_act_par_f64(z, a, b, rows, cols, act, param, threads)


cdef inline void _activation_backward(const real *grad, const real *saved, real *dz,
                                      Py_ssize_t rows, Py_ssize_t cols, int act,
                                      double param, int threads=1) noexcept nogil:
    """dz = grad * f'(.) from what the forward saved; dz may be grad.  Split
    by rows as _bias_activation."""
    if real is float:
        fnn_act_backward_par_f32(grad, saved, dz, rows, cols, act, param, threads)
    else:
        fnn_act_backward_par_f64(grad, saved, dz, rows, cols, act, param, threads)


# ---------------------------------------------------------------- dense layer

cdef inline void _operand(cnp.ndarray arr, void **ptr, int *ld, bint *trans):
    """BLAS view of a C- or F-contiguous 2-D array: an F-ordered (r, c) array
    is the row-major (c, r) array transposed, so it needs no copy."""
    ptr[0] = cnp.PyArray_DATA(arr)
    if cnp.PyArray_IS_C_CONTIGUOUS(arr):
        ld[0] = <int>cnp.PyArray_DIMS(arr)[1]
        trans[0] = False
    else:
        ld[0] = <int>cnp.PyArray_DIMS(arr)[0]
        trans[0] = True


cdef inline int _check_2d(cnp.ndarray a, Py_ssize_t rows, Py_ssize_t cols, int typenum, str name,
               bint need_c=False, bint output=False) except -1:
    """Last line of defence before pointers are taken (see fastnn/dense.py)."""
    if a is None:
        raise TypeError(f"{name} must be a numpy.ndarray, got None")
    if (cnp.PyArray_NDIM(a) != 2 or cnp.PyArray_DIMS(a)[0] != rows
            or cnp.PyArray_DIMS(a)[1] != cols):
        raise ValueError(f"{name} must have shape ({rows}, {cols}), got {(<object>a).shape}")
    if cnp.PyArray_TYPE(a) != typenum:
        raise TypeError(f"{name} must have dtype {cnp.PyArray_DescrFromType(typenum)}, "
                        f"got {a.dtype}")
    if not (cnp.PyArray_ISALIGNED(a) and cnp.PyArray_ISNOTSWAPPED(a)):
        raise ValueError(f"{name} must be aligned and in native byte order")
    if output and not cnp.PyArray_ISWRITEABLE(a):
        raise ValueError(f"{name} must be writeable")
    if need_c and not cnp.PyArray_IS_C_CONTIGUOUS(a):
        raise ValueError(f"{name} must be C-contiguous")
    if not (cnp.PyArray_IS_C_CONTIGUOUS(a) or cnp.PyArray_IS_F_CONTIGUOUS(a)):
        raise ValueError(f"{name} must be C- or F-contiguous")
    if max(rows, cols) > 2147483647:        # every dimension reaches BLAS as an int
        raise ValueError(f"{name} is too large for 32-bit BLAS")


cdef inline int _check_rank_2(cnp.ndarray X, cnp.ndarray W) except -1:
    """X and W must be 2-D before their dimensions are read."""
    if cnp.PyArray_NDIM(X) != 2 or cnp.PyArray_NDIM(W) != 2:
        raise ValueError(f"X and W must be 2-D, got shapes {(<object>X).shape} and "
                         f"{(<object>W).shape}")


cdef inline void _dense_forward_impl(const real *x, int ldx, bint trans_x, const real *w,
                              int ldw, bint trans_w, const real *b, real *z, real *a,
                              Py_ssize_t n, Py_ssize_t n_in, Py_ssize_t n_out,
                              int act, double param) noexcept nogil:
    _gemm(trans_x, trans_w, <int>n, <int>n_out, <int>n_in, <real>1, x, ldx, w, ldw,
          <real>0, z, <int>n_out)
    _bias_activation(z, a, b, n, n_out, act, param)


cdef inline void _dense_backward_impl(const real *grad_a, const real *saved, real *dz,
                               const real *x, int ldx, bint trans_x,
                               const real *w, int ldw, bint trans_w,
                               real *grad_x, real *grad_w, real *grad_b,
                               Py_ssize_t n, Py_ssize_t n_in, Py_ssize_t n_out,
                               int act, double param) noexcept nogil:
    """dZ and the column sums of dZ in one blocked pass, then two GEMMs."""
    cdef Py_ssize_t step = max(1, FNN_BLOCK_ELEMS // max(n_out, 1))
    cdef Py_ssize_t r = 0, nr, off
    memset(grad_b, 0, n_out * sizeof(real))
    while r < n:
        nr = min(step, n - r)
        off = r * n_out
        r += nr
        _activation_backward(grad_a + off, saved + off, dz + off, nr, n_out, act, param)
        _colsum_add(dz + off, grad_b, nr, n_out)
    # grad_W = X^T dZ: op(X) is X^T, i.e. flip X's own transposition.
    _gemm(not trans_x, False, <int>n_in, <int>n_out, <int>n, <real>1, x, ldx,
          dz, <int>n_out, <real>0, grad_w, <int>n_out)
    if grad_x != NULL:
        # grad_X = dZ W^T.
        _gemm(False, not trans_w, <int>n, <int>n_in, <int>n_out, <real>1, dz,
              <int>n_out, w, ldw, <real>0, grad_x, <int>n_in)


# ---------------------------------------------------------------- BLAS threads
# Defined in _dense.pyx, shared with the training loop (one counter for the
# process's single-thread sections of scipy's BLAS; see _dense.pyx).
cdef bint _single_begin() noexcept nogil
cdef void _single_end() noexcept nogil
cdef int _blas_user_threads() noexcept nogil
