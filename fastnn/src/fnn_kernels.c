/* fastnn's elementwise kernels, generated for float and double from the
 * type-generic headers: fnn_math.h (exp, expm1, log1p), fnn_gelu.h,
 * fnn_activations.h (scalar f, f', backward) and fnn_loops.h (array loops,
 * softmax rows, dispatch by activation id). */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "fnn_dispatch.h"
#include "fnn_kernels.h"

const char *fnn_simd_selected_name(void) { return fnn_simd_selected(); }
const char *fnn_simd_compiled_names(void) { return fnn_simd_compiled(); }

/* Taylor coefficients 1/k! for k = 2, 3, ...: expm1's polynomial. */
#define FNN_INV_FACT 0.5, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720, 1.0 / 5040,  \
    1.0 / 40320, 1.0 / 362880, 1.0 / 3628800, 1.0 / 39916800,                   \
    1.0 / 479001600, 1.0 / 6227020800.0, 1.0 / 87178291200.0

static const float fnn_inv_fact_f32[] = { FNN_INV_FACT };
static const double fnn_inv_fact_f64[] = { FNN_INV_FACT };

/* ---------------- float ---------------- */
#define T float
#define SUF f32
#define UINT uint32_t
#define MANT_BITS 23
#define EXP_BIAS 127
#define ROUND_MAGIC 0x1.8p23f
#define LN2_HI 0x1.62e4p-1f                 /* few bits: k * LN2_HI is exact */
#define LN2_LO 1.4286068203094173e-06f
#define EXP_MIN_ARG -120.0f                 /* x * exp(x) underflows to 0 below */
#define EXP_MAX_ARG 89.0f                   /* and overflows to inf above */
#define EXPM1_LIM 40.0f
#define EXPM1_DEGREE 8                      /* r^9/9! < ulp/2 for |r| <= ln2/2 */
#define EXPM1_COEF fnn_inv_fact_f32
#define LOG1P_TERMS 6
#include "fnn_math.h"
#include "fnn_gelu.h"
#include "fnn_activations.h"
#include "fnn_loops.h"
#undef T
#undef SUF
#undef UINT
#undef MANT_BITS
#undef EXP_BIAS
#undef ROUND_MAGIC
#undef LN2_HI
#undef LN2_LO
#undef EXP_MIN_ARG
#undef EXP_MAX_ARG
#undef EXPM1_LIM
#undef EXPM1_DEGREE
#undef EXPM1_COEF
#undef LOG1P_TERMS

/* ---------------- double ---------------- */
#define T double
#define SUF f64
#define UINT uint64_t
#define MANT_BITS 52
#define EXP_BIAS 1023
#define ROUND_MAGIC 0x1.8p52
#define LN2_HI 0x1.62e42fee00000p-1
#define LN2_LO 0x1.a39ef35793c76p-33
#define EXP_MIN_ARG -760.0
#define EXP_MAX_ARG 710.0
#define EXPM1_LIM 40.0
#define EXPM1_DEGREE 13
#define EXPM1_COEF fnn_inv_fact_f64
#define LOG1P_TERMS 12
#include "fnn_math.h"
#include "fnn_gelu.h"
#include "fnn_activations.h"
#include "fnn_loops.h"
