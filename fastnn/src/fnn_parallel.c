/* fnn_parallel.h's passes: each splits its elements into one contiguous
 * share per part of an fnn_pool job (fnn_split). */
#include <stdatomic.h>
#include <string.h>

#include "fnn_kernels.h"          /* fnn_all_finite */
#include "fnn_parallel.h"
#include "fnn_pool.h"
#include "fnn_train.h"           /* the SGD and Adam loops */

/* The share [*start, *start + *len) of n elements that part `part` of
 * n_parts takes, in whole blocks of `align` elements (64-byte lines). */
static void fnn_share(ptrdiff_t n, int part, int n_parts, ptrdiff_t align,
                      ptrdiff_t *start, ptrdiff_t *len)
{
    ptrdiff_t block = ((n + n_parts - 1) / n_parts + align - 1) / align * align;
    ptrdiff_t lo = block * part;
    *start = lo < n ? lo : n;
    *len = lo < n ? (n - lo < block ? n - lo : block) : 0;
}

/* A pass over n items as fn(ctx, lo, len) on each share: over the pool's
 * threads when `split`, else one call on the calling thread. */
typedef void (*fnn_span_fn)(void *ctx, ptrdiff_t lo, ptrdiff_t len);
struct fnn_span_job { fnn_span_fn fn; void *ctx; ptrdiff_t n, align; };

static void fnn_span_part(void *job, int part, int n_parts)
{
    const struct fnn_span_job *j = job;
    ptrdiff_t lo, len;
    fnn_share(j->n, part, n_parts, j->align, &lo, &len);
    if (len > 0)
        j->fn(j->ctx, lo, len);
}

static void fnn_split(fnn_span_fn fn, void *ctx, ptrdiff_t n, ptrdiff_t align, int split,
                      int threads)
{
    struct fnn_span_job job = { fn, ctx, n, align };
    if (threads <= 1 || !split) fnn_span_part(&job, 0, 1);
    else fnn_pool_run(threads, fnn_span_part, &job);
}

#define FNN_PARALLEL_DEFINE(T, SUF)                                                    \
struct fnn_sgd_job_##SUF { T *w; const T *g; T *buf; T lr, momentum; int nesterov; };     \
static void fnn_sgd_span_##SUF(void *ctx, ptrdiff_t lo, ptrdiff_t len)                   \
{                                                                                        \
    const struct fnn_sgd_job_##SUF *j = ctx;                                             \
    fnn_sgd_##SUF(j->w + lo, j->g + lo, j->buf ? j->buf + lo : NULL, len, j->lr,         \
                  j->momentum, j->nesterov);                                             \
}                                                                                        \
void fnn_sgd_par_##SUF(T *w, const T *g, T *buf, ptrdiff_t n, T lr, T momentum,          \
                       int nesterov, int threads)                                        \
{                                                                                        \
    struct fnn_sgd_job_##SUF job = { w, g, buf, lr, momentum, nesterov };                \
    fnn_split(fnn_sgd_span_##SUF, &job, n, 64 / sizeof(T), n >= FNN_PARALLEL_MIN, threads); \
}                                                                                        \
struct fnn_adam_job_##SUF { T *w; const T *g; T *m, *v;                                  \
                            T step_size, beta1, beta2, inv_bc2_sqrt, eps; };             \
