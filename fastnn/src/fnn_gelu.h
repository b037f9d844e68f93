/* The exact GELU, x Phi(x), and its derivative Phi(x) + x phi(x), for any T.
 *
 * Phi(x) = erfc(-x/sqrt2)/2.  The catch is the left tail: erfc's relative
 * condition number there is about 2 z^2, so the rounding of z = -x/sqrt2
 * alone would cost hundreds of ULP near x = -30.  z is therefore carried
 * as z_hi + z_lo and erfc(z_hi + z_lo) ~ erfc(z_hi) - z_lo 2/sqrt(pi)
 * exp(-z_hi^2); likewise exp(-x^2/2) uses x^2 split exactly with fma.
 * The double version evaluates erfc/exp with libm, so it is accurate but not
 * vectorised; the float version (FNN_GELU_VIA_DOUBLE) uses fnn_phi.h.
 */

static inline double NAME(phi_cdf_dd)(double x)
{
    const double inv_sqrt2_hi = 0.7071067811865476;
    const double inv_sqrt2_lo = -4.833646656726457e-17;  /* 1/sqrt2 - hi */
    const double two_over_sqrt_pi = 1.1283791670955126;
    double z = -x * inv_sqrt2_hi;
    double z_lo = fma(-x, inv_sqrt2_hi, -z) - x * inv_sqrt2_lo;
    double tail = erfc(z);
    double slope = two_over_sqrt_pi * exp(-z * z);
    return 0.5 * (tail - z_lo * slope);
}

/* exp(-x^2/2) / sqrt(2 pi), with x^2 = h + l exactly. */
static inline double NAME(phi_pdf_dd)(double x)
{
    const double inv_sqrt_2pi = 0.3989422804014327;
    double h = x * x;
    double l = fma(x, x, -h);
    return inv_sqrt_2pi * exp(-0.5 * h) * (1 - 0.5 * l);
}

#if FNN_GELU_VIA_DOUBLE
/* float: evaluate in double with the vectorisable Phi of fnn_phi.h and round
 * once; beyond |x| = 40 the limits (x, or -0 below) avoid inf * 0. */
static inline T NAME(gelu_exact)(T x)
{
    double xd = (double)x;
    double y = xd * fnn_phi_cdf(xd);
    y = xd < -40 ? -0.0 : y;
    return (T)(xd > 40 ? xd : y);
}

static inline T NAME(gelu_exact_der)(T x)
{
    double xd = (double)x;
    double d = fnn_phi_cdf(xd) + xd * fnn_phi_pdf(xd);
    d = xd < -40 ? 0.0 : d;
    return (T)(xd > 40 ? 1.0 : d);
}
#else
static inline T NAME(gelu_exact)(T x)
{
    double xd = (double)x;
    if (xd > 40) return x;                /* Phi = 1; also keeps +inf */
    if (xd < -40) return (T)(-0.0);       /* below the smallest subnormal; -inf too */
    return (T)(xd * NAME(phi_cdf_dd)(xd));
}

static inline T NAME(gelu_exact_der)(T x)
{
    double xd = (double)x;
    if (xd > 40) return 1;
    if (xd < -40) return 0;
    return (T)(NAME(phi_cdf_dd)(xd) + xd * NAME(phi_pdf_dd)(xd));
}
#endif
