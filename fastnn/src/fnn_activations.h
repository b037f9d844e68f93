/* Scalar activation functions, their derivatives and fused backward passes,
 * written once for any floating type T (see fnn_math.h for the traits).
 *
 * Each activation ACT has three inline functions:
 *   ACT_fwd(x, p)     f(x)
 *   ACT_der(x, p)     f'(x)
 *   ACT_bwd(g, s, p)  g * f'(.) where s is what the forward pass saved: the
 *                     output y for sigmoid and tanh (f' is cheap in y, as in
 *                     PyTorch's sigmoid_backward), the input x otherwise.
 * p is the activation's parameter (alpha) or unused.
 */

/* Large enough that f(+-BIG) is already at its limit, small enough that
 * BIG^3 is finite in float: lets x*sigmoid(x) avoid inf*0 at +-inf. */
#define FNN_BIG ((T)1e10)

/* ---- identity ---- */
static inline T NAME(identity_fwd)(T x, T p) { (void)p; return x; }
static inline T NAME(identity_der)(T x, T p) { (void)p; return NAME(select_sign)(x, 1, 1); }
static inline T NAME(identity_bwd)(T g, T s, T p) { return g * NAME(identity_der)(s, p); }

/* ---- sigmoid: with e = exp(-|x|) nothing overflows and 1 - sigma is never
 * formed by cancellation: sigma(x) = 1/(1+e) for x >= 0, e/(1+e) below.
 * sigmoid_scaled returns sigma(x) = m * s1 * s2 (see exp_parts), so that
 * x * sigma(x) stays accurate where sigma(x) is subnormal. ---- */
static inline T NAME(sigmoid_scaled)(T x, T *s1, T *s2)
{
    T p1, p2;
    T m = NAME(exp_parts)(-NAME(fabs)(x), &p1, &p2);
    T s = 1 / (1 + m * p1 * p2);
    const int neg = x < 0;
    *s1 = neg ? p1 : 1;
    *s2 = neg ? p2 : 1;
    return neg ? m * s : (x >= 0 ? s : x);     /* NaN stays NaN */
}
static inline T NAME(sigmoid_fwd)(T x, T p)
{
    (void)p;
    T s1, s2;
    T m = NAME(sigmoid_scaled)(x, &s1, &s2);
    return m * s1 * s2;
}
static inline T NAME(sigmoid_der)(T x, T p)
{
    (void)p;
    T e = NAME(exp)(-NAME(fabs)(x));
    T d = 1 + e;
    T r = e / (d * d);                 /* sigma (1 - sigma), symmetric in x */
    return r > (T)0.25 ? (T)0.25 : r;  /* rounding near x = 0 overshoots the max */
}
static inline T NAME(sigmoid_bwd)(T g, T y, T p) { (void)p; return g * (y * (1 - y)); }

/* ---- tanh: tanh|x| = -u/(u+2) with u = expm1(-2|x|) in (-1, 0], accurate
 * near 0 and free of overflow; the sign is copied back so tanh(-0) = -0. ---- */
static inline T NAME(tanh_fwd)(T x, T p)
{
    (void)p;
    T a = NAME(clamp)(NAME(fabs)(x), 0, 20);   /* tanh(20) rounds to 1 */
    T u = NAME(expm1)(-2 * a);
    return NAME(copysign)(-u / (u + 2), x);
}
static inline T NAME(tanh_der)(T x, T p)
{
    (void)p;
    T e = NAME(exp)(-2 * NAME(fabs)(x));
    T d = 1 + e;
    T r = (4 * e) / (d * d);           /* sech^2 x, no 1 - tanh^2 cancellation */
    return r > 1 ? 1 : r;              /* rounding near x = 0 overshoots the max */
}
static inline T NAME(tanh_bwd)(T g, T y, T p) { (void)p; return g * ((1 - y) * (1 + y)); }

/* ---- relu (derivative 1 at 0, the article's convention) ---- */
static inline T NAME(relu_fwd)(T x, T p) { (void)p; return x < 0 ? 0 : x; }
static inline T NAME(relu_der)(T x, T p) { (void)p; return NAME(select_sign)(x, 0, 1); }
static inline T NAME(relu_bwd)(T g, T x, T p) { return g * NAME(relu_der)(x, p); }

