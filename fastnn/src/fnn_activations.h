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
 * sigmoid_scaled returns m with sigma(x) = m * scale, where m stays normal
 * (see exp_nonpos_hi), so that x * sigma(x) is accurate where sigma(x) is
 * subnormal: multiply by x first, by scale last.  NaN gives NaN. ---- */
static inline T NAME(sigmoid_scaled)(T x, T *scale)
{
    T e_hi = NAME(exp_nonpos_hi)(-NAME(fabs)(x));
    T s = 1 / (1 + e_hi * NONPOS_SCALE);
    const int neg = x < 0;
    *scale = neg ? NONPOS_SCALE : 1;
    return neg ? e_hi * s : s;
}
static inline T NAME(sigmoid_fwd)(T x, T p)
{
    (void)p;
    T scale;
    T m = NAME(sigmoid_scaled)(x, &scale);
    return m * scale;
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
    return NAME(e_over_one_plus_e_sq)(NAME(exp_nonpos)(-NAME(fabs)(x)));
}
static inline T NAME(sigmoid_bwd)(T g, T y, T p) { (void)p; return g * (y * (1 - y)); }

/* ---- tanh: tanh|x| = -u/(u+2) with u = expm1(-2|x|) in (-1, 0], accurate
 * near 0 and free of overflow; the sign is copied back so tanh(-0) = -0. ---- */
static inline T NAME(tanh_fwd)(T x, T p)
{
    (void)p;
    T a = NAME(fabs)(x);
    a = a > 20 ? 20 : a;                       /* tanh(20) rounds to 1 */
    T u = NAME(expm1_nonpos)(-2 * a);
    return NAME(copysign)(u / (-2 - u), x);
}
static inline T NAME(tanh_der)(T x, T p)
{
    (void)p;
    /* sech^2 x = 4 e / (1 + e)^2, e = exp(-2|x|): no 1 - tanh^2 cancellation */
    return 4 * NAME(e_over_one_plus_e_sq)(NAME(exp_nonpos)(-2 * NAME(fabs)(x)));
}
static inline T NAME(tanh_bwd)(T g, T y, T p) { (void)p; return g * ((1 - y) * (1 + y)); }

/* ---- relu (derivative 1 at 0, the article's convention) ---- */
static inline T NAME(relu_fwd)(T x, T p) { (void)p; return x < 0 ? 0 : x; }
static inline T NAME(relu_der)(T x, T p) { (void)p; return NAME(select_sign)(x, 0, 1); }
static inline T NAME(relu_bwd)(T g, T x, T p) { return g * NAME(relu_der)(x, p); }

/* ---- leaky relu, slope p below 0 ---- */
static inline T NAME(leaky_relu_fwd)(T x, T p) { return x < 0 ? p * x : x; }
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
    T scale;
    T xc = x < -FNN_BIG ? -FNN_BIG : x;        /* -inf * 0 would be NaN */
    T m = NAME(sigmoid_scaled)(xc, &scale);
    /* below EXP_MIN_ARG, x e^x is under the smallest subnormal */
    return xc < EXP_MIN_ARG ? -(T)0 : (xc * m) * scale;
}
static inline T NAME(silu_der)(T x, T p)
{
    (void)p;
    T xc = NAME(clamp)(x, -FNN_BIG, FNN_BIG);
    T e = NAME(exp_nonpos)(-NAME(fabs)(xc));
    T s = 1 / (1 + e);
    T sig_pos = xc >= 0 ? s : e * s;           /* sigma(x)  */
    T sig_neg = xc >= 0 ? e * s : s;           /* sigma(-x) */
    return sig_pos + xc * (sig_pos * sig_neg);
}
static inline T NAME(silu_bwd)(T g, T x, T p) { return g * NAME(silu_der)(x, p); }

/* ---- gelu, tanh approximation: 0.5 x (1 + tanh u) = x sigma(2u),
 * u = sqrt(2/pi) (x + 0.044715 x^3) ---- */
#define FNN_GELU_C ((T)0.7978845608028654)
#define FNN_GELU_K ((T)0.044715)
static inline T NAME(gelu_tanh_fwd)(T x, T p)
{
    (void)p;
    T scale;
    T xc = NAME(clamp)(x, -FNN_BIG, FNN_BIG);
    T two_u = 2 * FNN_GELU_C * (xc + FNN_GELU_K * xc * xc * xc);
    T y = (xc * NAME(sigmoid_scaled)(two_u, &scale)) * scale;
    y = two_u < EXP_MIN_ARG ? -(T)0 : y;       /* x sigma(2u) underflows */
    return x > FNN_BIG ? x : y;                /* keeps +inf */
}
static inline T NAME(gelu_tanh_der)(T x, T p)
{
    T xc = NAME(clamp)(x, -FNN_BIG, FNN_BIG);
    T two_u = 2 * FNN_GELU_C * (xc + FNN_GELU_K * xc * xc * xc);
    T sig = NAME(sigmoid_fwd)(two_u, p);
    T dsig = NAME(sigmoid_der)(two_u, p);      /* sigma (1 - sigma) at 2u */
    T du = 2 * FNN_GELU_C * (1 + 3 * FNN_GELU_K * xc * xc);
    return sig + xc * du * dsig;
}
static inline T NAME(gelu_tanh_bwd)(T g, T x, T p) { return g * NAME(gelu_tanh_der)(x, p); }

/* ---- gelu, exact: x Phi(x), Phi(x) = erfc(-x/sqrt 2)/2 ---- */
static inline T NAME(gelu_fwd)(T x, T p) { (void)p; return NAME(gelu_exact)(x); }
static inline T NAME(gelu_der)(T x, T p) { (void)p; return NAME(gelu_exact_der)(x); }
static inline T NAME(gelu_bwd)(T g, T x, T p) { return g * NAME(gelu_der)(x, p); }
