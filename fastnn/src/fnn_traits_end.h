/* Clears the type traits so that the next fnn_traits_*.h can set them. */
#undef EXPM1_COEF
#undef EXPM1_DEGREE
#undef EXPM1_LIM
#undef EXP_BIAS
#undef EXP_MAX_ARG
#undef EXP_MIN_ARG
#undef FNN_GELU_VIA_DOUBLE
#undef LN2_HI
#undef LN2_LO
#undef LOG1P_TERMS
#undef MANT_BITS
#undef NONPOS_SCALE
#undef NONPOS_SHIFT
#undef ROUND_MAGIC
#undef SUF
#undef T
#undef UINT
