"""ONNX -> Network: read a chain of dense layers and activations.

A layer is ``Gemm(x, B, C)`` (``alpha = beta = 1``, ``transA = 0``, ``B``
either (n_in, n_out) or, with ``transB = 1``, (n_out, n_in)) or
``MatMul(x, W)`` optionally followed by ``Add(., b)``.  Between two layers
(or after the last) comes nothing (identity), a ``Softmax`` over the last
axis, or a region of elementwise operators on the layer's output with only
scalar constants: whatever exporter spelled it (``Relu``, ``LeakyRelu``,
``Mul(z, Sigmoid(z))``, ``0.5 z (1 + Erf(z / sqrt 2))``, the float64 forms of
:func:`fastnn.interop.to_onnx`...), the region is evaluated on probe points
and named after the fastnn activation it computes.
"""
import math
import os

import numpy as np

from fastnn._npz import open_regular
from fastnn.activations import ACTIVATIONS
from fastnn.interop._network_build import build_network, require
from fastnn.interop._onnx_export import LOSS_KEY, NETWORK_OUTPUT_KEY

_LINEAR_OPS = ("Gemm", "MatMul")
# Probe points: both signs, the kinks at 0 and the tails.
_PROBE = np.concatenate([np.linspace(-10.0, 10.0, 201), [-1e-3, -1e-6, 1e-6, 1e-3],
                         [-1e4, -1e3, -100.0, -30.0, 30.0, 100.0, 1e3, 1e4]])


def _attr(node, name, default):
    from onnx import helper
    for a in node.attribute:
        if a.name == name:
            value = helper.get_attribute_value(a)
            return value.decode() if isinstance(value, bytes) else value
    return default


def _sigmoid(x):
    return ACTIVATIONS["sigmoid"].forward(x)


def _elementwise_ops():
    from scipy.special import erf
    return {
        "Identity": lambda n, x: x,
        "Relu": lambda n, x: np.maximum(x, 0.0),
        "Sigmoid": lambda n, x: _sigmoid(x),
        "Tanh": lambda n, x: np.tanh(x),
        "LeakyRelu": lambda n, x: np.where(x >= 0, x, _attr(n, "alpha", 0.01) * x),
        "Elu": lambda n, x: np.where(x >= 0, x, _attr(n, "alpha", 1.0) * np.expm1(
            np.minimum(x, 0))),
        "Softplus": lambda n, x: ACTIVATIONS["softplus"].forward(x),
        "Gelu": lambda n, x: ACTIVATIONS["gelu" if _attr(n, "approximate", "none") == "none"
                                         else "gelu_tanh"].forward(x),
        "Swish": lambda n, x: x * _sigmoid(_attr(n, "alpha", 1.0) * x),
        "Erf": lambda n, x: erf(x),
        "Exp": lambda n, x: np.exp(x),
        "Log": lambda n, x: np.log(x),
        "Abs": lambda n, x: np.abs(x),
        "Neg": lambda n, x: -x,
        "Sqrt": lambda n, x: np.sqrt(x),
        "Sign": lambda n, x: np.sign(x),
        "Add": lambda n, x, y: x + y,
        "Sub": lambda n, x, y: x - y,
        "Mul": lambda n, x, y: x * y,
        "Div": lambda n, x, y: x / y,
        "Pow": lambda n, x, y: np.power(x, y),
        "Max": lambda n, *xs: np.maximum.reduce(np.broadcast_arrays(*xs)),
        "Min": lambda n, *xs: np.minimum.reduce(np.broadcast_arrays(*xs)),
        "Where": lambda n, c, x, y: np.where(c, x, y),
        "Greater": lambda n, x, y: x > y,
        "GreaterOrEqual": lambda n, x, y: x >= y,
        "Less": lambda n, x, y: x < y,
        "LessOrEqual": lambda n, x, y: x <= y,
    }


