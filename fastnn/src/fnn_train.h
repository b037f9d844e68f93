/* C interface of the loops of the dense layer and the training epoch that
 * are not BLAS: bias rows, column sums, and the fused optimizer updates (SGD
 * with momentum, Adam), implemented in fnn_train.c from the type-generic
 * fnn_train_impl.h; and the ids the training loop shares with Python. */
#ifndef FNN_TRAIN_H
#define FNN_TRAIN_H
#include <math.h>
#include <stddef.h>


/* Activation id of softmax in the dense layer and the training loop; the
 * elementwise kernels use 0 .. FNN_N_ACTIVATIONS - 1 (fnn_kernels.h). */
enum { FNN_SOFTMAX_ID = -1 };

/* Loss of the training loop. */
/* FNN_POISSON: scikit-learn's half Poisson deviance, only in its loss mode. */
enum fnn_loss { FNN_MSE = 0, FNN_BCE = 1, FNN_CE = 2, FNN_POISSON = 3 };

/* Optimizer of the training loop. */
enum fnn_optimizer { FNN_SGD = 0, FNN_ADAM = 1 };

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

/* A monotonic clock in nanoseconds, for the training loop's signal checks. */
#if defined(_WIN32)
#include <windows.h>
static inline long long fnn_monotonic_ns(void)
{
    LARGE_INTEGER t, f;
    QueryPerformanceCounter(&t);
    QueryPerformanceFrequency(&f);
    return (long long)((double)t.QuadPart * 1e9 / (double)f.QuadPart);
}
#else
#include <time.h>
static inline long long fnn_monotonic_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}
#endif

#define FNN_TRAIN_DECLARE(T, SUF)                                              \
void fnn_bias_rows_##SUF(T *z, const T *b, ptrdiff_t rows, ptrdiff_t cols);     \
void fnn_colsum_add_##SUF(const T *x, T *acc, ptrdiff_t rows, ptrdiff_t cols);  \
double fnn_l2_grad_##SUF(const T *w, T *g, ptrdiff_t n, T l2);                  \
void fnn_sgd_##SUF(T *w, const T *g, T *buf, ptrdiff_t n, T lr, T momentum,     \
                   int nesterov);                                               \
void fnn_adam_##SUF(T *w, const T *g, T *m, T *v, ptrdiff_t n, T step_size,     \
                    T beta1, T beta2, T inv_bc2_sqrt, T eps);

FNN_TRAIN_DECLARE(float, f32)
FNN_TRAIN_DECLARE(double, f64)
#undef FNN_TRAIN_DECLARE

#endif
