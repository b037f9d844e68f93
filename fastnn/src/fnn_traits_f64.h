/* Type traits for the kernel templates: double. */
#define T double
#define SUF f64
#define UINT uint64_t
#define MANT_BITS 52
#define EXP_BIAS 1023
#define ROUND_MAGIC 0x1.8p52
#define LN2_HI 0x1.62e42fee00000p-1
#define LN2_LO 0x1.a39ef35793c76p-33
#define EXP_MIN_ARG -760.0
#define EXP_MAX_ARG 710.0
#define EXPM1_LIM 40.0
#define NONPOS_SHIFT 128                    /* exp(t) 2^128 is normal for t >= -760 */
#define NONPOS_SCALE 0x1p-128
#define EXPM1_DEGREE 12                      /* |error| 5.5e-19 relative */
#define EXPM1_COEF fnn_expm1_p_f64
#define LOG1P_TERMS 12
#define FMA_T fma
#define SQRT_T sqrt
#define GELU_SERIES fnn_phi_series_f64
#define GELU_SERIES_TERMS 16
#define ERFC_Q fnn_erfc_q_f64
#define ERFC_Q_DEGREE 21
#define ERFC_T_LO 0.06779661016949153       /* t at z = 27.5 */
#define ERFC_T_HI 0.7387961250362586        /* t at z = 1/sqrt2 */
#define GELU_X_MAX 38.890872965260115       /* |x| at z = 27.5 */
