/* Includes the template FNN_ISA_TEMPLATE once per instruction-set level of
 * fnn_dispatch.h, with ISA (the name suffix), FNN_TARGET (the function
 * attribute) and FNN_VEC_BYTES (the level's vector register width) set; the
 * template names its functions with INAME(f).  The
 * symbol names carry the level (..._isa_x86_64_v3), which is how
 * tools/check_wheel_isa.py tells dispatched code from baseline code. */
#define FNN_ICAT_(a, b) a##_##b
#define FNN_ICAT(a, b) FNN_ICAT_(a, b)
#define INAME(f) FNN_ICAT(NAME(f), ISA)

#define ISA isa_baseline
#define FNN_TARGET
#define FNN_VEC_BYTES 16
#include FNN_ISA_TEMPLATE
#undef FNN_VEC_BYTES
#undef FNN_TARGET
#undef ISA

#ifdef FNN_HAVE_ISA_DISPATCH
#define ISA isa_x86_64_v3
#define FNN_TARGET __attribute__((target("arch=x86-64-v3")))
#define FNN_VEC_BYTES 32
#include FNN_ISA_TEMPLATE
#undef FNN_VEC_BYTES
#undef FNN_TARGET
#undef ISA

#define ISA isa_x86_64_v4
#define FNN_TARGET __attribute__((target("arch=x86-64-v4")))
#define FNN_VEC_BYTES 64
#include FNN_ISA_TEMPLATE
#undef FNN_VEC_BYTES
#undef FNN_TARGET
#undef ISA
#endif

#undef INAME
#undef FNN_ICAT
#undef FNN_ICAT_
