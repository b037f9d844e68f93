/* The array loops over the scalar functions of fnn_activations.h, for one
 * type T and one instruction-set level: a template included by
 * fnn_for_each_isa.h once per level (FNN_TARGET, INAME), whose functions
 * fnn_kernels.c puts into that level's table.  The switches pick the loop for
 * an activation id.  Loops take
 * contiguous memory; strides, threads and validation are the caller's. */

#define FNN_DEFINE_LOOPS(act)                                                  \
FNN_TARGET static void INAME(act##_fwd_loop)(const T *x, T *y, ptrdiff_t n, T p) \
{                                                                               \
    for (ptrdiff_t i = 0; i < n; ++i) y[i] = NAME(act##_fwd)(x[i], p);          \
}                                                                               \
FNN_TARGET static void INAME(act##_der_loop)(const T *x, T *y, ptrdiff_t n, T p) \
{                                                                               \
    for (ptrdiff_t i = 0; i < n; ++i) y[i] = NAME(act##_der)(x[i], p);          \
}                                                                               \
FNN_TARGET static void INAME(act##_bwd_loop)(const T *g, const T *s, T *y,       \
                                            ptrdiff_t n, T p)                   \
{                                                                               \
    for (ptrdiff_t i = 0; i < n; ++i) y[i] = NAME(act##_bwd)(g[i], s[i], p);    \
}

#define FNN_LOOPS_ENTRY(ID, name, saves, init) FNN_DEFINE_LOOPS(name)
FNN_ACTIVATION_LIST(FNN_LOOPS_ENTRY)
#undef FNN_LOOPS_ENTRY
#undef FNN_DEFINE_LOOPS

/* One case per entry of the list, so the switch cannot disagree with the enum. */
#define FNN_LOOP_(act, kind) act##_##kind##_loop
#define FNN_LOOP(act, kind) FNN_LOOP_(act, kind)
#define FNN_CASE(ID, act, saves, init) \
    case FNN_##ID: INAME(FNN_LOOP(act, FNN_KIND)) FNN_ARGS; return 0;
#define FNN_SWITCH                                             \
    switch (act) {                                             \
    FNN_ACTIVATION_LIST(FNN_CASE)                              \
    default: return -1;                                        \
    }

FNN_TARGET static int INAME(fnn_forward)(int act, const T *x, T *y, ptrdiff_t n, double p)
{
#define FNN_KIND fwd
#define FNN_ARGS (x, y, n, (T)p)
    FNN_SWITCH
#undef FNN_KIND
#undef FNN_ARGS
}

FNN_TARGET static int INAME(fnn_derivative)(int act, const T *x, T *y, ptrdiff_t n, double p)
{
#define FNN_KIND der
#define FNN_ARGS (x, y, n, (T)p)
    FNN_SWITCH
#undef FNN_KIND
#undef FNN_ARGS
}

FNN_TARGET static int INAME(fnn_backward)(int act, const T *g, const T *s, T *y, ptrdiff_t n, double p)
{
#define FNN_KIND bwd
#define FNN_ARGS (g, s, y, n, (T)p)
    FNN_SWITCH
#undef FNN_KIND
#undef FNN_ARGS
}
#undef FNN_SWITCH
#undef FNN_CASE
#undef FNN_LOOP
#undef FNN_LOOP_

/* ---- softmax family over the last axis of a (rows, cols) C-ordered block,
 * shifted by the row maximum so that no exp overflows.  The whole block is
 * one cloned function with the row helpers inlined: rows are often short
 * (10 classes), where a dispatched call per helper and row cost more than
 * the arithmetic. ---- */

/* Reductions keep FNN_LANES independent partial results: without
 * -ffast-math the compiler may not reorder a single running sum, which
 * would also stop it vectorising the loop. */
#define FNN_LANES 16

static inline T INAME(row_max)(const T *x, ptrdiff_t n)
{
    if (n < FNN_LANES) {              /* a short row (10 classes): no lanes to reduce */
        T m = -(T)INFINITY;
        for (ptrdiff_t i = 0; i < n; ++i) m = x[i] > m ? x[i] : m;
        return m;
    }
    T acc[FNN_LANES];
    ptrdiff_t i = 0;
    for (int j = 0; j < FNN_LANES; ++j) acc[j] = -(T)INFINITY;
    for (; i + FNN_LANES <= n; i += FNN_LANES)
        for (int j = 0; j < FNN_LANES; ++j) acc[j] = x[i + j] > acc[j] ? x[i + j] : acc[j];
    T m = -(T)INFINITY;
    for (; i < n; ++i) m = x[i] > m ? x[i] : m;
    for (int j = 0; j < FNN_LANES; ++j) m = acc[j] > m ? acc[j] : m;
    return m;
}

static inline T INAME(dot)(const T *a, const T *b, ptrdiff_t n)
{
    T acc[FNN_LANES] = {0};
    ptrdiff_t i = 0;
    for (; i + FNN_LANES <= n; i += FNN_LANES)
        for (int j = 0; j < FNN_LANES; ++j) acc[j] += a[i + j] * b[i + j];
    T s = 0;
    for (; i < n; ++i) s += a[i] * b[i];
    for (int j = 0; j < FNN_LANES; ++j) s += acc[j];
    return s;
}

static inline T INAME(sum)(const T *x, ptrdiff_t n)
{
    if (n < FNN_LANES) {              /* the same sum: the lanes would all add +0 */
        T s = 0;
        for (ptrdiff_t i = 0; i < n; ++i) s += x[i];
        return s;
    }
    T acc[FNN_LANES] = {0};
    ptrdiff_t i = 0;
    for (; i + FNN_LANES <= n; i += FNN_LANES)
        for (int j = 0; j < FNN_LANES; ++j) acc[j] += x[i + j];
    T s = 0;
    for (; i < n; ++i) s += x[i];
    for (int j = 0; j < FNN_LANES; ++j) s += acc[j];
    return s;
}

/* sum of exp(x - m), nothing stored: log_softmax may write over x.  Same
 * lane order as sum(), so it agrees with softmax's row sums bit for bit. */
static inline T INAME(sum_exp_shifted)(const T *x, ptrdiff_t n, T m)
{
    T acc[FNN_LANES] = {0};
    ptrdiff_t i = 0;
    for (; i + FNN_LANES <= n; i += FNN_LANES)
        for (int j = 0; j < FNN_LANES; ++j) acc[j] += NAME(exp_nonpos)(x[i + j] - m);
    T s = 0;
    for (; i < n; ++i) s += NAME(exp_nonpos)(x[i] - m);
    for (int j = 0; j < FNN_LANES; ++j) s += acc[j];
    return s;
}

static inline void INAME(shift)(const T *x, T *y, ptrdiff_t n, T m)
{
    for (ptrdiff_t i = 0; i < n; ++i) y[i] = x[i] - m;
}

static inline void INAME(exp_in_place)(T *y, ptrdiff_t n)
{
    for (ptrdiff_t i = 0; i < n; ++i) y[i] = NAME(exp_nonpos)(y[i]);
}

static inline void INAME(scale)(T *y, ptrdiff_t n, T c)
{
    for (ptrdiff_t i = 0; i < n; ++i) y[i] *= c;
}

/* y = (x - m) - c: x - m is exact near the maximum, where it matters. */
static inline void INAME(shift2)(const T *x, T *y, ptrdiff_t n, T m, T c)
{
    for (ptrdiff_t i = 0; i < n; ++i) y[i] = (x[i] - m) - c;
}

/* A row of all -inf (or containing +inf) has no finite maximum to shift by:
 * softmax is then NaN there, as 0/0 is. */
static inline T INAME(safe_max)(const T *x, ptrdiff_t n)
{
    T m = INAME(row_max)(x, n);
    return (m == (T)INFINITY || m == -(T)INFINITY) ? (T)NAN : m;
}

/* Softmax runs on groups of whole rows of about this many elements (8 KiB
 * of double, in L1): each row is shifted by its maximum, then one exp loop
 * covers the whole group, then each row is summed and scaled.  An exp loop
 * per row would leave a 10-class row mostly in its scalar tail; the group
 * loop keeps every vector full (32 rows of 10 floats: 1.2 -> 0.7 us, Zen 4). */
#define FNN_SOFTMAX_GROUP 1024

FNN_TARGET static void INAME(fnn_softmax_rows)(const T *x, T *y, ptrdiff_t rows, ptrdiff_t cols)
{
    if (cols <= 0) return;
    const ptrdiff_t group = cols >= FNN_SOFTMAX_GROUP ? 1 : FNN_SOFTMAX_GROUP / cols;
    for (ptrdiff_t r0 = 0; r0 < rows; r0 += group) {
        const ptrdiff_t n_rows = rows - r0 < group ? rows - r0 : group;
        const T *xg = x + r0 * cols;
        T *yg = y + r0 * cols;
        /* Row by row, so that y may be x: a row's maximum is read before
         * the row is overwritten. */
        for (ptrdiff_t r = 0; r < n_rows; ++r)
            INAME(shift)(xg + r * cols, yg + r * cols, cols,
                         INAME(safe_max)(xg + r * cols, cols));
        INAME(exp_in_place)(yg, n_rows * cols);
        for (ptrdiff_t r = 0; r < n_rows; ++r)
            INAME(scale)(yg + r * cols, cols, 1 / INAME(sum)(yg + r * cols, cols));
    }
}
#undef FNN_SOFTMAX_GROUP

FNN_TARGET static void INAME(fnn_log_softmax_rows)(const T *x, T *y, ptrdiff_t rows, ptrdiff_t cols)
{
    for (ptrdiff_t r = 0; r < rows; ++r, x += cols, y += cols) {
        T m = INAME(safe_max)(x, cols);
        T sum = INAME(sum_exp_shifted)(x, cols, m);
        INAME(shift2)(x, y, cols, m, (T)log((double)sum));
    }
}

static inline void INAME(softmax_bwd_row)(const T *g, const T *y, T *out, ptrdiff_t n, T d)
{
    for (ptrdiff_t i = 0; i < n; ++i) out[i] = y[i] * (g[i] - d);
}

/* out = y * (g - sum(g * y)) row by row; out may alias g. */
FNN_TARGET static void INAME(fnn_softmax_backward_rows)(const T *g, const T *y, T *out,
                                     ptrdiff_t rows, ptrdiff_t cols)
{
    for (ptrdiff_t r = 0; r < rows; ++r, g += cols, y += cols, out += cols)
        INAME(softmax_bwd_row)(g, y, out, cols, INAME(dot)(g, y, cols));
}

/* ---- finiteness: no NaN or inf among n values ----
 * A value's exponent field plus one carries into the sign bit only when the
 * field is all ones (inf, NaN).  Integer operations, so the loops vectorise
 * without reassociating floating-point sums (no -ffast-math). */
#define FNN_EXP_FIELD ((UINT)(2 * EXP_BIAS + 1) << MANT_BITS)
#define FNN_EXP_LSB ((UINT)1 << MANT_BITS)
#define FNN_SIGN_BIT ((UINT)1 << (8 * sizeof(UINT) - 1))

static inline UINT INAME(exp_carry)(T x)
{
    UINT bits;
    memcpy(&bits, &x, sizeof bits);
    return (bits & FNN_EXP_FIELD) + FNN_EXP_LSB;
}

FNN_TARGET static int INAME(fnn_all_finite)(const T *x, ptrdiff_t n)
{
    UINT acc = 0;
    for (ptrdiff_t i = 0; i < n; ++i) acc |= INAME(exp_carry)(x[i]);
    return (acc & FNN_SIGN_BIT) == 0;
}

#undef FNN_SIGN_BIT
#undef FNN_EXP_LSB
#undef FNN_EXP_FIELD
