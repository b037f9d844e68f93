# Declarations shared by fastnn's compiled modules (_kernels, _dense,
# _trainer): the C kernels (fastnn/src), the fused float/double type and the
# inline helpers that pick a loop by type.  Declarations only: every
# module that cimports this links the C sources itself (setup.py).

ctypedef fused real:
    float
    double

cdef extern from "fnn_kernels.h" nogil:
    enum: FNN_N_ACTIVATIONS
    int fnn_activation_info(int id, const char **name, const char **saves,
                            const char **default_init)
    int fnn_forward_f32(int act, const float *x, float *y, Py_ssize_t n, double p)
    int fnn_forward_f64(int act, const double *x, double *y, Py_ssize_t n, double p)
    int fnn_derivative_f32(int act, const float *x, float *y, Py_ssize_t n, double p)
    int fnn_derivative_f64(int act, const double *x, double *y, Py_ssize_t n, double p)
    int fnn_backward_f32(int act, const float *g, const float *s, float *y,
                         Py_ssize_t n, double p)
    int fnn_backward_f64(int act, const double *g, const double *s, double *y,
                         Py_ssize_t n, double p)
    void fnn_softmax_rows_f32(const float *x, float *y, Py_ssize_t rows, Py_ssize_t cols)
    void fnn_softmax_rows_f64(const double *x, double *y, Py_ssize_t rows, Py_ssize_t cols)
    void fnn_log_softmax_rows_f32(const float *x, float *y, Py_ssize_t rows, Py_ssize_t cols)
    void fnn_log_softmax_rows_f64(const double *x, double *y, Py_ssize_t rows, Py_ssize_t cols)
    void fnn_softmax_backward_rows_f32(const float *g, const float *y, float *out,
                                       Py_ssize_t rows, Py_ssize_t cols)
    void fnn_softmax_backward_rows_f64(const double *g, const double *y, double *out,
                                       Py_ssize_t rows, Py_ssize_t cols)
    bint fnn_all_finite_f32(const float *x, Py_ssize_t n)
    bint fnn_all_finite_f64(const double *x, Py_ssize_t n)
    const char *fnn_simd_selected_name()
    const char *fnn_simd_compiled_names()
    const char *fnn_build_flags()
    const char *fnn_compiler()

cdef extern from "fnn_train.h" nogil:
    enum: FNN_SOFTMAX_ID
    long long fnn_monotonic_ns()
    unsigned int fnn_ftz_begin()
    void fnn_ftz_end(unsigned int csr)
    void fnn_bias_rows_f32(float *z, const float *b, Py_ssize_t rows, Py_ssize_t cols)
    void fnn_bias_rows_f64(double *z, const double *b, Py_ssize_t rows, Py_ssize_t cols)
    void fnn_colsum_add_f32(const float *x, float *acc, Py_ssize_t rows, Py_ssize_t cols)
    void fnn_colsum_add_f64(const double *x, double *acc, Py_ssize_t rows, Py_ssize_t cols)
    double fnn_l2_grad_f32(const float *w, float *g, Py_ssize_t n, float l2)
    double fnn_l2_grad_f64(const double *w, double *g, Py_ssize_t n, double l2)
    void fnn_sgd_f32(float *w, const float *g, float *buf, Py_ssize_t n,
                     float lr, float momentum, int nesterov)
    void fnn_sgd_f64(double *w, const double *g, double *buf, Py_ssize_t n,
                     double lr, double momentum, int nesterov)
    void fnn_adam_f32(float *w, const float *g, float *m, float *v, Py_ssize_t n,
                      float step_size, float beta1, float beta2, float inv_bc2_sqrt,
                      float eps)
    void fnn_adam_f64(double *w, const double *g, double *m, double *v, Py_ssize_t n,
                      double step_size, double beta1, double beta2, double inv_bc2_sqrt,
                      double eps)
    bint fnn_small_gemm_takes(Py_ssize_t m, Py_ssize_t n, Py_ssize_t k, size_t elem)
    bint fnn_small_gemm_fits(Py_ssize_t m, Py_ssize_t n, Py_ssize_t k, size_t elem)
    void fnn_small_gemm_f32(int trans_a, int trans_b, Py_ssize_t m, Py_ssize_t n, Py_ssize_t k,
                            const float *a, Py_ssize_t lda, const float *b, Py_ssize_t ldb,
                            float *c, Py_ssize_t ldc)
    void fnn_small_gemm_f64(int trans_a, int trans_b, Py_ssize_t m, Py_ssize_t n, Py_ssize_t k,
                            const double *a, Py_ssize_t lda, const double *b, Py_ssize_t ldb,
                            double *c, Py_ssize_t ldc)

