"""The baselines of the kernel cases: NumPy formulas and PyTorch's ops.

- ``numpy``: the best pure-NumPy expression of each formula, written with
  ``out=`` ufuncs into the case's preallocated scratch arrays (nothing is
  allocated per call: a fresh float32 output costs about 1.5 ns/element in
  page faults, more than the math);
- ``torch``: PyTorch's CPU op (the one autograd uses for the backward) on
  ``torch.from_numpy`` views of the same arrays, with ``out=``.

Each builder takes the case's :class:`fastnn.bench.kernel_cases.Arrays`
(``a``) and returns a zero-argument callable writing ``a.out``.
"""
import math

import numpy as np

LEAKY_ALPHA = 0.01
ELU_ALPHA = 1.0
GELU_C = math.sqrt(2.0 / math.pi)
GELU_K = 0.044715


# --------------------------------------------------------------------------
# NumPy: the same formulas with out= ufuncs, no allocation per call
# --------------------------------------------------------------------------

def _np_sigmoid_into(x, out):
    """out = 1 / (1 + exp(-x)) in four in-place passes."""
    np.negative(x, out=out)
    np.exp(out, out=out)
    np.add(out, 1, out=out)
    np.reciprocal(out, out=out)


def numpy_forward(function, a):
    x, out, tmp = a.x, a.out, a.tmp
    if function == "identity":
        return lambda: np.copyto(out, x)
    if function == "sigmoid":
        return lambda: _np_sigmoid_into(x, out)
    if function == "tanh":
        return lambda: np.tanh(x, out=out)
    if function == "relu":
        return lambda: np.maximum(x, 0, out=out)
    if function == "leaky_relu":
        def run():      # max(x, alpha x) holds for alpha in [0, 1]; faster than np.where
            np.multiply(x, LEAKY_ALPHA, out=out)
            np.maximum(x, out, out=out)
        return run
    if function == "elu":
        def run():      # max(x, 0) + alpha * expm1(min(x, 0))
            np.minimum(x, 0, out=tmp)
            np.expm1(tmp, out=tmp)
            np.multiply(tmp, ELU_ALPHA, out=tmp)
            np.maximum(x, 0, out=out)
            np.add(out, tmp, out=out)
        return run
    if function == "softplus":
        def run():      # max(x, 0) + log1p(exp(-|x|)), the stable form
            np.abs(x, out=tmp)
            np.negative(tmp, out=tmp)
            np.exp(tmp, out=tmp)
            np.log1p(tmp, out=tmp)
            np.maximum(x, 0, out=out)
            np.add(out, tmp, out=out)
        return run
    if function == "silu":
        def run():
            _np_sigmoid_into(x, out)
            np.multiply(out, x, out=out)
        return run
    if function == "gelu":
        erf = scipy_erf()
        if erf is None:
            return None

        def run():      # 0.5 x (1 + erf(x / sqrt 2))
            np.multiply(x, 1 / math.sqrt(2), out=out)
            erf(out, out=out)
            np.add(out, 1, out=out)
            np.multiply(out, x, out=out)
            np.multiply(out, 0.5, out=out)
        return run
    if function == "gelu_tanh":
        def run():      # 0.5 x (1 + tanh(c (x + k x^3)))
            np.multiply(x, x, out=out)
            np.multiply(out, GELU_C * GELU_K, out=out)
            np.add(out, GELU_C, out=out)
            np.multiply(out, x, out=out)
            np.tanh(out, out=out)
            np.add(out, 1, out=out)
            np.multiply(out, x, out=out)
            np.multiply(out, 0.5, out=out)
        return run
    if function == "softmax":
        x2, out2, rows = a.x2d, a.view2d(out), a.rows

        def run():      # exp(x - max) / sum, row by row
            np.max(x2, axis=1, keepdims=True, out=rows)
            np.subtract(x2, rows, out=out2)
            np.exp(out2, out=out2)
            np.sum(out2, axis=1, keepdims=True, out=rows)
            np.divide(out2, rows, out=out2)
        return run
    raise ValueError(f"no NumPy forward for {function!r}")


