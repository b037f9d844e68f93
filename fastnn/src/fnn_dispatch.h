/* Run-time SIMD dispatch for the elementwise kernels.
 *
 * A wheel must run on every x86-64 CPU, so the build never uses -march=native.
 * Instead GCC/Clang compile each kernel loop three times (baseline SSE2,
 * x86-64-v3 = AVX2+FMA, x86-64-v4 = AVX-512) and an ifunc resolver picks one
 * at load time.  Where the compiler or platform lacks target_clones/ifunc
 * (macOS, Windows, non-x86), FNN_CLONES is empty and the portable loop is
 * what runs.
 */
#ifndef FNN_DISPATCH_H
#define FNN_DISPATCH_H

#if defined(__has_attribute)
#  if __has_attribute(target_clones) && defined(__x86_64__) && defined(__linux__) \
      && !defined(FNN_NO_CLONES)
#    define FNN_HAVE_CLONES 1
#  endif
#endif

#ifdef FNN_HAVE_CLONES
#  define FNN_CLONES \
     __attribute__((target_clones("default", "arch=x86-64-v3", "arch=x86-64-v4")))
#else
#  define FNN_CLONES
#endif

/* Polynomial loops must be unrolled completely, or the element loop around
 * them does not vectorise (GCC's own limit is 16 iterations). */
#if defined(__GNUC__) && !defined(__clang__)
#  define FNN_UNROLL _Pragma("GCC unroll 32")
#elif defined(__clang__)
#  define FNN_UNROLL _Pragma("unroll")
#else
#  define FNN_UNROLL
#endif

/* The clone the resolver picks, mirrored here so show_config() can tell. */
static inline const char *fnn_simd_selected(void)
{
#ifdef FNN_HAVE_CLONES
    __builtin_cpu_init();
    if (__builtin_cpu_supports("x86-64-v4")) return "x86-64-v4 (AVX-512)";
    if (__builtin_cpu_supports("x86-64-v3")) return "x86-64-v3 (AVX2+FMA)";
    return "baseline (SSE2)";
#else
    return "portable (no run-time dispatch)";
#endif
}

static inline const char *fnn_simd_compiled(void)
{
#ifdef FNN_HAVE_CLONES
    return "baseline (SSE2), x86-64-v3 (AVX2+FMA), x86-64-v4 (AVX-512)";
#else
    return "portable";
#endif
}

#endif
