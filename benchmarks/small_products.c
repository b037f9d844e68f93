/* The digits network's five products per batch (64-64-10, batches of 32,
 * float32 and float64) on fastnn's small-product kernel and on the
 * OpenBLAS that SciPy ships, one thread, in C: alternating sides round by
 * round, medians of 9 rounds of 20,000 calls.  As the README quotes them.
 * A benchmark: it prints figures and fails on nothing.  From the
 * repository's root, with SciPy's OpenBLAS found where pip put it:
 *
 *   L=$(python -c "import scipy, pathlib; print(pathlib.Path(scipy.__file__).parent.parent / 'scipy.libs')")
 *   gcc -O3 -std=gnu11 -fno-math-errno -fno-trapping-math -Ifastnn/src \
 *       benchmarks/small_products.c fastnn/src/fnn_train.c fastnn/src/fnn_kernels.c \
 *       -L$L -l:$(ls $L | grep -m1 '^libscipy_openblas-') -Wl,-rpath,$L -lm -o /tmp/small_products
 *   env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /tmp/small_products
 *
 * Each product runs on the kernel even where fnn_small_gemm_fits sends it
 * to BLAS (a ragged n at AVX-512): these rows are what that choice rests on.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bench_clock.h"
#include "fnn_dispatch.h"
#include "fnn_train.h"

void scipy_sgemm_(const char *, const char *, const int *, const int *, const int *,
                  const float *, const float *, const int *, const float *, const int *,
                  const float *, float *, const int *);
void scipy_dgemm_(const char *, const char *, const int *, const int *, const int *,
                  const double *, const double *, const int *, const double *, const int *,
                  const double *, double *, const int *);
void scipy_openblas_set_num_threads(int);

enum { ROUNDS = 9, CALLS = 20000 };

/* Row-major C = op(A) op(B) through column-major BLAS: C^T = op(B)^T op(A)^T. */
#define BENCH(T, SUF, GEMM)                                                                \
static void bench_##SUF(const char *what, int ta, int tb, int m, int n, int k)              \
{                                                                                          \
    T *a = calloc(64 * 64, sizeof(T)), *b = calloc(64 * 64, sizeof(T));                    \
    T *c = calloc(64 * 64, sizeof(T)), one = 1, zero = 0;                                  \
    for (int i = 0; i < 64 * 64; ++i) a[i] = (T)(i % 13) * (T)0.1, b[i] = (T)(i % 7) * (T)0.1; \
    int lda = ta ? m : k, ldb = tb ? k : n;                                                \
    char cta = ta ? 'T' : 'N', ctb = tb ? 'T' : 'N';                                       \
    double own[ROUNDS], blas[ROUNDS];                                                      \
    for (int r = -1; r < ROUNDS; ++r) {              /* round -1 warms up */                \
        double start = now_s();                                                            \
        for (int i = 0; i < CALLS; ++i) {                                                  \
            fnn_small_gemm_##SUF(ta, tb, m, n, k, a, lda, b, ldb, c, n);                   \
            __asm__ volatile("" : : "r"(c) : "memory");                                    \
        }                                                                                  \
        double mid = now_s();                                                              \
        for (int i = 0; i < CALLS; ++i) {                                                  \
            GEMM(&ctb, &cta, &n, &m, &k, &one, b, &ldb, a, &lda, &zero, c, &n);            \
            __asm__ volatile("" : : "r"(c) : "memory");                                    \
        }                                                                                  \
        if (r >= 0) own[r] = (mid - start) / CALLS, blas[r] = (now_s() - mid) / CALLS;     \
    }                                                                                      \
    printf("  %-7s %-26s %2dx%2dx%2d  fastnn %6.2f us  OpenBLAS %6.2f us\n", #T, what,      \
           m, n, k, median(own, ROUNDS) * 1e6, median(blas, ROUNDS) * 1e6);                \
    free(a), free(b), free(c);                                                             \
}
BENCH(float, f32, scipy_sgemm_)
BENCH(double, f64, scipy_dgemm_)

int main(void)
{
    /* The level the extension would select: FASTNN_CPU_CAPABILITY=avx2 times
     * the AVX2 tile on an AVX-512 CPU (OPENBLAS_CORETYPE=Haswell, OpenBLAS's
     * AVX2 kernels). */
    const char *level = getenv("FASTNN_CPU_CAPABILITY");
    if (fnn_isa_select(level) != FNN_ISA_OK)      /* as the extension: warn, run the best */
        fprintf(stderr, "FASTNN_CPU_CAPABILITY=%s: not a level this CPU runs; using %s\n",
                level, fnn_isa_name(fnn_isa_level()));
    if (!fnn_small_gemm_takes(32, 10, 64, sizeof(float))) {
        printf("no small-product kernel at this CPU's level (%s)\n", fnn_isa_name(fnn_isa_level()));
        return 0;
    }
    scipy_openblas_set_num_threads(1);
    printf("one batch of the digits network, level %s, medians of %d rounds:\n",
           fnn_isa_name(fnn_isa_level()), ROUNDS);
    bench_f32("hidden forward X W1", 0, 0, 32, 64, 64);
    bench_f32("output forward A1 W2", 0, 0, 32, 10, 64);
    bench_f32("output weights A1^T dZ2", 1, 0, 64, 10, 32);
    bench_f32("hidden grad dZ2 W2^T", 0, 1, 32, 64, 10);
    bench_f32("hidden weights X^T dZ1", 1, 0, 64, 64, 32);
    bench_f64("output forward A1 W2", 0, 0, 32, 10, 64);
    bench_f64("output weights A1^T dZ2", 1, 0, 64, 10, 32);
    bench_f64("hidden grad dZ2 W2^T", 0, 1, 32, 64, 10);
    printf("ragged widths (fnn_small_gemm_fits):\n");
    bench_f32("one output", 0, 0, 32, 1, 64);
    bench_f32("three outputs", 0, 0, 32, 3, 64);
    bench_f32("twenty outputs", 0, 0, 32, 20, 64);
    return 0;
}
