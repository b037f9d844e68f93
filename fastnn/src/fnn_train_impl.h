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

#define COLSUM_BLOCK 16
/* Columns j0 .. j0 + width of fnn_colsum_add, width at most COLSUM_BLOCK: the sums
 * in a local block the compiler keeps in registers across the rows.  A
 * constant width (a full block) folds the width tests away. */
FNN_ALWAYS_INLINE void INAME(colsum_block)(
    const T *x, T *acc, ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t j0, ptrdiff_t width)
{
    T sum[COLSUM_BLOCK];
    FNN_UNROLL
    for (int j = 0; j < COLSUM_BLOCK; ++j) sum[j] = j < width ? acc[j0 + j] : 0;
    for (ptrdiff_t r = 0; r < rows; ++r) {
        FNN_UNROLL
        for (int j = 0; j < COLSUM_BLOCK; ++j) sum[j] += j < width ? x[r * cols + j0 + j] : 0;
    }
    FNN_UNROLL
    for (int j = 0; j < COLSUM_BLOCK; ++j)
        if (j < width) acc[j0 + j] = sum[j];
}

/* acc[:] += sum over rows of x[r, :], each column summed in row order, 16
 * columns at a time in registers (with acc in memory every row's add
 * waited on the previous row's store: 143 ns for 32 x 10 floats on Zen 4,
 * 77-113 ns in registers, a noisy VM); the last columns as one block
 * padded to 16 (a plain loop over them measured no faster). */
FNN_TARGET static void INAME(fnn_colsum_add)(const T *x, T *acc, ptrdiff_t rows,
                                            ptrdiff_t cols)
{
    ptrdiff_t j0 = 0;
    for (; j0 + COLSUM_BLOCK <= cols; j0 += COLSUM_BLOCK)
        INAME(colsum_block)(x, acc, rows, cols, j0, COLSUM_BLOCK);
    if (j0 < cols) INAME(colsum_block)(x, acc, rows, cols, j0, cols - j0);
}
#undef COLSUM_BLOCK

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
/* Row-major C[m, n] = op(A)[m, k] op(B)[k, n] for the products of small
 * layers (fnn_small_gemm_takes in fnn_train.h), where BLAS's fixed cost --
 * packing A and B into panels, thread hand-off -- is most of the call:
 * register tiles of 8 accumulators (4 rows x 2 vectors, or 8 rows x 1
 * vector), B read by rows and A broadcast one element at a time, op(A)[i, p] = trans_a ? a[p * lda + i] :
 * a[i * lda + p].  The vectors are the level's own width (FNN_VEC_BYTES):
 * on Zen 4 the AVX-512 tile ran a 32x64x64 float product in 1.2 us against
 * 2.4 us with AVX2's 32-byte vectors.  n rounded up to whole 64 bytes is
 * what the 2-vector panels cover, and what they leave is at most one
 * AVX-512 vector, which a 1-vector panel takes.  Each C entry sums over p
 * in order from 0, whatever the width, so every level gives the same
 * bits. */
typedef T INAME(fnn_tile_vec) __attribute__((vector_size(FNN_VEC_BYTES), aligned(sizeof(T))));
#define VEC INAME(fnn_tile_vec)
#define VL ((ptrdiff_t)(FNN_VEC_BYTES / sizeof(T)))

/* Rows i .. i + ROWS of C[:, 0:N_VEC * VL]: ROWS x N_VEC accumulators. */
FNN_ALWAYS_INLINE void INAME(small_gemm_tile)(
    const int rows, const int n_vec, ptrdiff_t i, ptrdiff_t k, const T *a, ptrdiff_t si,
    ptrdiff_t sp, const T *b, ptrdiff_t ldb, T *c, ptrdiff_t ldc)
{
    VEC acc[8][2] = {{{0}}};
    const T *bp = b;
    for (ptrdiff_t p = 0; p < k; ++p, bp += ldb) {
        const T *ap = a + i * si + p * sp;
        for (int v = 0; v < n_vec; ++v) {
            const VEC bv = *(const VEC *)(bp + v * VL);
            for (int r = 0; r < rows; ++r) acc[r][v] += ap[r * si] * bv;
        }
    }
    for (int r = 0; r < rows; ++r)
        for (int v = 0; v < n_vec; ++v) *(VEC *)(c + (i + r) * ldc + v * VL) = acc[r][v];
}