static void fnn_adam_span_##SUF(void *ctx, ptrdiff_t lo, ptrdiff_t len)                  \
{                                                                                        \
    const struct fnn_adam_job_##SUF *j = ctx;                                            \
    fnn_adam_##SUF(j->w + lo, j->g + lo, j->m + lo, j->v + lo, len, j->step_size,        \
                   j->beta1, j->beta2, j->inv_bc2_sqrt, j->eps);                         \
}                                                                                        \
void fnn_adam_par_##SUF(T *w, const T *g, T *m, T *v, ptrdiff_t n, T step_size,          \
                        T beta1, T beta2, T inv_bc2_sqrt, T eps, int threads)            \
{                                                                                        \
    struct fnn_adam_job_##SUF job = { w, g, m, v, step_size, beta1, beta2,               \
                                      inv_bc2_sqrt, eps };                               \
    fnn_split(fnn_adam_span_##SUF, &job, n, 64 / sizeof(T), n >= FNN_PARALLEL_MIN, threads); \
}                                                                                        \
struct fnn_rows_job_##SUF { T *z, *a; const T *b, *s; ptrdiff_t cols; int act; double p; }; \
static void fnn_bias_act_span_##SUF(void *ctx, ptrdiff_t lo, ptrdiff_t len)              \
{                                                                                        \
    const struct fnn_rows_job_##SUF *j = ctx;                                            \
    const ptrdiff_t cols = j->cols, step = cols >= FNN_BLOCK_ELEMS ? 1 : FNN_BLOCK_ELEMS / cols; \
    for (ptrdiff_t r = lo; r < lo + len; r += step) {                                    \
        const ptrdiff_t nr = lo + len - r < step ? lo + len - r : step;                  \
        T *z = j->z + r * cols, *a = j->a + r * cols;                                    \
        fnn_bias_rows_##SUF(z, j->b, nr, cols);                                          \
        if (j->act == FNN_SOFTMAX_ID) fnn_softmax_rows_##SUF(z, a, nr, cols);            \
        else fnn_forward_##SUF(j->act, z, a, nr * cols, j->p);                           \
    }                                                                                    \
}                                                                                        \
void fnn_bias_act_par_##SUF(T *z, T *a, const T *b, ptrdiff_t rows, ptrdiff_t cols,      \
                            int act, double p, int threads)                              \
{                                                                                        \
    struct fnn_rows_job_##SUF job = { z, a, b, NULL, cols, act, p };                     \
    if (cols > 0)                                                                        \
        fnn_split(fnn_bias_act_span_##SUF, &job, rows, 1,                                \
                  rows > 1 && rows * cols >= FNN_PARALLEL_MIN, threads);                \
}                                                                                        \
static void fnn_act_backward_span_##SUF(void *ctx, ptrdiff_t lo, ptrdiff_t len)          \
{                                                                                        \
    const struct fnn_rows_job_##SUF *j = ctx;                                            \
    const ptrdiff_t off = lo * j->cols;                                                  \
    if (j->act == FNN_SOFTMAX_ID)                                                        \
        fnn_softmax_backward_rows_##SUF(j->b + off, j->s + off, j->z + off, len, j->cols); \
    else                                                                                 \
        fnn_backward_##SUF(j->act, j->b + off, j->s + off, j->z + off, len * j->cols, j->p); \
}                                                                                        \
void fnn_act_backward_par_##SUF(const T *grad, const T *saved, T *dz, ptrdiff_t rows,    \
                                ptrdiff_t cols, int act, double p, int threads)          \
{                                                                                        \
    struct fnn_rows_job_##SUF job = { dz, NULL, grad, saved, cols, act, p };             \
    if (cols > 0)                                                                        \
        fnn_split(fnn_act_backward_span_##SUF, &job, rows, 1,                            \
                  rows > 1 && rows * cols >= FNN_PARALLEL_MIN, threads);                \
}

FNN_PARALLEL_DEFINE(float, f32)
FNN_PARALLEL_DEFINE(double, f64)
#undef FNN_PARALLEL_DEFINE

/* Ask for the cache lines of p[0:bytes] ahead of a read.  The training
 * loop's gather copies rows of X in a random order, which the hardware
 * prefetchers cannot guess: fetching the next row while copying this one
 * took a 784-wide float32 epoch's gather from 17-23 ms to 11-12 ms (Zen 4). */
static void fnn_prefetch_span(const void *p, size_t bytes)
{
#if defined(__GNUC__) || defined(__clang__)
    for (size_t off = 0; off < bytes; off += 64)
        __builtin_prefetch((const char *)p + off, 0, 3);
#else
    (void)p; (void)bytes;
#endif
}

struct fnn_gather_job { const char *rows; size_t row_bytes; const long long *idx;
                        char *out; size_t elem; int check; atomic_int not_finite; };

static void fnn_gather_span(void *ctx, ptrdiff_t lo, ptrdiff_t len)
{
    struct fnn_gather_job *j = ctx;
    for (ptrdiff_t r = lo; r < lo + len; ++r) {
        if (r + 1 < lo + len)
            fnn_prefetch_span(j->rows + (size_t)j->idx[r + 1] * j->row_bytes, j->row_bytes);
        memcpy(j->out + (size_t)r * j->row_bytes, j->rows + (size_t)j->idx[r] * j->row_bytes,
               j->row_bytes);
    }
    /* The share's rows, still in cache: a 60,000 x 784 float32 epoch's
     * gather took 1.4-3 ms longer with the test, where a separate pass over
     * X took 11 ms (a fused copy-and-test loop was slower than memcpy). */
    if (!j->check)
        return;
    const void *span = j->out + (size_t)lo * j->row_bytes;
    ptrdiff_t n = (ptrdiff_t)((size_t)len * j->row_bytes / j->elem);
    if (!(j->elem == sizeof(float) ? fnn_all_finite_f32(span, n) : fnn_all_finite_f64(span, n)))
        atomic_store_explicit(&j->not_finite, 1, memory_order_relaxed);
}

