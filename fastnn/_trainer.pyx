# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False, embedsignature=True
"""Compiled training epoch of fastnn: the Trainer.

A Trainer holds the workspace of one network shape, batch size and dtype and
runs whole epochs of mini-batches (forward, loss, backward, optimizer)
without the GIL; the layer passes are shared with the dense kernels
(_dense.pxd), the non-BLAS loops are C (fnn_train.h).  Built and driven by
fastnn.network.Network, which validates everything first; the def methods
here still re-check what their pointers depend on, so that a wrong call
raises TypeError/ValueError instead of reading or writing out of bounds.

One concern in one file although it is long: the epoch's nogil passes
(gather, loss and output gradient in both loss modes, fused updates) and the
class that owns their buffers must see the same struct and fused types.
"""
cimport numpy as cnp
from libc.math cimport exp, log, log1p, fabs, isfinite
from libc.stdint cimport uint32_t, uint64_t, UINT32_MAX
from libc.string cimport memcpy, memset
from cpython.pycapsule cimport PyCapsule_GetPointer

cdef extern from "numpy/random/bitgen.h":
    # numpy's BitGenerator interface (the capsule of Generator.bit_generator),
    # declared noexcept so that its draws run without the GIL.
    struct bitgen:
        void *state
        uint64_t (*next_uint64)(void *st) noexcept nogil
        uint32_t (*next_uint32)(void *st) noexcept nogil
    ctypedef bitgen bitgen_t

cdef extern from "Python.h":
    # Declared without Cython's exception check: the exception a handler sets
    # must stay pending until Trainer.run, after the loop restored the FPU mode.
    int _check_signals "PyErr_CheckSignals" () noexcept

import operator

import numpy as np

from fastnn._kernels import get_num_threads
from fastnn._fnn cimport *
from fastnn._dense cimport *
from fastnn._dense import blas_threads_bound

cdef extern from "fnn_kernels.h":
    enum: FNN_IDENTITY
    enum: FNN_SIGMOID

cnp.import_array()

# Whether the epoch can run on several threads of its own: it must hold
# scipy's BLAS at one thread meanwhile (_dense's _single_begin).
cdef bint _BLAS_THREADS_BOUND = blas_threads_bound()

# This module's copy of the kernels runs the SIMD level _kernels runs
# (FASTNN_CPU_CAPABILITY, read once at load; _kernels warns about it).
import os
_select_isa(os.environ.get("FASTNN_CPU_CAPABILITY"))


def simd_selected():
    """The SIMD level this module's kernels run, as the dispatcher reports it."""
    return fnn_simd_selected_name().decode()

# int64 arrays (labels, row indices) are read as long long.
assert sizeof(long long) == 8

# Activation id of softmax (the elementwise kernels use 0..FNN_N_ACTIVATIONS-1).
SOFTMAX_ID = int(FNN_SOFTMAX_ID)

# Loss ids of the training loop, as fnn_train.h numbers them.
LOSS_IDS = {"mse": int(fnn_loss.FNN_MSE), "binary_cross_entropy": int(fnn_loss.FNN_BCE),
            "cross_entropy": int(fnn_loss.FNN_CE)}
# scikit-learn's half Poisson deviance of an identity output read as the log
# of the mean (its "exp" output activation); only with sklearn_scaling.
SK_POISSON_ID = int(fnn_loss.FNN_POISSON)

# Trainer.run's status when a signal handler raised (KeyboardInterrupt for
# Ctrl-C) between two mini-batches; never returned, the exception propagates.
cdef enum:
    _INTERRUPTED = -3

# The epoch runs without the GIL, so Python's signal handlers cannot run: it
# takes the GIL to run them (PyErr_CheckSignals) when this long has passed
# since the last check, read from a monotonic clock after every mini-batch.
cdef long long _SIGNAL_CHECK_NS = 20 * 1000 * 1000

# Trainer.run's status (with check_finite) when the epoch finished but left a
# parameter or optimizer-state entry non-finite (an update overflowed).
cdef enum:
    _PARAMS_NOT_FINITE = -4
PARAMS_NOT_FINITE = int(_PARAMS_NOT_FINITE)

# The gather's status for a row of X holding NaN or inf; never returned, it
# raises ValueError.  A dense X is checked only there (unless the caller
# checked it: check_x False), in the first epoch of a call, each batch's
# rows right after they are copied (+1.4-3 ms in a
# 60,000 x 784 float32 epoch): a separate pass over all of X took 11 ms,
# as much as a fifth of the 784-256-10 epoch's non-GEMM time.
cdef enum:
    _X_NOT_FINITE = -5

# On one thread the products run on BLAS's own threads.  On several
# (fastnn.get_num_threads(), at most BLAS's count) the whole epoch runs on
# fastnn's pool (fnn_pool.h): BLAS is held at one thread, a large product
# is split into one single-threaded BLAS call per thread, and the update and
# the gather into shares.  Two pools at once do not work on a 2-core VM:
# OpenMP's or any other threads, spinning beside OpenBLAS's between
# products, made the 784-256-10 epoch 2-7x slower.  The split keeps one pool
# busy at a time; the 2-thread float32 epoch went from 288 to ~180 ms (Zen 4).

# The largest dimension a 32-bit-int BLAS call takes (INT_MAX).
cdef Py_ssize_t _BLAS_INT_MAX = 2147483647

# Optimizer ids, as fnn_train.h numbers them.
OPTIMIZER_IDS = {"sgd": int(fnn_optimizer.FNN_SGD), "adam": int(fnn_optimizer.FNN_ADAM)}

# ---------------------------------------------------------------- training loop

cdef struct _Net:
    # Structure: layer l maps sizes[l] -> sizes[l + 1].
    int n_layers
    Py_ssize_t *sizes
    int *act
    double *param
    Py_ssize_t *w_off          # offsets of W_l and b_l in the flat parameter vector
    Py_ssize_t *b_off
    Py_ssize_t n_params
    int loss
    double l2
    # scikit-learn's normalisation (see _sk_loss_and_output_grad): every
    # batch term, the l2 penalty included, is divided by the batch's weight
    # sum; l2_div is that 1 / sum for the current batch (1 otherwise).
    bint sk_scale
    double l2_div
    double *sw                 # gathered sample weights (batch,); NULL: all 1
    # Workspace, all (batch, ...) row-major and allocated once.
    Py_ssize_t batch
    void **z                   # pre-activations (aliases a[l] when not needed)
    void **a                   # activations
    void **saved               # what each layer's backward reads: z[l] or a[l]
    void *dz                   # ping-pong gradients (batch, max size)
    void *da
    void *xb                   # gathered input rows (batch, sizes[0])
    void *yb                   # gathered float targets (batch, sizes[L])
    long long *lb              # gathered class labels (batch,)
    # Parameters, gradients (flat, the network's own buffers).
    void *params
    void *grads
    # Threads of the passes that split (fnn_parallel.h): fastnn's thread
    # count, read by Trainer._bind in the calling thread.
    int threads


cdef struct _Opt:
    int kind
    double lr, momentum, beta1, beta2, eps
    int nesterov
    long long step             # Adam's t after the last update
    void *s1                   # SGD momentum buffer / Adam m
    void *s2                   # Adam v
    # Of the current batch's Adam step (set by _begin_update): lr / (1 -
    # beta1^t) and 1 / sqrt(1 - beta2^t).
    double step_size, inv_bc2_sqrt


# The product of the label's probabilities in _loss_and_output_grad takes
# p >= _PRODUCT_MIN_P and is logged once below _PRODUCT_FLUSH, so it stays a
# normal double (>= 1e-230).
cdef double _PRODUCT_MIN_P = 1e-30
cdef double _PRODUCT_FLUSH = 1e-200


cdef inline double _neg_log_softmax(const real *z, real p, Py_ssize_t j,
                                   Py_ssize_t cols) noexcept nogil:
    """-log softmax(z)[j], given p = softmax(z)[j] as the forward computed it.
    -log(p) is accurate to p's rounding (a relative 1e-7 in float32) while p
    is a normal number; below that, log-sum-exp of the logits."""
    cdef double m, s, tiny
    cdef Py_ssize_t i
    if real is float:
        tiny = 1e-30
    else:
        tiny = 1e-300
    if p >= tiny:
        return -log(<double>p)
    m = z[0]
    for i in range(1, cols):
        m = max(m, <double>z[i])
    s = 0
    for i in range(cols):
        s += exp(<double>z[i] - m)
    return log(s) + m - z[j]


