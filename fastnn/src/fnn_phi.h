/* The normal distribution's Phi(x) and phi(x) in double, branch-free so
 * that loops over them vectorise.  Used by the float GELU, which rounds the
 * double result once: the relative error here (< 1e-8, see below) is far
 * under float's half ULP (6e-8).
 *
 * Phi(x) = erfc(|x|/sqrt2)/2 for x < 0 and 1 - erfc(|x|/sqrt2)/2 above.
 * erfc(z) = t exp(-z^2 + Q(t)), t = 1/(1 + z/2), the form of Numerical
 * Recipes' erfcc; Q is our own degree-10 least-squares fit on Chebyshev
 * nodes of t for z in [0, 10.5] against mpmath, relative error 8e-9.  Beyond
 * z = 10.5 (x < -14.8) x Phi(x) is below float's smallest subnormal.
 */
static const double fnn_erfc_q[] = {
    -1.2655717252482659,
    1.0016734504520737,
    0.3546274591886716,
    0.2249589406095784,
    -0.7081291880604887,
    1.6555892829118695,
    -3.529170566314494,
    4.210768202146303,
    -2.768500204189659,
    0.9643716840447375,
    -0.14061733256015285
};

static inline double fnn_half_erfc(double z)
{
    z = z > 10.5 ? 10.5 : z;
    double t = 1 / (1 + 0.5 * z);
    double q = fnn_erfc_q[10];
    for (int j = 9; j >= 0; --j)
        q = q * t + fnn_erfc_q[j];
    return 0.5 * t * exp_nonpos_f64(q - z * z);
}

static inline double fnn_phi_cdf(double x)
{
    double h = fnn_half_erfc(fabs_f64(x) * 0.7071067811865476);
    return x < 0 ? h : 1 - h;                  /* NaN: 1 - NaN */
}

static inline double fnn_phi_pdf(double x)
{
    return 0.3989422804014327 * exp_nonpos_f64(-0.5 * (x * x));
}