/* C[:, 0:N_VEC * VL] from B[:, 0:N_VEC * VL]; N_VEC is 1 or 2 (a constant
 * once inlined, so the tile's loops unroll into registers).  Tiles keep 8
 * accumulators where the rows allow -- 4 rows x 2 vectors, or 8 rows x 1
 * (one AVX-512 vector: 16 float columns, 10 classes padded) -- enough
 * independent sums to hide the FMA's latency on two FMA units; then 4-row
 * and single rows. */
FNN_ALWAYS_INLINE void INAME(small_gemm_panel)(
    const int n_vec, ptrdiff_t m, ptrdiff_t k, const T *a, ptrdiff_t si, ptrdiff_t sp,
    const T *b, ptrdiff_t ldb, T *c, ptrdiff_t ldc)
{
    ptrdiff_t i = 0;
    if (n_vec == 1)
        for (; i + 8 <= m; i += 8) INAME(small_gemm_tile)(8, 1, i, k, a, si, sp, b, ldb, c, ldc);
    for (; i + 4 <= m; i += 4) INAME(small_gemm_tile)(4, n_vec, i, k, a, si, sp, b, ldb, c, ldc);
    for (; i < m; ++i) INAME(small_gemm_tile)(1, n_vec, i, k, a, si, sp, b, ldb, c, ldc);
}

/* The panel of C at columns j0 .. j0 + N_VEC * VL, valid of them inside C
 * (all but in the last panel), from op(B)[p, j] = trans_b ? b[j * ldb + p]
 * : b[p * ldb + j].  The tile reads B in place where the panel lies within
 * whole rows of n.  Otherwise -- the last panel of 10 classes, say, or any
 * panel of W^T in the backward product -- it reads a copy of op(B)'s panel
 * and writes a partial panel of C through a copy.  A lane of the tile
 * never meets another column's, so the padding lanes may hold anything:
 * rows of B whose whole width lies inside B are copied as whole vectors,
 * neighbours included, and only the last few are copied element by
 * element and padded with zeros.  Each C entry sums the same products in
 * the same order as in place.  N_VEC is a constant once inlined, so the
 * copies' loops over a row have constant bounds and unroll (as library
 * calls, memcpy and memset per row cost more than the product). */
FNN_ALWAYS_INLINE void INAME(small_gemm_panel_at)(
    const int n_vec, int trans_b, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const T *a,
    ptrdiff_t si, ptrdiff_t sp, const T *b, ptrdiff_t ldb, ptrdiff_t j0, T *c, ptrdiff_t ldc,
    T *b_panel, T *c_panel)
{
    const ptrdiff_t width = n_vec * VL, valid = n - j0 < width ? n - j0 : width;
    if (!trans_b && valid == width) {
        INAME(small_gemm_panel)(n_vec, m, k, a, si, sp, b + j0, ldb, c + j0, ldc);
        return;
    }
    if (trans_b) {
        for (ptrdiff_t j = 0; j < width; ++j)
            for (ptrdiff_t p = 0; p < k; ++p)
                b_panel[p * width + j] = j < valid ? b[(j0 + j) * ldb + p] : 0;
    } else {
        const ptrdiff_t extent = (k - 1) * ldb + n;        /* elements of B from b */
        for (ptrdiff_t p = 0; p < k; ++p) {
            const T *src = b + p * ldb + j0;
            T *dst = b_panel + p * width;
            if (p * ldb + j0 + width <= extent)
                for (int v = 0; v < n_vec; ++v) *(VEC *)(dst + v * VL) = *(const VEC *)(src + v * VL);
            else
                for (ptrdiff_t j = 0; j < width; ++j) dst[j] = j < valid ? src[j] : 0;
        }
    }
    if (valid == width) {
        INAME(small_gemm_panel)(n_vec, m, k, a, si, sp, b_panel, width, c + j0, ldc);
        return;
    }
    INAME(small_gemm_panel)(n_vec, m, k, a, si, sp, b_panel, width, c_panel, width);
    for (ptrdiff_t i = 0; i < m; ++i)
        for (ptrdiff_t j = 0; j < width; ++j)
            if (j < valid) c[i * ldc + j0 + j] = c_panel[i * width + j];
}