# _loss_and_output_grad and _update read only the untyped buffers of _Net
# and _Opt, so no argument tells Cython which of the float/double versions
# to use: the `real dtype_tag` argument (value unused; callers pass
# <real>0) selects the specialisation.

cdef double _loss_and_output_grad(_Net *net, real dtype_tag, Py_ssize_t rows,
                                  bint use_labels, Py_ssize_t *correct) noexcept nogil:
    """Mean loss of the batch in net.a/z[L-1]; writes dL/dZ of the output
    layer to net.dz (fused (A - Y)/n for the matched output + loss pairs) and
    counts correct predictions (classification losses).  dtype_tag only
    selects the float/double version (see above)."""
    cdef int L = net.n_layers
    cdef Py_ssize_t cols = net.sizes[L], r, j, k, best, label
    cdef real *z = <real *>net.z[L - 1]
    cdef real *a = <real *>net.a[L - 1]
    cdef real *dz = <real *>net.dz
    cdef real *da = <real *>net.da
    cdef real *y = <real *>net.yb
    cdef double total = 0, zj, yj, ysum, scale, p_product = 1
    cdef Py_ssize_t n_elem = rows * cols
    cdef bint ok
    if net.loss == FNN_CE:
        scale = 1.0 / rows
        if use_labels:
            for k in range(n_elem):
                dz[k] = <real>(a[k] * scale)
        for r in range(rows):
            best = 0
            for j in range(1, cols):
                if a[r * cols + j] > a[r * cols + best]:
                    best = j
            if use_labels:
                label = net.lb[r]
                dz[r * cols + label] -= <real>scale
                correct[0] += best == label
                if a[r * cols + label] < _PRODUCT_MIN_P:
                    total += _neg_log_softmax(z + r * cols, a[r * cols + label], label, cols)
                    continue
                # The sum of -log p over rows as -log of their product, in
                # double and taken before it could underflow: one log call
                # for many rows (a log per row weighed as much as the rest of
                # the loss), rounding errors of 1e-16 each.
                p_product *= a[r * cols + label]
                if p_product < _PRODUCT_FLUSH:
                    total -= log(p_product)
                    p_product = 1
            else:
                ysum = 0
                k = 0
                for j in range(cols):
                    yj = y[r * cols + j]
                    ysum += yj
                    if yj != 0:
                        total += yj * _neg_log_softmax(z + r * cols, a[r * cols + j], j, cols)
                    if yj > y[r * cols + k]:
                        k = j
                for j in range(cols):
                    dz[r * cols + j] = <real>((a[r * cols + j] * ysum - y[r * cols + j]) * scale)
                correct[0] += best == k
        return (total - log(p_product)) / rows
    if net.loss == FNN_BCE:
        scale = 1.0 / n_elem
        for r in range(rows):
            ok = True
            for j in range(cols):
                k = r * cols + j
                zj = z[k]
                yj = y[k]
                # max(z, 0) - z y + log(1 + exp(-|z|)): no overflow for any z.
                total += max(zj, 0.0) - zj * yj + log1p(exp(-fabs(zj)))
                dz[k] = <real>((a[k] - yj) * scale)
                # As evaluate/predict: the output a = sigmoid(z) against 0.5
                # (z > 0 differs where sigmoid(z) rounds to 0.5, 0 < z < 3e-8).
                ok = ok and ((a[k] > 0.5) == (yj > 0.5))
            correct[0] += ok
        return total / n_elem
    # MSE: dL/dA = 2 (A - Y) / n_elem, then through the output activation.
    scale = 2.0 / n_elem
    for k in range(n_elem):
        zj = <double>a[k] - y[k]
        total += zj * zj
        da[k] = <real>(zj * scale)
    _activation_backward(da, <real *>net.saved[L - 1], dz, rows, cols,
                         net.act[L - 1], net.param[L - 1])
    return total / n_elem


cdef double _sk_loss_and_output_grad(_Net *net, real dtype_tag, Py_ssize_t rows,
                                     bint use_labels) noexcept nogil:
    """scikit-learn's MLP losses: the weighted mean over the batch's rows
    (weights net.sw, or 1) of the per-row loss, summed over the outputs for
    log-loss / Poisson and averaged over them (halved) for squared error;
    dL/dZ = w_r (A - Y) / sum(w) for each canonical output + loss pair
    (as scikit-learn, also for squared error over several outputs).  Sets
    net.l2_div = 1 / sum(w), which scales the l2 term; a batch whose
    weights sum to 0 contributes nothing (zero gradient, no penalty)."""
    cdef int L = net.n_layers
    cdef Py_ssize_t cols = net.sizes[L], r, j, k, label
    cdef real *z = <real *>net.z[L - 1]
    cdef real *a = <real *>net.a[L - 1]
    cdef real *dz = <real *>net.dz
    cdef real *y = <real *>net.yb
    cdef double total = 0, wsum = 0, w, ws, row, zj, yj, d
    for r in range(rows):
        wsum += net.sw[r] if net.sw != NULL else 1.0
    if not wsum > 0:
        memset(dz, 0, rows * cols * sizeof(real))
        net.l2_div = 0
        return 0
    net.l2_div = 1.0 / wsum
    for r in range(rows):
        w = net.sw[r] if net.sw != NULL else 1.0
        ws = w / wsum
        row = 0
        if net.loss == FNN_CE and use_labels:
            label = net.lb[r]
            row = _neg_log_softmax(z + r * cols, a[r * cols + label], label, cols)
            for j in range(cols):
                dz[r * cols + j] = <real>(a[r * cols + j] * ws)
            dz[r * cols + label] -= <real>ws
        else:
            for j in range(cols):
                k = r * cols + j
                zj = z[k]
                yj = y[k]
                if net.loss == FNN_CE:
                    if yj != 0:
                        row += yj * _neg_log_softmax(z + r * cols, a[k], j, cols)
                    d = <double>a[k] - yj
                elif net.loss == FNN_BCE:
                    row += max(zj, 0.0) - zj * yj + log1p(exp(-fabs(zj)))
                    d = <double>a[k] - yj
                elif net.loss == FNN_POISSON:
                    # mean exp(z): y log(y / mu) - y + mu with log(mu) = z.
                    d = exp(zj) - yj
                    row += d - yj * zj + (yj * log(yj) if yj > 0 else 0.0)
                else:
                    d = <double>a[k] - yj
                    row += d * d
                dz[k] = <real>(d * ws)
            if net.loss == FNN_MSE:
                row *= 0.5 / cols
        total += w * row
    return total / wsum


cdef void _forward_layers(_Net *net, const real *x, Py_ssize_t rows) noexcept nogil:
    cdef int l
    cdef const real *inp = x
    cdef real *p = <real *>net.params
    for l in range(net.n_layers):
        _gemm(False, False, <int>rows, <int>net.sizes[l + 1], <int>net.sizes[l], <real>1,
              inp, <int>net.sizes[l], p + net.w_off[l], <int>net.sizes[l + 1], <real>0,
              <real *>net.z[l], <int>net.sizes[l + 1], net.threads)
        _bias_activation(<real *>net.z[l], <real *>net.a[l], p + net.b_off[l], rows,
                         net.sizes[l + 1], net.act[l], net.param[l], net.threads)
        inp = <real *>net.a[l]


