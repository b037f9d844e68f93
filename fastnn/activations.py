"""Activation functions, their derivatives and fused backward passes.

Every activation ``name`` comes as three functions, all computed by the
compiled SIMD kernels of :mod:`fastnn._kernels`:

- ``name(x, ..., out=None)``: the activation f(x);
- ``name_derivative(x, ..., out=None)``: f'(x), from the input;
- ``name_backward(grad, saved, ..., out=None)``: ``grad * f'(.)`` in one pass,
  where ``saved`` is what the forward pass keeps: the forward *output* for
  sigmoid and tanh (f' is cheap in y: y(1-y), 1-y^2, as in PyTorch's
  ``sigmoid_backward``) and the forward *input* for every other activation.

:func:`get_activation` maps a name to these functions; it is the one table
the network and the benchmarks read.

Common behaviour
----------------
dtype
    float32 and float64 are computed natively and preserved; bool and
    integers become float64, float16 becomes float32 (as NumPy ufuncs do).
    complex, object, string and long double inputs raise ``TypeError``.
shape
    Any shape, 0-d and empty arrays, Python scalars and lists; non-contiguous
    and negative-stride views.  A 0-d result without ``out`` is returned as a
    NumPy scalar.
out
    An ndarray of the result's shape and dtype, written in place and
    returned; it may be the input itself.  A wrong dtype raises
    ``TypeError``, a wrong shape or a read-only array ``ValueError``, and
    nothing is written.
threads
    The GIL is released; large arrays are split across
    :func:`fastnn.get_num_threads` OpenMP threads with bitwise-identical
    results.
"""
from dataclasses import dataclass
import inspect
from typing import Callable, Optional

from fastnn import _kernels

__all__ = ["Activation", "get_activation", "ACTIVATIONS", "softmax", "log_softmax",
           "softmax_backward"]

_FORWARD, _DERIVATIVE = 0, 1

_SHARED_DOC = """
    out : numpy.ndarray, optional
        Where to write the result: same shape as the input and the result's
        dtype.  May be the input itself.

    Returns
    -------
    numpy.ndarray or numpy scalar
        {returns}, float32 or float64 (the input's, or float64 for
        bool/integer input), shaped like the input; ``out`` if given.

    Raises
    ------
    TypeError
        If an input is not real-valued (complex, object, string) or ``out``
        has the wrong dtype or is not an ndarray.
    ValueError
        If ``out`` has the wrong shape or is read-only{extra_raises}.
"""


@dataclass(frozen=True)
class _Doc:
    """How the docstrings describe one activation (the math is in C)."""
    title: str
    formula: str
    derivative: str
    param: Optional[str] = None     # keyword name of the parameter
    default: Optional[float] = None
    param_doc: str = ""


# Docstrings by name.  Which activations exist, their ids, what the backward
# reads and the default init come from the C list (fnn_activation_list.h,
# read through _kernels.activation_table()); tests check both agree.
_DOCS = {
    "identity": _Doc("Identity (linear) activation", "f(x) = x", "f'(x) = 1"),
    "sigmoid": _Doc("Logistic sigmoid", "f(x) = 1 / (1 + exp(-x)), computed without overflow",
                    "f'(x) = f(x) (1 - f(x)), without cancellation in the tails"),
    "tanh": _Doc("Hyperbolic tangent", "f(x) = tanh(x); tanh(-0.0) = -0.0",
                 "f'(x) = 1 - tanh(x)^2 = sech(x)^2, accurate in the tails"),
    "relu": _Doc("Rectified linear unit", "f(x) = max(0, x)",
                 "f'(x) = 1 for x >= 0, else 0 (the convention ReLU'(0) = 1)"),
    "leaky_relu": _Doc("Leaky rectified linear unit",
                       "f(x) = x for x >= 0, else alpha x", "f'(x) = 1 for x >= 0, else alpha",
                       "alpha", 0.01, "Slope for negative inputs, in [0, 1]."),
    "elu": _Doc("Exponential linear unit", "f(x) = x for x >= 0, else alpha (exp(x) - 1)",
                "f'(x) = 1 for x >= 0, else alpha exp(x)", "alpha", 1.0,
                "Scale of the negative branch, >= 0."),
    "softplus": _Doc("Softplus", "f(x) = log(1 + exp(x)), computed without overflow",
                     "f'(x) = sigmoid(x)"),
    "silu": _Doc("Sigmoid-weighted linear unit (swish)", "f(x) = x sigmoid(x)",
                 "f'(x) = sigmoid(x) (1 + x (1 - sigmoid(x)))"),
    "gelu": _Doc("Gaussian error linear unit",
                 "f(x) = x Phi(x) = x erfc(-x / sqrt 2) / 2 (approximate='none'), or "
                 "x sigmoid(2 sqrt(2/pi) (x + 0.044715 x^3)) = 0.5 x (1 + tanh(...)) "
                 "(approximate='tanh')",
                 "f'(x) = Phi(x) + x phi(x) (exact), or the derivative of the tanh form",
                 "approximate", "none",
                 "'none' for the exact erf form, 'tanh' for the tanh approximation."),
}

