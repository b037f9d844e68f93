"""Network -> ONNX: one Gemm per layer and the activation in standard ops.

float32 graphs use the single ONNX operator of each activation.  float64
graphs spell LeakyRelu, Elu, Softplus and the exact GELU in elementary
operators, because onnxruntime's CPU provider implements those operators
for float only; the spelled forms compute the same functions (the exact
GELU's erf as a degree-40 Chebyshev interpolant, within 2e-14 of erf).
"""
import math
import os
import tempfile

import numpy as np

from fastnn._version import __version__
from fastnn.interop._network_build import activation_specs, require

MIN_OPSET = 13          # Softmax over one axis (its opset-13 meaning)
GELU_OPSET = 20         # the Gelu operator
NETWORK_OUTPUT_KEY = "fastnn.network_output"
LOSS_KEY = "fastnn.loss"

# erf(u) on [0, 6] as a Chebyshev series in t = u / 3 - 1; erf(u) rounds to
# 1.0 in float64 beyond 6.
_ERF_LIMIT = 6.0


def _erf_chebyshev_coefficients():
    from numpy.polynomial import chebyshev
    from scipy.special import erf
    return chebyshev.chebinterpolate(lambda t: erf(_ERF_LIMIT / 2 * (t + 1)), 40)


class _GraphBuilder:
    """Collects nodes and initializers, naming each tensor uniquely."""

    def __init__(self, onnx, dtype):
        self.onnx = onnx
        self.dtype = dtype
        self.nodes = []
        self.initializers = []
        self._count = 0

    def fresh(self, hint):
        self._count += 1
        return f"{hint}_{self._count}"

    def constant(self, value, hint="c", dtype=None):
        name = self.fresh(hint)
        arr = np.asarray(value, dtype=self.dtype if dtype is None else dtype)
        self.initializers.append(self.onnx.numpy_helper.from_array(arr, name))
        return name

    def node(self, op, inputs, hint=None, **attrs):
        out = self.fresh(hint or op.lower())
        self.nodes.append(self.onnx.helper.make_node(op, list(inputs), [out],
                                                     name=self.fresh(op), **attrs))
        return out


def _gelu_erf_form(g, z, erf):
    """0.5 z (1 + erf(z / sqrt 2)) with ``erf`` a function of the builder's tensor."""
    u = g.node("Mul", [z, g.constant(1 / math.sqrt(2))])
    half_z = g.node("Mul", [z, g.constant(0.5)])
    return g.node("Mul", [half_z, g.node("Add", [g.constant(1.0), erf(u)])])


def _erf_float64(g, u):
    """erf(u) by Clenshaw's recurrence over the Chebyshev series, odd in u."""
    coeffs = _erf_chebyshev_coefficients()
    a = g.node("Min", [g.node("Abs", [u]), g.constant(_ERF_LIMIT)])
    t2 = g.node("Mul", [g.node("Sub", [a, g.constant(_ERF_LIMIT / 2)]),
                        g.constant(4 / _ERF_LIMIT)])            # 2 t
    b1, b2 = g.constant(coeffs[-1]), g.constant(0.0)
    for c in coeffs[-2:0:-1]:
        b1, b2 = g.node("Add", [g.node("Sub", [g.node("Mul", [t2, b1]), b2]),
                                g.constant(c)]), b1
    t = g.node("Mul", [t2, g.constant(0.5)])
    magnitude = g.node("Add", [g.node("Sub", [g.node("Mul", [t, b1]), b2]),
                               g.constant(coeffs[0])])
    return g.node("Mul", [g.node("Sign", [u]), magnitude])


def _gelu_tanh_form(g, z):
    """0.5 z (1 + tanh(sqrt(2/pi) (z + 0.044715 z^3)))."""
    cube = g.node("Mul", [g.node("Mul", [z, z]), z])
    inner = g.node("Add", [z, g.node("Mul", [cube, g.constant(0.044715)])])
    th = g.node("Tanh", [g.node("Mul", [inner, g.constant(math.sqrt(2 / math.pi))])])
    half_z = g.node("Mul", [z, g.constant(0.5)])
    return g.node("Mul", [half_z, g.node("Add", [g.constant(1.0), th])])


