/* The loops of the dense layer and the training epoch that are not BLAS,
 * for one type T and one instruction-set level: a "template" included by
 * fnn_train.c, through fnn_for_each_isa.h, once per type (fnn_traits_*.h:
 * T, SUF, SQRT_T) and level (FNN_TARGET, INAME; see fnn_dispatch.h).  Each
 * is one pass over memory; every pointer is contiguous and validated by the
 * Cython caller. */

/* z[r, :] += b for `rows` rows of `cols` values. */
FNN_TARGET static void INAME(fnn_bias_rows)(T *z, const T *b, ptrdiff_t rows,
                                           ptrdiff_t cols)
{
    for (ptrdiff_t r = 0; r < rows; ++r, z += cols)
        for (ptrdiff_t j = 0; j < cols; ++j) z[j] += b[j];
}

/* acc[:] += sum over rows of x[r, :]. */
FNN_TARGET static void INAME(fnn_colsum_add)(const T *x, T *acc, ptrdiff_t rows,
                                            ptrdiff_t cols)
{
    for (ptrdiff_t r = 0; r < rows; ++r, x += cols)
        for (ptrdiff_t j = 0; j < cols; ++j) acc[j] += x[j];
}

/* g += l2 * w; returns sum(w^2) (for the loss's 0.5 * l2 * ||w||^2). */
FNN_TARGET static double INAME(fnn_l2_grad)(const T *w, T *g, ptrdiff_t n, T l2)
{
    T acc[8] = {0};
    ptrdiff_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; ++j) {
            acc[j] += w[i + j] * w[i + j];
            g[i + j] += l2 * w[i + j];
        }
    double s = 0;
    for (; i < n; ++i) { s += (double)w[i] * w[i]; g[i] += l2 * w[i]; }
    for (int j = 0; j < 8; ++j) s += acc[j];
    return s;
}

/* SGD as torch.optim.SGD (dampening 0): buf = momentum * buf + g, then the
 * step is buf, or g + momentum * buf with Nesterov.  buf starts at zero, which
 * gives torch's first step buf = g.  Without momentum buf is not touched. */
FNN_TARGET static void INAME(fnn_sgd)(T *w, const T *g, T *buf, ptrdiff_t n,
                                     T lr, T momentum, int nesterov)
{
    if (momentum == 0) {
        for (ptrdiff_t i = 0; i < n; ++i) w[i] -= lr * g[i];
    } else if (nesterov) {
        for (ptrdiff_t i = 0; i < n; ++i) {
            T b = momentum * buf[i] + g[i];
            buf[i] = b;
            w[i] -= lr * (g[i] + momentum * b);
        }
    } else {
        for (ptrdiff_t i = 0; i < n; ++i) {
            T b = momentum * buf[i] + g[i];
            buf[i] = b;
            w[i] -= lr * b;
        }
    }
}

/* Adam as torch.optim.Adam: m and v are the moment estimates; step_size is
 * lr / (1 - beta1^t) and inv_bc2_sqrt is 1 / sqrt(1 - beta2^t), so that
 * w -= step_size * m / (sqrt(v) * inv_bc2_sqrt + eps) is torch's formula. */
FNN_TARGET static void INAME(fnn_adam)(T *w, const T *g, T *m, T *v, ptrdiff_t n,
                                      T step_size, T beta1, T beta2,
                                      T inv_bc2_sqrt, T eps)
{
    for (ptrdiff_t i = 0; i < n; ++i) {
        T mi = beta1 * m[i] + (1 - beta1) * g[i];
        T vi = beta2 * v[i] + (1 - beta2) * (g[i] * g[i]);
        m[i] = mi;
        v[i] = vi;
        w[i] -= step_size * (mi / (SQRT_T(vi) * inv_bc2_sqrt + eps));
    }
}
