/* The exact GELU, x Phi(x), and its derivative Phi(x) + x phi(x), for any T,
 * branch-free so that the loops vectorise.
 *
 * |x| < 1:  Phi(x) = 1/2 + x S(x^2), a Taylor series (GELU_SERIES).
 * |x| >= 1: 0.5 erfc(|x|/sqrt2) from the fitted tail form (ERFC_Q, see
 *           fnn_kernels.c).  The left tail is ill-conditioned: erfc's
 *           relative condition number is about 2 z^2, so the rounding of
 *           z^2 alone would cost hundreds of ULP near the underflow point.
 *           x^2 is therefore split exactly with an fma into h + l, and exp
 *           takes -l/2 as a separate low part (exp_nonpos_hi_split).
 * Values that may be subnormal (x Phi(x), x phi(x) for x << 0) are formed
 * scaled by 2^NONPOS_SHIFT and scaled back last, as in sigmoid.
 * Beyond |x| = GELU_X_MAX, Phi is 0 or 1 in this precision: the limits are
 * returned directly, which also keeps inf * 0 away from +-inf. */

/* 0.5 erfc(|x|/sqrt2) * 2^NONPOS_SHIFT (meaningful for |x| >= 1). */
static inline T NAME(half_erfc_hi)(T x)
{
    T a = NAME(fabs)(x);
    a = a > GELU_X_MAX ? GELU_X_MAX : a;
    T z = a * (T)0.7071067811865476;
    T t = 1 / (1 + (T)0.5 * z);
    T u = t * (T)(2.0 / (ERFC_T_HI - ERFC_T_LO))
          - (T)((ERFC_T_HI + ERFC_T_LO) / (ERFC_T_HI - ERFC_T_LO));
    T q = ERFC_Q[ERFC_Q_DEGREE];
    FNN_UNROLL
    for (int j = ERFC_Q_DEGREE - 1; j >= 0; --j)
        q = q * u + ERFC_Q[j];
    T h = a * a;
    T l = FMA_T(a, a, -h);                     /* a^2 = h + l exactly */
    return (T)0.5 * t * NAME(exp_nonpos_hi_split)((T)-0.5 * h, q - (T)0.5 * l);
}

/* Phi(x) - 1/2 (meaningful for |x| < 1). */
static inline T NAME(phi_series)(T x)
{
    T w = x * x;
    T s = GELU_SERIES[GELU_SERIES_TERMS - 1];
    FNN_UNROLL
    for (int j = GELU_SERIES_TERMS - 2; j >= 0; --j)
        s = s * w + GELU_SERIES[j];
    return x * s;
}

/* phi(x) * 2^NONPOS_SHIFT. */
static inline T NAME(phi_pdf_hi)(T x)
{
    T h = x * x;
    T l = FMA_T(x, x, -h);
    return (T)0.3989422804014327 * NAME(exp_nonpos_hi_split)((T)-0.5 * h, (T)-0.5 * l);
}

static inline T NAME(gelu_exact)(T x)
{
    T tail_hi = NAME(half_erfc_hi)(x);
    T y_tail = x < 0 ? (x * tail_hi) * NONPOS_SCALE : x * (1 - tail_hi * NONPOS_SCALE);
    T y = NAME(fabs)(x) < 1 ? x * ((T)0.5 + NAME(phi_series)(x)) : y_tail;
    y = x < -GELU_X_MAX ? -(T)0 : y;
    return x > GELU_X_MAX ? x : y;
}

static inline T NAME(gelu_exact_der)(T x)
{
    T tail_hi = NAME(half_erfc_hi)(x);
    T pdf_hi = NAME(phi_pdf_hi)(x);
    T d_tail = x < 0 ? (tail_hi + x * pdf_hi) * NONPOS_SCALE
                     : (1 - tail_hi * NONPOS_SCALE) + (x * pdf_hi) * NONPOS_SCALE;
    T d_small = ((T)0.5 + NAME(phi_series)(x)) + x * (pdf_hi * NONPOS_SCALE);
    T d = NAME(fabs)(x) < 1 ? d_small : d_tail;
    d = x < -GELU_X_MAX ? 0 : d;
    return x > GELU_X_MAX ? 1 : d;
}