class _Graph:
    """Producers, consumers and constants of an ONNX graph."""

    def __init__(self, model):
        from onnx import numpy_helper
        graph = model.graph
        self.constants = {t.name: _constant_array(t, numpy_helper) for t in graph.initializer}
        self.nodes = []
        for node in graph.node:
            if node.domain not in ("", "ai.onnx"):
                raise ValueError(f"node {node.name!r}: operator {node.op_type} of domain "
                                 f"{node.domain!r} is not supported (only standard ONNX)")
            if node.op_type == "Constant":
                self.constants[node.output[0]] = self._constant_value(node, numpy_helper)
            else:
                self.nodes.append(node)
        self.consumers = {}
        for node in self.nodes:
            for name in node.input:
                if name:
                    self.consumers.setdefault(name, []).append(node)
        self.outputs = [o.name for o in graph.output]
        inputs = [i for i in graph.input if i.name not in self.constants]
        if len(inputs) != 1:
            raise ValueError(f"the model must have one input, it has {len(inputs)}: "
                             f"{[i.name for i in inputs]}")
        self.input = inputs[0]
        props = {p.key: p.value for p in model.metadata_props}
        self.network_output = props.get(NETWORK_OUTPUT_KEY)
        self.loss = props.get(LOSS_KEY)

    @staticmethod
    def _constant_value(node, numpy_helper):
        for a in node.attribute:
            if a.name == "value":
                return _constant_array(a.t, numpy_helper)
            if a.name in ("value_float", "value_int"):
                return np.array(a.f if a.name == "value_float" else a.i)
            if a.name in ("value_floats", "value_ints"):
                return np.array(list(a.floats) if a.name == "value_floats" else list(a.ints))
        raise ValueError(f"node {node.name!r}: Constant without a numeric value")

    def is_end(self, tensor):
        return tensor in self.outputs or tensor == self.network_output

    def single_consumer(self, tensor):
        users = self.consumers.get(tensor, [])
        if len(users) != 1:
            raise ValueError(f"tensor {tensor!r} feeds {len(users)} nodes "
                             f"({[n.op_type for n in users]}); a layer's output must feed "
                             f"exactly one layer or activation")
        return users[0]

    def constant(self, node, index, what):
        if index >= len(node.input) or not node.input[index]:
            return None
        name = node.input[index]
        if name not in self.constants:
            raise ValueError(f"node {node.name!r} ({node.op_type}): its {what} {name!r} "
                             f"must be a constant (an initializer)")
        return self.constants[name]


def _describe(node):
    return f"node {node.name!r} ({node.op_type})"


def _linear(g, node, tensor, n_in):
    """(W, b, output tensor) of the layer starting at ``node``."""
    if node.input[0] != tensor:
        raise ValueError(f"{_describe(node)} must take the previous layer as its first input")
    if node.op_type == "Gemm":
        for name, value in (("alpha", 1.0), ("beta", 1.0), ("transA", 0)):
            if _attr(node, name, value) != value:
                raise ValueError(f"{_describe(node)}: {name}={_attr(node, name, value)} is "
                                 f"not supported (only {name}={value})")
        W = g.constant(node, 1, "weight")
        if W.ndim != 2:
            raise ValueError(f"{_describe(node)}: weight has shape {W.shape}, expected 2-D")
        W = W.T if _attr(node, "transB", 0) else W
        b = g.constant(node, 2, "bias")
        out = node.output[0]
    else:
        W = g.constant(node, 1, "weight")
        if W.ndim != 2:
            raise ValueError(f"{_describe(node)}: weight has shape {W.shape}, expected 2-D")
        out, b = node.output[0], None
        users = g.consumers.get(out, [])
        if not g.is_end(out) and len(users) == 1 and users[0].op_type == "Add":
            add = users[0]
            other = 1 if add.input[0] == out else 0
            b = g.constant(add, other, "bias")
            out = add.output[0]
    if b is None:
        b = np.zeros(W.shape[1], W.dtype)
    if b.size != W.shape[1] or b.ndim > 2 or (b.ndim == 2 and b.shape[0] != 1):
        raise ValueError(f"{_describe(node)}: bias has shape {b.shape}, expected "
                         f"({W.shape[1]},)")
    if n_in is not None and W.shape[0] != n_in:
        raise ValueError(f"{_describe(node)}: weight takes {W.shape[0]} inputs, the previous "
                         f"layer gives {n_in}")
    return np.ascontiguousarray(W), b.reshape(-1), out


