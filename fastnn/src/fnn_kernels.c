/* fastnn's elementwise kernels, generated for float and double from the
 * type-generic headers: fnn_math.h (exp, expm1, log1p), fnn_gelu.h,
 * fnn_activations.h (scalar f, f', backward) and fnn_loops.h (array loops,
 * softmax rows, switch by activation id; once per instruction-set level
 * through fnn_for_each_isa.h).  fnn_traits_*.h set the type.  Also the
 * dispatcher: the per-level tables, the level selection (fnn_dispatch.h) and
 * the public entry points that call through the selected table. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "fnn_dispatch.h"
#include "fnn_kernels.h"


#ifndef FNN_BUILD_FLAGS
#define FNN_BUILD_FLAGS "unknown (built without setup.py)"
#endif
#if defined(__clang__)
#define FNN_COMPILER "clang " __clang_version__
#elif defined(__GNUC__)
#define FNN_COMPILER "gcc " __VERSION__
#elif defined(_MSC_VER)
#define FNN_COMPILER "msvc"
#else
#define FNN_COMPILER "unknown"
#endif
const char *fnn_build_flags(void) { return FNN_BUILD_FLAGS; }

#define FNN_INFO_ENTRY(ID, name, saves, init) { #name, #saves, #init },
static const struct { const char *name, *saves, *init; } fnn_activation_table[] = {
    FNN_ACTIVATION_LIST(FNN_INFO_ENTRY)
};
#undef FNN_INFO_ENTRY

int fnn_activation_info(int id, const char **name, const char **saves,
                        const char **default_init)
{
    if (id < 0 || id >= FNN_N_ACTIVATIONS) return 0;
    *name = fnn_activation_table[id].name;
    *saves = fnn_activation_table[id].saves;
    *default_init = fnn_activation_table[id].init;
    return 1;
}
const char *fnn_compiler(void) { return FNN_COMPILER; }

/* expm1(r) = r + r^2 P(r) on |r| <= ln2/2: coefficients of P, our own
 * least-squares fits on Chebyshev nodes against 40-digit mpmath (the
 * Taylor values 1/2!, 1/3!, ... adjusted).  Relative error of expm1:
 * 5.4e-10 with degree 7 for float, 5.5e-19 with degree 12 for double: one
 * and two terms fewer than Taylor for the same accuracy. */
static const float fnn_expm1_p_f32[] = {
    0.5000000013462218f, 0.16666666719007714f, 0.041666464976127526f,
    0.008333298480356209f, 0.0013933643522487942f, 0.00019899276222384887f,
};
static const double fnn_expm1_p_f64[] = {
    0.5, 0.1666666666666667, 0.04166666666666668, 0.008333333333326141,
    0.0013888888888879082, 0.00019841269874802173, 2.4801587336422683e-05,
    2.755725542387984e-06, 2.755726330017862e-07, 2.510520706464424e-08,
    2.091812988660952e-09,
};

/* Phi(x) - 1/2 = x S(x^2) for |x| < 1: Taylor coefficients of S,
 * (-1)^k / (sqrt(2 pi) 2^k k! (2k+1)); 9 terms reach float, 16 double. */
#define FNN_PHI_SERIES_FLOAT \
    0.3989422804014327, -0.06649038006690544, 0.009973557010035817, \
    -0.0011873282154804543, 0.00011543468761615529, -9.444656259503615e-06, \
    6.659693516316651e-07, -4.122667414862689e-08, 2.2735298243728065e-09
static const float fnn_phi_series_f32[] = { FNN_PHI_SERIES_FLOAT };
static const double fnn_phi_series_f64[] = {
    FNN_PHI_SERIES_FLOAT,
    -1.1301171641619213e-10,
    5.1124347902563106e-12,
    -2.121761474217046e-13,
    8.133418984498675e-15,
    -2.896516732371323e-16,
    9.631274849017947e-18,
    -3.0033007593711877e-19
};