cdef extern from "fnn_dispatch.h" nogil:
    enum:
        FNN_ISA_OK
        FNN_ISA_UNKNOWN
        FNN_ISA_UNSUPPORTED
    int fnn_isa_select(const char *request)
    int fnn_isa_level()
    int fnn_isa_best()
    const char *fnn_isa_name(int level)

cdef extern from "fnn_omp.h" nogil:
    int fnn_omp_max_threads()
    void fnn_omp_set_threads(int n)
    int fnn_omp_enabled()

# What an elementwise loop computes.
cdef enum:
    _FORWARD = 0
    _DERIVATIVE = 1
    _BACKWARD = 2


cdef inline int _loop(int what, int act, const real *a, const real *b, real *y,
                      Py_ssize_t n, double p) noexcept nogil:
    if real is float:
        if what == _FORWARD:
            return fnn_forward_f32(act, a, y, n, p)
        if what == _DERIVATIVE:
            return fnn_derivative_f32(act, a, y, n, p)
        return fnn_backward_f32(act, a, b, y, n, p)
    else:
        if what == _FORWARD:
            return fnn_forward_f64(act, a, y, n, p)
        if what == _DERIVATIVE:
            return fnn_derivative_f64(act, a, y, n, p)
        return fnn_backward_f64(act, a, b, y, n, p)


cdef inline bint _all_finite_span(const real *x, Py_ssize_t n) noexcept nogil:
    """No NaN or inf among x[0:n] (the dispatched bit test of fnn_loops.h)."""
    if real is float:
        return fnn_all_finite_f32(x, n)
    else:
        return fnn_all_finite_f64(x, n)


cdef inline bint _all_finite_of(const void *data, Py_ssize_t n, bint is_float) noexcept nogil:
    """_all_finite_span of n floats (is_float) or doubles, for callers that
    hold an untyped array's data."""
    if is_float:
        return _all_finite_span[float](<const float *>data, n)
    else:
        return _all_finite_span[double](<const double *>data, n)


cdef inline int _select_isa(object request):
    """Select the SIMD level of this module's kernels from the value of
    FASTNN_CPU_CAPABILITY (None or "" for the CPU's best); returns
    fnn_isa_select's status.  Every compiled module calls it once at load,
    with the same value, so all of them run the same level."""
    cdef bytes name = (request or "").encode("ascii", "replace")
    return fnn_isa_select(name)

cdef extern from "fnn_parallel.h" nogil:
    enum: FNN_BLOCK_ELEMS
    void fnn_sgd_par_f32(float *w, const float *g, float *buf, Py_ssize_t n, float lr,
                         float momentum, int nesterov, int threads)
    void fnn_sgd_par_f64(double *w, const double *g, double *buf, Py_ssize_t n, double lr,
                         double momentum, int nesterov, int threads)
    void fnn_adam_par_f32(float *w, const float *g, float *m, float *v, Py_ssize_t n,
                          float step_size, float beta1, float beta2, float inv_bc2_sqrt,
                          float eps, int threads)
    void fnn_adam_par_f64(double *w, const double *g, double *m, double *v, Py_ssize_t n,
                          double step_size, double beta1, double beta2, double inv_bc2_sqrt,
                          double eps, int threads)
    void fnn_bias_act_par_f32(float *z, float *a, const float *b, Py_ssize_t rows,
                              Py_ssize_t cols, int act, double p, int threads)
    void fnn_bias_act_par_f64(double *z, double *a, const double *b, Py_ssize_t rows,
                              Py_ssize_t cols, int act, double p, int threads)
    void fnn_act_backward_par_f32(const float *grad, const float *saved, float *dz,
                                  Py_ssize_t rows, Py_ssize_t cols, int act, double p,
                                  int threads)
    void fnn_act_backward_par_f64(const double *grad, const double *saved, double *dz,
                                  Py_ssize_t rows, Py_ssize_t cols, int act, double p,
                                  int threads)
    bint fnn_gather_rows(const void *rows, size_t row_bytes, const long long *idx,
                         Py_ssize_t n_rows, void *out, size_t elem, int check, int threads)
    # Function-pointer types, opaque here: only cast to and passed on.
    ctypedef void *fnn_sgemm_fn
    ctypedef void *fnn_dgemm_fn
    void fnn_sgemm_split(fnn_sgemm_fn gemm, char ta, char tb, int m, int n, int k, float alpha,
                         const float *a, int lda, const float *b, int ldb, float beta,
                         float *c, int ldc, int threads)
    void fnn_dgemm_split(fnn_dgemm_fn gemm, char ta, char tb, int m, int n, int k,
                         double alpha, const double *a, int lda, const double *b, int ldb,
                         double beta, double *c, int ldc, int threads)
    double fnn_fma_burst_par(size_t elem, double flops, int threads, double *sum)