def _region(g, z):
    """The elementwise nodes fed by ``z``, and the one tensor they hand on."""
    ops = _elementwise_ops()
    region, produced, frontier = [], {z}, [z]
    while frontier:
        tensor = frontier.pop()
        if tensor != z and g.is_end(tensor):
            continue
        for node in g.consumers.get(tensor, []):
            if node in region or (node.op_type in _LINEAR_OPS and tensor != z):
                continue
            if node.op_type not in ops:
                raise ValueError(f"{_describe(node)}: operator {node.op_type} is not "
                                 f"supported after a dense layer")
            region.append(node)
            produced.update(node.output)
            frontier.extend(node.output)
    consumed = {name for node in region for name in node.input}
    sinks = [t for t in produced - {z} if t not in consumed or g.is_end(t)]
    if len(sinks) != 1:
        raise ValueError(f"the activation after tensor {z!r} has {len(sinks)} results "
                         f"({sorted(sinks)}); expected one")
    for node in region:
        for name in node.input:
            if name and name not in produced:
                value = g.constant(node, list(node.input).index(name), "operand")
                if value.size != 1:
                    raise ValueError(f"{_describe(node)}: constant {name!r} of shape "
                                     f"{value.shape} is not a scalar; an activation acts on "
                                     "each element alike")
    return region, sinks[0]


def _evaluate(g, region, z, x):
    ops = _elementwise_ops()
    values = {z: x}
    pending = list(region)
    while pending:
        ready = [n for n in pending
                 if all(not i or i in values or i in g.constants for i in n.input)]
        if not ready:
            raise ValueError(f"the activation after tensor {z!r} is not a chain of "
                             "elementwise operators on it")
        for node in ready:
            args = [values[i] if i in values else g.constants[i].astype(np.float64).reshape(())
                    for i in node.input if i]
            with np.errstate(all="ignore"):
                values[node.output[0]] = np.asarray(ops[node.op_type](node, *args),
                                                    dtype=np.float64)
            pending.remove(node)
    return values


def _shortest_alpha(alpha, dtype):
    """A float32 model's alpha as the shortest decimal of its float32 value."""
    return float(str(np.float32(alpha))) if dtype == np.float32 else float(alpha)


def _snap(estimate, constants):
    """The region's constant that ``estimate`` (read from the values) stands
    for, so that alpha comes back exactly; else the estimate."""
    for c in constants:
        if abs(c - estimate) <= 1e-9 * max(1.0, abs(estimate)):
            return c
    return estimate


def _identify(f, dtype, constants):
    """The (name, options) whose function matches values ``f`` on the probe;
    ``constants`` are the region's scalar constants (alpha candidates)."""
    tol = 1e-5 if dtype == np.float32 else 1e-10

    def close(ref):
        return np.all(np.abs(f - ref) <= tol * (1 + np.abs(ref)))

    candidates = [(n, {}) for n in ("identity", "relu", "sigmoid", "tanh", "softplus", "silu",
                                    "gelu", "gelu_tanh")]
    at_minus_one = f[np.argmin(np.abs(_PROBE + 1))]
    for name, estimate in (("leaky_relu", -at_minus_one),
                           ("elu", at_minus_one / math.expm1(-1))):
        alpha = _shortest_alpha(_snap(float(estimate), constants), dtype)
        candidates.append((name, {"alpha": alpha}))
    for name, options in candidates:
        if name == "leaky_relu" and not 0 <= options["alpha"] <= 1:
            continue
        if name == "elu" and not options["alpha"] >= 0:
            continue
        act = ACTIVATIONS[name]
        ref = act.forward(_PROBE, **options) if options else act.forward(_PROBE)
        if close(ref):
            return name, options
    return None