# C kernels that are a parameter value of another public function rather
# than functions of their own: name -> (public function, fixed keywords).
_VARIANT_OF = {"gelu_tanh": ("gelu", {"approximate": "tanh"})}


@dataclass(frozen=True)
class _Spec:
    """What the docstrings and the registry need to know of one activation."""
    name: str
    title: str
    formula: str
    derivative: str
    saves: str                      # "output" or "input"
    param: Optional[str] = None     # keyword name of the parameter
    default: Optional[float] = None
    param_doc: str = ""
    default_init: str = "glorot_uniform"


def _spec(name, saves, default_init):
    doc = _DOCS.get(name) or _Doc(name, f"f(x) = {name}(x)", f"f'(x) = {name}'(x)")
    return _Spec(name, doc.title, doc.formula, doc.derivative, saves, doc.param, doc.default,
                 doc.param_doc, default_init)


# One public function family per C kernel, in the C list's order.
_SPECS = [_spec(name, saves, init) for name, _, saves, init in _kernels.activation_table()
          if name not in _VARIANT_OF]


def _kernel_id_and_param(spec, value):
    """The C kernel id and numeric parameter for a call, validating `value`."""
    if spec.param is None:
        return _kernels.ACTIVATION_IDS[spec.name], 0.0
    if spec.name == "gelu":
        if value not in ("none", "tanh"):
            raise ValueError(f"approximate must be 'none' or 'tanh', got {value!r}")
        return _kernels.ACTIVATION_IDS["gelu" if value == "none" else "gelu_tanh"], 0.0
    try:
        alpha = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{spec.param} must be a real number, got {value!r}") from None
    if spec.name == "leaky_relu" and not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    if spec.name == "elu" and not alpha >= 0.0:
        raise ValueError(f"alpha must be >= 0, got {alpha}")
    return _kernels.ACTIVATION_IDS[spec.name], alpha


def _param_section(spec):
    if spec.param is None:
        return ""
    return f"    {spec.param} : {'str' if spec.name == 'gelu' else 'float'}, " \
           f"default {spec.default!r}\n        {spec.param_doc}\n"


def _raises_extra(spec):
    return f", or ``{spec.param}`` is out of range" if spec.param else ""


def _make_callable(spec, kind):
    """The bare function.  Closures over the kernel id keep a call at about
    0.2 us of Python overhead, which matters for small arrays; the parameter
    keeps its public name (alpha, approximate) so it can be passed by keyword."""
    backward = kind == "backward"
    what = _FORWARD if kind == "forward" else _DERIVATIVE
    if spec.param is None:
        act, _ = _kernel_id_and_param(spec, None)
        if backward:
            def fn(grad, saved, out=None):
                return _kernels.backward(act, grad, saved, out, 0.0)
        else:
            def fn(x, out=None):
                return _kernels.elementwise(what, act, x, out, 0.0)
    elif spec.param == "alpha":
        if backward:
            def fn(grad, saved, alpha=spec.default, out=None):
                act, p = _kernel_id_and_param(spec, alpha)
                return _kernels.backward(act, grad, saved, out, p)
        else:
            def fn(x, alpha=spec.default, out=None):
                act, p = _kernel_id_and_param(spec, alpha)
                return _kernels.elementwise(what, act, x, out, p)
    else:
        if backward:
            def fn(grad, saved, approximate="none", out=None):
                act, p = _kernel_id_and_param(spec, approximate)
                return _kernels.backward(act, grad, saved, out, p)
        else:
            def fn(x, approximate="none", out=None):
                act, p = _kernel_id_and_param(spec, approximate)
                return _kernels.elementwise(what, act, x, out, p)
    return fn