cdef double _backward_layers(_Net *net, const real *x, Py_ssize_t rows,
                            _Opt *opt=NULL) noexcept nogil:
    """Gradients of all parameters into net.grads from dL/dZ of the output
    layer in net.dz.  Returns 0.5 * l2 * sum ||W||^2 (0 without l2).

    With an optimizer, each layer's parameters are updated as soon as
    nothing reads them any more (after the product that propagates the
    gradient through W_l), while their gradient is still in cache: the same
    per-parameter formula as one pass over the flat vector, so bitwise the
    same parameters."""
    cdef int l
    cdef real *p = <real *>net.params
    cdef real *g = <real *>net.grads
    cdef real *dz = <real *>net.dz
    cdef real *da = <real *>net.da
    cdef real *tmp
    cdef const real *inp
    cdef Py_ssize_t n_in, n_out
    cdef double penalty = 0
    for l in range(net.n_layers - 1, -1, -1):
        n_in = net.sizes[l]
        n_out = net.sizes[l + 1]
        inp = x if l == 0 else <real *>net.a[l - 1]
        memset(g + net.b_off[l], 0, n_out * sizeof(real))
        _colsum_add(dz, g + net.b_off[l], rows, n_out)
        _gemm(True, False, <int>n_in, <int>n_out, <int>rows, <real>1, inp, <int>n_in,
              dz, <int>n_out, <real>0, g + net.w_off[l], <int>n_out, net.threads)
        if net.l2 != 0:
            if real is float:
                penalty += fnn_l2_grad_f32(p + net.w_off[l], g + net.w_off[l],
                                           n_in * n_out, <float>(net.l2 * net.l2_div))
            else:
                penalty += fnn_l2_grad_f64(p + net.w_off[l], g + net.w_off[l],
                                           n_in * n_out, net.l2 * net.l2_div)
        if l > 0:
            _gemm(False, True, <int>rows, <int>n_in, <int>n_out, <real>1, dz, <int>n_out,
                  p + net.w_off[l], <int>n_out, <real>0, da, <int>n_in, net.threads)
            _activation_backward(da, <real *>net.saved[l - 1], da, rows, n_in,
                                 net.act[l - 1], net.param[l - 1], net.threads)
            tmp = dz
            dz = da
            da = tmp
        if opt != NULL:
            _update_span(opt, p, g, net.w_off[l], n_in * n_out, net.threads)
            _update_span(opt, p, g, net.b_off[l], n_out, net.threads)
    return 0.5 * net.l2 * net.l2_div * penalty


cdef void _begin_update(_Opt *opt) noexcept nogil:
    """Advance Adam's step and its bias corrections for the next batch."""
    cdef double bc1, bc2
    if opt.kind == FNN_ADAM:
        opt.step += 1
        bc1 = 1 - opt.beta1 ** <double>opt.step
        bc2 = 1 - opt.beta2 ** <double>opt.step
        opt.step_size = opt.lr / bc1
        opt.inv_bc2_sqrt = 1 / bc2 ** 0.5


cdef void _update_span(_Opt *opt, real *w, const real *g, Py_ssize_t off,
                       Py_ssize_t n, int threads) noexcept nogil:
    """The optimizer step of the parameters w[off:off + n], on `threads`
    threads when large (fnn_parallel.h)."""
    if real is float:
        if opt.kind == FNN_SGD:
            fnn_sgd_par_f32(w + off, g + off,
                            <float *>opt.s1 + off if opt.s1 != NULL else NULL, n,
                            <float>opt.lr, <float>opt.momentum, opt.nesterov, threads)
        else:
            fnn_adam_par_f32(w + off, g + off, <float *>opt.s1 + off, <float *>opt.s2 + off,
                             n, <float>opt.step_size, <float>opt.beta1, <float>opt.beta2,
                             <float>opt.inv_bc2_sqrt, <float>opt.eps, threads)
    else:
        if opt.kind == FNN_SGD:
            fnn_sgd_par_f64(w + off, g + off,
                            <double *>opt.s1 + off if opt.s1 != NULL else NULL, n,
                            opt.lr, opt.momentum, opt.nesterov, threads)
        else:
            fnn_adam_par_f64(w + off, g + off, <double *>opt.s1 + off,
                             <double *>opt.s2 + off, n, opt.step_size, opt.beta1,
                             opt.beta2, opt.inv_bc2_sqrt, opt.eps, threads)


cdef int _gather(_Net *net, const real *X, const real *Y, const long long *labels,
                 Py_ssize_t n, const long long *idx, Py_ssize_t rows,
                 bint check_x) noexcept nogil:
    """Copy the batch's rows of X and of the targets into the workspace.
    -1 when done; -2 (nothing read) if a row index or a label is out of
    range; with check_x, _X_NOT_FINITE if a copied row of X holds NaN or
    inf."""
    cdef Py_ssize_t r, n_in = net.sizes[0], n_out = net.sizes[net.n_layers]
    cdef real *xb = <real *>net.xb
    for r in range(rows):
        if idx[r] < 0 or idx[r] >= n or (labels != NULL and not 0 <= labels[idx[r]] < n_out):
            return -2
    if not fnn_gather_rows(X, n_in * sizeof(real), idx, rows, xb, sizeof(real), check_x,
                           net.threads):
        return _X_NOT_FINITE
    _gather_targets(net, Y, labels, idx, rows)
    return -1


cdef void _gather_targets(_Net *net, const real *Y, const long long *labels,
                          const long long *idx, Py_ssize_t rows) noexcept nogil:
    """The batch's targets (indices checked by the caller)."""
    cdef Py_ssize_t r, n_out = net.sizes[net.n_layers]
    cdef real *yb = <real *>net.yb
    for r in range(rows):
        if labels != NULL:
            net.lb[r] = labels[idx[r]]
        else:
            memcpy(yb + r * n_out, Y + idx[r] * n_out, n_out * sizeof(real))


cdef struct _Csr:
    # A CSR matrix of n rows: row i holds data[indptr[i]:indptr[i+1]] at
    # the columns indices[...]; nnz entries in data and indices.
    const void *data
    const long long *indices
    const long long *indptr
    long long nnz


cdef int _gather_csr(_Net *net, const _Csr *csr, const real *Y,
                     const long long *labels, Py_ssize_t n, const long long *idx,
                     Py_ssize_t rows) noexcept nogil:
    """_gather for a CSR X: zero the batch rows and scatter each row's
    entries.  -1 when done; -2 (nothing read out of range) for a bad row
    index, label, indptr or column index."""
    cdef Py_ssize_t r, n_in = net.sizes[0], n_out = net.sizes[net.n_layers]
    cdef long long i, lo, hi, col
    cdef real *xb = <real *>net.xb
    cdef const real *data = <const real *>csr.data
    for r in range(rows):
        if idx[r] < 0 or idx[r] >= n or (labels != NULL and not 0 <= labels[idx[r]] < n_out):
            return -2
        lo = csr.indptr[idx[r]]
        hi = csr.indptr[idx[r] + 1]
        if lo < 0 or hi < lo or hi > csr.nnz:
            return -2
    memset(xb, 0, rows * n_in * sizeof(real))
    for r in range(rows):
        lo = csr.indptr[idx[r]]
        hi = csr.indptr[idx[r] + 1]
        for i in range(lo, hi):
            col = csr.indices[i]
            if col < 0 or col >= n_in:
                return -2
            xb[r * n_in + col] += data[i]
    _gather_targets(net, Y, labels, idx, rows)
    return -1


cdef void _gather_weights(_Net *net, const double *sw, const long long *idx,
                          Py_ssize_t rows) noexcept nogil:
    """The batch's sample weights (indices checked by the gather before)."""
    cdef Py_ssize_t r
    for r in range(rows):
        net.sw[r] = sw[idx[r]]


cdef bint _signal_raised() noexcept nogil:
    """Run Python's pending signal handlers; True if one raised (the
    exception is then set, and the caller must stop and propagate it)."""
    with gil:
        return _check_signals() != 0


cdef int _propagate_pending() except -1:
    """Propagate the exception a signal handler set during the epoch."""
    return -1


cdef struct _Batches:
    # What one epoch reads, checked by Trainer._bind: rows perm[0:n_rows] of
    # X (n rows; csr instead when not NULL), float targets Y or class labels,
    # per-row sample weights sw (NULL: none).
    const void *X
    const void *Y
    const long long *labels
    Py_ssize_t n
    long long *perm
    Py_ssize_t n_rows
    const double *sw
    const _Csr *csr
    bint update                # False: the gradient of one batch only
    bint check_x               # test the gathered rows of a dense X for NaN/inf