FNN_TARGET static void INAME(fnn_small_gemm)(int trans_a, int trans_b, ptrdiff_t m,
                                            ptrdiff_t n, ptrdiff_t k, const T *a,
                                            ptrdiff_t lda, const T *b, ptrdiff_t ldb, T *c,
                                            ptrdiff_t ldc)
{
    const ptrdiff_t si = trans_a ? 1 : lda, sp = trans_a ? lda : 1;
    const ptrdiff_t row = (ptrdiff_t)(FNN_SMALL_GEMM_ROW_BYTES / sizeof(T));
    const ptrdiff_t n_pad = (n + row - 1) / row * row;   /* a whole number of VL */
    /* One panel each (fnn_small_gemm_takes bounds m and k), 64-byte aligned
     * so that the tile's vector loads never straddle a line. */
    T b_panel[FNN_SMALL_GEMM_MAX_DIM * 2 * VL] __attribute__((aligned(64)));
    T c_panel[FNN_SMALL_GEMM_MAX_DIM * 2 * VL] __attribute__((aligned(64)));
    ptrdiff_t j0 = 0;
    for (; j0 + 2 * VL <= n_pad; j0 += 2 * VL)
        INAME(small_gemm_panel_at)(2, trans_b, m, n, k, a, si, sp, b, ldb, j0, c, ldc, b_panel,
                                   c_panel);
    if (j0 < n_pad)
        INAME(small_gemm_panel_at)(1, trans_b, m, n, k, a, si, sp, b, ldb, j0, c, ldc, b_panel,
                                   c_panel);
}

/* `rounds` rounds of FNN_FMA_CHAINS independent vector multiply-adds
 * acc = acc * scale + shift (one FMA each from the AVX2 level up, a
 * multiply and an add on the SSE2 baseline): the FMA units' peak, which no
 * loop of products can beat, for the benchmark report's bound.  scale and
 * shift come from the caller so that the compiler cannot fold a chain that
 * would stay constant; returns the lanes' sum, so that the chains are kept. */
FNN_TARGET static double INAME(fnn_fma_burst)(ptrdiff_t rounds, T scale, T shift)
{
    VEC acc[FNN_FMA_CHAINS];
    const VEC scale_v = (VEC){0} + scale, shift_v = (VEC){0} + shift;
    /* Unrolled, so that the chains live in registers. */
    FNN_UNROLL
    for (int c = 0; c < FNN_FMA_CHAINS; ++c) acc[c] = (VEC){0} + (T)(c + 1);
    for (ptrdiff_t r = 0; r < rounds; ++r) {
        FNN_UNROLL
        for (int c = 0; c < FNN_FMA_CHAINS; ++c) acc[c] = acc[c] * scale_v + shift_v;
    }
    double sum = 0;
    for (int c = 0; c < FNN_FMA_CHAINS; ++c)
        for (ptrdiff_t l = 0; l < VL; ++l) sum += acc[c][l];
    return sum;
}

/* Floating-point operations of one round of fnn_fma_burst. */
static double INAME(fnn_fma_round_flops)(void) { return 2.0 * FNN_FMA_CHAINS * VL; }
#undef VL
#undef VEC
#endif
