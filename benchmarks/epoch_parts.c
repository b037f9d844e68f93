/* Two parts of the 784-256-10 training epoch (60,000 float32 rows, batches
 * of 128, Adam) timed alone, in C, as the README quotes them: the shuffled
 * batch gather with and without its NaN/inf test, and the Adam update of all
 * 203,530 parameters, at 1 and 2 threads of fastnn's pool.  Alternating
 * variants round by round, medians of 7 rounds.  A benchmark: it prints
 * figures and fails on nothing.  From the repository's root:
 *
 *   gcc -O3 -std=gnu11 -fno-math-errno -fno-trapping-math -Ifastnn/src \
 *       benchmarks/epoch_parts.c fastnn/src/fnn_parallel.c fastnn/src/fnn_pool.c \
 *       fastnn/src/fnn_train.c fastnn/src/fnn_kernels.c -lm -lpthread -o /tmp/epoch_parts
 *   /tmp/epoch_parts
 */
#include <stdio.h>
#include <stdlib.h>

#include "bench_clock.h"
#include "fnn_parallel.h"

enum { N_ROWS = 60000, N_IN = 784, N_HIDDEN = 256, N_OUT = 10, BATCH = 128, ROUNDS = 7 };
#define N_PARAMS ((size_t)N_IN * N_HIDDEN + N_HIDDEN + (size_t)N_HIDDEN * N_OUT + N_OUT)
#define N_BATCHES ((N_ROWS + BATCH - 1) / BATCH)

/* One epoch's gathers: every batch of a shuffled permutation. */
static double gather_epoch(const float *X, const long long *perm, float *xb, int check,
                           int threads)
{
    double start = now_s();
    for (long long s = 0; s < N_ROWS; s += BATCH) {
        long long rows = N_ROWS - s < BATCH ? N_ROWS - s : BATCH;
        if (!fnn_gather_rows(X, N_IN * sizeof(float), perm + s, rows, xb, sizeof(float), check,
                             threads))
            fprintf(stderr, "unexpected non-finite row\n");
    }
    return now_s() - start;
}

static double adam_epoch(float *w, const float *g, float *m, float *v, int threads)
{
    double start = now_s();
    for (int b = 0; b < N_BATCHES; ++b)
        fnn_adam_par_f32(w, g, m, v, (ptrdiff_t)N_PARAMS, 1e-3f, 0.9f, 0.999f, 1.0f, 1e-8f,
                         threads);
    return now_s() - start;
}

int main(void)
{
    float *X = malloc((size_t)N_ROWS * N_IN * sizeof(float));
    float *xb = malloc((size_t)BATCH * N_IN * sizeof(float));
    long long *perm = malloc(N_ROWS * sizeof(long long));
    float *w = calloc(N_PARAMS, sizeof(float)), *g = calloc(N_PARAMS, sizeof(float));
    float *m = calloc(N_PARAMS, sizeof(float)), *v = calloc(N_PARAMS, sizeof(float));
    if (!X || !xb || !perm || !w || !g || !m || !v) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    srand(1);
    for (size_t i = 0; i < (size_t)N_ROWS * N_IN; ++i) X[i] = (float)(i % 1000) * 1e-3f;
    for (size_t i = 0; i < N_PARAMS; ++i) g[i] = 1e-3f * (float)(i % 7);
    for (long long i = 0; i < N_ROWS; ++i) perm[i] = i;
    for (long long i = N_ROWS - 1; i > 0; --i) {
        long long j = rand() % (i + 1), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    double plain[ROUNDS], checked[ROUNDS], checked2[ROUNDS], adam1[ROUNDS], adam2[ROUNDS];
    for (int r = -1; r < ROUNDS; ++r) {             /* round -1 warms up */
        double t[5] = { gather_epoch(X, perm, xb, 0, 1), gather_epoch(X, perm, xb, 1, 1),
                        gather_epoch(X, perm, xb, 1, 2), adam_epoch(w, g, m, v, 1),
                        adam_epoch(w, g, m, v, 2) };
        if (r < 0) continue;
        plain[r] = t[0], checked[r] = t[1], checked2[r] = t[2], adam1[r] = t[3], adam2[r] = t[4];
    }
    printf("per 784-256-10 float32 epoch (%d batches of %d), medians of %d rounds:\n",
           N_BATCHES, BATCH, ROUNDS);
    printf("  gather, no test      1 thread  %6.1f ms\n", median(plain, ROUNDS) * 1e3);
    printf("  gather, NaN/inf test 1 thread  %6.1f ms   2 threads %6.1f ms\n",
           median(checked, ROUNDS) * 1e3, median(checked2, ROUNDS) * 1e3);
    printf("  Adam, all parameters 1 thread  %6.1f ms   2 threads %6.1f ms\n",
           median(adam1, ROUNDS) * 1e3, median(adam2, ROUNDS) * 1e3);
    return 0;
}