def _activation(g, name, options, z, opset):
    """The tensor of activation ``name`` applied to tensor ``z``."""
    double = g.dtype == np.float64
    if name == "identity":
        return z
    if name in ("relu", "sigmoid", "tanh"):
        return g.node(name.capitalize(), [z])
    if name == "softmax":
        return g.node("Softmax", [z], axis=-1)
    if name == "silu":
        return g.node("Mul", [z, g.node("Sigmoid", [z])], hint="silu")
    if name == "leaky_relu":
        alpha = options["alpha"]
        if not double:
            return g.node("LeakyRelu", [z], alpha=alpha)
        return g.node("Where", [g.node("GreaterOrEqual", [z, g.constant(0.0)]), z,
                                g.node("Mul", [z, g.constant(alpha)])], hint="leaky_relu")
    if name == "elu":
        alpha = options["alpha"]
        if not double:
            return g.node("Elu", [z], alpha=alpha)
        negative = g.node("Mul", [g.node("Sub", [g.node("Exp", [z]), g.constant(1.0)]),
                                  g.constant(alpha)])
        return g.node("Where", [g.node("GreaterOrEqual", [z, g.constant(0.0)]), z, negative],
                      hint="elu")
    if name == "softplus":
        if not double:
            return g.node("Softplus", [z])
        # max(z, 0) + log(1 + exp(-|z|)): no overflow for any z.
        tail = g.node("Log", [g.node("Add", [g.constant(1.0), g.node(
            "Exp", [g.node("Neg", [g.node("Abs", [z])])])])])
        return g.node("Add", [g.node("Max", [z, g.constant(0.0)]), tail], hint="softplus")
    if name == "gelu":
        if double:
            return _gelu_erf_form(g, z, lambda u: _erf_float64(g, u))
        if opset >= GELU_OPSET:
            return g.node("Gelu", [z])
        return _gelu_erf_form(g, z, lambda u: g.node("Erf", [u]))
    if name == "gelu_tanh":
        # onnxruntime's float64 Gelu(approximate="tanh") is off by ~1e-8.
        if opset >= GELU_OPSET and not double:
            return g.node("Gelu", [z], approximate="tanh")
        return _gelu_tanh_form(g, z)
    raise ValueError(f"activation {name!r} has no ONNX form")


def _classes_tensor(classes, n_outputs, loss):
    """Check ``classes`` against the network and return them as an array."""
    if loss == "mse":
        raise ValueError("classes is for classification networks; this one has loss 'mse'")
    if isinstance(classes, (str, bytes)):
        raise TypeError("classes must be a sequence of labels, not a string")
    arr = np.asarray(classes)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"classes must be a non-empty 1-D sequence, got shape {arr.shape}")
    if len(set(arr.tolist())) != arr.size:
        raise ValueError("classes holds duplicate labels")
    expected = 2 if loss == "binary_cross_entropy" and n_outputs == 1 else n_outputs
    if arr.size != expected:
        raise ValueError(f"classes has {arr.size} labels, the network's {n_outputs} "
                         f"output(s) need {expected}")
    if arr.dtype.kind in "iu":
        if arr.dtype.kind == "u" and arr.max() > np.iinfo(np.int64).max:
            raise ValueError("classes has integers beyond int64")
        return arr.astype(np.int64)
    if arr.dtype.kind == "f":
        return arr.astype(np.float64 if arr.dtype == np.float64 else np.float32)
    if arr.dtype.kind == "b":
        return arr
    if arr.dtype.kind in "US" or (arr.dtype.kind == "O"
                                  and all(isinstance(c, str) for c in arr.tolist())):
        return np.array([str(c) if not isinstance(c, bytes) else c.decode() for c in
                         arr.tolist()], dtype=object)
    raise TypeError(f"classes must be integers, floats, booleans or strings, "
                    f"got dtype {arr.dtype}")


