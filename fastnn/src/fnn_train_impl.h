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

#ifdef FNN_HAVE_SMALL_GEMM
/* Row-major C[m, n] = op(A)[m, k] B[k, n] for the products of small layers
 * (fnn_small_gemm_fits in fnn_train.h), where BLAS's fixed cost -- packing
 * A and B into panels, thread hand-off -- is most of the call: a 4-row x
 * 2-vector register tile of accumulators, B read in place and A broadcast
 * one element at a time, op(A)[i, p] = trans_a ? a[p * lda + i] :
 * a[i * lda + p].  The vectors are the level's own width (FNN_VEC_BYTES):
 * on Zen 4 the AVX-512 tile ran a 32x64x64 float product in 1.2 us against
 * 2.4 us with AVX2's 32-byte vectors.  A row of n is a whole number of
 * 64 bytes, so what the 2-vector panels leave is at most one AVX-512
 * vector, which a 1-vector panel takes.  Each C entry sums over p in order
 * from 0, whatever the width, so every level gives the same bits. */
typedef T INAME(fnn_tile_vec) __attribute__((vector_size(FNN_VEC_BYTES), aligned(sizeof(T))));
#define VEC INAME(fnn_tile_vec)
#define VL ((ptrdiff_t)(FNN_VEC_BYTES / sizeof(T)))

/* C[:, 0:N_VEC * VL] from B[:, 0:N_VEC * VL]; N_VEC is 1 or 2 (a constant
 * once inlined, so the tile's loops unroll into registers). */
static inline __attribute__((always_inline)) void INAME(small_gemm_panel)(
    const int n_vec, ptrdiff_t m, ptrdiff_t k, const T *a, ptrdiff_t si, ptrdiff_t sp,
    const T *b, ptrdiff_t ldb, T *c, ptrdiff_t ldc)
{
    ptrdiff_t i = 0;
    for (; i + 4 <= m; i += 4) {
        VEC acc[4][2] = {{{0}}};
        const T *bp = b;
        for (ptrdiff_t p = 0; p < k; ++p, bp += ldb) {
            const T *ap = a + i * si + p * sp;
            for (int v = 0; v < n_vec; ++v) {
                const VEC bv = *(const VEC *)(bp + v * VL);
                for (int r = 0; r < 4; ++r) acc[r][v] += ap[r * si] * bv;
            }
        }
        for (int r = 0; r < 4; ++r)
            for (int v = 0; v < n_vec; ++v) *(VEC *)(c + (i + r) * ldc + v * VL) = acc[r][v];
    }
    for (; i < m; ++i) {                    /* the rows after the last whole tile */
        VEC acc[2] = {{0}};
        const T *bp = b;
        for (ptrdiff_t p = 0; p < k; ++p, bp += ldb)
            for (int v = 0; v < n_vec; ++v) acc[v] += a[i * si + p * sp] * *(const VEC *)(bp + v * VL);
        for (int v = 0; v < n_vec; ++v) *(VEC *)(c + i * ldc + v * VL) = acc[v];
    }
}

FNN_TARGET static void INAME(fnn_small_gemm)(int trans_a, ptrdiff_t m, ptrdiff_t n,
                                            ptrdiff_t k, const T *a, ptrdiff_t lda,
                                            const T *b, ptrdiff_t ldb, T *c, ptrdiff_t ldc)
{
    const ptrdiff_t si = trans_a ? 1 : lda, sp = trans_a ? lda : 1;
    ptrdiff_t j0 = 0;
    for (; j0 + 2 * VL <= n; j0 += 2 * VL)
        INAME(small_gemm_panel)(2, m, k, a, si, sp, b + j0, ldb, c + j0, ldc);
    if (j0 < n)
        INAME(small_gemm_panel)(1, m, k, a, si, sp, b + j0, ldb, c + j0, ldc);
}
#undef VL
#undef VEC
#endif
