/* Branch-free, vectorisable elementary functions: a "template" included once
 * per floating type by fnn_kernels.c after fnn_traits_f32.h or
 * fnn_traits_f64.h (T, SUF, UINT, MANT_BITS, EXP_BIAS, ...).
 *
 * Why not libm: a loop calling expf() cannot be vectorised by the compiler
 * (1.5-1.8 ns/element here), while these polynomial forms compile to SIMD
 * code at every instruction-set level (fnn_dispatch.h).  Accuracy is kept to
 * a few ULP: Cody-Waite range reduction x = k ln2 + r with |r| <= ln2/2, a
 * polynomial in r whose coefficients are least-squares fits (the Taylor
 * values adjusted; fnn_kernels.c lists them and their error), below half an
 * ULP, and 2^k built from the exponent bits.
 * NaN propagates through every function; +-inf reach the right limits.
 */

/* Clamp without fmin/fmax: those drop NaN, comparisons keep it. */
static inline T NAME(clamp)(T x, T lo, T hi)
{
    x = x < lo ? lo : x;
    return x > hi ? hi : x;
}

/* "x < 0 ? neg : pos", but NaN in gives NaN out. */
static inline T NAME(select_sign)(T x, T neg, T pos)
{
    return x < 0 ? neg : (x >= 0 ? pos : x);
}

static inline UINT NAME(to_bits)(T x) { UINT u; memcpy(&u, &x, sizeof u); return u; }
static inline T NAME(from_bits)(UINT u) { T x; memcpy(&x, &u, sizeof x); return x; }

static inline T NAME(copysign)(T mag, T sgn)
{
    const UINT sign = (UINT)1 << (sizeof(T) * 8 - 1);
    return NAME(from_bits)((NAME(to_bits)(mag) & ~sign) | (NAME(to_bits)(sgn) & sign));
}

static inline T NAME(fabs)(T x)
{
    const UINT sign = (UINT)1 << (sizeof(T) * 8 - 1);
    return NAME(from_bits)(NAME(to_bits)(x) & ~sign);
}

/* x = k ln2 + r with k = round(x / ln2) and |r| <= ln2/2.  Returns k (as T)
 * and stores r and k_magic = k + ROUND_MAGIC: adding 1.5 * 2^MANT_BITS rounds
 * to an integer and leaves k in the low mantissa bits, ready for pow2_of.
 * Valid for |x / ln2| < 2^(MANT_BITS-1), which the callers' clamps ensure. */
static inline T NAME(reduce_ln2)(T x, T *r, T *k_magic)
{
    T y = x * (T)1.4426950408889634 + ROUND_MAGIC;
    T kf = y - ROUND_MAGIC;
    *k_magic = y;
    *r = (x - kf * LN2_HI) - kf * LN2_LO;
    return kf;
}

/* 2^(k + extra) from k_magic: shift k's bits into the exponent field and
 * add the biased exponent; k + extra + EXP_BIAS must lie in [1, 2 EXP_BIAS]. */
static inline T NAME(pow2_of)(T k_magic, int extra)
{
    UINT u = NAME(to_bits)(k_magic) << MANT_BITS;
    return NAME(from_bits)(u + ((UINT)(EXP_BIAS + extra) << MANT_BITS));
}

/* expm1(r) for |r| <= ln2/2: r + r^2 (1/2! + r/3! + ...). */
static inline T NAME(expm1_poly)(T r)
{
    T p = EXPM1_COEF[EXPM1_DEGREE - 2];
    FNN_UNROLL
    for (int j = EXPM1_DEGREE - 3; j >= 0; --j)
        p = p * r + EXPM1_COEF[j];
    return r + (r * r) * p;
}

/* exp(t) * 2^NONPOS_SHIFT for t <= 0 (or NaN).  Every caller needs exp of a
 * non-positive argument only (exp(-|x|), exp(x - max)), so one power of two
 * suffices and, thanks to the shift, stays normal for t down to EXP_MIN_ARG;
 * multiplying by NONPOS_SCALE = 2^-NONPOS_SHIFT afterwards rounds into the
 * subnormals once.  Callers computing x * exp(t) multiply by x first and by
 * the scale last, which keeps full accuracy where the result is subnormal.
 * For t > 0 the result is meaningless (callers discard it by a select). */
static inline T NAME(exp_nonpos_hi)(T t)
{
    T r, k_magic;
    t = t < EXP_MIN_ARG ? EXP_MIN_ARG : t;
    NAME(reduce_ln2)(t, &r, &k_magic);
    return (1 + NAME(expm1_poly)(r)) * NAME(pow2_of)(k_magic, NONPOS_SHIFT);
}

/* exp(t + t_lo) * 2^NONPOS_SHIFT with t_lo a small correction carried
 * through the reduction (r = (t - k ln2) + t_lo), for arguments known to
 * more than working precision. */
static inline T NAME(exp_nonpos_hi_split)(T t, T t_lo)
{
    T r, k_magic;
    t = t < EXP_MIN_ARG ? EXP_MIN_ARG : t;
    NAME(reduce_ln2)(t + t_lo, &r, &k_magic);
    T kf = k_magic - ROUND_MAGIC;
    r = ((t - kf * LN2_HI) - kf * LN2_LO) + t_lo;
    return (1 + NAME(expm1_poly)(r)) * NAME(pow2_of)(k_magic, NONPOS_SHIFT);
}

static inline T NAME(exp_nonpos)(T t) { return NAME(exp_nonpos_hi)(t) * NONPOS_SCALE; }

/* expm1(t) for t <= 0 (or NaN), accurate near 0: 2^k (1 + p) - 1 computed
 * as (2^k - 1) + 2^k p, where 2^k - 1 is exact.  Below -EXPM1_LIM the result
 * rounds to -1 in either precision. */
static inline T NAME(expm1_nonpos)(T t)
{
    T r, k_magic;
    t = t < -EXPM1_LIM ? -EXPM1_LIM : t;
    NAME(reduce_ln2)(t, &r, &k_magic);
    T s = NAME(pow2_of)(k_magic, 0);
    return (s - 1) + s * NAME(expm1_poly)(r);
}

/* log1p(e) for e in [0, 1], the range softplus needs.  1 + e lies in
 * [1, 2]; above sqrt 2 it is halved so that s = (u-1)/(u+1) stays small
 * and the atanh series log u = 2 (s + s^3/3 + ...) converges fast. */
static inline T NAME(log1p_unit)(T e)
{
    const int big = e > (T)0.41421356237309503;
    T num = big ? (e - 1) : e;                 /* (u-1) or 2(u/2-1), exact */
    T den = big ? (e + 3) : (e + 2);           /* (u+1) or 2(u/2+1) */
    T s = num / den;
    T s2 = s * s;
    T p = (T)1 / (T)(2 * LOG1P_TERMS - 1);
    FNN_UNROLL
    for (int j = LOG1P_TERMS - 2; j >= 0; --j)
        p = p * s2 + (T)1 / (T)(2 * j + 1);
    return (big ? (T)0.6931471805599453 : 0) + 2 * s * p;
}
