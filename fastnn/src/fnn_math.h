/* Branch-free, vectorisable elementary functions: a "template" included once
 * per floating type by fnn_kernels.c, which first defines the type traits
 * (T, SUF, UINT, MANT_BITS, EXP_BIAS, ...).
 *
 * Why not libm: a loop calling expf() cannot be vectorised by the compiler
 * (1.5-1.8 ns/element here), while these polynomial forms compile to SIMD
 * code in every target clone.  Accuracy is kept to a few ULP: Cody-Waite
 * range reduction x = k ln2 + r with |r| <= ln2/2, a Taylor polynomial
 * long enough to be below half an ULP, and 2^k built from the exponent bits.
 * NaN propagates through every function; +-inf reach the right limits.
 */

#define FNN_CAT_(a, b) a##_##b
#define FNN_CAT(a, b) FNN_CAT_(a, b)
#define NAME(f) FNN_CAT(f, SUF)

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

/* Round to nearest integer by adding and removing 1.5 * 2^MANT_BITS; valid
 * for |x| < 2^(MANT_BITS-1), which every caller guarantees by clamping. */
static inline T NAME(round_magic)(T x) { return (x + ROUND_MAGIC) - ROUND_MAGIC; }

/* 2^k for an integral kf with EXP_BIAS + kf in [1, 2*EXP_BIAS]: the low bits
 * of kf + ROUND_MAGIC hold k, shifting them into the exponent field. */
static inline T NAME(pow2)(T kf)
{
    UINT u = NAME(to_bits)(kf + ROUND_MAGIC);
    return NAME(from_bits)((u << MANT_BITS) + ((UINT)EXP_BIAS << MANT_BITS));
}

/* expm1(r) for |r| <= ln2/2: r + r^2 (1/2! + r/3! + ...). */
static inline T NAME(expm1_poly)(T r)
{
    T p = EXPM1_COEF[EXPM1_DEGREE - 2];
    for (int j = EXPM1_DEGREE - 3; j >= 0; --j)
        p = p * r + EXPM1_COEF[j];
    return r + (r * r) * p;
}

/* x = k ln2 + r; returns k (integral, as T) and stores r. */
static inline T NAME(reduce_ln2)(T x, T *r)
{
    T kf = NAME(round_magic)(x * (T)1.4426950408889634);
    *r = (x - kf * LN2_HI) - kf * LN2_LO;
    return kf;
}

/* exp(x) = m * s1 * s2 with m in [0.7, 1.5] and s1, s2 powers of two in the
 * normal range: two half-size scalings so that 2^k never leaves the normal
 * range, and the product overflows to inf or rounds into the subnormals
 * once.  Callers that multiply exp(x) by something else first (x * exp(x))
 * keep that product normal and scale last, for full accuracy in the
 * subnormal range. */
static inline T NAME(exp_parts)(T x, T *s1, T *s2)
{
    T r;
    x = NAME(clamp)(x, EXP_MIN_ARG, EXP_MAX_ARG);
    T kf = NAME(reduce_ln2)(x, &r);
    T k1 = NAME(round_magic)(kf * (T)0.5);
    *s1 = NAME(pow2)(k1);
    *s2 = NAME(pow2)(kf - k1);
    return 1 + NAME(expm1_poly)(r);
}

static inline T NAME(exp)(T x)
{
    T s1, s2;
    T m = NAME(exp_parts)(x, &s1, &s2);
    return m * s1 * s2;
}

/* expm1(x), accurate near 0.  Clamped to +-EXPM1_LIM, beyond which the
 * result is -1 (below) in this precision; callers clamp above. */
static inline T NAME(expm1)(T x)
{
    T r;
    x = NAME(clamp)(x, -EXPM1_LIM, EXPM1_LIM);
    T kf = NAME(reduce_ln2)(x, &r);
    T s = NAME(pow2)(kf);
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
    for (int j = LOG1P_TERMS - 2; j >= 0; --j)
        p = p * s2 + (T)1 / (T)(2 * j + 1);
    return (big ? (T)0.6931471805599453 : 0) + 2 * s * p;
}
