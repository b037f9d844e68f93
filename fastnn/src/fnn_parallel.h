/* The passes of the training loop that split over fnn_pool's threads: the
 * optimizer updates, the gather of a batch's rows and a layer's
 * elementwise passes, by rows of the (rows, cols) block: z += b then
 * a = f(z) (bias_act; a may be z), and dz = grad * f'(.) from what the
 * forward saved (act_backward; dz may be grad), f the activation id or
 * FNN_SOFTMAX_ID (row by row).  Each element's (or softmax row's) result
 * depends on it alone, so every split gives the bits one thread gives.
 * Below FNN_PARALLEL_MIN elements a pass stays on the calling thread: the
 * kernels' measured break-even for a second thread. */
#ifndef FNN_PARALLEL_H
#define FNN_PARALLEL_H
#include <stddef.h>

enum { FNN_PARALLEL_MIN = 1 << 15 };

/* Two elementwise passes over the same rows (bias then activation here;
 * the dense layer's activation backward then column sums, _dense.pxd) run
 * on blocks of about this many elements (16 KiB of float), so the second
 * reads from L1 what the first wrote. */
enum { FNN_BLOCK_ELEMS = 4096 };

#define FNN_PARALLEL_DECLARE(T, SUF)                                              \
void fnn_sgd_par_##SUF(T *w, const T *g, T *buf, ptrdiff_t n, T lr, T momentum,    \
                       int nesterov, int threads);                                \
void fnn_adam_par_##SUF(T *w, const T *g, T *m, T *v, ptrdiff_t n, T step_size,    \
                        T beta1, T beta2, T inv_bc2_sqrt, T eps, int threads);       \
void fnn_bias_act_par_##SUF(T *z, T *a, const T *b, ptrdiff_t rows, ptrdiff_t cols,  \
                            int act, double p, int threads);                         \
void fnn_act_backward_par_##SUF(const T *grad, const T *saved, T *dz, ptrdiff_t rows, \
                                ptrdiff_t cols, int act, double p, int threads);

FNN_PARALLEL_DECLARE(float, f32)
FNN_PARALLEL_DECLARE(double, f64)
#undef FNN_PARALLEL_DECLARE

/* out[r] = rows[idx[r]] for r < n_rows, rows of row_bytes bytes of float
 * (elem 4) or double (elem 8) values; every idx[r] checked by the caller.
 * With check, returns 0 when a copied value is NaN or inf (all rows copied
 * still), else 1.  Each row's successor is prefetched (see fnn_parallel.c). */
int fnn_gather_rows(const void *rows, size_t row_bytes, const long long *idx,
                    ptrdiff_t n_rows, void *out, size_t elem, int check, int threads);

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

/* At least `flops` floating-point operations of independent FMA chains
 * (fnn_fma_burst_f32/f64, elem 4 or 8), split over `threads` parts of the
 * pool (at most 64): the FMA units' peak rate, the bound of the benchmark
 * report.  Returns how many ran (fewer parts may run: see fnn_pool_run; 0
 * where the build has no vector extension); the chains' sum in *sum. */
double fnn_fma_burst_par(size_t elem, double flops, int threads, double *sum);

#endif
