/* fastnn's dense-layer and optimizer loops, generated for float and double
 * from the type-generic fnn_train_impl.h; fnn_traits_*.h set the type. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "fnn_dispatch.h"
#include "fnn_train.h"

#define FNN_CAT_(a, b) a##_##b
#define FNN_CAT(a, b) FNN_CAT_(a, b)
#define NAME(f) FNN_CAT(f, SUF)

#define FNN_ISA_TEMPLATE "fnn_train_impl.h"

#include "fnn_traits_f32.h"
#include "fnn_for_each_isa.h"
#include "fnn_traits_end.h"

#include "fnn_traits_f64.h"
#include "fnn_for_each_isa.h"
#include "fnn_traits_end.h"

/* One table of loops per instruction-set level; the level is the one
 * fnn_kernels.c selected (fnn_isa_level), so both files always agree. */
#define FNN_TYPE_ENTRIES(T, SUF)                                              \
    void (*bias_rows_##SUF)(T *, const T *, ptrdiff_t, ptrdiff_t);            \
    void (*colsum_add_##SUF)(const T *, T *, ptrdiff_t, ptrdiff_t);           \
    double (*l2_grad_##SUF)(const T *, T *, ptrdiff_t, T);                    \
    void (*sgd_##SUF)(T *, const T *, T *, ptrdiff_t, T, T, int);              \
    void (*adam_##SUF)(T *, const T *, T *, T *, ptrdiff_t, T, T, T, T, T);     \
    FNN_SMALL_GEMM_ENTRY(T, SUF)
#ifdef FNN_HAVE_SMALL_GEMM
#define FNN_SMALL_GEMM_ENTRY(T, SUF)                                          \
    void (*small_gemm_##SUF)(int, int, ptrdiff_t, ptrdiff_t, ptrdiff_t, const T *, \
                             ptrdiff_t, const T *, ptrdiff_t, T *, ptrdiff_t);   \
    double (*fma_burst_##SUF)(ptrdiff_t, T, T);                               \
    double (*fma_round_flops_##SUF)(void);
#define FNN_SMALL_GEMM_FN(SUF, ISA) , fnn_small_gemm_##SUF##_##ISA,              \
    fnn_fma_burst_##SUF##_##ISA, fnn_fma_round_flops_##SUF##_##ISA
#else
#define FNN_SMALL_GEMM_ENTRY(T, SUF)
#define FNN_SMALL_GEMM_FN(SUF, ISA)
#endif
struct fnn_train_fns { FNN_TYPE_ENTRIES(float, f32) FNN_TYPE_ENTRIES(double, f64) };
#undef FNN_TYPE_ENTRIES

#define FNN_TYPE_FNS(SUF, ISA)                                                \
    fnn_bias_rows_##SUF##_##ISA, fnn_colsum_add_##SUF##_##ISA,                \
    fnn_l2_grad_##SUF##_##ISA, fnn_sgd_##SUF##_##ISA, fnn_adam_##SUF##_##ISA   \
    FNN_SMALL_GEMM_FN(SUF, ISA)
#define FNN_ISA_FNS(ISA) { FNN_TYPE_FNS(f32, ISA), FNN_TYPE_FNS(f64, ISA) }
static const struct fnn_train_fns fnn_train_table[FNN_N_ISA] = {
    FNN_ISA_FNS(isa_baseline),
#ifdef FNN_HAVE_ISA_DISPATCH
    FNN_ISA_FNS(isa_x86_64_v3),
    FNN_ISA_FNS(isa_x86_64_v4),
#endif
};
#undef FNN_ISA_FNS
#undef FNN_TYPE_FNS

#define FNN_L (&fnn_train_table[fnn_isa_level()])
#define FNN_PUBLIC(T, SUF)                                                       \
void fnn_bias_rows_##SUF(T *z, const T *b, ptrdiff_t rows, ptrdiff_t cols)       \
{ FNN_L->bias_rows_##SUF(z, b, rows, cols); }                                    \
void fnn_colsum_add_##SUF(const T *x, T *acc, ptrdiff_t rows, ptrdiff_t cols)    \
{ FNN_L->colsum_add_##SUF(x, acc, rows, cols); }                                 \
double fnn_l2_grad_##SUF(const T *w, T *g, ptrdiff_t n, T l2)                    \
{ return FNN_L->l2_grad_##SUF(w, g, n, l2); }                                    \
void fnn_sgd_##SUF(T *w, const T *g, T *buf, ptrdiff_t n, T lr, T momentum,      \
                   int nesterov)                                                 \
{ FNN_L->sgd_##SUF(w, g, buf, n, lr, momentum, nesterov); }                      \
void fnn_adam_##SUF(T *w, const T *g, T *m, T *v, ptrdiff_t n, T step_size,      \
                    T beta1, T beta2, T inv_bc2_sqrt, T eps)                     \
{ FNN_L->adam_##SUF(w, g, m, v, n, step_size, beta1, beta2, inv_bc2_sqrt, eps); }
FNN_PUBLIC(float, f32)
FNN_PUBLIC(double, f64)
#undef FNN_PUBLIC

#ifdef FNN_HAVE_SMALL_GEMM
/* fnn_fma_burst's constants, read at run time so that the compiler
 * computes every chain. */
static volatile double fnn_fma_scale = 0.9990234375, fnn_fma_shift = 0.0009765625;
#define FNN_PUBLIC(T, SUF)                                                       \
void fnn_small_gemm_##SUF(int trans_a, int trans_b, ptrdiff_t m, ptrdiff_t n,     \
                          ptrdiff_t k, const T *a, ptrdiff_t lda, const T *b,     \
                          ptrdiff_t ldb, T *c, ptrdiff_t ldc)                     \
{ FNN_L->small_gemm_##SUF(trans_a, trans_b, m, n, k, a, lda, b, ldb, c, ldc); }  \
double fnn_fma_burst_##SUF(double flops, double *sum)                            \
{                                                                                \
    /* The best level, whatever the selected one: the bound is the CPU's. */     \
    const struct fnn_train_fns *best = &fnn_train_table[fnn_isa_best()];         \
    const double per_round = best->fma_round_flops_##SUF();                      \
    if (!(flops > 0)) flops = 0;                                                 \
    if (flops > FNN_FMA_MAX_FLOPS) flops = FNN_FMA_MAX_FLOPS;                    \
    const ptrdiff_t rounds = (ptrdiff_t)ceil(flops / per_round);                 \
    *sum = best->fma_burst_##SUF(rounds, (T)fnn_fma_scale, (T)fnn_fma_shift);    \
    return (double)rounds * per_round;                                           \
}
FNN_PUBLIC(float, f32)
FNN_PUBLIC(double, f64)
#undef FNN_PUBLIC
#endif
#undef FNN_L
