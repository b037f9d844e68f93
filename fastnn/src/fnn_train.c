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

#include "fnn_traits_f32.h"
#include "fnn_train_impl.h"
#include "fnn_traits_end.h"

#include "fnn_traits_f64.h"
#include "fnn_train_impl.h"
#include "fnn_traits_end.h"