/* ---- leaky relu, slope p below 0 ---- */
/* with p = 0, p * -inf would be NaN: the limit is 0 (p is loop-invariant,
 * so the test on it is hoisted out of the loop) */
static inline T NAME(leaky_relu_fwd)(T x, T p) { return x < 0 ? (p != 0 ? p * x : -(T)0) : x; }
static inline T NAME(leaky_relu_der)(T x, T p) { return NAME(select_sign)(x, p, 1); }
static inline T NAME(leaky_relu_bwd)(T g, T x, T p) { return g * NAME(leaky_relu_der)(x, p); }

/* ---- elu: p (e^x - 1) below 0 ---- */
static inline T NAME(elu_fwd)(T x, T p) { return x < 0 ? p * NAME(expm1)(x) : x; }
static inline T NAME(elu_der)(T x, T p) { return NAME(select_sign)(x, p * NAME(exp)(x), 1); }
static inline T NAME(elu_bwd)(T g, T x, T p) { return g * NAME(elu_der)(x, p); }

/* ---- softplus = max(x, 0) + log1p(e^-|x|): no overflow for large x ---- */
static inline T NAME(softplus_fwd)(T x, T p)
{
    (void)p;
    return (x < 0 ? 0 : x) + NAME(log1p_unit)(NAME(exp)(-NAME(fabs)(x)));
}
static inline T NAME(softplus_der)(T x, T p) { return NAME(sigmoid_fwd)(x, p); }
static inline T NAME(softplus_bwd)(T g, T x, T p) { return g * NAME(sigmoid_fwd)(x, p); }

/* ---- silu = x sigma(x); f' = sigma(x) (1 + x sigma(-x)) ---- */
static inline T NAME(silu_fwd)(T x, T p)
{
    (void)p;
    T s1, s2;
    T xc = x < -FNN_BIG ? -FNN_BIG : x;        /* -inf * 0 would be NaN */
    T m = NAME(sigmoid_scaled)(xc, &s1, &s2);
    /* below EXP_MIN_ARG, x e^x is under the smallest subnormal */
    return xc < EXP_MIN_ARG ? -(T)0 : (xc * m) * s1 * s2;
}
static inline T NAME(silu_der)(T x, T p)
{
    /* sigma(x) (1 + x sigma(-x)); where sigma(x) = m s1 s2 is subnormal the
     * product is formed on m and scaled last (as in silu_fwd): scaling first
     * would round sigma(x) to a few bits, which x then magnifies. */
    (void)p;
    T p1, p2;
    T xc = NAME(clamp)(x, -FNN_BIG, FNN_BIG);
    T m = NAME(exp_parts)(-NAME(fabs)(xc), &p1, &p2);
    T e = m * p1 * p2;                         /* exp(-|x|) */
    T s = 1 / (1 + e);
    const int neg = xc < 0;
    T sig_neg = neg ? s : e * s;               /* sigma(-x) */
    T core = (neg ? m * s : s) * (1 + xc * sig_neg);
    T d = (core * (neg ? p1 : 1)) * (neg ? p2 : 1);
    /* below EXP_MIN_ARG, e^x (1 + x) is under the smallest subnormal */
    return xc < EXP_MIN_ARG ? -(T)0 : d;
}
static inline T NAME(silu_bwd)(T g, T x, T p) { return g * NAME(silu_der)(x, p); }

/* ---- gelu, tanh approximation: 0.5 x (1 + tanh u) = x sigma(t), with
 * t = 2u = C2 x + C2K x^3, C2 = 2 sqrt(2/pi), C2K = C2 * 0.044715.
 * In the left tail sigma(t) ~ e^t, so an absolute error in t is a relative
 * error in the result: t rounded to T would cost |t| ULP (hundreds).  t is
 * therefore carried as t + t_lo (error-free products with fma, constants
 * split in hi + lo) and sigma(t + t_lo) = sigma(t) (1 + t_lo sigma(-t)) to
 * first order (|t_lo| <= |t| eps, its square is negligible). ---- */