cdef int _run_epoch(_Net *net, _Opt *opt, const _Batches *b, real dtype_tag,
                    double *loss_sum, Py_ssize_t *correct,
                    long long *last_check) noexcept nogil:
    """The mini-batches of b, in order (with b.update False: the gradient of
    one batch).  Returns -1 when done, -2 for an index or label out of
    range, _INTERRUPTED when a signal handler raised after a finished
    mini-batch (its exception is set), else the number of the first batch
    whose loss was not finite (its update is not applied).  last_check: when
    signals were last checked (monotonic ns), carried over from epoch to
    epoch so that epochs shorter than the interval still get checked."""
    cdef int gathered
    cdef Py_ssize_t start = 0, rows
    cdef int batch_no = 0, status = -1
    cdef double loss
    cdef long long now
    cdef const real *X = <const real *>b.X
    cdef const real *Y = <const real *>b.Y
    cdef unsigned int fp_mode = fnn_ftz_begin()
    while start < b.n_rows:
        now = fnn_monotonic_ns()
        if now - last_check[0] >= _SIGNAL_CHECK_NS:
            last_check[0] = now
            if _signal_raised():
                status = _INTERRUPTED
                break
        rows = min(net.batch, b.n_rows - start)
        if b.csr != NULL:
            gathered = _gather_csr(net, b.csr, Y, b.labels, b.n, b.perm + start, rows)
        else:
            gathered = _gather(net, X, Y, b.labels, b.n, b.perm + start, rows, b.check_x)
        if gathered != -1:
            status = gathered
            break
        if b.sw != NULL:
            _gather_weights(net, b.sw, b.perm + start, rows)
        start += rows
        _forward_layers(net, <real *>net.xb, rows)
        if net.sk_scale:
            loss = _sk_loss_and_output_grad(net, <real>0, rows, b.labels != NULL)
        else:
            loss = _loss_and_output_grad(net, <real>0, rows, b.labels != NULL, correct)
        if not isfinite(loss):
            # Nothing of this batch is applied.
            status = batch_no
            break
        if b.update:
            _begin_update(opt)
        loss += _backward_layers(net, <real *>net.xb, rows, opt if b.update else NULL)
        if not isfinite(loss):
            # Only the l2 penalty overflowed (the parameters are huge); the
            # layers are updated already, and the caller rolls back.
            status = batch_no
            break
        loss_sum[0] += loss * rows
        batch_no += 1
    fnn_ftz_end(fp_mode)
    return status


# ------------------------------------------------------- epochs of one fit call

cdef inline uint64_t _bounded_draw(bitgen_t *rng, uint64_t high) noexcept nogil:
    """A uniform integer in [0, high] by masked rejection: draws (32-bit
    below 2^32, else 64-bit) cut to the smallest all-ones mask covering high
    until one is at most high.  numpy's Generator.shuffle draws so, which
    makes the compiled shuffle the same permutation from the same state."""
    cdef uint64_t mask = high, value
    mask |= mask >> 1
    mask |= mask >> 2
    mask |= mask >> 4
    mask |= mask >> 8
    mask |= mask >> 16
    mask |= mask >> 32
    if high <= UINT32_MAX:
        value = rng.next_uint32(rng.state) & mask
        while value > high:
            value = rng.next_uint32(rng.state) & mask
    else:
        value = rng.next_uint64(rng.state) & mask
        while value > high:
            value = rng.next_uint64(rng.state) & mask
    return value


def _bounded_draws(rng, uint64_t high, Py_ssize_t count):
    """count draws in [0, high] as the compiled shuffle makes them, from a
    numpy Generator (for tests: the 64-bit branch needs 2^32 rows)."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy.random.Generator")
    cdef bitgen_t *bitgen = <bitgen_t *>PyCapsule_GetPointer(rng.bit_generator.capsule,
                                                             "BitGenerator")
    cdef cnp.ndarray out = np.empty(max(count, 0), np.uint64)
    cdef uint64_t *draws = <uint64_t *>cnp.PyArray_DATA(out)
    cdef Py_ssize_t i
    with rng.bit_generator.lock:
        for i in range(count):
            draws[i] = _bounded_draw(bitgen, high)
    return out


cdef void _both_passes(real **p, Py_ssize_t rows, Py_ssize_t cols, int act, double param,
                       int threads) noexcept nogil:
    """_layer_passes' two passes; p: z + b (in place), out, b, grad, saved, dz."""
    _bias_activation(p[0], p[1], p[2], rows, cols, act, param, threads)
    _activation_backward(p[3], p[4], p[5], rows, cols, act, param, threads)


def _layer_passes(cnp.ndarray z not None, cnp.ndarray b not None,
                  cnp.ndarray grad not None, int act, double param, int threads):
    """The training loop's two elementwise layer passes, on copies, split by
    rows over `threads` of fastnn's pool (where large enough, as in an
    epoch): returns (z + b, a = f(z + b), the backward of grad with z + b as
    what the forward saved, or a for softmax).  For tests: a split must give
    the bits one thread gives.  z and grad C-contiguous (rows, cols) float32
    or float64 of one dtype, b contiguous (cols,) of that dtype."""
    if not 0 <= act < FNN_N_ACTIVATIONS and act != FNN_SOFTMAX_ID:
        raise ValueError(f"unknown activation id {act}")
    cdef Py_ssize_t rows = z.shape[0] if z.ndim == 2 else -1
    cdef Py_ssize_t cols = z.shape[1] if z.ndim == 2 else -1
    if rows < 0:
        raise ValueError("z must be 2-D")
    cdef int typenum = cnp.PyArray_TYPE(z)
    if typenum != cnp.NPY_FLOAT32 and typenum != cnp.NPY_FLOAT64:
        raise TypeError("z must be float32 or float64")
    _check_2d(z, rows, cols, typenum, "z", True)
    _check_2d(grad, rows, cols, typenum, "grad", True)
    if (b.ndim != 1 or b.shape[0] != cols or cnp.PyArray_TYPE(b) != typenum
            or not b.flags.c_contiguous or not b.flags.aligned or not b.dtype.isnative):
        raise ValueError(f"b must be a contiguous ({cols},) array of z's dtype")
    cdef cnp.ndarray zb = z.copy(), out = np.empty_like(z), dz = np.empty_like(z)
    cdef cnp.ndarray saved = zb if act != FNN_SOFTMAX_ID else out
    cdef void *p[6]
    cdef int i
    for i, arr in enumerate((zb, out, b, grad, saved, dz)):
        p[i] = cnp.PyArray_DATA(<cnp.ndarray>arr)
    with nogil:
        if typenum == cnp.NPY_FLOAT32:
            _both_passes[float](<float **>p, rows, cols, act, param, threads)
        else:
            _both_passes[double](<double **>p, rows, cols, act, param, threads)
    return zb, out, dz


cdef void _shuffled_rows(bitgen_t *rng, long long *perm, Py_ssize_t n) noexcept nogil:
    """perm = a permutation of 0..n-1, the one
    ``perm[:] = arange(n); Generator.shuffle(perm)`` gives (Fisher-Yates from
    the end)."""
    cdef Py_ssize_t i, j
    cdef long long swap
    for i in range(n):
        perm[i] = i
    for i in range(n - 1, 0, -1):
        j = <Py_ssize_t>_bounded_draw(rng, <uint64_t>i)
        swap = perm[i]
        perm[i] = perm[j]
        perm[j] = swap


cdef struct _Snapshot:
    # Where each epoch saves the parameters and optimizer state it starts
    # from (n entries each; s1/s2 NULL where the optimizer has none), to
    # fall back to when the epoch fails.
    void *params
    void *s1
    void *s2
    Py_ssize_t n
    long long step


cdef void _snapshot_copy(_Net *net, _Opt *opt, _Snapshot *snap, bint save,
                         size_t elem) noexcept nogil:
    """Save the live parameters and state into snap, or restore them."""
    cdef size_t size = snap.n * elem
    cdef void *live[3]
    cdef void *kept[3]
    live[0], live[1], live[2] = net.params, opt.s1, opt.s2
    kept[0], kept[1], kept[2] = snap.params, snap.s1, snap.s2
    for i in range(3):
        if kept[i] != NULL:
            memcpy(kept[i] if save else live[i], live[i] if save else kept[i], size)
    if save:
        snap.step = opt.step
    else:
        opt.step = snap.step


cdef struct _EpochLog:
    # Per epoch of one fit_epochs call: the loss summed over rows, the
    # correct predictions and the seconds of the training pass; done counts
    # the epochs finished and kept.
    double *loss_sum
    long long *correct
    double *seconds
    Py_ssize_t done


cdef int _run_epochs(_Net *net, _Opt *opt, _Batches *b, real dtype_tag, bitgen_t *rng,
                     Py_ssize_t n_epochs, _Snapshot *snap, _EpochLog *log) noexcept nogil:
    """n_epochs epochs, each from a shuffle of the rows (rng not NULL) and
    from a snapshot that a failed epoch is restored to before returning its
    _run_epoch status (or PARAMS_NOT_FINITE when an update overflowed); -1
    when all finished."""
    cdef Py_ssize_t e, correct
    cdef int status
    cdef double loss_sum
    cdef long long start, last_check = fnn_monotonic_ns()
    for e in range(n_epochs):
        if rng != NULL:
            _shuffled_rows(rng, b.perm, b.n)
        _snapshot_copy(net, opt, snap, True, sizeof(real))
        loss_sum = 0
        correct = 0
        start = fnn_monotonic_ns()
        status = _run_epoch(net, opt, b, dtype_tag, &loss_sum, &correct, &last_check)
        if status == -1 and not (
                _all_finite_span(<real *>net.params, snap.n)
                and (opt.s1 == NULL or _all_finite_span(<real *>opt.s1, snap.n))
                and (opt.s2 == NULL or _all_finite_span(<real *>opt.s2, snap.n))):
            status = _PARAMS_NOT_FINITE
        if status != -1:
            _snapshot_copy(net, opt, snap, False, sizeof(real))
            return status
        # Every row was gathered, and tested, once: the rows of X do not
        # change between the epochs of one call.
        b.check_x = False
        log.seconds[e] = (fnn_monotonic_ns() - start) * 1e-9
        log.loss_sum[e] = loss_sum
        log.correct[e] = correct
        log.done = e + 1
    return -1


