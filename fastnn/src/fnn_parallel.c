/* fnn_parallel.h's passes: each splits its elements into one contiguous
 * share per part of an fnn_pool job. */
#include <string.h>

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

#define FNN_PARALLEL_DEFINE(T, SUF)                                                    \
struct fnn_sgd_job_##SUF { T *w; const T *g; T *buf; ptrdiff_t n; T lr, momentum;         \
                           int nesterov; };                                              \
static void fnn_sgd_part_##SUF(void *ctx, int part, int n_parts)                         \
{                                                                                        \
    const struct fnn_sgd_job_##SUF *j = ctx;                                             \
    ptrdiff_t lo, len;                                                                   \
    fnn_share(j->n, part, n_parts, 64 / sizeof(T), &lo, &len);                           \
    if (len > 0)                                                                         \
        fnn_sgd_##SUF(j->w + lo, j->g + lo, j->buf ? j->buf + lo : NULL, len, j->lr,     \
                      j->momentum, j->nesterov);                                         \
}                                                                                        \
void fnn_sgd_par_##SUF(T *w, const T *g, T *buf, ptrdiff_t n, T lr, T momentum,          \
                       int nesterov, int threads)                                        \
{                                                                                        \
    struct fnn_sgd_job_##SUF job = { w, g, buf, n, lr, momentum, nesterov };             \
    if (threads <= 1 || n < FNN_PARALLEL_MIN) fnn_sgd_part_##SUF(&job, 0, 1);            \
    else fnn_pool_run(threads, fnn_sgd_part_##SUF, &job);                                \
}                                                                                        \
struct fnn_adam_job_##SUF { T *w; const T *g; T *m, *v; ptrdiff_t n;                     \
                            T step_size, beta1, beta2, inv_bc2_sqrt, eps; };             \
static void fnn_adam_part_##SUF(void *ctx, int part, int n_parts)                        \
{                                                                                        \
    const struct fnn_adam_job_##SUF *j = ctx;                                            \
    ptrdiff_t lo, len;                                                                   \
    fnn_share(j->n, part, n_parts, 64 / sizeof(T), &lo, &len);                           \
    if (len > 0)                                                                         \
        fnn_adam_##SUF(j->w + lo, j->g + lo, j->m + lo, j->v + lo, len, j->step_size,    \
                       j->beta1, j->beta2, j->inv_bc2_sqrt, j->eps);                     \
}                                                                                        \
void fnn_adam_par_##SUF(T *w, const T *g, T *m, T *v, ptrdiff_t n, T step_size,          \
                        T beta1, T beta2, T inv_bc2_sqrt, T eps, int threads)            \
{                                                                                        \
    struct fnn_adam_job_##SUF job = { w, g, m, v, n, step_size, beta1, beta2,            \
                                      inv_bc2_sqrt, eps };                               \
    if (threads <= 1 || n < FNN_PARALLEL_MIN) fnn_adam_part_##SUF(&job, 0, 1);           \
    else fnn_pool_run(threads, fnn_adam_part_##SUF, &job);                               \
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
                        ptrdiff_t n_rows; char *out; };

static void fnn_gather_part(void *ctx, int part, int n_parts)
{
    const struct fnn_gather_job *j = ctx;
    ptrdiff_t lo, len;
    fnn_share(j->n_rows, part, n_parts, 1, &lo, &len);
    for (ptrdiff_t r = lo; r < lo + len; ++r) {
        if (r + 1 < lo + len)
            fnn_prefetch_span(j->rows + (size_t)j->idx[r + 1] * j->row_bytes, j->row_bytes);
        memcpy(j->out + (size_t)r * j->row_bytes, j->rows + (size_t)j->idx[r] * j->row_bytes,
               j->row_bytes);
    }
}

void fnn_gather_rows(const void *rows, size_t row_bytes, const long long *idx,
                     ptrdiff_t n_rows, void *out, size_t elem, int threads)
{
    struct fnn_gather_job job = { rows, row_bytes, idx, n_rows, out };
    if (threads <= 1 || (size_t)n_rows * row_bytes < FNN_PARALLEL_MIN * elem)
        fnn_gather_part(&job, 0, 1);
    else
        fnn_pool_run(threads, fnn_gather_part, &job);
}

/* ---- split products ---- */

#define FNN_GEMM_SPLIT_DEFINE(T, SUF, FN)                                                  \
struct fnn_gemm_job_##SUF { FN gemm; char ta, tb; int m, n, k; T alpha; const T *a;        \
                            int lda; const T *b; int ldb; T beta; T *c; int ldc;           \
                            int by_rows; };                                                \
static void fnn_gemm_part_##SUF(void *ctx, int part, int n_parts)                          \
{                                                                                          \
    const struct fnn_gemm_job_##SUF *j = ctx;                                              \
    ptrdiff_t lo, len;                                                                     \
    fnn_share(j->by_rows ? j->m : j->n, part, n_parts, 16, &lo, &len);                     \
    if (len <= 0) return;                                                                  \
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
    if (threads <= 1 || (double)m * n * k < FNN_GEMM_SPLIT_MIN) fnn_gemm_part_##SUF(&job, 0, 1); \
    else fnn_pool_run(threads, fnn_gemm_part_##SUF, &job);                                 \
}

FNN_GEMM_SPLIT_DEFINE(float, s, fnn_sgemm_fn)
FNN_GEMM_SPLIT_DEFINE(double, d, fnn_dgemm_fn)
#undef FNN_GEMM_SPLIT_DEFINE
