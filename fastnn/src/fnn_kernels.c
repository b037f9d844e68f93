/* fastnn's elementwise kernels, generated for float and double from the
 * type-generic headers: fnn_math.h (exp, expm1, log1p), fnn_gelu.h,
 * fnn_activations.h (scalar f, f', backward) and fnn_loops.h (array loops,
 * softmax rows, dispatch by activation id).  fnn_traits_*.h set the type.
 * The double math comes first because the float GELU evaluates in double
 * (fnn_phi.h). */
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

#define FNN_CAT_(a, b) a##_##b
#define FNN_CAT(a, b) FNN_CAT_(a, b)
#define NAME(f) FNN_CAT(f, SUF)

#include "fnn_traits_f64.h"
#include "fnn_math.h"
#include "fnn_traits_end.h"

#include "fnn_phi.h"

#include "fnn_traits_f32.h"
#include "fnn_math.h"
#include "fnn_gelu.h"
#include "fnn_activations.h"
#include "fnn_loops.h"
#include "fnn_traits_end.h"

#include "fnn_traits_f64.h"
#include "fnn_gelu.h"
#include "fnn_activations.h"
#include "fnn_loops.h"
#include "fnn_traits_end.h"