cdef double _full_batch(_Net *net, real dtype_tag, Py_ssize_t rows, bint use_labels,
                        Py_ssize_t *correct) noexcept nogil:
    """Forward, loss and backward of the rows already in net.xb/yb/lb."""
    cdef double loss
    cdef unsigned int fp_mode = fnn_ftz_begin()
    _forward_layers(net, <real *>net.xb, rows)
    if net.sk_scale:
        loss = _sk_loss_and_output_grad(net, <real>0, rows, use_labels)
    else:
        loss = _loss_and_output_grad(net, <real>0, rows, use_labels, correct)
    loss += _backward_layers(net, <real *>net.xb, rows)
    fnn_ftz_end(fp_mode)
    return loss


cdef bint _all_finite(object arr):
    """No NaN or inf in a contiguous float32/float64 array (True for None)."""
    if arr is None:
        return True
    cdef cnp.ndarray a = arr
    cdef const void *data = cnp.PyArray_DATA(a)
    cdef Py_ssize_t n = cnp.PyArray_SIZE(a)
    cdef bint is_float = cnp.PyArray_TYPE(a) == cnp.NPY_FLOAT32
    cdef bint ok
    with nogil:
        ok = _all_finite_of(data, n, is_float)
    return ok


def _int_entries(values, str name, Py_ssize_t length, low, high):
    """values as a list of Python ints in [low, high] (high None: no upper
    bound), ``length`` of them unless it is -1; TypeError or ValueError
    naming ``name`` and the entry otherwise."""
    try:
        entries = list(values)
    except TypeError:
        raise TypeError(f"{name} must be a sequence of integers, got "
                        f"{type(values).__name__}") from None
    if length >= 0 and len(entries) != length:
        raise ValueError(f"{name} needs one entry per layer ({length}), got {len(entries)}")
    checked = []
    for i, value in enumerate(entries):
        if isinstance(value, (bool, np.bool_)) or not hasattr(value, "__index__"):
            raise TypeError(f"{name}[{i}] must be an integer, got {value!r}")
        value = operator.index(value)
        if value < low or (high is not None and value > high):
            raise ValueError(f"{name}[{i}] = {value} must be at least {low}" if high is None
                             else f"{name}[{i}] = {value} is outside [{low}, {high}]")
        checked.append(value)
    return checked


def _check_activations(act_ids, act_params, saves_output, Py_ssize_t L):
    """Checked (ids, params, saves) of the L layers: each id one the C
    switch knows (another would leave the layer's output unwritten), each
    parameter finite, and each saves flag what that activation's backward
    reads (the C list's fact; a wrong flag hands the backward the wrong
    buffer and gives a wrong gradient).  The range of a parameter is the
    activation's own and is checked by fastnn.activations."""
    # Softmax's id, then the C list's 0 .. FNN_N_ACTIVATIONS - 1.
    ids = _int_entries(act_ids, "act_ids", L, SOFTMAX_ID, FNN_N_ACTIVATIONS - 1)
    try:
        params, saves = list(act_params), list(saves_output)
    except TypeError:
        raise TypeError("act_params and saves_output must be sequences") from None
    for values, name in ((params, "act_params"), (saves, "saves_output")):
        if len(values) != L:
            raise ValueError(f"{name} needs one entry per layer ({L}), got {len(values)}")
    cdef const char *act_name
    cdef const char *act_saves
    cdef const char *act_init
    for l in range(L):
        act = ids[l]
        if act == SOFTMAX_ID:
            reads_output = True
        else:
            fnn_activation_info(act, &act_name, &act_saves, &act_init)
            reads_output = (<bytes>act_saves) == b"output"
        try:
            params[l] = float(params[l])
        except (TypeError, ValueError):
            raise TypeError(f"act_params[{l}] must be a real number, got {params[l]!r}") from None
        if not isfinite(params[l]):
            raise ValueError(f"act_params[{l}] must be finite, got {params[l]}")
        if bool(saves[l]) != reads_output:
            raise ValueError(f"saves_output[{l}] must be {reads_output} for activation id "
                             f"{act}, whose backward reads its "
                             f"{'output' if reads_output else 'input'}")
    return ids, params, saves


def _check_offsets(w_offsets, b_offsets, sizes, Py_ssize_t n_params):
    """Checked (w_offsets, b_offsets): one per layer, each W_l and b_l
    inside the flat vector and no two overlapping (an overlap would have
    one gradient overwrite another's)."""
    cdef Py_ssize_t L = len(sizes) - 1
    w_off = _int_entries(w_offsets, "w_offsets", L, 0, n_params)
    b_off = _int_entries(b_offsets, "b_offsets", L, 0, n_params)
    spans = []
    for l in range(L):
        spans.append((w_off[l], sizes[l] * sizes[l + 1], f"W_{l} (w_offsets[{l}])"))
        spans.append((b_off[l], sizes[l + 1], f"b_{l} (b_offsets[{l}])"))
    for start, size, what in spans:
        if start + size > n_params:
            raise ValueError(f"parameter offsets out of range: {what} = {start} + {size} "
                             f"entries ends past the {n_params} parameters")
    spans.sort()
    for (start, size, what), (next_start, _, next_what) in zip(spans, spans[1:]):
        if start + size > next_start:
            raise ValueError(f"parameter offsets overlap: {what} = {start} + {size} entries "
                             f"runs into {next_what} = {next_start}")
    return w_off, b_off


