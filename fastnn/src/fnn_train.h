/* C interface of the loops of the dense layer and the training epoch that
 * are not BLAS: bias rows, column sums, and the fused optimizer updates (SGD
 * with momentum, Adam), implemented in fnn_train.c from the type-generic
 * fnn_train_impl.h; and the ids the training loop shares with Python. */
#ifndef FNN_TRAIN_H
#define FNN_TRAIN_H
#include <math.h>
#include <stddef.h>

#include "fnn_dispatch.h"


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

/* The small-product kernel (fnn_train_impl.h) takes row-major
 * C[m, n] = op(A) op(B) with m, k and n_pad at most FNN_SMALL_GEMM_MAX_DIM
 * and at most FNN_SMALL_GEMM_MAX_BYTES of multiply-adds (m n_pad k) x
 * element size, n_pad being n rounded up to whole FNN_SMALL_GEMM_ROW_BYTES
 * (the AVX2 tile's two 32-byte vectors, one AVX-512 vector).  The bounds
 * are where it stopped beating OpenBLAS on a 2-core AVX2 VM, one thread:
 * float 32x64x64 1.5x faster, 64x64x64 1.0x; double 32x64x64 1.0x,
 * 64x64x64 0.7x; 4 or 16 rows 2-5x faster.  The AVX-512 tile is twice as
 * fast on Zen 4, yet double 32x64x64 there gained nothing against
 * OpenBLAS's own AVX-512 kernels in a digits epoch, so the bounds hold for
 * every level.  A ragged n (10 classes) or a transposed B goes through a
 * copy of op(B)'s panel.  It needs GCC's vector extension (GCC, Clang);
 * elsewhere every product goes to BLAS.  It runs from the AVX2 level up:
 * on the SSE2 baseline the tile's 16 half-vectors spill (a digits epoch 17x
 * slower than BLAS, measured on Zen 4), and BLAS picks its own SIMD level
 * whatever fastnn's is. */
#if defined(__GNUC__) || defined(__clang__)
#define FNN_HAVE_SMALL_GEMM 1
#endif
enum { FNN_SMALL_GEMM_ROW_BYTES = 64, FNN_SMALL_GEMM_MAX_DIM = 64,
       FNN_SMALL_GEMM_MAX_BYTES = 1 << 19 };

static inline int fnn_small_gemm_takes(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, size_t elem)
{
#ifdef FNN_HAVE_SMALL_GEMM
    if (fnn_isa_level() < FNN_ISA_AVX2 || (elem != sizeof(float) && elem != sizeof(double))
        || m < 0 || n < 0 || k < 0 || m > FNN_SMALL_GEMM_MAX_DIM
        || n > FNN_SMALL_GEMM_MAX_DIM || k > FNN_SMALL_GEMM_MAX_DIM)
        return 0;
    const ptrdiff_t row = (ptrdiff_t)(FNN_SMALL_GEMM_ROW_BYTES / elem);
    const ptrdiff_t n_pad = (n + row - 1) / row * row;
    return n_pad <= FNN_SMALL_GEMM_MAX_DIM
        && (size_t)(m * n_pad * k) * elem <= FNN_SMALL_GEMM_MAX_BYTES;
#else
    (void)m; (void)n; (void)k; (void)elem;
    return 0;
#endif
}

/* Whether a product runs the kernel rather than BLAS: every product it
 * takes, except where n is ragged (not whole FNN_SMALL_GEMM_ROW_BYTES) and
 * the padded lanes cost more than BLAS's call (benchmarks/small_products.c,
 * one thread, 2-core VMs):
 * - at the AVX2 level the kernel wins at n >= 2: float 32x10x64 0.84 us
 *   against OpenBLAS's 1.23 on Zen 3 (double 1.44 against 2.00), 32x3x64
 *   0.68 against 0.76 with OpenBLAS's Haswell kernels on Zen 4;
 * - n = 1, a matrix-vector product, it loses: 32x1x64 0.69 against 0.50;
 * - at the AVX-512 level it loses at every ragged n measured on Zen 4,
 *   against OpenBLAS's small-matrix kernels for AVX-512: float 32x10x64
 *   0.72-0.78 against 0.64-0.66 us, 32x1x64 0.67 against 0.15, 32x3x64
 *   0.66 against 0.26, 32x20x64 1.34 against 0.91; double 32x10x64
 *   1.31-1.35 against 0.87-0.89. */
static inline int fnn_small_gemm_fits(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, size_t elem)
{
    if (!fnn_small_gemm_takes(m, n, k, elem))
        return 0;
    const int ragged = n % (ptrdiff_t)(FNN_SMALL_GEMM_ROW_BYTES / elem) != 0;
    return !ragged || (n > 1 && fnn_isa_level() < FNN_ISA_AVX512);
}

/* Independent accumulators of fnn_fma_burst: more than an FMA's latency
 * (4 cycles) times the FMA units (2) on current x86 cores, and with the
 * two constants within AVX2's 16 vector registers. */
enum { FNN_FMA_CHAINS = 12 };
/* About two minutes at 100 GF/s: a bound on one uninterruptible call. */
#define FNN_FMA_MAX_FLOPS 1e13

#ifdef FNN_HAVE_SMALL_GEMM
/* At least `flops` (at most FNN_FMA_MAX_FLOPS) floating-point operations
 * of FMA chains (fnn_train_impl.h) at the best level the CPU runs, whatever
 * the selected one; returns how many it ran, and the chains' sum in *sum. */
double fnn_fma_burst_f32(double flops, double *sum);
double fnn_fma_burst_f64(double flops, double *sum);
void fnn_small_gemm_f32(int trans_a, int trans_b, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
                        const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb, float *c,
                        ptrdiff_t ldc);
void fnn_small_gemm_f64(int trans_a, int trans_b, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
                        const double *a, ptrdiff_t lda, const double *b, ptrdiff_t ldb,
                        double *c, ptrdiff_t ldc);
#else   /* never called: fnn_small_gemm_takes is 0 */
#define fnn_small_gemm_f32(...) ((void)0)
#define fnn_small_gemm_f64(...) ((void)0)
#define fnn_fma_burst_f32(flops, sum) ((void)(flops), *(sum) = 0, 0.0)   /* none run */
#define fnn_fma_burst_f64(flops, sum) ((void)(flops), *(sum) = 0, 0.0)
#endif

#endif
