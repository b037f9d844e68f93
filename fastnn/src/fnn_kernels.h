/* C interface of fastnn's elementwise kernels (implemented in fnn_kernels.c).
 * Every function takes contiguous arrays and a length; validation, strides
 * and threading live in the Cython layer.  The activation functions
 * returning int give -1 for an unknown activation id and 0 otherwise;
 * fnn_all_finite gives 1 when none of x[0:n] is NaN or inf, else 0. */
#ifndef FNN_KERNELS_H
#define FNN_KERNELS_H
#include <stddef.h>

#include "fnn_activation_list.h"

#define FNN_ENUM_ENTRY(ID, name, saves, init) FNN_##ID,
enum fnn_activation { FNN_ACTIVATION_LIST(FNN_ENUM_ENTRY) FNN_N_ACTIVATIONS };
#undef FNN_ENUM_ENTRY

/* The list's entry `id` as strings (name, saves, default_init); 0 for an id
 * out of range, else 1. */
int fnn_activation_info(int id, const char **name, const char **saves,
                        const char **default_init);

#define FNN_DECLARE(T, SUF)                                                        \
int fnn_forward_##SUF(int act, const T *x, T *y, ptrdiff_t n, double p);           \
int fnn_derivative_##SUF(int act, const T *x, T *y, ptrdiff_t n, double p);        \
int fnn_backward_##SUF(int act, const T *g, const T *s, T *y, ptrdiff_t n, double p); \
void fnn_softmax_rows_##SUF(const T *x, T *y, ptrdiff_t rows, ptrdiff_t cols);     \
void fnn_log_softmax_rows_##SUF(const T *x, T *y, ptrdiff_t rows, ptrdiff_t cols); \
void fnn_softmax_backward_rows_##SUF(const T *g, const T *y, T *out,               \
                                     ptrdiff_t rows, ptrdiff_t cols);            \
int fnn_all_finite_##SUF(const T *x, ptrdiff_t n);

FNN_DECLARE(float, f32)
FNN_DECLARE(double, f64)
#undef FNN_DECLARE

const char *fnn_simd_selected_name(void);
const char *fnn_simd_compiled_names(void);
const char *fnn_build_flags(void);        /* compiler flags setup.py used */
const char *fnn_compiler(void);

#endif
