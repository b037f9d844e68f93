/* Run-time SIMD dispatch of the kernel loops.
 *
 * A wheel must run on every x86-64 CPU, so the build never uses -march=native.
 * Instead every loop is compiled once per instruction-set level (baseline
 * SSE2, x86-64-v3 = AVX2+FMA, x86-64-v4 = AVX-512) with GCC/Clang's
 * target("arch=...") attribute: fnn_for_each_isa.h includes a loop template
 * once per level, naming its functions with INAME(f) = f_<type>_<isa>.  Each
 * translation unit then holds one table of function pointers per level, and
 * the public entry points call through the table of the level selected once
 * at load time by fnn_isa_select(): the best the CPU runs, or the level
 * FASTNN_CPU_CAPABILITY asks for (baseline|avx2|avx512), which makes every
 * level testable on one machine.  Where the compiler or platform lacks the
 * target attribute (MSVC, non-x86), there is one level, the portable loops.
 */
#ifndef FNN_DISPATCH_H
#define FNN_DISPATCH_H

#if defined(__has_attribute) && (defined(__GNUC__) || defined(__clang__))
#  if __has_attribute(target) && defined(__x86_64__) && !defined(FNN_NO_CLONES)
#    define FNN_HAVE_ISA_DISPATCH 1
#  endif
#endif

/* Instruction-set levels, in increasing order. */
enum { FNN_ISA_BASELINE = 0, FNN_ISA_AVX2 = 1, FNN_ISA_AVX512 = 2 };
#ifdef FNN_HAVE_ISA_DISPATCH
#  define FNN_N_ISA 3
#else
#  define FNN_N_ISA 1
#endif

/* Results of fnn_isa_select. */
enum { FNN_ISA_OK = 0, FNN_ISA_UNKNOWN = -1, FNN_ISA_UNSUPPORTED = -2 };

/* Select the level by name ("baseline", "avx2", "avx512"; NULL or "" for the
 * best the CPU runs).  An unknown name or a level the CPU (or this build)
 * cannot run selects the best level it can, and returns FNN_ISA_UNKNOWN or
 * FNN_ISA_UNSUPPORTED; the caller warns.  Called once, at module load,
 * before any kernel runs. */
int fnn_isa_select(const char *request);
int fnn_isa_level(void);                  /* the selected level */
int fnn_isa_best(void);                   /* the best level this CPU and build run */
const char *fnn_isa_name(int level);      /* "x86-64-v3 (AVX2+FMA)", ... */

/* Polynomial loops must be unrolled completely, or the element loop around
 * them does not vectorise (GCC's own limit is 16 iterations). */
#if defined(__GNUC__) && !defined(__clang__)
#  define FNN_UNROLL _Pragma("GCC unroll 32")
#elif defined(__clang__)
#  define FNN_UNROLL _Pragma("unroll")
#else
#  define FNN_UNROLL
#endif

/* A helper whose constant arguments must fold into its caller's loops. */
#if defined(__GNUC__) || defined(__clang__)
#  define FNN_ALWAYS_INLINE static inline __attribute__((always_inline))
#elif defined(_MSC_VER)
#  define FNN_ALWAYS_INLINE static __forceinline
#else
#  define FNN_ALWAYS_INLINE static inline
#endif

#endif