def _label_head(g, probabilities, labels, loss, n_outputs):
    """Add the label output; returns (probabilities tensor, label tensor, label shape)."""
    if loss == "cross_entropy":
        index = g.node("ArgMax", [probabilities], axis=1, keepdims=0)
    else:
        above = g.node("Cast", [g.node("Greater", [probabilities, g.constant(0.5)])],
                       to=g.onnx.TensorProto.INT64)
        if n_outputs > 1:               # multilabel: the 0/1 indicator matrix
            return probabilities, above, ["N", n_outputs]
        index = g.node("Reshape", [above, g.constant([-1], dtype=np.int64)])
        # [1 - p, p]: column j is the probability of classes[j].
        complement = g.node("Sub", [g.constant(1.0), probabilities])
        probabilities = g.node("Concat", [complement, probabilities], axis=1)
    table = g.fresh("classes")
    g.initializers.append(g.onnx.numpy_helper.from_array(labels, table))
    return probabilities, g.node("Gather", [table, index], axis=0), ["N"]


def _rename_output(g, tensor, name):
    for node in g.nodes:
        for i, out in enumerate(node.output):
            if out == tensor:
                node.output[i] = name
        for i, inp in enumerate(node.input):
            if inp == tensor:
                node.input[i] = name
    return name


def _checked_opset(opset, onnx):
    latest = onnx.defs.onnx_opset_version()
    if opset is None:
        return MIN_OPSET
    if isinstance(opset, bool) or not isinstance(opset, (int, np.integer)):
        raise TypeError(f"opset must be an integer, got {opset!r}")
    if not MIN_OPSET <= opset <= latest:
        raise ValueError(f"opset must lie in [{MIN_OPSET}, {latest}] (this onnx "
                         f"{onnx.__version__}), got {opset}")
    return int(opset)


