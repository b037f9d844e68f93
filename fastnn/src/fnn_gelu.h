/* The exact GELU, x Phi(x), and its derivative Phi(x) + x phi(x), for any T.
 *
 * Both precisions use the branch-free Phi of fnn_phi.h: float evaluates in
 * double and rounds once, double uses the split-argument forms there. */

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
static inline T NAME(gelu_exact)(T x) { return fnn_gelu64(x); }
static inline T NAME(gelu_exact_der)(T x) { return fnn_gelu_der64(x); }
#endif