#ifndef FNN_GELU_TANH_CONSTANTS
#define FNN_GELU_TANH_CONSTANTS
#define FNN_IS_F32 (sizeof(T) == sizeof(float))
#define FNN_FMA(a, b, c) _Generic((a), float: fmaf, default: fma)(a, b, c)
#define FNN_C2_HI ((T)1.5957691216057308)
#define FNN_C2_LO ((T)(FNN_IS_F32 ? -4.534068054340423e-08 : -9.96930880911092e-17))
#define FNN_C2K_HI ((T)0.07135481627260025)
#define FNN_C2K_LO ((T)(FNN_IS_F32 ? 2.3988324659995897e-09 : -6.175149918155315e-19))
#endif

/* t = C2 x + C2K x^3 as t + *lo, for |x| <= FNN_BIG. */
static inline T NAME(gelu_tanh_arg)(T x, T *lo)
{
    T q = x * x, q_lo = FNN_FMA(x, x, -q);
    T c3 = q * x, c3_lo = FNN_FMA(q, x, -c3) + q_lo * x;
    T a = FNN_C2_HI * x, a_lo = FNN_FMA(FNN_C2_HI, x, -a) + FNN_C2_LO * x;
    T b = FNN_C2K_HI * c3;
    T b_lo = FNN_FMA(FNN_C2K_HI, c3, -b) + (FNN_C2K_HI * c3_lo + FNN_C2K_LO * c3);
    T t = a + b;                               /* a, b have x's sign: no cancellation */
    T b_part = t - a;
    *lo = ((a - (t - b_part)) + (b - b_part)) + (a_lo + b_lo);
    return t;
}

static inline T NAME(gelu_tanh_fwd)(T x, T p)
{
    (void)p;
    T p1, p2, t_lo;
    T xc = NAME(clamp)(x, -FNN_BIG, FNN_BIG);
    T t = NAME(gelu_tanh_arg)(xc, &t_lo);
    T m = NAME(exp_parts)(-NAME(fabs)(t), &p1, &p2);
    T e = m * p1 * p2;                         /* exp(-|t|) */
    T s = 1 / (1 + e);
    const int neg = t < 0;
    T sig_neg = neg ? s : e * s;               /* sigma(-t) */
    T core = neg ? m * s : s;                  /* sigma(t), before scaling */
    /* scaled last so that x sigma(t) keeps its bits where it is subnormal */
    T y = ((xc * core) * (1 + t_lo * sig_neg)) * (neg ? p1 : 1) * (neg ? p2 : 1);
    y = t < EXP_MIN_ARG ? -(T)0 : y;           /* x sigma(t) underflows */
    return x > FNN_BIG ? x : y;                /* keeps +inf */
}

/* f' = sigma(t) + x t' sigma(t) sigma(-t) = sigma(t) (1 + x t' sigma(-t)),
 * t' = C2 + 3 C2K x^2, both sigmas at t + t_lo. */
static inline T NAME(gelu_tanh_der)(T x, T p)
{
    (void)p;
    T p1, p2, t_lo;
    T xc = NAME(clamp)(x, -FNN_BIG, FNN_BIG);
    T t = NAME(gelu_tanh_arg)(xc, &t_lo);
    T m = NAME(exp_parts)(-NAME(fabs)(t), &p1, &p2);
    T e = m * p1 * p2;
    T s = 1 / (1 + e);
    const int neg = t < 0;
    T sig_pos = neg ? e * s : s;
    T sig_neg = neg ? s : e * s;
    T core = (neg ? m * s : s) * (1 + t_lo * sig_neg);
    T sig_neg_corr = sig_neg * (1 - t_lo * sig_pos);
    T dt = FNN_C2_HI + 3 * FNN_C2K_HI * (xc * xc);
    T d = (core * (1 + xc * dt * sig_neg_corr)) * (neg ? p1 : 1) * (neg ? p2 : 1);
    return t < EXP_MIN_ARG ? -(T)0 : d;        /* under the smallest subnormal */
}
static inline T NAME(gelu_tanh_bwd)(T g, T x, T p) { return g * NAME(gelu_tanh_der)(x, p); }

/* ---- gelu, exact: x Phi(x), Phi(x) = erfc(-x/sqrt 2)/2 ---- */
static inline T NAME(gelu_fwd)(T x, T p) { (void)p; return NAME(gelu_exact)(x); }
static inline T NAME(gelu_der)(T x, T p) { (void)p; return NAME(gelu_exact_der)(x); }
static inline T NAME(gelu_bwd)(T g, T x, T p) { return g * NAME(gelu_der)(x, p); }
