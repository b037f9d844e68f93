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
"""
cimport numpy as cnp
from libc.math cimport exp, log, log1p, fabs, isfinite
from libc.string cimport memcpy, memset

cdef extern from "Python.h":
    # Declared without Cython's exception check: the exception a handler sets
    # must stay pending until Trainer.run, after the loop restored the FPU mode.
    int _check_signals "PyErr_CheckSignals" () noexcept

import numpy as np

from fastnn._fnn cimport *
from fastnn._dense cimport *

cnp.import_array()

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

# Trainer.run's status when a signal handler raised (KeyboardInterrupt for
# Ctrl-C) between two mini-batches; never returned, the exception propagates.
cdef enum:
    _INTERRUPTED = -3

# The epoch runs without the GIL, so Python's signal handlers cannot run: it
# takes the GIL to run them (PyErr_CheckSignals) when this long has passed
# since the last check, read from a monotonic clock after every mini-batch.
cdef long long _SIGNAL_CHECK_NS = 20 * 1000 * 1000

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


cdef struct _Opt:
    int kind
    double lr, momentum, beta1, beta2, eps
    int nesterov
    long long step             # Adam's t after the last update
    void *s1                   # SGD momentum buffer / Adam m
    void *s2                   # Adam v


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
    cdef double total = 0, zj, yj, ysum, scale
    cdef Py_ssize_t n_elem = rows * cols
    cdef bint ok
    if net.loss == FNN_CE:
        scale = 1.0 / rows
        for r in range(rows):
            best = 0
            for j in range(1, cols):
                if a[r * cols + j] > a[r * cols + best]:
                    best = j
            if use_labels:
                label = net.lb[r]
                total += _neg_log_softmax(z + r * cols, a[r * cols + label], label, cols)
                for j in range(cols):
                    dz[r * cols + j] = <real>(a[r * cols + j] * scale)
                dz[r * cols + label] -= <real>scale
                correct[0] += best == label
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
        return total / rows
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


cdef void _forward_layers(_Net *net, const real *x, Py_ssize_t rows) noexcept nogil:
    cdef int l
    cdef const real *inp = x
    cdef real *p = <real *>net.params
    for l in range(net.n_layers):
        _gemm(False, False, <int>rows, <int>net.sizes[l + 1], <int>net.sizes[l], <real>1,
              inp, <int>net.sizes[l], p + net.w_off[l], <int>net.sizes[l + 1], <real>0,
              <real *>net.z[l], <int>net.sizes[l + 1])
        _bias_activation(<real *>net.z[l], <real *>net.a[l], p + net.b_off[l], rows,
                         net.sizes[l + 1], net.act[l], net.param[l])
        inp = <real *>net.a[l]


cdef double _backward_layers(_Net *net, const real *x, Py_ssize_t rows) noexcept nogil:
    """Gradients of all parameters into net.grads from dL/dZ of the output
    layer in net.dz.  Returns 0.5 * l2 * sum ||W||^2 (0 without l2)."""
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
              dz, <int>n_out, <real>0, g + net.w_off[l], <int>n_out)
        if net.l2 != 0:
            if real is float:
                penalty += fnn_l2_grad_f32(p + net.w_off[l], g + net.w_off[l],
                                           n_in * n_out, <float>net.l2)
            else:
                penalty += fnn_l2_grad_f64(p + net.w_off[l], g + net.w_off[l],
                                           n_in * n_out, net.l2)
        if l > 0:
            _gemm(False, True, <int>rows, <int>n_in, <int>n_out, <real>1, dz, <int>n_out,
                  p + net.w_off[l], <int>n_out, <real>0, da, <int>n_in)
            _activation_backward(da, <real *>net.saved[l - 1], da, rows, n_in,
                                 net.act[l - 1], net.param[l - 1])
            tmp = dz
            dz = da
            da = tmp
    return 0.5 * net.l2 * penalty


cdef void _update(_Net *net, _Opt *opt, real dtype_tag) noexcept nogil:
    """One fused pass of the optimizer over the flat parameter vector;
    dtype_tag only selects the float/double version (see
    _loss_and_output_grad)."""
    cdef real *w = <real *>net.params
    cdef real *g = <real *>net.grads
    cdef double bc1, bc2
    if opt.kind == FNN_SGD:
        if real is float:
            fnn_sgd_f32(w, g, <float *>opt.s1, net.n_params, <float>opt.lr,
                        <float>opt.momentum, opt.nesterov)
        else:
            fnn_sgd_f64(w, g, <double *>opt.s1, net.n_params, opt.lr, opt.momentum,
                        opt.nesterov)
        return
    opt.step += 1
    bc1 = 1 - opt.beta1 ** <double>opt.step
    bc2 = 1 - opt.beta2 ** <double>opt.step
    if real is float:
        fnn_adam_f32(w, g, <float *>opt.s1, <float *>opt.s2, net.n_params,
                     <float>(opt.lr / bc1), <float>opt.beta1, <float>opt.beta2,
                     <float>(1 / bc2 ** 0.5), <float>opt.eps)
    else:
        fnn_adam_f64(w, g, <double *>opt.s1, <double *>opt.s2, net.n_params,
                     opt.lr / bc1, opt.beta1, opt.beta2, 1 / bc2 ** 0.5, opt.eps)


cdef bint _gather(_Net *net, const real *X, const real *Y, const long long *labels,
                  Py_ssize_t n, const long long *idx, Py_ssize_t rows) noexcept nogil:
    """Copy the batch's rows of X and of the targets into the workspace;
    False (nothing read) if a row index or a label is out of range."""
    cdef Py_ssize_t r, n_in = net.sizes[0], n_out = net.sizes[net.n_layers]
    cdef real *xb = <real *>net.xb
    cdef real *yb = <real *>net.yb
    for r in range(rows):
        if idx[r] < 0 or idx[r] >= n or (labels != NULL and not 0 <= labels[idx[r]] < n_out):
            return False
    for r in range(rows):
        memcpy(xb + r * n_in, X + idx[r] * n_in, n_in * sizeof(real))
        if labels != NULL:
            net.lb[r] = labels[idx[r]]
        else:
            memcpy(yb + r * n_out, Y + idx[r] * n_out, n_out * sizeof(real))
    return True


cdef bint _signal_raised() noexcept nogil:
    """Run Python's pending signal handlers; True if one raised (the
    exception is then set, and the caller must stop and propagate it)."""
    with gil:
        return _check_signals() != 0


cdef int _propagate_pending() except -1:
    """Propagate the exception a signal handler set during the epoch."""
    return -1


cdef int _run_epoch(_Net *net, _Opt *opt, const real *X, const real *Y,
                    const long long *labels, Py_ssize_t n, const long long *perm,
                    Py_ssize_t n_rows, bint update, double *loss_sum,
                    Py_ssize_t *correct) noexcept nogil:
    """The mini-batches of rows perm[0:n_rows] of X (n rows), in order (with
    update=False: the gradient of one batch).  Returns -1 when done, -2 for
    an index or label out of range, _INTERRUPTED when a signal handler
    raised after a finished mini-batch (its exception is set), else the
    number of the first batch whose loss was not finite (its update is not
    applied)."""
    cdef Py_ssize_t start = 0, rows
    cdef int batch_no = 0, status = -1
    cdef double loss
    cdef long long now, last_check = fnn_monotonic_ns()
    cdef unsigned int fp_mode = fnn_ftz_begin()
    while start < n_rows:
        now = fnn_monotonic_ns()
        if now - last_check >= _SIGNAL_CHECK_NS:
            last_check = now
            if _signal_raised():
                status = _INTERRUPTED
                break
        rows = min(net.batch, n_rows - start)
        if not _gather(net, X, Y, labels, n, perm + start, rows):
            status = -2
            break
        start += rows
        _forward_layers(net, <real *>net.xb, rows)
        loss = _loss_and_output_grad(net, <real>0, rows, labels != NULL, correct)
        loss += _backward_layers(net, <real *>net.xb, rows)
        if not isfinite(loss):
            status = batch_no
            break
        loss_sum[0] += loss * rows
        if update:
            _update(net, opt, <real>0)
        batch_no += 1
    fnn_ftz_end(fp_mode)
    return status


cdef class Trainer:
    """Workspace and compiled loop of one network shape, batch size and dtype.

    Holds every buffer a mini-batch needs, allocated once; :meth:`epoch`
    then runs a whole epoch without the GIL.  Built and driven by
    fastnn.network.Network, which validates everything first.
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

    def __init__(self, sizes, act_ids, act_params, saves_output, int loss_id,
                 double l2, Py_ssize_t batch, params, grads, w_offsets, b_offsets):
        for arr, name in ((params, "params"), (grads, "grads")):
            if not isinstance(arr, np.ndarray):
                raise TypeError(f"{name} must be a numpy.ndarray, got {type(arr).__name__}")
        cdef cnp.ndarray p = params
        cdef cnp.ndarray g = grads
        cdef int L = len(sizes) - 1
        if L < 1 or len(act_ids) != L or len(act_params) != L or len(saves_output) != L:
            raise ValueError("one activation per layer expected")
        if batch < 1:
            raise ValueError(f"batch must be at least 1, got {batch}")
        # Every BLAS dimension of the epoch (m, n, k and the leading
        # dimensions) is a layer width or the batch size, passed as int.
        for l in range(L + 1):
            if sizes[l] > _BLAS_INT_MAX:
                raise ValueError(f"layer width sizes[{l}] = {sizes[l]} exceeds the "
                                 f"{_BLAS_INT_MAX} that 32-bit BLAS can index")
        if batch > _BLAS_INT_MAX:
            raise ValueError(f"batch = {batch} exceeds the {_BLAS_INT_MAX} that 32-bit "
                             f"BLAS can index")
        if loss_id not in (FNN_MSE, FNN_BCE, FNN_CE):
            raise ValueError(f"unknown loss id {loss_id}")
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
        self._sizes = np.asarray(sizes, dtype=np.intp)
        self._act = np.asarray(act_ids, dtype=np.intc)
        self._param = np.asarray(act_params, dtype=np.float64)
        self._w_off = np.asarray(w_offsets, dtype=np.intp)
        self._b_off = np.asarray(b_offsets, dtype=np.intp)
        for l in range(L):
            if (self._w_off[l] < 0 or self._w_off[l] + sizes[l] * sizes[l + 1] > n_params
                    or self._b_off[l] < 0 or self._b_off[l] + sizes[l + 1] > n_params):
                raise ValueError("parameter offsets out of range")
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
        self.net.n_layers = L
        self.net.sizes = <Py_ssize_t *>cnp.PyArray_DATA(self._sizes)
        self.net.act = <int *>cnp.PyArray_DATA(self._act)
        self.net.param = <double *>cnp.PyArray_DATA(self._param)
        self.net.w_off = <Py_ssize_t *>cnp.PyArray_DATA(self._w_off)
        self.net.b_off = <Py_ssize_t *>cnp.PyArray_DATA(self._b_off)
        self.net.n_params = n_params
        self.net.loss = loss_id
        self.net.l2 = l2
        self.net.batch = batch
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

    def run(self, cnp.ndarray X not None, cnp.ndarray Y, cnp.ndarray labels,
            cnp.ndarray perm not None, optimizer=None):
        """Run the mini-batches of `perm` (rows of X, in that order).

        With an optimizer (a dict: kind, lr, momentum, nesterov, beta1, beta2,
        eps, step, s1, s2), update the parameters after each batch; without,
        `perm` must fit in one batch and only the gradients are computed.
        Y holds float targets (n, n_out) or is None with integer `labels`.

        Returns (loss_sum, correct, bad_batch, step): the sum over samples of
        the batch losses, the correct predictions, the index of the first
        batch whose loss was not finite (-1 if none) and Adam's new step.

        Python's signal handlers run every ~20 ms between mini-batches; an
        exception they raise (KeyboardInterrupt for Ctrl-C) propagates from
        here, leaving the parameters and optimizer buffers of the last
        finished mini-batch (finite; Adam's step is then not returned, so a
        caller that catches it restores its epoch-start snapshot).

        Raises TypeError/ValueError (never reads out of bounds) for arrays of
        the wrong type, shape, dtype or layout, an unknown optimizer kind or
        state buffers that do not fit it.
        """
        if cnp.PyArray_NDIM(X) != 2 or cnp.PyArray_NDIM(perm) != 1:
            raise ValueError(f"X must be 2-D and perm 1-D, got shapes {(<object>X).shape} and "
                             f"{(<object>perm).shape}")
        if labels is None and Y is None:
            raise TypeError("Y (float targets) or labels (class indices) is needed")
        cdef Py_ssize_t n_in = self.net.sizes[0], n_out = self.net.sizes[self.net.n_layers]
        cdef Py_ssize_t n = cnp.PyArray_DIMS(X)[0], n_rows = cnp.PyArray_DIMS(perm)[0]
        _check_2d(X, n, n_in, self.typenum, "X", True)
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
        cdef _Opt opt
        memset(&opt, 0, sizeof(opt))
        cdef bint update = optimizer is not None
        if update:
            if optimizer["kind"] not in (FNN_SGD, FNN_ADAM):
                raise ValueError(f"optimizer kind must be {<int>FNN_SGD} (sgd) or {<int>FNN_ADAM} (adam), "
                                 f"got {optimizer['kind']!r}")
            opt.kind = optimizer["kind"]
            opt.lr = optimizer["lr"]
            opt.momentum = optimizer["momentum"]
            opt.nesterov = optimizer["nesterov"]
            opt.beta1 = optimizer["beta1"]
            opt.beta2 = optimizer["beta2"]
            opt.eps = optimizer["eps"]
            opt.step = optimizer["step"]
            for key in ("s1", "s2"):
                s = optimizer[key]
                if s is None:
                    continue
                if not isinstance(s, np.ndarray):
                    raise TypeError(f"optimizer state {key} must be a numpy.ndarray or "
                                    f"None, got {type(s).__name__}")
                if (s.dtype != self._params.dtype or s.shape != (self.net.n_params,)
                        or not s.flags.c_contiguous or not s.flags.writeable
                    or not s.flags.aligned):
                    raise ValueError(f"optimizer state {key} does not fit the parameters")
            if opt.kind == FNN_ADAM and (optimizer["s1"] is None or optimizer["s2"] is None):
                raise ValueError("Adam needs both state buffers")
            if opt.kind == FNN_SGD and opt.momentum != 0 and optimizer["s1"] is None:
                raise ValueError("SGD with momentum needs its buffer")
            opt.s1 = cnp.PyArray_DATA(optimizer["s1"]) if optimizer["s1"] is not None else NULL
            opt.s2 = cnp.PyArray_DATA(optimizer["s2"]) if optimizer["s2"] is not None else NULL
        elif n_rows > self.net.batch:
            raise ValueError("gradients of more rows than the batch size")
        cdef double loss_sum = 0
        cdef Py_ssize_t correct = 0
        cdef int bad
        cdef const long long *lab = <long long *>cnp.PyArray_DATA(labels) \
            if labels is not None else NULL
        cdef const long long *idx = <long long *>cnp.PyArray_DATA(perm)
        if self.typenum == cnp.NPY_FLOAT32:
            with nogil:
                bad = _run_epoch[float](&self.net, &opt, <float *>cnp.PyArray_DATA(X),
                                        <float *>cnp.PyArray_DATA(Y) if lab == NULL else NULL,
                                        lab, n, idx, n_rows, update, &loss_sum, &correct)
        else:
            with nogil:
                bad = _run_epoch[double](&self.net, &opt, <double *>cnp.PyArray_DATA(X),
                                         <double *>cnp.PyArray_DATA(Y) if lab == NULL else NULL,
                                         lab, n, idx, n_rows, update, &loss_sum, &correct)
        if bad == _INTERRUPTED:
            # The parameters and optimizer state are those after the last
            # finished mini-batch; the caller restores what it wants kept.
            _propagate_pending()
        if bad == -2:
            raise ValueError(f"perm must index rows of X in [0, {n}) and labels lie "
                             f"in [0, {n_out})")
        return loss_sum, correct, bad, opt.step