def _activation(g, z, dtype):
    """(spec, next tensor) of what follows the layer output ``z``."""
    users = g.consumers.get(z, [])
    if g.is_end(z) or (len(users) == 1 and users[0].op_type in _LINEAR_OPS):
        return ("identity", {}), z
    if len(users) == 1 and users[0].op_type == "Softmax":
        node = users[0]
        if _attr(node, "axis", -1) not in (-1, 1):
            raise ValueError(f"{_describe(node)}: axis={_attr(node, 'axis', -1)}; only the "
                             "last axis (-1 or 1) is supported")
        return ("softmax", {}), node.output[0]
    if not users:
        raise ValueError(f"tensor {z!r} feeds no node and is no output of the model")
    region, sink = _region(g, z)
    f = _evaluate(g, region, z, _PROBE)[sink]
    constants = [float(g.constants[i].reshape(())) for n in region for i in n.input
                 if i in g.constants]
    constants += [float(_attr(n, "alpha", 0.0)) for n in region
                  if n.op_type in ("LeakyRelu", "Elu")]
    spec = _identify(f, dtype, constants)
    if spec is None:
        raise ValueError(f"nodes {[n.name or n.op_type for n in region]} "
                         f"({', '.join(n.op_type for n in region)}) compute an elementwise "
                         "function that is none of fastnn's activations")
    return spec, sink


def _constant_array(tensor, numpy_helper):
    """An initializer's values, never read from another file: onnx would
    load external data relative to the working directory (or the model's
    directory), so a crafted model could turn any file into weights."""
    if tensor.data_location == tensor.EXTERNAL or len(tensor.external_data):
        raise ValueError(f"initializer {tensor.name!r} keeps its data in external data "
                         f"({[(e.key, e.value) for e in tensor.external_data]}), which is "
                         "never read; load a trusted model with onnx.load(path) and pass "
                         "the ModelProto")
    try:
        return numpy_helper.to_array(tensor)
    except Exception as exc:
        raise ValueError(f"initializer {tensor.name!r} cannot be read: "
                         f"{type(exc).__name__}: {exc}") from None


def _load(model_or_path, onnx):
    if isinstance(model_or_path, onnx.ModelProto):
        return model_or_path
    if isinstance(model_or_path, (bytes, bytearray)):
        try:
            return onnx.load_from_string(bytes(model_or_path))
        except Exception as exc:
            raise ValueError(f"the bytes are not an ONNX model: {exc}") from None
    if isinstance(model_or_path, (str, os.PathLike)):
        with open_regular(os.fspath(model_or_path), "ONNX file") as file:
            data = file.read()
        try:
            return onnx.load_from_string(data)
        except Exception as exc:
            raise ValueError(f"{os.fspath(model_or_path)!r} is not an ONNX model: "
                             f"{exc}") from None
    raise TypeError("model must be an onnx.ModelProto, bytes or a path, got "
                    f"{type(model_or_path).__name__}")


def _input_dtype(g, onnx):
    tensor_type = g.input.type.tensor_type
    dtypes = {onnx.TensorProto.FLOAT: np.float32, onnx.TensorProto.DOUBLE: np.float64}
    if tensor_type.elem_type not in dtypes:
        raise TypeError(f"input {g.input.name!r} must be float or double, got "
                        f"{onnx.TensorProto.DataType.Name(tensor_type.elem_type)}")
    if tensor_type.HasField("shape") and len(tensor_type.shape.dim) != 2:
        raise ValueError(f"input {g.input.name!r} must be 2-D (n_samples, n_features), "
                         f"it has {len(tensor_type.shape.dim)} dimensions")
    return np.dtype(dtypes[tensor_type.elem_type])