def _build(spec, kind):
    """One public function of `spec`: kind is 'forward', 'derivative' or 'backward'."""
    fn = _make_callable(spec, kind)
    pos = inspect.Parameter.POSITIONAL_OR_KEYWORD
    tail = ([inspect.Parameter(spec.param, pos, default=spec.default)] if spec.param else []) \
        + [inspect.Parameter("out", pos, default=None)]
    if kind == "backward":
        params = [inspect.Parameter("grad", pos), inspect.Parameter("saved", pos)]
        fn.__name__ = f"{spec.name}_backward"
        what = "forward output y" if spec.saves == "output" else "forward input x"
        doc = (f"Fused backward of {spec.name}: ``grad * f'(.)`` in one pass.\n\n"
               f"    {spec.derivative}; evaluated from the {what}.\n\n"
               "    Parameters\n    ----------\n"
               "    grad : array_like\n        Gradient of the loss with respect to the "
               "activation's output.\n"
               f"    saved : array_like\n        The {what} of the forward pass, "
               "same shape as ``grad``.\n" + _param_section(spec)
               + _SHARED_DOC.format(returns="``grad * f'(.)``, the gradient with respect "
                                    "to the activation's input",
                                    extra_raises=", ``grad`` and ``saved`` differ in shape"
                                    + _raises_extra(spec)))
    else:
        params = [inspect.Parameter("x", pos)]
        fn.__name__ = spec.name if kind == "forward" else f"{spec.name}_derivative"
        formula = spec.formula if kind == "forward" else spec.derivative
        doc = (f"{spec.title}{'' if kind == 'forward' else ', derivative'}, elementwise.\n\n"
               f"    {formula}.\n\n"
               "    Parameters\n    ----------\n    x : array_like\n        Input of any shape.\n"
               + _param_section(spec)
               + _SHARED_DOC.format(returns="f(x)" if kind == "forward" else "f'(x)",
                                    extra_raises=_raises_extra(spec)))
    fn.__qualname__ = fn.__name__
    fn.__module__ = "fastnn"
    fn.__doc__ = doc
    fn.__signature__ = inspect.Signature(params + tail)
    return fn


@dataclass(frozen=True)
class Activation:
    """An activation as the network and benchmarks see it.

    Attributes
    ----------
    name : str
    forward : callable
        ``forward(x, out=None)``: f(x).
    derivative : callable or None
        ``derivative(x, out=None)``: f'(x); None for softmax, whose
        derivative is a Jacobian.
    backward : callable
        ``backward(grad, saved, out=None)``: grad * f'(.).
    saves : str
        ``"output"`` or ``"input"``: what ``backward`` takes as ``saved``.
    kernel_id : int or None
        Id of the C kernel (None for softmax), for the compiled layers.
    param : float
        The numeric parameter the kernel takes (alpha), 0 if none.
    default_init : str
        The weight init a network uses for the layer this activation ends:
        ``"he_uniform"`` for the ReLU family, ``"glorot_uniform"`` otherwise.
    """
    name: str
    forward: Callable
    derivative: Optional[Callable]
    backward: Callable
    saves: str
    kernel_id: Optional[int]
    param: float = 0.0
    default_init: str = "glorot_uniform"


_namespace = {}
for _spec in _SPECS:
    for _kind in ("forward", "derivative", "backward"):
        _f = _build(_spec, _kind)
        _namespace[_f.__name__] = _f
globals().update(_namespace)
__all__ += sorted(_namespace)


