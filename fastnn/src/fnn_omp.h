/* OpenMP thread count, or a single thread where the compiler has no OpenMP,
 * so that _kernels.pyx never has to include omp.h itself. */
#ifndef FNN_OMP_H
#define FNN_OMP_H
#ifdef _OPENMP
#include <omp.h>
static inline int fnn_omp_max_threads(void) { return omp_get_max_threads(); }
static inline void fnn_omp_set_threads(int n) { omp_set_num_threads(n); }
static inline int fnn_omp_enabled(void) { return 1; }
#else
static inline int fnn_omp_max_threads(void) { return 1; }
static inline void fnn_omp_set_threads(int n) { (void)n; }
static inline int fnn_omp_enabled(void) { return 0; }
#endif
#endif