cdef class Trainer:
    """Workspace and compiled loop of one network shape, batch size and dtype.

    Holds every buffer a mini-batch needs, allocated once; :meth:`epoch`
    then runs a whole epoch without the GIL.  Built and driven by
    fastnn.network.Network, which validates everything first.

    The constructor still checks each per-layer argument before allocating
    anything: ``sizes`` (at least 2 positive integers), and one entry per
    layer in ``act_ids`` (known ids), ``act_params`` (finite),
    ``saves_output`` (what each activation's backward reads), ``w_offsets``
    and ``b_offsets`` (integers placing every W_l and b_l inside ``params``,
    none overlapping); a cross-entropy loss needs a softmax output and
    binary cross-entropy a sigmoid one.  TypeError or ValueError naming the
    argument otherwise.
    """
    cdef _Net net
    cdef int typenum
    # The numpy arrays the raw pointers of net point into, kept alive here.
    cdef object _params, _grads          # the network's flat vectors
    cdef object _sizes, _act, _param, _w_off, _b_off
    cdef object _z, _a, _saved, _ptrs    # per-layer (batch, width) buffers
    cdef object _dz, _da                 # ping-pong gradients (batch, widest)
    cdef object _x_batch, _y_batch       # gathered rows of X and of Y
    cdef object _label_batch             # gathered class labels (batch,) int64
    cdef object _weight_batch            # gathered sample weights (batch,) float64

    def __init__(self, sizes, act_ids, act_params, saves_output, int loss_id,
                 double l2, Py_ssize_t batch, params, grads, w_offsets, b_offsets,
                 bint sklearn_scaling=False):
        for arr, name in ((params, "params"), (grads, "grads")):
            if not isinstance(arr, np.ndarray):
                raise TypeError(f"{name} must be a numpy.ndarray, got {type(arr).__name__}")
        cdef cnp.ndarray p = params
        cdef cnp.ndarray g = grads
        # Every per-layer sequence is checked (length, type, range) here,
        # before anything is allocated: the epoch indexes them without bounds
        # checks.
        sizes = _int_entries(sizes, "sizes", -1, 1, None)
        if len(sizes) < 2:
            raise ValueError(f"sizes needs at least 2 entries (inputs, outputs), got "
                             f"{len(sizes)}")
        cdef int L = len(sizes) - 1
        # Every BLAS dimension of the epoch (m, n, k and the leading
        # dimensions) is a layer width or the batch size, passed as int.
        for l in range(L + 1):
            if sizes[l] > _BLAS_INT_MAX:
                raise ValueError(f"layer width sizes[{l}] = {sizes[l]} exceeds the "
                                 f"{_BLAS_INT_MAX} that 32-bit BLAS can index")
        act_ids, act_params, saves_output = _check_activations(act_ids, act_params,
                                                               saves_output, L)
        if batch < 1:
            raise ValueError(f"batch must be at least 1, got {batch}")
        if batch > _BLAS_INT_MAX:
            raise ValueError(f"batch = {batch} exceeds the {_BLAS_INT_MAX} that 32-bit "
                             f"BLAS can index")
        if loss_id not in (FNN_MSE, FNN_BCE, FNN_CE) and not (
                sklearn_scaling and loss_id == FNN_POISSON):
            raise ValueError(f"unknown loss id {loss_id}")
        if sklearn_scaling and loss_id in (FNN_MSE, FNN_POISSON) and act_ids[L - 1] != FNN_IDENTITY:
            # Its fused output gradient is that of an identity output.
            raise ValueError("sklearn_scaling with squared error or Poisson needs an "
                             "identity output layer")
        # Both loss modes fuse the output layer's gradient into A - Y, which
        # is the gradient of these losses only after these activations.
        if loss_id == FNN_CE and act_ids[L - 1] != SOFTMAX_ID:
            raise ValueError(f"loss_id {loss_id} (cross-entropy) needs a softmax output "
                             f"layer, act_ids[{L - 1}] = {act_ids[L - 1]}")
        if loss_id == FNN_BCE and act_ids[L - 1] != FNN_SIGMOID:
            raise ValueError(f"loss_id {loss_id} (binary cross-entropy) needs a sigmoid "
                             f"output layer, act_ids[{L - 1}] = {act_ids[L - 1]}")
        self.typenum = cnp.PyArray_TYPE(p)
        if self.typenum not in (cnp.NPY_FLOAT32, cnp.NPY_FLOAT64):
            raise TypeError("params must be float32 or float64")
        dtype = p.dtype
        n_params = sum(sizes[l] * sizes[l + 1] + sizes[l + 1] for l in range(L))
        for arr, name in ((p, "params"), (g, "grads")):
            if (arr.dtype != dtype or arr.ndim != 1 or arr.shape[0] != n_params
                    or not arr.flags.c_contiguous or not arr.flags.writeable
                    or not arr.flags.aligned or not arr.dtype.isnative):
                raise ValueError(f"{name} must be a writeable contiguous ({n_params},) "
                                 f"{dtype} array")
        w_offsets, b_offsets = _check_offsets(w_offsets, b_offsets, sizes, n_params)
        self._sizes = np.asarray(sizes, dtype=np.intp)
        self._act = np.asarray(act_ids, dtype=np.intc)
        self._param = np.asarray(act_params, dtype=np.float64)
        self._w_off = np.asarray(w_offsets, dtype=np.intp)
        self._b_off = np.asarray(b_offsets, dtype=np.intp)
        widest = max(sizes[1:])
        self._z, self._a, self._saved = [], [], []
        self._params = p
        self._grads = g
        for l in range(L):
            a = np.empty((batch, sizes[l + 1]), dtype)
            last = l == L - 1
            # Keep Z separately only where something reads it after the
            # activation overwrote it: the backward of an input-saving
            # activation, and the losses computed from logits.
            z = a if (saves_output[l] or act_ids[l] == 0) and not last else \
                np.empty_like(a)
            self._z.append(z)
            self._a.append(a)
            self._saved.append(a if saves_output[l] else z)
        self._dz = np.empty((batch, widest), dtype)
        self._da = np.empty((batch, widest), dtype)
        self._x_batch = np.empty((batch, sizes[0]), dtype)
        self._y_batch = np.empty((batch, sizes[L]), dtype)
        self._label_batch = np.empty(batch, np.int64)
        self._weight_batch = np.empty(batch, np.float64)
        self.net.n_layers = L
        self.net.sizes = <Py_ssize_t *>cnp.PyArray_DATA(self._sizes)
        self.net.act = <int *>cnp.PyArray_DATA(self._act)
        self.net.param = <double *>cnp.PyArray_DATA(self._param)
        self.net.w_off = <Py_ssize_t *>cnp.PyArray_DATA(self._w_off)
        self.net.b_off = <Py_ssize_t *>cnp.PyArray_DATA(self._b_off)
        self.net.n_params = n_params
        self.net.loss = loss_id
        self.net.l2 = l2
        self.net.sk_scale = sklearn_scaling
        self.net.l2_div = 1
        self.net.sw = NULL
        self.net.batch = batch
        self.net.threads = 1
        self._ptrs = np.array([arr.ctypes.data for arr in self._z + self._a + self._saved],
                              dtype=np.uintp)
        cdef void **ptrs = <void **>cnp.PyArray_DATA(self._ptrs)
        self.net.z = ptrs
        self.net.a = ptrs + L
        self.net.saved = ptrs + 2 * L
        self.net.dz = cnp.PyArray_DATA(self._dz)
        self.net.da = cnp.PyArray_DATA(self._da)
        self.net.xb = cnp.PyArray_DATA(self._x_batch)
        self.net.yb = cnp.PyArray_DATA(self._y_batch)
        self.net.lb = <long long *>cnp.PyArray_DATA(self._label_batch)
        self.net.params = cnp.PyArray_DATA(p)
        self.net.grads = cnp.PyArray_DATA(g)

    @property
    def batch_size(self):
        return self.net.batch

    cdef int _bind(self, X, cnp.ndarray Y, cnp.ndarray labels, cnp.ndarray perm,
                   optimizer, cnp.ndarray sample_weight, bint check_x, _Batches *b,
                   _Csr *csr, _Opt *opt) except -1:
        """Check the arguments of run and fit_epochs (TypeError/ValueError,
        as run documents) and fill b, csr and opt with their pointers."""
        cdef cnp.ndarray Xd = self._check_input(X, csr)
        if perm is None:
            raise TypeError("perm must be a numpy.ndarray, not None")
        if cnp.PyArray_NDIM(perm) != 1:
            raise ValueError(f"perm must be 1-D, got shape {(<object>perm).shape}")
        if labels is None and Y is None:
            raise TypeError("Y (float targets) or labels (class indices) is needed")
        cdef Py_ssize_t n_out = self.net.sizes[self.net.n_layers]
        cdef Py_ssize_t n = cnp.PyArray_DIMS(Xd)[0] if Xd is not None else \
            cnp.PyArray_DIMS(X[2])[0] - 1
        b.sw = self._check_weights(sample_weight, n)
        if labels is None:
            _check_2d(Y, n, n_out, self.typenum, "Y", True)
        elif (labels.dtype != np.int64 or cnp.PyArray_NDIM(labels) != 1
              or cnp.PyArray_DIMS(labels)[0] != n or not cnp.PyArray_IS_C_CONTIGUOUS(labels)
              or not cnp.PyArray_ISBEHAVED_RO(labels)):
            raise ValueError(f"labels must be a contiguous, aligned, native ({n},) "
                             f"int64 array")
        if (perm.dtype != np.int64 or not cnp.PyArray_IS_C_CONTIGUOUS(perm)
                or not cnp.PyArray_ISBEHAVED_RO(perm)):
            raise ValueError("perm must be a contiguous, aligned, native 1-D int64 array")
        memset(opt, 0, sizeof(_Opt))
        # fastnn's thread count, but no more than BLAS may use: a user who
        # limited BLAS to one thread (threadpoolctl) gets one-thread epochs.
        self.net.threads = (min(get_num_threads(), _blas_user_threads())
                            if _BLAS_THREADS_BOUND else 1)
        b.update = optimizer is not None
        b.check_x = check_x
        if b.update:
            self._bind_optimizer(optimizer, opt)
        elif cnp.PyArray_DIMS(perm)[0] > self.net.batch:
            raise ValueError("gradients of more rows than the batch size")
        b.X = cnp.PyArray_DATA(Xd) if Xd is not None else NULL
        b.csr = csr if Xd is None else NULL
        b.labels = <long long *>cnp.PyArray_DATA(labels) if labels is not None else NULL
        b.Y = cnp.PyArray_DATA(Y) if labels is None else NULL
        b.n = n
        b.perm = <long long *>cnp.PyArray_DATA(perm)
        b.n_rows = cnp.PyArray_DIMS(perm)[0]
        return 0

    cdef int _bind_optimizer(self, optimizer, _Opt *opt) except -1:
        """opt from an optimizer dict (see run), its state buffers checked."""
        if optimizer["kind"] not in (FNN_SGD, FNN_ADAM):
            raise ValueError(f"optimizer kind must be {<int>FNN_SGD} (sgd) or {<int>FNN_ADAM} "
                             f"(adam), got {optimizer['kind']!r}")
        opt.kind = optimizer["kind"]
        opt.lr = optimizer["lr"]
        opt.momentum = optimizer["momentum"]
        opt.nesterov = optimizer["nesterov"]
        opt.beta1 = optimizer["beta1"]
        opt.beta2 = optimizer["beta2"]
        opt.eps = optimizer["eps"]
        opt.step = optimizer["step"]
        for key in ("s1", "s2"):
            self._check_flat(optimizer[key], f"optimizer state {key}", True)
        if opt.kind == FNN_ADAM and (optimizer["s1"] is None or optimizer["s2"] is None):
            raise ValueError("Adam needs both state buffers")
        if opt.kind == FNN_SGD and opt.momentum != 0 and optimizer["s1"] is None:
            raise ValueError("SGD with momentum needs its buffer")
        opt.s1 = cnp.PyArray_DATA(optimizer["s1"]) if optimizer["s1"] is not None else NULL
        opt.s2 = cnp.PyArray_DATA(optimizer["s2"]) if optimizer["s2"] is not None else NULL
        return 0

    cdef int _check_flat(self, s, str name, bint allow_none) except -1:
        """s is a writeable contiguous vector shaped and typed as the
        parameters (or None where allowed)."""
        if s is None and allow_none:
            return 0
        if not isinstance(s, np.ndarray):
            raise TypeError(f"{name} must be a numpy.ndarray{' or None' if allow_none else ''}"
                            f", got {type(s).__name__}")
        if (s.dtype != self._params.dtype or s.shape != (self.net.n_params,)
                or not s.flags.c_contiguous or not s.flags.writeable or not s.flags.aligned):
            raise ValueError(f"{name} does not fit the parameters")
        return 0

    def run(self, X not None, cnp.ndarray Y, cnp.ndarray labels,
            cnp.ndarray perm not None, optimizer=None, cnp.ndarray sample_weight=None,
            bint check_finite=False, bint check_x=True):
        """Run the mini-batches of `perm` (rows of X, in that order).

        X is a C-contiguous array or a CSR triple (data, indices, indptr):
        data of the parameters' dtype, int64 indices and indptr (n + 1,),
        checked while each batch's rows are gathered.  sample_weight
        (n,) float64 weights the rows; only with sklearn_scaling (ValueError
        otherwise, where the losses are unweighted means).

        With an optimizer (a dict: kind, lr, momentum, nesterov, beta1, beta2,
        eps, step, s1, s2), update the parameters after each batch; without,
        `perm` must fit in one batch and only the gradients are computed.
        Y holds float targets (n, n_out) or is None with integer `labels`.

        Returns (loss_sum, correct, bad_batch, step): the sum over samples of
        the batch losses, the correct predictions, the index of the first
        batch whose loss was not finite (-1 if none) and Adam's new step.
        With check_finite, an epoch that finished with a non-finite entry in
        the parameters or the optimizer state returns bad_batch
        PARAMS_NOT_FINITE (the check runs compiled, after the last batch).

        On one thread the products run on BLAS's threads and everything else
        on the calling thread; on several (fastnn's count, at most BLAS's)
        everything runs on fastnn's pool with BLAS held at one thread (an
        epoch that finds the pool busy runs on the calling thread).  The
        results are the same bits for a given thread count and pool; across
        those only BLAS's rounding may differ.

        Python's signal handlers run every ~20 ms between mini-batches; an
        exception they raise (KeyboardInterrupt for Ctrl-C) propagates from
        here, leaving the parameters and optimizer buffers of the last
        finished mini-batch (finite; Adam's step is then not returned, so a
        caller that catches it restores its epoch-start snapshot).

        Raises TypeError/ValueError (never reads out of bounds) for arrays of
        the wrong type, shape, dtype or layout, an unknown optimizer kind or
        state buffers that do not fit it; ValueError when a gathered row of a
        dense X holds NaN or inf (the check runs in the gather, as each batch
        is copied: the batches before it stay applied, as after an interrupt;
        check_x False skips it, for an X the caller has checked).
        """
        cdef _Batches b
        cdef _Csr csr
        cdef _Opt opt
        self._bind(X, Y, labels, perm, optimizer, sample_weight, check_x, &b, &csr, &opt)
        cdef double loss_sum = 0
        cdef Py_ssize_t correct = 0
        cdef int bad
        cdef long long last_check = fnn_monotonic_ns()
        cdef bint held
        with nogil:
            held = self.net.threads > 1 and _single_begin()
            if self.typenum == cnp.NPY_FLOAT32:
                bad = _run_epoch[float](&self.net, &opt, &b, <float>0, &loss_sum, &correct,
                                        &last_check)
            else:
                bad = _run_epoch[double](&self.net, &opt, &b, <double>0, &loss_sum, &correct,
                                         &last_check)
            if held:
                _single_end()
        if check_finite and bad == -1 and not (
                _all_finite(self._params)
                and (not b.update or (_all_finite(optimizer["s1"])
                                      and _all_finite(optimizer["s2"])))):
            bad = _PARAMS_NOT_FINITE
        self._raise_for(bad, &b)
        return loss_sum, correct, bad, opt.step

    cdef int _raise_for(self, int status, const _Batches *b) except -1:
        """Propagate an interrupting signal's exception, or raise ValueError
        for rows or labels out of range or a non-finite row of X; other
        statuses are the caller's to report."""
        if status == _INTERRUPTED:
            # The parameters and optimizer state are those after the last
            # finished mini-batch (run) or of the epoch's start (fit_epochs).
            _propagate_pending()
        if status == _X_NOT_FINITE:
            raise ValueError(f"X holds NaN or inf (in the network's dtype "
                             f"{self._params.dtype})")
        if status == -2:
            raise ValueError(f"perm must index rows of X in [0, {b.n}) and labels lie in "
                             f"[0, {self.net.sizes[self.net.n_layers]})"
                             + ("" if b.csr == NULL else
                                "; or the CSR indptr/indices are out of range"))
        return 0

    def fit_epochs(self, X not None, cnp.ndarray Y, cnp.ndarray labels,
                   cnp.ndarray perm not None, optimizer not None, rng, snapshot not None,
                   cnp.ndarray loss_sum not None, cnp.ndarray correct not None,
                   cnp.ndarray seconds not None, cnp.ndarray progress not None,
                   bint check_x=True):
        """Run len(loss_sum) epochs in one call, each as :meth:`run` with
        `optimizer`, and each from a snapshot it is restored to if it fails.

        rng: a numpy Generator, or None.  With one, `perm` (n,) is refilled
        before each epoch with the permutation ``perm[:] = arange(n);
        rng.shuffle(perm)`` gives (the same draws, made here; the caller
        holds ``rng.bit_generator.lock``); without, every epoch runs the
        rows of `perm` as they are.  snapshot: (params, s1, s2) buffers shaped
        as the parameters (s1/s2 None where the optimizer has no such state).

        Per finished epoch e, fills loss_sum[e] and seconds[e] (float64) and
        correct[e] (int64); progress (2,) int64 gets the number of epochs
        finished and kept and the optimizer's step after them, also when an
        exception propagates.  Returns -1 when every epoch finished; else the
        failed epoch (the one after progress[0]) is undone, and the status is
        the first batch whose loss was not finite, or PARAMS_NOT_FINITE when
        its updates overflowed.

        A signal handler's exception (KeyboardInterrupt) propagates after the
        interrupted epoch is undone, and so does the ValueError for a row of
        X that holds NaN or inf (tested in the first epoch of the call unless
        check_x is False).  TypeError/ValueError as :meth:`run`, and for
        outputs or snapshot buffers that do not fit.
        """
        cdef _Batches b
        cdef _Csr csr
        cdef _Opt opt
        self._bind(X, Y, labels, perm, optimizer, None, check_x, &b, &csr, &opt)
        cdef Py_ssize_t n_epochs = loss_sum.shape[0] if loss_sum.ndim == 1 else -1
        for arr, name, dtype, size in ((loss_sum, "loss_sum", np.float64, n_epochs),
                                       (seconds, "seconds", np.float64, n_epochs),
                                       (correct, "correct", np.int64, n_epochs),
                                       (progress, "progress", np.int64, 2)):
            if (arr.dtype != dtype or arr.shape != (size,) or not arr.flags.c_contiguous
                    or not arr.flags.writeable or not arr.flags.aligned):
                raise ValueError(f"{name} must be a writeable contiguous 1-D {np.dtype(dtype)} "
                                 f"array" + (f" of {size} entries" if size >= 0 else ""))
        if not (isinstance(snapshot, tuple) and len(snapshot) == 3):
            raise TypeError("snapshot must be a (params, s1, s2) tuple")
        cdef _Snapshot snap
        snap.n = self.net.n_params
        self._check_flat(snapshot[0], "snapshot params", False)
        for buf, live, name in ((snapshot[1], opt.s1 != NULL, "snapshot s1"),
                                (snapshot[2], opt.s2 != NULL, "snapshot s2")):
            self._check_flat(buf, name, not live)
        snap.params = cnp.PyArray_DATA(snapshot[0])
        snap.s1 = cnp.PyArray_DATA(snapshot[1]) if opt.s1 != NULL else NULL
        snap.s2 = cnp.PyArray_DATA(snapshot[2]) if opt.s2 != NULL else NULL
        cdef bitgen_t *bitgen = NULL
        if rng is not None:
            if not isinstance(rng, np.random.Generator):
                raise TypeError(f"rng must be a numpy.random.Generator or None, got "
                                f"{type(rng).__name__}")
            if b.n_rows != b.n or not perm.flags.writeable:
                raise ValueError(f"a shuffled epoch needs a writeable perm of the {b.n} rows "
                                 f"of X, got {b.n_rows} rows"
                                 + ("" if perm.flags.writeable else ", read-only"))
            bitgen = <bitgen_t *>PyCapsule_GetPointer(rng.bit_generator.capsule, "BitGenerator")
        cdef _EpochLog log
        log.loss_sum = <double *>cnp.PyArray_DATA(loss_sum)
        log.correct = <long long *>cnp.PyArray_DATA(correct)
        log.seconds = <double *>cnp.PyArray_DATA(seconds)
        log.done = 0
        cdef int status
        cdef bint held
        with nogil:
            held = self.net.threads > 1 and _single_begin()
            if self.typenum == cnp.NPY_FLOAT32:
                status = _run_epochs[float](&self.net, &opt, &b, <float>0, bitgen, n_epochs,
                                            &snap, &log)
            else:
                status = _run_epochs[double](&self.net, &opt, &b, <double>0, bitgen, n_epochs,
                                             &snap, &log)
            if held:
                _single_end()
        (<long long *>cnp.PyArray_DATA(progress))[0] = log.done
        (<long long *>cnp.PyArray_DATA(progress))[1] = opt.step
        self._raise_for(status, &b)
        return status

    cdef cnp.ndarray _check_input(self, X, _Csr *csr):
        """X as a checked dense array, or None with csr filled from a
        (data, indices, indptr) triple (its entries are range-checked while
        gathered)."""
        cdef Py_ssize_t n_in = self.net.sizes[0]
        cdef cnp.ndarray data, indices, indptr
        if isinstance(X, np.ndarray):
            if cnp.PyArray_NDIM(<cnp.ndarray>X) != 2:
                raise ValueError(f"X must be 2-D, got shape {X.shape}")
            _check_2d(X, X.shape[0], n_in, self.typenum, "X", True)
            return X
        if not (isinstance(X, tuple) and len(X) == 3
                and all(isinstance(part, np.ndarray) for part in X)):
            raise TypeError("X must be a numpy.ndarray or a CSR (data, indices, indptr) "
                            "triple of arrays")
        data, indices, indptr = X
        for arr, name, dtype in ((data, "data", self._params.dtype),
                                 (indices, "indices", np.int64), (indptr, "indptr", np.int64)):
            if (arr.dtype != dtype or arr.ndim != 1 or not arr.flags.c_contiguous
                    or not arr.flags.aligned or not arr.dtype.isnative):
                raise ValueError(f"CSR {name} must be a contiguous 1-D {np.dtype(dtype)} array")
        if indices.shape[0] != data.shape[0] or indptr.shape[0] < 1:
            raise ValueError("CSR indices must match data and indptr hold n + 1 entries")
        csr.data = cnp.PyArray_DATA(data)
        csr.indices = <long long *>cnp.PyArray_DATA(indices)
        csr.indptr = <long long *>cnp.PyArray_DATA(indptr)
        csr.nnz = data.shape[0]
        return None

    cdef const double *_check_weights(self, cnp.ndarray sample_weight, Py_ssize_t n) except? NULL:
        """Pointer to n float64 weights, NULL without; the gathered batch
        weights go to the workspace buffer.  Only the sklearn-scaling losses
        read weights: the other mode's are unweighted means (over rows for
        cross-entropy, over all outputs for the others), and a weighted
        version of each would be a new loss, so weights are refused there
        rather than ignored."""
        if sample_weight is None:
            self.net.sw = NULL
            return NULL
        if not self.net.sk_scale:
            raise ValueError("sample_weight needs the sklearn-scaling loss mode "
                             "(Trainer(..., sklearn_scaling=True)); this trainer's losses "
                             "are unweighted means and would ignore it")
        if (sample_weight.dtype != np.float64 or sample_weight.ndim != 1
                or sample_weight.shape[0] != n or not sample_weight.flags.c_contiguous
                or not sample_weight.flags.aligned or not sample_weight.dtype.isnative):
            raise ValueError(f"sample_weight must be a contiguous ({n},) float64 array")
        self.net.sw = <double *>cnp.PyArray_DATA(self._weight_batch)
        return <const double *>cnp.PyArray_DATA(sample_weight)

    def loss_and_grad_full(self, cnp.ndarray X not None, cnp.ndarray Y, cnp.ndarray labels,
                           cnp.ndarray sample_weight=None):
        """Loss and gradient (into the grads buffer) of all rows of X in one
        batch, read in place: no gather, no allocation.  X C-contiguous of at
        most batch_size rows; Y (n, n_out) targets or int64 labels (n,);
        sample_weight (n,) float64 or None (only with sklearn_scaling, as in
        :meth:`run`).  Returns the loss, penalty
        included (NaN if not finite)."""
        if cnp.PyArray_NDIM(X) != 2:
            raise ValueError(f"X must be 2-D, got shape {(<object>X).shape}")
        cdef Py_ssize_t n = cnp.PyArray_DIMS(X)[0], r
        cdef Py_ssize_t n_out = self.net.sizes[self.net.n_layers]
        if n < 1 or n > self.net.batch:
            raise ValueError(f"X must have 1..{self.net.batch} rows, got {n}")
        _check_2d(X, n, self.net.sizes[0], self.typenum, "X", True)
        cdef _Net local = self.net
        # One thread of fastnn's own: the products keep BLAS's threads (the
        # split needs BLAS held at one thread, which only the epochs do).
        local.threads = 1
        local.xb = cnp.PyArray_DATA(X)
        if labels is None:
            if Y is None:
                raise TypeError("Y (float targets) or labels (class indices) is needed")
            _check_2d(Y, n, n_out, self.typenum, "Y", True)
            local.yb = cnp.PyArray_DATA(Y)
        else:
            if (labels.dtype != np.int64 or cnp.PyArray_NDIM(labels) != 1
                    or cnp.PyArray_DIMS(labels)[0] != n
                    or not cnp.PyArray_IS_C_CONTIGUOUS(labels)
                    or not cnp.PyArray_ISBEHAVED_RO(labels)):
                raise ValueError(f"labels must be a contiguous, aligned, native ({n},) "
                                 f"int64 array")
            local.lb = <long long *>cnp.PyArray_DATA(labels)
            for r in range(n):
                if not 0 <= local.lb[r] < n_out:
                    raise ValueError(f"labels must lie in [0, {n_out})")
        self._check_weights(sample_weight, n)
        local.sw = <double *>cnp.PyArray_DATA(sample_weight) if sample_weight is not None \
            else NULL
        self.net.sw = NULL
        cdef double loss
        cdef Py_ssize_t correct = 0
        with nogil:
            if self.typenum == cnp.NPY_FLOAT32:
                loss = _full_batch[float](&local, <float>0, n, labels is not None, &correct)
            else:
                loss = _full_batch[double](&local, <double>0, n, labels is not None, &correct)
        return loss if isfinite(loss) else float("nan")