/* erfc(z) = t exp(-z^2 + Q(t)), t = 1/(1 + z/2), for z = |x|/sqrt2 from
 * 1/sqrt2 to 10.5 (float) or 27.5 (double), beyond which x Phi(x)
 * underflows.  Q is a polynomial in u = (2t - (t_hi + t_lo)) / (t_hi - t_lo)
 * in [-1, 1], our own least-squares fit on Chebyshev nodes against 50-digit
 * mpmath: |Q error| < 1.3e-7 evaluated in float (degree 7), 1.9e-16 in
 * double (degree 21); Q's error is erfc's relative error. */
static const float fnn_erfc_q_f32[] = {
    -0.7393357157707214,
    0.38296905159950256,
    0.02039513923227787,
    -0.008149806410074234,
    -0.0015587143134325743,
    0.00046577712055295706,
    0.00010698983533075079,
    -3.383270086487755e-05
};
static const double fnn_erfc_q_f64[] = {
    -0.7997940421525254,
    0.4357546759735131,
    0.03230415216970684,
    -0.010972939095186247,
    -0.003418505570345704,
    0.0006965459142706623,
    0.0003987829717970245,
    -7.489295413121257e-05,
    -5.0739902617000304e-05,
    1.1850612134283925e-05,
    6.462996466147597e-06,
    -2.223149014360575e-06,
    -7.23133074406834e-07,
    4.151407846640649e-07,
    4.943279339557657e-08,
    -6.892714798829227e-08,
    4.252273093085326e-09,
    9.118923037692715e-09,
    -2.0130892693657286e-09,
    -7.998378217499238e-10,
    2.4957722815466567e-10,
    2.9019700620092083e-11
};

#define FNN_CAT_(a, b) a##_##b
#define FNN_CAT(a, b) FNN_CAT_(a, b)
#define NAME(f) FNN_CAT(f, SUF)

#define FNN_ISA_TEMPLATE "fnn_loops.h"

#include "fnn_traits_f32.h"
#include "fnn_math.h"
#include "fnn_gelu.h"
#include "fnn_activations.h"
#include "fnn_for_each_isa.h"
#include "fnn_traits_end.h"

#include "fnn_traits_f64.h"
#include "fnn_math.h"
#include "fnn_gelu.h"
#include "fnn_activations.h"
#include "fnn_for_each_isa.h"
#include "fnn_traits_end.h"

/* ---- dispatch: one table of entry points per instruction-set level ---- */