def softmax(x, axis=-1, out=None):
    """Softmax along an axis: ``exp(x - max) / sum(exp(x - max))``.

    Shifted by the maximum along ``axis`` so that nothing overflows; a slice
    holding NaN or +inf, or only -inf, gives NaN.

    Parameters
    ----------
    x : array_like
        Input with at least one dimension.
    axis : int, default -1
        Axis along which the outputs sum to 1.
    out : numpy.ndarray, optional
        Where to write the result (shape and dtype of the result).

    Returns
    -------
    numpy.ndarray
        Same shape as ``x``, float32 or float64.

    Raises
    ------
    TypeError
        If ``x`` is not real-valued or ``out`` has the wrong dtype.
    ValueError
        If ``x`` is 0-d, ``out`` has the wrong shape or is read-only.
    numpy.exceptions.AxisError
        If ``axis`` is out of range (a ValueError too).
    """
    return _kernels.rowwise(0, x, None, _as_axis(axis), out)


def log_softmax(x, axis=-1, out=None):
    """Log of the softmax along an axis: ``(x - max) - log(sum(exp(x - max)))``.

    Parameters, returns and raises as :func:`softmax`.
    """
    return _kernels.rowwise(1, x, None, _as_axis(axis), out)


def softmax_backward(grad, y, axis=-1, out=None):
    """Fused backward of softmax: ``y * (grad - sum(grad * y, axis))``.

    Parameters
    ----------
    grad : array_like
        Gradient of the loss with respect to the softmax output.
    y : array_like
        The softmax output of the forward pass, same shape as ``grad``.
    axis : int, default -1
        The axis the softmax was taken along.
    out : numpy.ndarray, optional
        Where to write the result; may be ``grad`` itself.

    Returns
    -------
    numpy.ndarray
        Gradient with respect to the softmax input, shaped like ``grad``.

    Raises
    ------
    TypeError, ValueError
        As :func:`softmax`, and ValueError if ``grad`` and ``y`` differ in shape.
    """
    return _kernels.rowwise(2, grad, y, _as_axis(axis), out)


def _as_axis(axis):
    if isinstance(axis, bool) or not isinstance(axis, (int,)) and not hasattr(axis, "__index__"):
        raise TypeError(f"axis must be an integer, got {axis!r}")
    return int(axis.__index__())


def _registry():
    """name -> Activation for every C kernel (the list's order), then softmax."""
    specs = {spec.name: spec for spec in _SPECS}
    table = {}
    for name, kernel_id, saves, default_init in _kernels.activation_table():
        public, fixed = _VARIANT_OF.get(name, (name, {}))
        spec = specs[public]
        fwd, der, bwd = (_namespace[public], _namespace[f"{public}_derivative"],
                         _namespace[f"{public}_backward"])
        if fixed:
            fwd, der, bwd = (_bound(f, **fixed) for f in (fwd, der, bwd))
        table[name] = Activation(name, fwd, der, bwd, saves, kernel_id,
                                 float(spec.default) if spec.param == "alpha" else 0.0,
                                 default_init)
    table["softmax"] = Activation("softmax", softmax, None, softmax_backward, "output", None)
    return table


def _bound(fn, **fixed):
    def bound(*args, **kwargs):
        return fn(*args, **fixed, **kwargs)
    bound.__name__ = fn.__name__
    bound.__doc__ = fn.__doc__
    return bound


ACTIVATIONS = _registry()


def get_activation(name):
    """Look up an activation by name.

    Parameters
    ----------
    name : str
        One of ``sorted(fastnn.ACTIVATIONS)``: identity, sigmoid, tanh, relu,
        leaky_relu, elu, softplus, silu, gelu, gelu_tanh, softmax.

    Returns
    -------
    Activation
        With ``forward``, ``derivative``, ``backward`` and ``saves``.

    Raises
    ------
    ValueError
        If the name is unknown; the message lists the known names.
    TypeError
        If ``name`` is not a string.
    """
    if not isinstance(name, str):
        raise TypeError(f"activation name must be a string, got {type(name).__name__}")
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError(f"unknown activation {name!r}; known: "
                         f"{', '.join(sorted(ACTIVATIONS))}") from None
