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
    FNN_UNROLL
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

/* ---- double precision: Phi and the GELU to a few ULP, still branch-free.
 * |x| < 1:  Phi(x) = 1/2 + x S(x^2), the Taylor series of Phi (16 terms,
 *           truncation < 1e-20).
 * |x| >= 1: erfc(z) = t exp(-z^2 + Q(t)), z = |x|/sqrt2 in [0.707, 27.5],
 *           t = 1/(1 + z/2), Q of degree 21 in u = (2t - (T_HI + T_LO)) /
 *           (T_HI - T_LO), fitted by least squares on Chebyshev nodes in
 *           50-digit mpmath: |Q error| < 1.9e-16.  z^2 = x^2/2 is carried as
 *           h + l (fma) and exp takes it as a separate low part, since the
 *           rounding of z^2 alone would cost hundreds of ULP near x = -38.
 * Results that could be subnormal (x Phi(x), x phi(x) for x << 0) are formed
 * scaled by 2^NONPOS_SHIFT and scaled back last. */
static const double fnn_phi_series[] = {
    0.3989422804014327,
    -0.06649038006690544,
    0.009973557010035817,
    -0.0011873282154804543,
    0.00011543468761615529,
    -9.444656259503615e-06,
    6.659693516316651e-07,
    -4.122667414862689e-08,
    2.2735298243728065e-09,
    -1.1301171641619213e-10,
    5.1124347902563106e-12,
    -2.121761474217046e-13,
    8.133418984498675e-15,
    -2.896516732371323e-16,
    9.631274849017947e-18,
    -3.0033007593711877e-19
};

#define FNN_ERFC_T_LO 0.06779661016949153
#define FNN_ERFC_T_HI 0.7387961250362586
static const double fnn_erfc_q64[] = {
    -0.7997940421525254,
    0.4357546759735131,
    0.03230415216970684,
    -0.010972939095186247,
    -0.003418505570345704,
    0.0006965459142706623,
    0.0003987829717970245,
    -7.489295413121257e-05,
    -5.0739902617000304e-05,
    1.1850612134283925e-05,
    6.462996466147597e-06,
    -2.223149014360575e-06,
    -7.23133074406834e-07,
    4.151407846640649e-07,
    4.943279339557657e-08,
    -6.892714798829227e-08,
    4.252273093085326e-09,
    9.118923037692715e-09,
    -2.0130892693657286e-09,
    -7.998378217499238e-10,
    2.4957722815466567e-10,
    2.9019700620092083e-11
};
#define FNN_ERFC_Q64_DEGREE 21

/* 0.5 erfc(|x|/sqrt2) * 2^128 for |x| >= 1 (meaningless below). */
static inline double fnn_half_erfc64_hi(double x)
{
    double a = fabs_f64(x);
    a = a > 38.890872965260115 ? 38.890872965260115 : a;   /* z <= 27.5 */
    double z = a * 0.7071067811865476;
    double t = 1 / (1 + 0.5 * z);
    double u = (2 * t - (FNN_ERFC_T_HI + FNN_ERFC_T_LO)) / (FNN_ERFC_T_HI - FNN_ERFC_T_LO);
    double q = fnn_erfc_q64[FNN_ERFC_Q64_DEGREE];
    FNN_UNROLL
    for (int j = FNN_ERFC_Q64_DEGREE - 1; j >= 0; --j)
        q = q * u + fnn_erfc_q64[j];
    double h = a * a;
    double l = fma(a, a, -h);                 /* a^2 = h + l exactly */
    return 0.5 * t * exp_nonpos_hi_split_f64(-0.5 * h, q - 0.5 * l);
}

/* Phi(x) - 1/2 for |x| < 1 (meaningless above). */
static inline double fnn_phi_series64(double x)
{
    double w = x * x;
    double s = fnn_phi_series[15];
    FNN_UNROLL
    for (int j = 14; j >= 0; --j)
        s = s * w + fnn_phi_series[j];
    return x * s;
}

/* phi(x) * 2^128. */
static inline double fnn_phi_pdf64_hi(double x)
{
    double h = x * x;
    double l = fma(x, x, -h);
    return 0.3989422804014327 * exp_nonpos_hi_split_f64(-0.5 * h, -0.5 * l);
}

static inline double fnn_gelu64(double x)
{
    const double scale = 0x1p-128;
    double tail_hi = fnn_half_erfc64_hi(x);
    double y_tail = x < 0 ? (x * tail_hi) * scale : x * (1 - tail_hi * scale);
    double y = fabs_f64(x) < 1 ? x * (0.5 + fnn_phi_series64(x)) : y_tail;
    y = x < -38.890872965260115 ? -0.0 : y;   /* underflows, and -inf */
    return x > 38.890872965260115 ? x : y;     /* Phi = 1, and +inf */
}

static inline double fnn_gelu_der64(double x)
{
    const double scale = 0x1p-128;
    double tail_hi = fnn_half_erfc64_hi(x);
    double pdf_hi = fnn_phi_pdf64_hi(x);
    double d_tail = x < 0 ? (tail_hi + x * pdf_hi) * scale
                          : (1 - tail_hi * scale) + (x * pdf_hi) * scale;
    double d_small = (0.5 + fnn_phi_series64(x)) + x * (pdf_hi * scale);
    double d = fabs_f64(x) < 1 ? d_small : d_tail;
    d = x < -38.890872965260115 ? 0.0 : d;
    return x > 38.890872965260115 ? 1.0 : d;
}
