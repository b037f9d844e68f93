/* Type traits for the kernel templates: float. */
#define T float
#define SUF f32
#define UINT uint32_t
#define MANT_BITS 23
#define EXP_BIAS 127
#define ROUND_MAGIC 0x1.8p23f
#define LN2_HI 0x1.62e4p-1f                 /* few bits: k * LN2_HI is exact */
#define LN2_LO 1.4286068203094173e-06f
#define EXP_MIN_ARG -120.0f                 /* x * exp(x) underflows to 0 below */
#define EXP_MAX_ARG 89.0f                   /* and overflows to inf above */
#define EXPM1_LIM 40.0f
#define NONPOS_SHIFT 64                     /* exp(t) 2^64 is normal for t >= -120 */
#define NONPOS_SCALE 0x1p-64f
#define EXPM1_DEGREE 7                      /* |error| 5.4e-10 relative */
#define EXPM1_COEF fnn_expm1_p_f32
#define LOG1P_TERMS 6
#define FMA_T fmaf
#define SQRT_T sqrtf
#define GELU_SERIES fnn_phi_series_f32
#define GELU_SERIES_TERMS 9
#define ERFC_Q fnn_erfc_q_f32
#define ERFC_Q_DEGREE 7
#define ERFC_T_LO 0.16f                     /* t at z = 10.5 */
#define ERFC_T_HI 0.7387961250362586f       /* t at z = 1/sqrt2 */
#define GELU_X_MAX 14.849242404917497f      /* |x| at z = 10.5 */
