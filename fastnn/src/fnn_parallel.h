/* The passes of the training loop that split over fnn_pool's threads: the
 * optimizer updates and the gather of a batch's rows.  Each element's
 * result depends on that element alone, so every split gives the bits one
 * thread gives.  Below FNN_PARALLEL_MIN elements a pass stays on the
 * calling thread: the kernels' measured break-even for a second thread. */
#ifndef FNN_PARALLEL_H
#define FNN_PARALLEL_H
#include <stddef.h>

enum { FNN_PARALLEL_MIN = 1 << 15 };

#define FNN_PARALLEL_DECLARE(T, SUF)                                              \
void fnn_sgd_par_##SUF(T *w, const T *g, T *buf, ptrdiff_t n, T lr, T momentum,    \
                       int nesterov, int threads);                                \
void fnn_adam_par_##SUF(T *w, const T *g, T *m, T *v, ptrdiff_t n, T step_size,    \
                        T beta1, T beta2, T inv_bc2_sqrt, T eps, int threads);

FNN_PARALLEL_DECLARE(float, f32)
FNN_PARALLEL_DECLARE(double, f64)
#undef FNN_PARALLEL_DECLARE

/* out[r] = rows[idx[r]] for r < n_rows, rows of row_bytes bytes; every
 * idx[r] checked by the caller.  Each row's successor is prefetched
 * (see fnn_parallel.c). */
void fnn_gather_rows(const void *rows, size_t row_bytes, const long long *idx,
                     ptrdiff_t n_rows, void *out, size_t elem, int threads);

/* The BLAS routines as scipy.linalg.cython_blas hands them out (Fortran
 * calling convention: everything by pointer). */
typedef void (*fnn_sgemm_fn)(const char *, const char *, const int *, const int *,
                             const int *, const float *, const float *, const int *,
                             const float *, const int *, const float *, float *,
                             const int *);
typedef void (*fnn_dgemm_fn)(const char *, const char *, const int *, const int *,
                             const int *, const double *, const double *, const int *,
                             const double *, const int *, const double *, double *,
                             const int *);

/* Training on several threads runs every pass of the epoch on fnn_pool's
 * threads, the products included, each part a single-threaded BLAS call on
 * its share of C, while the caller holds BLAS at one thread (_dense.pyx's
 * _single_begin): OpenBLAS's own threads, which spin between products,
 * would otherwise hold the cores the pool needs (see fnn_pool.h). */

/* Column-major C = alpha op(A) op(B) + beta C, as ?gemm takes it, split
 * into one share of C per thread: by columns, or by rows where C has more
 * rows than columns.  Below FNN_GEMM_SPLIT_MIN multiply-adds one call. */
enum { FNN_GEMM_SPLIT_MIN = 1 << 20 };
void fnn_sgemm_split(fnn_sgemm_fn gemm, char ta, char tb, int m, int n, int k, float alpha,
                     const float *a, int lda, const float *b, int ldb, float beta, float *c,
                     int ldc, int threads);
void fnn_dgemm_split(fnn_dgemm_fn gemm, char ta, char tb, int m, int n, int k, double alpha,
                     const double *a, int lda, const double *b, int ldb, double beta,
                     double *c, int ldc, int threads);

#endif