int fnn_gather_rows(const void *rows, size_t row_bytes, const long long *idx,
                    ptrdiff_t n_rows, void *out, size_t elem, int check, int threads)
{
    struct fnn_gather_job job = { rows, row_bytes, idx, out, elem, check, 0 };
    fnn_split(fnn_gather_span, &job, n_rows, 1,
              (size_t)n_rows * row_bytes >= FNN_PARALLEL_MIN * elem, threads);
    /* fnn_pool_run acquires each helper's release of its finished part, so
     * a part's relaxed store is seen here. */
    return !atomic_load_explicit(&job.not_finite, memory_order_relaxed);
}

/* ---- split products ---- */

#define FNN_GEMM_SPLIT_DEFINE(T, SUF, FN)                                                  \
struct fnn_gemm_job_##SUF { FN gemm; char ta, tb; int m, n, k; T alpha; const T *a;        \
                            int lda; const T *b; int ldb; T beta; T *c; int ldc;           \
                            int by_rows; };                                                \
static void fnn_gemm_span_##SUF(void *ctx, ptrdiff_t lo, ptrdiff_t len)                    \
{                                                                                          \
    const struct fnn_gemm_job_##SUF *j = ctx;                                              \
    int share = (int)len;                                                                  \
    if (j->by_rows) {       /* rows lo.. of op(A) and of C */                              \
        const T *a = j->ta == 'N' ? j->a + lo : j->a + lo * j->lda;                        \
        j->gemm(&j->ta, &j->tb, &share, &j->n, &j->k, &j->alpha, a, &j->lda, j->b,         \
                &j->ldb, &j->beta, j->c + lo, &j->ldc);                                    \
    } else {                /* columns lo.. of op(B) and of C */                           \
        const T *b = j->tb == 'N' ? j->b + lo * j->ldb : j->b + lo;                        \
        j->gemm(&j->ta, &j->tb, &j->m, &share, &j->k, &j->alpha, j->a, &j->lda, b,         \
                &j->ldb, &j->beta, j->c + lo * j->ldc, &j->ldc);                           \
    }                                                                                      \
}                                                                                          \
void fnn_##SUF##gemm_split(FN gemm, char ta, char tb, int m, int n, int k, T alpha,        \
                           const T *a, int lda, const T *b, int ldb, T beta, T *c,         \
                           int ldc, int threads)                                           \
{                                                                                          \
    struct fnn_gemm_job_##SUF job = { gemm, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta,  \
                                      c, ldc, m > n };                                     \
    fnn_split(fnn_gemm_span_##SUF, &job, m > n ? m : n, 16,                                \
              (double)m * n * k >= FNN_GEMM_SPLIT_MIN, threads);                           \
}

FNN_GEMM_SPLIT_DEFINE(float, s, fnn_sgemm_fn)
FNN_GEMM_SPLIT_DEFINE(double, d, fnn_dgemm_fn)
#undef FNN_GEMM_SPLIT_DEFINE

/* ---- the FMA units' peak, for the benchmark report ---- */

struct fnn_fma_job { size_t elem; double flops; double done[64], sum[64]; };

static void fnn_fma_part(void *job, int part, int n_parts)
{
    struct fnn_fma_job *j = job;
    const double share = j->flops / n_parts;
    if (part < 64)
        j->done[part] = j->elem == sizeof(float) ? fnn_fma_burst_f32(share, &j->sum[part])
                                                 : fnn_fma_burst_f64(share, &j->sum[part]);
}

double fnn_fma_burst_par(size_t elem, double flops, int threads, double *sum)
{
    struct fnn_fma_job job = { elem, flops, { 0 }, { 0 } };
    const int parts = threads < 1 ? 1 : threads > 64 ? 64 : threads;
    if (parts == 1) fnn_fma_part(&job, 0, 1);
    else fnn_pool_run(parts, fnn_fma_part, &job);
    double done = 0;
    *sum = 0;
    for (int p = 0; p < 64; ++p) done += job.done[p], *sum += job.sum[p];
    return done;
}
