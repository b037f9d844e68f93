/* Scalar activation functions, their derivatives and fused backward passes,
 * written once for any floating type T (the traits: fnn_traits_f32.h and
 * fnn_traits_f64.h; the elementary functions: fnn_math.h).
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
/* f' = 1: the gradient passes through; saved is not even read. */
static inline T NAME(identity_bwd)(T g, T s, T p) { (void)s; (void)p; return g; }

/* ---- sigmoid: with e = exp(-|x|) nothing overflows and 1 - sigma is never
 * formed by cancellation: sigma(x) = 1/(1+e) for x >= 0, e/(1+e) below.
 * sigmoid_scaled returns m with sigma(x) = m * scale, where m stays normal
 * (see exp_nonpos_hi), so that x * sigma(x) is accurate where sigma(x) is
 * subnormal: multiply by x first, by scale last.  It also gives sigma(-x)
 * = 1 - sigma(x) from the same exp, without cancellation.  NaN gives NaN.
 * Every sigmoid-based activation (silu, gelu_tanh) builds on it. ---- */
static inline T NAME(sigmoid_scaled)(T x, T *scale, T *sig_neg)
{
    T e_hi = NAME(exp_nonpos_hi)(-NAME(fabs)(x));
    T e = e_hi * NONPOS_SCALE;                 /* exp(-|x|) */
    T s = 1 / (1 + e);
    const int neg = x < 0;
    *scale = neg ? NONPOS_SCALE : 1;
    *sig_neg = neg ? s : e * s;
    return neg ? e_hi * s : s;
}
static inline T NAME(sigmoid_fwd)(T x, T p)
{
    (void)p;
    T scale, sig_neg;
    return NAME(sigmoid_scaled)(x, &scale, &sig_neg) * scale;
}
/* e / (1 + e)^2 for e in [0, 1], with 1 + e carried exactly as d + d_lo
 * (Fast2Sum) so that squaring it costs one rounding, not three: keeps the
 * derivatives of sigmoid and tanh near 2 ULP instead of 4.  The compiler
 * contracts d*d + 2 d d_lo into an fma where the target has one. */
static inline T NAME(e_over_one_plus_e_sq)(T e)
{
    T d = 1 + e;
    T d_lo = e - (d - 1);
    return e / (d * d + 2 * d * d_lo);
}
static inline T NAME(sigmoid_der)(T x, T p)
{
    (void)p;                           /* sigma (1 - sigma), symmetric in x */
    T r = NAME(e_over_one_plus_e_sq)(NAME(exp_nonpos)(-NAME(fabs)(x)));
    return r > (T)0.25 ? (T)0.25 : r;  /* rounding near x = 0 may overshoot the max */
}
static inline T NAME(sigmoid_bwd)(T g, T y, T p) { (void)p; return g * (y * (1 - y)); }

/* ---- tanh: tanh|x| = -u/(u+2) with u = expm1(-2|x|) in (-1, 0], accurate
 * near 0 and free of overflow; the sign is copied back so tanh(-0) = -0. ---- */
static inline T NAME(tanh_fwd)(T x, T p)
{
    (void)p;
    /* expm1_nonpos clamps at -EXPM1_LIM = -40, where tanh already rounds to
     * 1 in either precision: large |x|, inf and NaN need no case of their own */
    T u = NAME(expm1_nonpos)(-2 * NAME(fabs)(x));
    return NAME(copysign)(u / (-2 - u), x);
}
static inline T NAME(tanh_der)(T x, T p)
{
    (void)p;
    /* sech^2 x = 4 e / (1 + e)^2, e = exp(-2|x|): no 1 - tanh^2 cancellation */
    T r = 4 * NAME(e_over_one_plus_e_sq)(NAME(exp_nonpos)(-2 * NAME(fabs)(x)));
    return r > 1 ? 1 : r;              /* rounding near x = 0 may overshoot the max */
}
static inline T NAME(tanh_bwd)(T g, T y, T p) { (void)p; return g * ((1 - y) * (1 + y)); }

/* ---- relu: the convention ReLU'(0) = 1 (the derivative at 0 is 1) ---- */
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
static inline T NAME(elu_fwd)(T x, T p) { return x < 0 ? p * NAME(expm1_nonpos)(x) : x; }
static inline T NAME(elu_der)(T x, T p) { return NAME(select_sign)(x, p * NAME(exp_nonpos)(x), 1); }
static inline T NAME(elu_bwd)(T g, T x, T p) { return g * NAME(elu_der)(x, p); }

/* ---- softplus = max(x, 0) + log1p(e^-|x|): no overflow for large x ---- */
static inline T NAME(softplus_fwd)(T x, T p)
{
    (void)p;
    return (x < 0 ? 0 : x) + NAME(log1p_unit)(NAME(exp_nonpos)(-NAME(fabs)(x)));
}
static inline T NAME(softplus_der)(T x, T p) { return NAME(sigmoid_fwd)(x, p); }
static inline T NAME(softplus_bwd)(T g, T x, T p) { return g * NAME(sigmoid_fwd)(x, p); }