def numpy_backward(function, a):
    x, g, out, tmp, mask = a.x, a.grad, a.out, a.tmp, a.mask
    saved = a.saved(function)
    if function == "identity":
        return lambda: np.copyto(out, g)
    if function == "sigmoid":
        def run():      # g y (1 - y)
            np.subtract(1, saved, out=out)
            np.multiply(out, saved, out=out)
            np.multiply(out, g, out=out)
        return run
    if function == "tanh":
        def run():      # g (1 - y^2)
            np.multiply(saved, saved, out=out)
            np.subtract(1, out, out=out)
            np.multiply(out, g, out=out)
        return run
    if function == "relu":
        def run():      # g (x >= 0)
            np.greater_equal(x, 0, out=mask)
            np.multiply(g, mask, out=out)
        return run
    if function == "leaky_relu":
        def run():      # g where x >= 0, else alpha g
            np.greater_equal(x, 0, out=mask)
            np.multiply(g, LEAKY_ALPHA, out=out)
            np.copyto(out, g, where=mask)
        return run
    if function == "elu":
        def run():      # g (1 if x >= 0 else alpha exp(x))
            np.minimum(x, 0, out=tmp)
            np.exp(tmp, out=tmp)
            np.multiply(tmp, ELU_ALPHA, out=tmp)
            np.greater_equal(x, 0, out=mask)
            np.copyto(tmp, 1, where=mask)
            np.multiply(g, tmp, out=out)
        return run
    if function == "softplus":
        def run():      # g sigmoid(x)
            _np_sigmoid_into(x, out)
            np.multiply(out, g, out=out)
        return run
    if function == "silu":
        def run():      # g s (1 + x (1 - s)), s = sigmoid(x)
            _np_sigmoid_into(x, tmp)
            np.subtract(1, tmp, out=out)
            np.multiply(out, x, out=out)
            np.add(out, 1, out=out)
            np.multiply(out, tmp, out=out)
            np.multiply(out, g, out=out)
        return run
    if function == "gelu":
        erf = scipy_erf()
        if erf is None:
            return None
        tmp2 = a.tmp2

        def run():      # g (Phi(x) + x phi(x))
            np.multiply(x, 1 / math.sqrt(2), out=tmp)
            erf(tmp, out=tmp)
            np.add(tmp, 1, out=tmp)
            np.multiply(tmp, 0.5, out=tmp)                       # Phi(x)
            np.multiply(x, x, out=tmp2)
            np.multiply(tmp2, -0.5, out=tmp2)
            np.exp(tmp2, out=tmp2)
            np.multiply(tmp2, x, out=tmp2)
            np.multiply(tmp2, 1 / math.sqrt(2 * math.pi), out=tmp2)   # x phi(x)
            np.add(tmp, tmp2, out=out)
            np.multiply(out, g, out=out)
        return run
    if function == "gelu_tanh":
        tmp2 = a.tmp2

        def run():      # g (0.5 (1 + t) + 0.5 x (1 - t^2) c (1 + 3 k x^2))
            np.multiply(x, x, out=tmp2)                          # x^2
            np.multiply(tmp2, GELU_C * GELU_K, out=tmp)
            np.add(tmp, GELU_C, out=tmp)
            np.multiply(tmp, x, out=tmp)
            np.tanh(tmp, out=tmp)                                # t
            np.multiply(tmp2, 3 * GELU_K * GELU_C, out=tmp2)
            np.add(tmp2, GELU_C, out=tmp2)                      # c (1 + 3 k x^2)
            np.multiply(tmp, tmp, out=out)
            np.subtract(1, out, out=out)
            np.multiply(out, tmp2, out=out)
            np.multiply(out, x, out=out)
            np.add(out, tmp, out=out)
            np.add(out, 1, out=out)
            np.multiply(out, 0.5, out=out)
            np.multiply(out, g, out=out)
        return run
    if function == "softmax":
        g2, y2, out2, tmp2d, rows = (a.view2d(g), saved, a.view2d(out), a.view2d(tmp),
                                     a.rows)

        def run():      # y (g - sum(g y))
            np.multiply(g2, y2, out=tmp2d)
            np.sum(tmp2d, axis=1, keepdims=True, out=rows)
            np.subtract(g2, rows, out=out2)
            np.multiply(out2, y2, out=out2)
        return run
    raise ValueError(f"no NumPy backward for {function!r}")


def scipy_erf():
    """scipy.special.erf (a ufunc with out=): NumPy itself has no erf."""
    try:
        from scipy.special import erf
    except ImportError:
        return None
    return erf



# --------------------------------------------------------------------------
# PyTorch: the ops autograd runs, on views of the same arrays, with out=
# --------------------------------------------------------------------------

def torch_impl(function, kind, a, torch):
    t = torch.from_numpy
    x, g, out = t(a.x), t(a.grad), t(a.out)
    nn, aten = torch._C._nn, torch.ops.aten
    if function == "softmax":
        x2, g2, out2 = t(a.x2d), t(a.view2d(a.grad)), t(a.view2d(a.out))
        y2 = t(a.saved("softmax"))
        if kind == "forward":
            return lambda: aten._softmax.out(x2, 1, False, out=out2)
        return lambda: aten._softmax_backward_data.out(g2, y2, 1, x2.dtype,
                                                       grad_input=out2)
    if kind == "forward":
        table = {
            "identity": lambda: out.copy_(x),
            "sigmoid": lambda: torch.sigmoid(x, out=out),
            "tanh": lambda: torch.tanh(x, out=out),
            "relu": lambda: torch.clamp_min(x, 0, out=out),
            "leaky_relu": lambda: nn.leaky_relu(x, LEAKY_ALPHA, out=out),
            "elu": lambda: nn.elu(x, ELU_ALPHA, 1, 1, out=out),
            "softplus": lambda: nn.softplus(x, 1, 20, out=out),
            "silu": lambda: nn.silu(x, out=out),
            "gelu": lambda: nn.gelu(x, approximate="none", out=out),
            "gelu_tanh": lambda: nn.gelu(x, approximate="tanh", out=out),
        }
        return table[function]
    s = t(a.saved(function))
    table = {
        "identity": lambda: out.copy_(g),
        "sigmoid": lambda: aten.sigmoid_backward.grad_input(g, s, grad_input=out),
        "tanh": lambda: aten.tanh_backward.grad_input(g, s, grad_input=out),
        "relu": lambda: aten.threshold_backward.grad_input(g, s, 0, grad_input=out),
        "leaky_relu": lambda: aten.leaky_relu_backward.grad_input(
            g, s, LEAKY_ALPHA, False, grad_input=out),
        "elu": lambda: aten.elu_backward.grad_input(g, ELU_ALPHA, 1, 1, False, s,
                                                    grad_input=out),
        "softplus": lambda: aten.softplus_backward.grad_input(g, s, 1, 20, grad_input=out),
        "silu": lambda: aten.silu_backward.grad_input(g, s, grad_input=out),
        "gelu": lambda: aten.gelu_backward.grad_input(g, s, approximate="none",
                                                      grad_input=out),
        "gelu_tanh": lambda: aten.gelu_backward.grad_input(g, s, approximate="tanh",
                                                           grad_input=out),
    }
    return table[function]