def from_onnx(model, loss=None):
    """Build a Network from an ONNX model of dense layers.

    Reads the models :func:`to_onnx` writes and the same networks from other
    exporters (``torch.onnx.export`` of an ``nn.Sequential``): a 2-D float or
    double input, optionally one ``Flatten(axis=1)`` or ``Identity`` first,
    then layers ``Gemm`` (``alpha = beta = 1``, ``transA = 0``, any
    ``transB``) or ``MatMul`` (+ ``Add`` of a bias) with constant weights,
    each followed by an activation: ``Softmax`` over the last axis, or any
    elementwise operators (scalar constants only) that compute one of
    fastnn's activations -- identified by evaluating them on probe points,
    with leaky_relu's and elu's alpha read from the values.  The chain ends
    at a graph output (or, for a model of :func:`to_onnx` with classes, at
    the network's output recorded in the metadata; the label head is
    ignored).  A function is named after the first activation it matches, so
    LeakyRelu(alpha=0) and Elu(alpha=0) come back as relu, LeakyRelu(1) as
    identity.

    Parameters
    ----------
    model : onnx.ModelProto, bytes, str or os.PathLike
    loss : str, optional
        Default: the loss recorded by :func:`to_onnx`, else inferred from the
        output activation (softmax: cross_entropy, sigmoid:
        binary_cross_entropy, else mse).

    Returns
    -------
    fastnn.Network
        In the input's dtype (float32 or float64).

    Raises
    ------
    ImportError
        If onnx is not installed (``pip install "fastnn-cpu[onnx]"``).
    TypeError
        If ``model`` has a wrong type or a tensor is not float32/float64.
    ValueError
        For a file that is not ONNX or not a regular file, a tensor kept
        in external data (never read: load a trusted model with
        ``onnx.load`` and pass the ModelProto), an unsupported operator (the message
        names it and its node), weights that are not constants, shapes that
        do not chain, non-finite weights, or a graph that is not a chain.

    Examples
    --------
    >>> import fastnn
    >>> from fastnn import interop
    >>> net = fastnn.Network([4, 8, 3], ["tanh", "softmax"], seed=0)
    >>> interop.from_onnx(interop.to_onnx(net))
    Network([4, 8, 3], activations=['tanh', 'softmax'], loss='cross_entropy', dtype='float32')
    """
    onnx = require("onnx", "onnx")
    require("onnx.numpy_helper", "onnx")
    g = _Graph(_load(model, onnx))
    dtype = _input_dtype(g, onnx)
    tensor, n_in = g.input.name, None
    params, activations = [], []
    while True:
        if g.is_end(tensor) and params:
            break
        node = g.single_consumer(tensor)
        if not params and node.op_type in ("Flatten", "Identity"):
            if node.op_type == "Flatten" and _attr(node, "axis", 1) != 1:
                raise ValueError(f"{_describe(node)}: only axis=1 is supported")
            tensor = node.output[0]
            continue
        if node.op_type not in _LINEAR_OPS:
            raise ValueError(f"{_describe(node)}: expected a dense layer (Gemm or MatMul), "
                             f"found operator {node.op_type}")
        W, b, z = _linear(g, node, tensor, n_in)
        for arr, what in ((W, "weight"), (b, "bias")):
            if arr.dtype != dtype:
                raise TypeError(f"{_describe(node)}: {what} is {arr.dtype}, the input is "
                                f"{dtype}")
        spec, tensor = _activation(g, z, dtype)
        params.append((W, b))
        activations.append(spec)
        n_in = W.shape[1]
    sizes = [params[0][0].shape[0]] + [W.shape[1] for W, _ in params]
    dims = g.input.type.tensor_type.shape.dim
    if len(dims) == 2 and dims[1].HasField("dim_value") and dims[1].dim_value != sizes[0]:
        raise ValueError(f"input {g.input.name!r} has {dims[1].dim_value} features but the "
                         f"first layer takes {sizes[0]}")
    return build_network(sizes, activations, loss if loss is not None else g.loss, dtype,
                         params, where="ONNX model")