/* ---- silu = x sigma(x); f' = sigma(x) (1 + x sigma(-x)) ---- */
static inline T NAME(silu_fwd)(T x, T p)
{
    (void)p;
    T scale, sig_neg;
    T xc = x < -FNN_BIG ? -FNN_BIG : x;        /* -inf * 0 would be NaN */
    T m = NAME(sigmoid_scaled)(xc, &scale, &sig_neg);
    /* below EXP_MIN_ARG, x e^x is under the smallest subnormal */
    return xc < EXP_MIN_ARG ? -(T)0 : (xc * m) * scale;
}
static inline T NAME(silu_der)(T x, T p)
{
    /* sigma(x) (1 + x sigma(-x)); where sigma(x) is subnormal the product is
     * formed on the scaled value and scaled last (as in silu_fwd): scaling
     * first would round sigma(x) to a few bits, which x then magnifies. */
    (void)p;
    T scale, sig_neg;
    T xc = NAME(clamp)(x, -FNN_BIG, FNN_BIG);
    T m = NAME(sigmoid_scaled)(xc, &scale, &sig_neg);
    T d = (m * (1 + xc * sig_neg)) * scale;
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
#define FNN_C2_HI ((T)1.5957691216057308)
#define FNN_C2_LO ((T)(FNN_IS_F32 ? -4.534068054340423e-08 : -9.96930880911092e-17))
#define FNN_C2K_HI ((T)0.07135481627260025)
#define FNN_C2K_LO ((T)(FNN_IS_F32 ? 2.3988324659995897e-09 : -6.175149918155315e-19))
#endif

/* t = C2 x + C2K x^3 as t + *lo, for |x| <= FNN_BIG. */
static inline T NAME(gelu_tanh_arg)(T x, T *lo)
{
    T q = x * x, q_lo = FMA_T(x, x, -q);
    T c3 = q * x, c3_lo = FMA_T(q, x, -c3) + q_lo * x;
    T a = FNN_C2_HI * x, a_lo = FMA_T(FNN_C2_HI, x, -a) + FNN_C2_LO * x;
    T b = FNN_C2K_HI * c3;
    T b_lo = FMA_T(FNN_C2K_HI, c3, -b) + (FNN_C2K_HI * c3_lo + FNN_C2K_LO * c3);
    T t = a + b;                               /* a, b have x's sign: no cancellation */
    T b_part = t - a;
    *lo = ((a - (t - b_part)) + (b - b_part)) + (a_lo + b_lo);
    return t;
}

static inline T NAME(gelu_tanh_fwd)(T x, T p)
{
    (void)p;
    T t_lo, scale, sig_neg;
    T xc = NAME(clamp)(x, -FNN_BIG, FNN_BIG);
    T t = NAME(gelu_tanh_arg)(xc, &t_lo);
    T m = NAME(sigmoid_scaled)(t, &scale, &sig_neg);
    /* scaled last so that x sigma(t) keeps its bits where it is subnormal */
    T y = ((xc * m) * (1 + t_lo * sig_neg)) * scale;
    y = t < EXP_MIN_ARG ? -(T)0 : y;           /* x sigma(t) underflows */
    return x > FNN_BIG ? x : y;                /* keeps +inf */
}

/* f' = sigma(t) + x t' sigma(t) sigma(-t) = sigma(t) (1 + x t' sigma(-t)),
 * t' = C2 + 3 C2K x^2, both sigmas at t + t_lo. */
static inline T NAME(gelu_tanh_der)(T x, T p)
{
    (void)p;
    T t_lo, scale, sig_neg;
    T xc = NAME(clamp)(x, -FNN_BIG, FNN_BIG);
    T t = NAME(gelu_tanh_arg)(xc, &t_lo);
    T m = NAME(sigmoid_scaled)(t, &scale, &sig_neg);
    T core = m * (1 + t_lo * sig_neg);                 /* sigma(t + t_lo), scaled */
    T sig_neg_corr = sig_neg * (1 - t_lo * (m * scale));  /* sigma(-t - t_lo) */
    T dt = FNN_C2_HI + 3 * FNN_C2K_HI * (xc * xc);
    T d = (core * (1 + xc * dt * sig_neg_corr)) * scale;
    return t < EXP_MIN_ARG ? -(T)0 : d;        /* under the smallest subnormal */
}
static inline T NAME(gelu_tanh_bwd)(T g, T x, T p) { return g * NAME(gelu_tanh_der)(x, p); }

/* ---- gelu, exact: x Phi(x), Phi(x) = erfc(-x/sqrt 2)/2 ---- */
static inline T NAME(gelu_fwd)(T x, T p) { (void)p; return NAME(gelu_exact)(x); }
static inline T NAME(gelu_der)(T x, T p) { (void)p; return NAME(gelu_exact_der)(x); }
static inline T NAME(gelu_bwd)(T g, T x, T p) { return g * NAME(gelu_der)(x, p); }
