# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False, embedsignature=True
"""Compiled dense layer of fastnn: Z = X @ W + b, A = f(Z), and its backward.

The checked, documented entry points are in fastnn/dense.py.  The def
functions here are private, but each still re-checks (cheaply) everything its
pointers depend on -- None, rank, shape, dtype, contiguity, alignment, byte
order, writeability of outputs -- so that a wrong call raises
TypeError/ValueError instead of reading or writing out of bounds.  The passes
themselves are in _dense.pxd, shared with the training loop (_trainer.pyx).
"""
cimport numpy as cnp

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


def dense_forward_into(cnp.ndarray X not None, cnp.ndarray W not None,
                       cnp.ndarray b not None, int act, double param,
                       cnp.ndarray Z not None, cnp.ndarray A not None):
    """Z = X @ W + b, A = f(Z) (A may be Z).  X, W C- or F-contiguous; b, Z, A
    C-contiguous; all of one dtype (checked).  Unchecked wrapper of the
    public fastnn.dense_forward."""
    _check_rank_2(X, W)
    cdef Py_ssize_t n = cnp.PyArray_DIMS(X)[0], n_in = cnp.PyArray_DIMS(X)[1]
    cdef Py_ssize_t n_out = cnp.PyArray_DIMS(W)[1]
    cdef int typenum = cnp.PyArray_TYPE(X)
    if typenum != cnp.NPY_FLOAT32 and typenum != cnp.NPY_FLOAT64:
        raise TypeError(f"X must be float32 or float64, got {X.dtype}")
    if not (act == FNN_SOFTMAX_ID or 0 <= act < FNN_N_ACTIVATIONS):
        raise ValueError(f"unknown activation id {act}")
    _check_2d(X, n, n_in, typenum, "X")
    _check_2d(W, n_in, n_out, typenum, "W")
    _check_2d(b.reshape(1, -1), 1, n_out, typenum, "b", True)
    _check_2d(Z, n, n_out, typenum, "Z", True, True)
    _check_2d(A, n, n_out, typenum, "A", True, True)
    cdef void *px
    cdef void *pw
    cdef int ldx, ldw
    cdef bint tx, tw
    _operand(X, &px, &ldx, &tx)
    _operand(W, &pw, &ldw, &tw)
    if typenum == cnp.NPY_FLOAT32:
        with nogil:
            _dense_forward_impl[float](<float *>px, ldx, tx, <float *>pw, ldw, tw,
                                       <float *>cnp.PyArray_DATA(b),
                                       <float *>cnp.PyArray_DATA(Z),
                                       <float *>cnp.PyArray_DATA(A), n, n_in, n_out,
                                       act, param)
    else:
        with nogil:
            _dense_forward_impl[double](<double *>px, ldx, tx, <double *>pw, ldw, tw,
                                        <double *>cnp.PyArray_DATA(b),
                                        <double *>cnp.PyArray_DATA(Z),
                                        <double *>cnp.PyArray_DATA(A), n, n_in, n_out,
                                        act, param)


def dense_backward_into(cnp.ndarray grad_A not None, cnp.ndarray X not None,
                        cnp.ndarray W not None, cnp.ndarray saved not None, int act,
                        double param, cnp.ndarray dZ not None, cnp.ndarray grad_X,
                        cnp.ndarray grad_W not None, cnp.ndarray grad_b not None):
    """dZ = grad_A * f'(saved), grad_W = X^T dZ, grad_b = sum_rows dZ and, if
    grad_X is not None, grad_X = dZ W^T.  grad_A, saved, dZ (may be grad_A)
    and the outputs C-contiguous; X, W C- or F-contiguous; one dtype."""
    _check_rank_2(X, W)
    cdef Py_ssize_t n = cnp.PyArray_DIMS(X)[0], n_in = cnp.PyArray_DIMS(X)[1]
    cdef Py_ssize_t n_out = cnp.PyArray_DIMS(W)[1]
    cdef int typenum = cnp.PyArray_TYPE(X)
    if typenum != cnp.NPY_FLOAT32 and typenum != cnp.NPY_FLOAT64:
        raise TypeError(f"X must be float32 or float64, got {X.dtype}")
    if not (act == FNN_SOFTMAX_ID or 0 <= act < FNN_N_ACTIVATIONS):
        raise ValueError(f"unknown activation id {act}")
    _check_2d(X, n, n_in, typenum, "X")
    _check_2d(W, n_in, n_out, typenum, "W")
    _check_2d(grad_A, n, n_out, typenum, "grad_A", True)
    _check_2d(saved, n, n_out, typenum, "saved", True)
    _check_2d(dZ, n, n_out, typenum, "dZ", True, True)
    _check_2d(grad_W, n_in, n_out, typenum, "grad_W", True, True)
    _check_2d(grad_b.reshape(1, -1), 1, n_out, typenum, "grad_b", True, True)
    if grad_X is not None:        # optional: None skips the product
        _check_2d(grad_X, n, n_in, typenum, "grad_X", True, True)
    cdef void *px
    cdef void *pw
    cdef int ldx, ldw
    cdef bint tx, tw
    _operand(X, &px, &ldx, &tx)
    _operand(W, &pw, &ldw, &tw)
    cdef void *pgx = cnp.PyArray_DATA(grad_X) if grad_X is not None else NULL
    if typenum == cnp.NPY_FLOAT32:
        with nogil:
            _dense_backward_impl[float](
                <float *>cnp.PyArray_DATA(grad_A), <float *>cnp.PyArray_DATA(saved),
                <float *>cnp.PyArray_DATA(dZ), <float *>px, ldx, tx, <float *>pw, ldw, tw,
                <float *>pgx, <float *>cnp.PyArray_DATA(grad_W),
                <float *>cnp.PyArray_DATA(grad_b), n, n_in, n_out, act, param)
    else:
        with nogil:
            _dense_backward_impl[double](
                <double *>cnp.PyArray_DATA(grad_A), <double *>cnp.PyArray_DATA(saved),
                <double *>cnp.PyArray_DATA(dZ), <double *>px, ldx, tx, <double *>pw, ldw, tw,
                <double *>pgx, <double *>cnp.PyArray_DATA(grad_W),
                <double *>cnp.PyArray_DATA(grad_b), n, n_in, n_out, act, param)