#define FNN_TYPE_ENTRIES(T, SUF, ISA)                                         \
    int (*forward_##SUF)(int, const T *, T *, ptrdiff_t, double);            \
    int (*derivative_##SUF)(int, const T *, T *, ptrdiff_t, double);         \
    int (*backward_##SUF)(int, const T *, const T *, T *, ptrdiff_t, double); \
    void (*softmax_rows_##SUF)(const T *, T *, ptrdiff_t, ptrdiff_t);         \
    void (*log_softmax_rows_##SUF)(const T *, T *, ptrdiff_t, ptrdiff_t);     \
    void (*softmax_backward_rows_##SUF)(const T *, const T *, T *, ptrdiff_t, ptrdiff_t); \
    int (*all_finite_##SUF)(const T *, ptrdiff_t);
struct fnn_kernel_fns { FNN_TYPE_ENTRIES(float, f32, _) FNN_TYPE_ENTRIES(double, f64, _) };
#undef FNN_TYPE_ENTRIES

#define FNN_TYPE_FNS(SUF, ISA)                                                \
    fnn_forward_##SUF##_##ISA, fnn_derivative_##SUF##_##ISA,                  \
    fnn_backward_##SUF##_##ISA, fnn_softmax_rows_##SUF##_##ISA,               \
    fnn_log_softmax_rows_##SUF##_##ISA, fnn_softmax_backward_rows_##SUF##_##ISA, \
    fnn_all_finite_##SUF##_##ISA
#define FNN_ISA_FNS(ISA) { FNN_TYPE_FNS(f32, ISA), FNN_TYPE_FNS(f64, ISA) }
static const struct fnn_kernel_fns fnn_kernel_table[FNN_N_ISA] = {
    FNN_ISA_FNS(isa_baseline),
#ifdef FNN_HAVE_ISA_DISPATCH
    FNN_ISA_FNS(isa_x86_64_v3),
    FNN_ISA_FNS(isa_x86_64_v4),
#endif
};
#undef FNN_ISA_FNS
#undef FNN_TYPE_FNS

/* The selected level; the best one until fnn_isa_select runs. */
static int fnn_selected_isa = -1;

int fnn_isa_best(void)
{
#ifdef FNN_HAVE_ISA_DISPATCH
    __builtin_cpu_init();
    if (__builtin_cpu_supports("x86-64-v4")) return FNN_ISA_AVX512;
    if (__builtin_cpu_supports("x86-64-v3")) return FNN_ISA_AVX2;
#endif
    return FNN_ISA_BASELINE;
}

int fnn_isa_level(void)
{
    if (fnn_selected_isa < 0) fnn_selected_isa = fnn_isa_best();
    return fnn_selected_isa;
}

int fnn_isa_select(const char *request)
{
    static const char *const names[] = { "baseline", "avx2", "avx512" };
    int best = fnn_isa_best(), wanted = -1;
    fnn_selected_isa = best;
    if (request == NULL || request[0] == '\0') return FNN_ISA_OK;
    for (int i = 0; i < 3; ++i)
        if (strcmp(request, names[i]) == 0) wanted = i;
    if (wanted < 0) return FNN_ISA_UNKNOWN;
    if (wanted > best) return FNN_ISA_UNSUPPORTED;
    fnn_selected_isa = wanted;
    return FNN_ISA_OK;
}

const char *fnn_isa_name(int level)
{
#ifdef FNN_HAVE_ISA_DISPATCH
    static const char *const names[] = {
        "baseline (SSE2)", "x86-64-v3 (AVX2+FMA)", "x86-64-v4 (AVX-512)" };
    return level >= 0 && level < FNN_N_ISA ? names[level] : "unknown";
#else
    (void)level;
    return "portable (no run-time dispatch)";
#endif
}

const char *fnn_simd_selected_name(void) { return fnn_isa_name(fnn_isa_level()); }

const char *fnn_simd_compiled_names(void)
{
#ifdef FNN_HAVE_ISA_DISPATCH
    return "baseline (SSE2), x86-64-v3 (AVX2+FMA), x86-64-v4 (AVX-512)";
#else
    return "portable";
#endif
}

/* The public entry points: the selected level's function. */
#define FNN_K (&fnn_kernel_table[fnn_isa_level()])
#define FNN_PUBLIC(T, SUF)                                                        \
int fnn_forward_##SUF(int act, const T *x, T *y, ptrdiff_t n, double p)           \
{ return FNN_K->forward_##SUF(act, x, y, n, p); }                                 \
int fnn_derivative_##SUF(int act, const T *x, T *y, ptrdiff_t n, double p)        \
{ return FNN_K->derivative_##SUF(act, x, y, n, p); }                              \
int fnn_backward_##SUF(int act, const T *g, const T *s, T *y, ptrdiff_t n, double p) \
{ return FNN_K->backward_##SUF(act, g, s, y, n, p); }                             \
void fnn_softmax_rows_##SUF(const T *x, T *y, ptrdiff_t rows, ptrdiff_t cols)     \
{ FNN_K->softmax_rows_##SUF(x, y, rows, cols); }                                  \
void fnn_log_softmax_rows_##SUF(const T *x, T *y, ptrdiff_t rows, ptrdiff_t cols) \
{ FNN_K->log_softmax_rows_##SUF(x, y, rows, cols); }                              \
void fnn_softmax_backward_rows_##SUF(const T *g, const T *y, T *out,              \
                                     ptrdiff_t rows, ptrdiff_t cols)              \
{ FNN_K->softmax_backward_rows_##SUF(g, y, out, rows, cols); }                   \
int fnn_all_finite_##SUF(const T *x, ptrdiff_t n)                                 \
{ return FNN_K->all_finite_##SUF(x, n); }
FNN_PUBLIC(float, f32)
FNN_PUBLIC(double, f64)
#undef FNN_PUBLIC
#undef FNN_K
