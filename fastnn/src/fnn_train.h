/* The loops of the dense layer and the training epoch that are not BLAS:
 * bias rows, column sums, and the fused optimizer updates (SGD with momentum,
 * Adam).  Each is one pass over memory, written once for float and double
 * (FNN_TRAIN_DEFINE below) and compiled per SIMD target like the activation
 * loops (FNN_CLONES, fnn_dispatch.h).  Included by the Cython module only;
 * every pointer is contiguous and validated there. */
#ifndef FNN_TRAIN_H
#define FNN_TRAIN_H
#include <math.h>
#include <stddef.h>

#include "fnn_dispatch.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <xmmintrin.h>
/* Denormal moments (Adam's v decays by 0.999 a step; tiny gradients square
 * to denormals) make every update of them ~100x slower on x86.  The training
 * loop therefore runs with flush-to-zero and denormals-are-zero set, as
 * torch.set_flush_denormal(True) does, and restores the caller's mode after:
 * the rest of the process never sees the change.  MXCSR is per thread. */
static inline unsigned int fnn_ftz_begin(void)
{
    unsigned int csr = _mm_getcsr();
    _mm_setcsr(csr | 0x8040u);          /* FTZ (bit 15) | DAZ (bit 6) */
    return csr;
}
static inline void fnn_ftz_end(unsigned int csr) { _mm_setcsr(csr); }
#else
static inline unsigned int fnn_ftz_begin(void) { return 0; }
static inline void fnn_ftz_end(unsigned int csr) { (void)csr; }
#endif

#define FNN_TRAIN_DEFINE(T, SUF, SQRT)                                              \
                                                                                    \
/* z[r, :] += b for `rows` rows of `cols` values. */                                \
FNN_CLONES static void fnn_bias_rows_##SUF(T *z, const T *b, ptrdiff_t rows,        \
                                           ptrdiff_t cols)                          \
{                                                                                   \
    for (ptrdiff_t r = 0; r < rows; ++r, z += cols)                                 \
        for (ptrdiff_t j = 0; j < cols; ++j) z[j] += b[j];                          \
}                                                                                   \
                                                                                    \
/* acc[:] += sum over rows of x[r, :]. */                                           \
FNN_CLONES static void fnn_colsum_add_##SUF(const T *x, T *acc, ptrdiff_t rows,     \
                                            ptrdiff_t cols)                         \
{                                                                                   \
    for (ptrdiff_t r = 0; r < rows; ++r, x += cols)                                 \
        for (ptrdiff_t j = 0; j < cols; ++j) acc[j] += x[j];                        \
}                                                                                   \
                                                                                    \
/* g += l2 * w; returns sum(w^2) (for the loss's 0.5 * l2 * ||w||^2). */            \
FNN_CLONES static double fnn_l2_grad_##SUF(const T *w, T *g, ptrdiff_t n, T l2)     \
{                                                                                   \
    T acc[8] = {0};                                                                 \
    ptrdiff_t i = 0;                                                                \
    for (; i + 8 <= n; i += 8)                                                      \
        for (int j = 0; j < 8; ++j) {                                               \
            acc[j] += w[i + j] * w[i + j];                                          \
            g[i + j] += l2 * w[i + j];                                              \
        }                                                                           \
    double s = 0;                                                                   \
    for (; i < n; ++i) { s += (double)w[i] * w[i]; g[i] += l2 * w[i]; }             \
    for (int j = 0; j < 8; ++j) s += acc[j];                                        \
    return s;                                                                       \
}                                                                                   \
                                                                                    \
/* SGD as torch.optim.SGD (dampening 0): buf = momentum * buf + g, then the      \
 * step is buf, or g + momentum * buf with Nesterov.  buf starts at zero, which  \
 * gives torch's first step buf = g.  Without momentum buf is not touched. */    \
FNN_CLONES static void fnn_sgd_##SUF(T *w, const T *g, T *buf, ptrdiff_t n,        \
                                     T lr, T momentum, int nesterov)               \
{                                                                                   \
    if (momentum == 0) {                                                            \
        for (ptrdiff_t i = 0; i < n; ++i) w[i] -= lr * g[i];                        \
    } else if (nesterov) {                                                          \
        for (ptrdiff_t i = 0; i < n; ++i) {                                         \
            T b = momentum * buf[i] + g[i];                                         \
            buf[i] = b;                                                             \
            w[i] -= lr * (g[i] + momentum * b);                                     \
        }                                                                           \
    } else {                                                                        \
        for (ptrdiff_t i = 0; i < n; ++i) {                                         \
            T b = momentum * buf[i] + g[i];                                         \
            buf[i] = b;                                                             \
            w[i] -= lr * b;                                                         \
        }                                                                           \
    }                                                                               \
}                                                                                   \
                                                                                    \
/* Adam as torch.optim.Adam: m and v are the moment estimates; step_size is     \
 * lr / (1 - beta1^t) and inv_bc2_sqrt is 1 / sqrt(1 - beta2^t), so that        \
 * w -= step_size * m / (sqrt(v) * inv_bc2_sqrt + eps) is torch's formula. */   \
FNN_CLONES static void fnn_adam_##SUF(T *w, const T *g, T *m, T *v, ptrdiff_t n,    \
                                      T step_size, T beta1, T beta2,                \
                                      T inv_bc2_sqrt, T eps)                        \
{                                                                                   \
    for (ptrdiff_t i = 0; i < n; ++i) {                                             \
        T mi = beta1 * m[i] + (1 - beta1) * g[i];                                   \
        T vi = beta2 * v[i] + (1 - beta2) * (g[i] * g[i]);                          \
        m[i] = mi;                                                                  \
        v[i] = vi;                                                                  \
        w[i] -= step_size * (mi / (SQRT(vi) * inv_bc2_sqrt + eps));                 \
    }                                                                               \
}

FNN_TRAIN_DEFINE(float, f32, sqrtf)
FNN_TRAIN_DEFINE(double, f64, sqrt)
#undef FNN_TRAIN_DEFINE

#endif