def _write_atomically(data, path):
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".fastnn-", suffix=".onnx.tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def to_onnx(net, path=None, opset=None, classes=None, input_name="X", output_name=None,
            label_name="label"):
    """Export a Network as an ONNX model.

    Each layer becomes a ``Gemm`` (``W`` of shape (n_in, n_out), ``transB=0``)
    and its activation standard operators: ``Relu``, ``Sigmoid``, ``Tanh``,
    ``Softmax(axis=-1)``, ``Mul(z, Sigmoid(z))`` for silu, nothing for
    identity; for float32 also ``LeakyRelu``, ``Elu``, ``Softplus``, and GELU
    as ``Gelu`` (opset >= 20) or ``0.5 z (1 + Erf(z / sqrt 2))``; gelu_tanh
    is ``Gelu(approximate="tanh")`` at opset >= 20, else its tanh formula.
    float64 models spell leaky_relu, elu, softplus, gelu and gelu_tanh in
    elementary operators (``Where``, ``Exp``, ``Log``, ``Tanh``..., erf as
    a Chebyshev series) since onnxruntime implements the dedicated
    operators for float only (or, for tanh-GELU, only accurately).

    The batch dimension is dynamic (``"N"``).  The input is ``input_name``
    (n_samples, n_inputs); the output is ``"probabilities"`` for the
    cross-entropy losses and ``"predictions"`` for MSE, in the network's
    dtype.

    Parameters
    ----------
    net : fastnn.Network
    path : str or os.PathLike, optional
        Also write the model there, atomically (a temporary file in the same
        directory, then ``os.replace``).
    opset : int, optional
        ONNX opset, from 13 to the installed onnx's latest.  Default 13, the
        smallest that holds every fastnn network; an explicit opset >= 20
        uses the ``Gelu`` operator.
    classes : sequence, optional
        Class labels (int, float, bool or str) of a classifier, column j of
        the output being the probability of ``classes[j]``: adds an output
        ``label_name`` of shape (n_samples,) holding the predicted labels
        (``ArgMax`` then ``Gather`` from the labels; no ZipMap).  A network
        with one sigmoid output needs two classes (negative, positive); its
        ``"probabilities"`` output becomes (n_samples, 2), ``[1 - p, p]``,
        and the label is ``classes[p > 0.5]``.  A multilabel network (several
        sigmoid outputs) needs one class per output and its label output is
        the 0/1 int64 indicator matrix (n_samples, n_outputs).
    input_name : str, default "X"
    output_name : str, optional
        Default "probabilities" (classification losses) or "predictions"
        (MSE).
    label_name : str, default "label"

    Returns
    -------
    onnx.ModelProto
        Checked by ``onnx.checker.check_model``.

    Raises
    ------
    ImportError
        If onnx is not installed (``pip install "fastnn-cpu[onnx]"``).
    TypeError
        If ``net`` is not a Network, or ``opset``/``classes`` has a wrong type.
    ValueError
        For an opset out of range, ``classes`` that do not fit the outputs or
        a regression network, or names that collide.

    Examples
    --------
    >>> import fastnn, onnxruntime
    >>> from fastnn import interop
    >>> net = fastnn.Network([4, 8, 3], ["relu", "softmax"], seed=0)
    >>> model = interop.to_onnx(net, classes=["a", "b", "c"])
    >>> sess = onnxruntime.InferenceSession(model.SerializeToString())
    >>> [o.name for o in sess.get_outputs()]
    ['probabilities', 'label']
    """
    from fastnn.network import Network
    onnx = require("onnx", "onnx")
    require("onnx.numpy_helper", "onnx")
    if not isinstance(net, Network):
        raise TypeError(f"net must be a fastnn.Network, got {type(net).__name__}")
    opset = _checked_opset(opset, onnx)
    n_outputs = net.layer_sizes[-1]
    labels = None if classes is None else _classes_tensor(classes, n_outputs, net.loss)
    if output_name is None:
        output_name = "predictions" if net.loss == "mse" else "probabilities"
    names = [input_name, output_name] + ([label_name] if labels is not None else [])
    for name in names:
        if not isinstance(name, str) or not name:
            raise TypeError(f"tensor names must be non-empty strings, got {name!r}")
    if len(set(names)) != len(names):
        raise ValueError(f"input and output names must differ, got {names}")

    g = _GraphBuilder(onnx, net.dtype)
    tensor = input_name
    for i, ((W, b), (name, options)) in enumerate(zip(net.params, activation_specs(net))):
        z = g.node("Gemm", [tensor, g.constant(W, f"W{i}"), g.constant(b, f"b{i}")],
                   hint=f"z{i}")
        tensor = _activation(g, name, options, z, opset)
    elem = onnx.helper.np_dtype_to_tensor_dtype(net.dtype)
    if labels is None:
        network_output = _rename_output(g, tensor, output_name)
        outputs = [onnx.helper.make_tensor_value_info(output_name, elem, ["N", n_outputs])]
    else:
        network_output = tensor
        probabilities, label, label_shape = _label_head(g, tensor, labels, net.loss,
                                                        n_outputs)
        n_prob = 2 if probabilities != tensor else n_outputs
        _rename_output(g, probabilities, output_name)
        _rename_output(g, label, label_name)
        label_elem = (onnx.TensorProto.INT64 if len(label_shape) == 2
                      else onnx.helper.np_dtype_to_tensor_dtype(labels.dtype)
                      if labels.dtype != object else onnx.TensorProto.STRING)
        outputs = [onnx.helper.make_tensor_value_info(output_name, elem, ["N", n_prob]),
                   onnx.helper.make_tensor_value_info(label_name, label_elem, label_shape)]
        if network_output == probabilities:
            network_output = output_name
    graph = onnx.helper.make_graph(
        g.nodes, "fastnn_network",
        [onnx.helper.make_tensor_value_info(input_name, elem, ["N", net.layer_sizes[0]])],
        outputs, initializer=g.initializers)
    opset_ids = [onnx.helper.make_opsetid("", opset)]
    model = onnx.helper.make_model(graph, opset_imports=opset_ids, producer_name="fastnn",
                                   producer_version=__version__,
                                   ir_version=onnx.helper.find_min_ir_version_for(opset_ids))
    onnx.helper.set_model_props(model, {NETWORK_OUTPUT_KEY: network_output,
                                        LOSS_KEY: net.loss})
    onnx.checker.check_model(model, full_check=True)
    if path is not None:
        _write_atomically(model.SerializeToString(), path)
    return model
