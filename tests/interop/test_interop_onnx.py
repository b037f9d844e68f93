"""fastnn.interop ONNX export (run by onnxruntime) and import."""
import io
import os

import numpy as np
import pytest

import fastnn
from fastnn import interop
from _interop import HIDDEN, TOL, inputs, max_abs_diff_ok, network, spec
from fastnn.interop._network_build import build_network

onnx = pytest.importorskip("onnx")          # guard only: CI installs the [test] extra
ort = pytest.importorskip("onnxruntime")
helper, numpy_helper, TP = onnx.helper, onnx.numpy_helper, onnx.TensorProto


def run(model, X, input_name="X"):
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return dict(zip([o.name for o in sess.get_outputs()], sess.run(None, {input_name: X})))


OUTPUTS = [("softmax", "probabilities"), ("sigmoid", "probabilities"),
           ("identity", "predictions")]


@pytest.mark.parametrize("opset", [13, 20])
@pytest.mark.parametrize("output,out_name", OUTPUTS)
@pytest.mark.parametrize("hidden", HIDDEN)
def test_onnxruntime_matches_forward(hidden, output, out_name, opset, dtype):
    net = network(hidden, output, dtype)
    X = inputs(dtype)
    model = interop.to_onnx(net, opset=opset)
    onnx.checker.check_model(model, full_check=True)
    got = run(model, X)
    assert list(got) == [out_name]
    y, ref = got[out_name], net.forward(X)
    assert y.dtype == dtype and y.shape == ref.shape
    assert max_abs_diff_ok(y, ref, dtype)
    if output == "softmax":
        assert np.array_equal(y.argmax(axis=1), net.predict(X))


def test_default_opset_is_13_and_gelu_operator_needs_20():
    net = network("gelu", "softmax", np.float32)
    model = interop.to_onnx(net)
    assert [o.version for o in model.opset_import] == [13]
    assert "Gelu" not in {n.op_type for n in model.graph.node}
    assert "Erf" in {n.op_type for n in model.graph.node}
    model20 = interop.to_onnx(net, opset=20)
    assert "Gelu" in {n.op_type for n in model20.graph.node}
    # float64 spells everything in operators onnxruntime runs in double.
    ops64 = {n.op_type for n in interop.to_onnx(network("gelu", "softmax", np.float64),
                                                opset=20).graph.node}
    assert "Gelu" not in ops64 and "Erf" not in ops64


def test_standard_single_operators_for_float32():
    ops = {n.op_type for n in interop.to_onnx(network("leaky_relu", "softmax",
                                                      np.float32)).graph.node}
    assert ops == {"Gemm", "LeakyRelu", "Softmax"}
    for gemm in (n for n in interop.to_onnx(network("relu", "sigmoid", np.float32)).graph.node
                 if n.op_type == "Gemm"):
        assert {a.name: helper.get_attribute_value(a) for a in gemm.attribute}.get(
            "transB", 0) == 0
    model = interop.to_onnx(network("elu", "sigmoid", np.float32))
    elu = next(n for n in model.graph.node if n.op_type == "Elu")
    assert np.isclose(helper.get_attribute_value(elu.attribute[0]), 0.3)


def test_dynamic_batch_and_names(dtype):
    net = network("relu", "softmax", dtype)
    model = interop.to_onnx(net, input_name="features", output_name="p")
    assert model.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "N"
    for n in (1, 37):
        X = inputs(dtype, n=n)
        got = run(model, X, "features")
        assert got["p"].shape == (n, 3)


@pytest.mark.parametrize("classes", [[10, 20, 30], ["cat", "dog", "emu"], [0.5, 1.5, 2.5],
                                     np.array([-3, 7, 2], dtype=np.int32)])
def test_classes_output_multiclass(classes, dtype):
    net = network("tanh", "softmax", dtype)
    X = inputs(dtype, n=200)
    got = run(interop.to_onnx(net, classes=classes), X)
    assert list(got) == ["probabilities", "label"]
    expected = np.asarray(classes)[net.predict(X)]
    assert got["label"].tolist() == expected.tolist()
    assert np.max(np.abs(got["probabilities"] - net.predict_proba(X))) <= TOL[dtype]


@pytest.mark.parametrize("classes", [[0, 1], ["no", "yes"], [False, True]])
def test_classes_output_binary(classes, dtype):
    net = network("relu", "sigmoid", dtype, n_outputs=1)
    X = inputs(dtype, n=200)
    got = run(interop.to_onnx(net, classes=classes), X)
    p = net.predict_proba(X)
    assert got["probabilities"].shape == (200, 2)
    assert np.max(np.abs(got["probabilities"] - np.hstack([1 - p, p]))) <= TOL[dtype]
    assert got["label"].tolist() == np.asarray(classes)[net.predict(X)].tolist()
    assert len(set(net.predict(X).tolist())) == 2     # both labels occur


def test_classes_output_multilabel():
    net = network("relu", "sigmoid", np.float64, n_outputs=3)
    X = inputs(np.float64, n=100)
    got = run(interop.to_onnx(net, classes=[0, 1, 2]), X)
    assert got["label"].dtype == np.int64
    assert np.array_equal(got["label"], net.predict(X))


@pytest.mark.parametrize("classes,error,match", [
    ([1, 2], ValueError, "2 labels"),
    ([1, 1, 2], ValueError, "duplicate"),
    ("abc", TypeError, "not a string"),
    ([[1, 2, 3]], ValueError, "1-D"),
    ([object(), object(), object()], TypeError, "classes must be"),
])
def test_classes_refused(classes, error, match):
    with pytest.raises(error, match=match):
        interop.to_onnx(network("relu", "softmax", np.float32), classes=classes)


def test_classes_refused_for_regression():
    with pytest.raises(ValueError, match="classification"):
        interop.to_onnx(network("relu", "identity", np.float32), classes=[0, 1, 2])


@pytest.mark.parametrize("opset,error", [(12, ValueError), (10 ** 6, ValueError),
                                         ("13", TypeError), (True, TypeError)])
def test_opset_refused(opset, error):
    with pytest.raises(error, match="opset"):
        interop.to_onnx(network("relu", "softmax", np.float32), opset=opset)


def test_to_onnx_refuses_non_network():
    with pytest.raises(TypeError, match="fastnn.Network"):
        interop.to_onnx("net")


def test_write_is_atomic_and_readable(tmp_path):
    net = network("elu", "softmax", np.float64)
    target = tmp_path / "model.onnx"
    target.write_bytes(b"old")
    model = interop.to_onnx(net, path=target)
    assert target.read_bytes() == model.SerializeToString()
    assert os.listdir(tmp_path) == ["model.onnx"]      # no temporary file left
    back = interop.from_onnx(str(target))
    assert back.activations == net.activations


def test_failed_write_leaves_old_file(tmp_path, monkeypatch):
    target = tmp_path / "model.onnx"
    target.write_bytes(b"old")

    def broken(*args):
        raise OSError("disk full")
    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError, match="disk full"):
        interop.to_onnx(network("relu", "softmax", np.float32), path=target)
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["model.onnx"]


# ------------------------------------------------------------------ import


def assert_same_network(a, b):
    assert a.layer_sizes == b.layer_sizes and a.activations == b.activations
    assert a.loss == b.loss and a.dtype == b.dtype
    assert [act.param for act in a._acts] == [act.param for act in b._acts]
    for (W, bias), (W2, bias2) in zip(a.params, b.params):
        assert np.array_equal(W, W2) and np.array_equal(bias, bias2)


@pytest.mark.parametrize("opset", [13, 20])
@pytest.mark.parametrize("output", ["softmax", "sigmoid", "identity"])
@pytest.mark.parametrize("hidden", HIDDEN)
def test_from_onnx_round_trip(hidden, output, opset, dtype):
    net = network(hidden, output, dtype)
    assert_same_network(interop.from_onnx(interop.to_onnx(net, opset=opset)), net)


@pytest.mark.parametrize("n_outputs,classes", [(3, ["a", "b", "c"]), (1, [3, 4]),
                                               (3, [0, 1, 2])])
def test_from_onnx_round_trip_with_classes(n_outputs, classes):
    net = network("silu", "softmax" if classes[0] == "a" else "sigmoid", np.float32,
                  n_outputs=n_outputs)
    model = interop.to_onnx(net, classes=classes)
    assert_same_network(interop.from_onnx(model.SerializeToString()), net)


def test_from_onnx_keeps_a_non_default_loss():
    draft = fastnn.Network([3, 4, 2], ["relu", "sigmoid"], loss="mse", seed=0)
    assert interop.from_onnx(interop.to_onnx(draft)).loss == "mse"
    assert interop.from_onnx(interop.to_onnx(draft), loss="binary_cross_entropy").loss == \
        "binary_cross_entropy"


TORCH_MODULES = {
    "identity": lambda nn: nn.Identity(), "sigmoid": lambda nn: nn.Sigmoid(),
    "tanh": lambda nn: nn.Tanh(), "relu": lambda nn: nn.ReLU(),
    "leaky_relu": lambda nn: nn.LeakyReLU(0.25), "elu": lambda nn: nn.ELU(0.5),
    "softplus": lambda nn: nn.Softplus(), "silu": lambda nn: nn.SiLU(),
    "gelu": lambda nn: nn.GELU(), "gelu_tanh": lambda nn: nn.GELU(approximate="tanh"),
}


@pytest.mark.filterwarnings("ignore::DeprecationWarning")   # the TorchScript exporter
@pytest.mark.parametrize("opset", [13, 20])
@pytest.mark.parametrize("hidden", HIDDEN)
def test_from_onnx_of_torch_export(hidden, opset, dtype):
    """torch.onnx.export (TorchScript exporter, offline) of a Sequential:
    Gemm with transB=1, MatMul for a Linear without bias, the exporter's
    spelling of each activation."""
    torch = pytest.importorskip("torch")
    nn = torch.nn
    torch.manual_seed(0)
    seq = nn.Sequential(nn.Linear(6, 9), TORCH_MODULES[hidden](nn), nn.Linear(9, 5, bias=False),
                        TORCH_MODULES[hidden](nn), nn.Linear(5, 3), nn.Softmax(dim=-1))
    seq = seq.double() if dtype == np.float64 else seq
    buffer = io.BytesIO()
    torch.onnx.export(seq, (torch.zeros(2, 6, dtype=seq[0].weight.dtype),), buffer,
                      dynamo=False, opset_version=opset, input_names=["x"],
                      dynamic_axes={"x": {0: "N"}})
    net = interop.from_onnx(buffer.getvalue())
    assert net.activations == [hidden, hidden, "softmax"]
    assert net.dtype == dtype and net.loss == "cross_entropy"
    X = inputs(dtype)
    with torch.no_grad():
        ref = seq(torch.from_numpy(X)).numpy()
    assert max_abs_diff_ok(net.forward(X), ref, dtype)


def _model(nodes, initializers, elem=TP.FLOAT, n_in=3, n_out=2, extra_outputs=()):
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", elem, ["N", n_in])],
        [helper.make_tensor_value_info("y", elem, ["N", n_out])] + list(extra_outputs),
        initializer=[numpy_helper.from_array(v, k) for k, v in initializers.items()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


W32 = np.arange(6, dtype=np.float32).reshape(3, 2) / 7
B32 = np.array([0.5, -0.25], np.float32)


@pytest.mark.parametrize("bias_first", [False, True])
def test_from_onnx_matmul_add_graph(bias_first):
    add_inputs = ["b", "h"] if bias_first else ["h", "b"]
    model = _model([helper.make_node("Flatten", ["x"], ["f"], axis=1),
                    helper.make_node("MatMul", ["f", "W"], ["h"]),
                    helper.make_node("Add", add_inputs, ["z"]),
                    helper.make_node("Sigmoid", ["z"], ["y"])], {"W": W32, "b": B32})
    net = interop.from_onnx(model)
    assert net.activations == ["sigmoid"] and net.loss == "binary_cross_entropy"
    assert np.array_equal(net.params[0][0], W32) and np.array_equal(net.params[0][1], B32)
    X = inputs(np.float32)[:, :3]
    assert np.max(np.abs(net.forward(X) - run(model, X, "x")["y"])) <= 1e-6


def test_from_onnx_constant_node_weights():
    model = _model([helper.make_node("Constant", [], ["W"],
                                     value=numpy_helper.from_array(W32)),
                    helper.make_node("Gemm", ["x", "W", "b"], ["y"])], {"b": B32})
    net = interop.from_onnx(model)
    assert net.activations == ["identity"] and net.loss == "mse"
    assert np.array_equal(net.params[0][0], W32)


@pytest.mark.parametrize("nodes,inits,match", [
    ([helper.make_node("Gemm", ["x", "W", "b"], ["z"], name="g0"),
      helper.make_node("LogSoftmax", ["z"], ["y"], name="ls")], {}, "LogSoftmax.*'ls'|'ls'.*LogSoftmax"),
    ([helper.make_node("Conv", ["x", "W"], ["y"], name="conv1")], {},
     "'conv1'.*Conv"),
    ([helper.make_node("Gemm", ["x", "W", "b"], ["y"], name="g0", alpha=2.0)], {},
     "alpha=2.0"),
    ([helper.make_node("Gemm", ["x", "W", "b"], ["z"], name="g0"),
      helper.make_node("Mul", ["z", "two"], ["y"], name="double")],
     {"two": np.float32(2.0)}, "none of fastnn's activations"),
    ([helper.make_node("Gemm", ["x", "W", "b"], ["z"], name="g0"),
      helper.make_node("Mul", ["z", "scale"], ["y"], name="scale_it")],
     {"scale": np.ones(2, np.float32)}, "not a scalar"),
    ([helper.make_node("Gemm", ["x", "W", "b"], ["z"], name="g0"),
      helper.make_node("Softmax", ["z"], ["y"], name="sm", axis=0)], {}, "axis=0"),
    ([helper.make_node("Gemm", ["x", "W", "b"], ["z"], name="g0", transA=1)], {},
     "transA"),
])
def test_from_onnx_refuses(nodes, inits, match):
    model = _model(nodes, {"W": W32, "b": B32, **inits})
    with pytest.raises(ValueError, match=match):
        interop.from_onnx(model)


def test_from_onnx_refuses_other_domains_and_dynamic_weights():
    node = helper.make_node("FusedGemm", ["x", "W", "b"], ["y"], name="fg",
                            domain="com.microsoft")
    with pytest.raises(ValueError, match="FusedGemm.*com.microsoft"):
        interop.from_onnx(_model([node], {"W": W32, "b": B32}))
    graph = helper.make_graph(
        [helper.make_node("Gemm", ["x", "w"], ["y"], name="g")], "g",
        [helper.make_tensor_value_info("x", TP.FLOAT, ["N", 3]),
         helper.make_tensor_value_info("w", TP.FLOAT, [3, 2])],
        [helper.make_tensor_value_info("y", TP.FLOAT, ["N", 2])])
    with pytest.raises(ValueError, match="one input"):
        interop.from_onnx(helper.make_model(graph))


def test_from_onnx_refuses_bad_weights_and_types(tmp_path):
    bad = W32.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN or inf"):
        interop.from_onnx(_model([helper.make_node("Gemm", ["x", "W", "b"], ["y"])],
                                 {"W": bad, "b": B32}))
    with pytest.raises(ValueError, match="bias has shape"):
        interop.from_onnx(_model([helper.make_node("Gemm", ["x", "W", "b"], ["y"])],
                                 {"W": W32, "b": np.zeros(3, np.float32)}))
    with pytest.raises(TypeError, match="float64"):
        interop.from_onnx(_model([helper.make_node("Gemm", ["x", "W", "b"], ["y"])],
                                 {"W": W32.astype(np.float64), "b": B32}))
    with pytest.raises(TypeError, match="FLOAT16"):
        interop.from_onnx(_model([helper.make_node("Gemm", ["x", "W", "b"], ["y"])],
                                 {"W": W32, "b": B32}, elem=TP.FLOAT16))
    with pytest.raises(TypeError, match="ModelProto"):
        interop.from_onnx(3.0)
    with pytest.raises(ValueError, match="no ONNX file"):
        interop.from_onnx(tmp_path / "missing.onnx")
    (tmp_path / "junk.onnx").write_bytes(b"\x00\xffnot onnx")
    with pytest.raises(ValueError, match="not an ONNX model"):
        interop.from_onnx(tmp_path / "junk.onnx")


def test_missing_onnx_names_the_extra(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=r'fastnn-cpu\[onnx\]'):
        interop.to_onnx(network("relu", "softmax", np.float32))
    with pytest.raises(ImportError, match=r'fastnn-cpu\[onnx\]'):
        interop.from_onnx(b"")


def test_build_network_sets_alpha_and_checks_it():
    net = build_network([2, 3], [spec("leaky_relu")], None, np.float32,
                        [(np.ones((2, 3), np.float32), np.zeros(3, np.float32))])
    assert net._acts[0].param == 0.1
    assert np.allclose(net.forward(np.array([[-1.0, -1.0]])), -0.2)
    with pytest.raises(ValueError, match="alpha"):
        build_network([2, 3], [("leaky_relu", {"alpha": 2.0})], None, np.float32,
                      [(np.ones((2, 3), np.float32), np.zeros(3, np.float32))])
    with pytest.raises(ValueError, match="takes no option"):
        build_network([2, 3], [("relu", {"alpha": 0.1})], None, np.float32,
                      [(np.ones((2, 3), np.float32), np.zeros(3, np.float32))])


def test_interop_stub_matches_runtime():
    import ast
    import inspect
    from pathlib import Path
    tree = ast.parse((Path(interop.__file__).parent / "__init__.pyi").read_text())
    stub_all = next(n for n in tree.body if isinstance(n, ast.Assign)
                    and n.targets[0].id == "__all__")
    assert sorted(e.value for e in stub_all.value.elts) == sorted(interop.__all__)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            runtime = list(inspect.signature(getattr(interop, node.name)).parameters)
            assert [a.arg for a in node.args.args] == runtime, node.name


@pytest.mark.parametrize("cap", [6.0, 50.0])
def test_from_onnx_refuses_a_clipped_relu(cap):
    """Equal to relu on most of the line is not relu: the probe reaches 1e4."""
    model = _model([helper.make_node("Gemm", ["x", "W", "b"], ["z"], name="g0"),
                    helper.make_node("Relu", ["z"], ["r"], name="r"),
                    helper.make_node("Min", ["r", "cap"], ["y"], name="cap_it")],
                   {"W": W32, "b": B32, "cap": np.float32(cap)})
    with pytest.raises(ValueError, match="none of fastnn's activations"):
        interop.from_onnx(model)


def test_from_onnx_of_hand_spelled_activations():
    """Other spellings of the same functions: x * sigmoid(x) with the
    operands swapped, leaky relu as Max(x, alpha x)."""
    silu = _model([helper.make_node("Gemm", ["x", "W", "b"], ["z"]),
                   helper.make_node("Sigmoid", ["z"], ["s"]),
                   helper.make_node("Mul", ["s", "z"], ["y"])], {"W": W32, "b": B32})
    assert interop.from_onnx(silu).activations == ["silu"]
    leaky = _model([helper.make_node("Gemm", ["x", "W", "b"], ["z"]),
                    helper.make_node("Mul", ["z", "a"], ["az"]),
                    helper.make_node("Max", ["z", "az"], ["y"])],
                   {"W": W32, "b": B32, "a": np.float32(0.2)})
    net = interop.from_onnx(leaky)
    assert net.activations == ["leaky_relu"] and net._acts[0].param == 0.2


def test_from_onnx_refuses_a_non_matrix_input():
    graph = helper.make_graph(
        [helper.make_node("Flatten", ["x"], ["f"], axis=1),
         helper.make_node("Gemm", ["f", "W", "b"], ["y"])], "g",
        [helper.make_tensor_value_info("x", TP.FLOAT, ["N", 1, 3])],
        [helper.make_tensor_value_info("y", TP.FLOAT, ["N", 2])],
        initializer=[numpy_helper.from_array(W32, "W"), numpy_helper.from_array(B32, "b")])
    with pytest.raises(ValueError, match="must be 2-D"):
        interop.from_onnx(helper.make_model(graph))



def test_from_onnx_refuses_input_width_that_does_not_fit_the_weights():
    model = _model([helper.make_node("Gemm", ["x", "W", "b"], ["y"])], {"W": W32, "b": B32},
                   n_in=4)
    with pytest.raises(ValueError, match="4 features but the first layer takes 3"):
        interop.from_onnx(model)


# ------------------------------------------------------------ hostile models

def _with_external_weight(location):
    """A to_onnx model whose first weight claims its data lives in ``location``."""
    model = interop.to_onnx(fastnn.Network([3, 4, 2], ["relu", "softmax"], seed=0))
    init = model.graph.initializer[0]
    init.ClearField("raw_data")
    init.ClearField("float_data")
    init.data_location = onnx.TensorProto.EXTERNAL
    for key, value in (("location", location), ("length", "48")):
        entry = init.external_data.add()
        entry.key, entry.value = key, value
    return model


def test_from_onnx_never_reads_external_data_of_a_model_proto(tmp_path, monkeypatch):
    # onnx's to_array would read the file (relative to the working
    # directory) and turn its bytes into weights.
    (tmp_path / "secret").write_bytes(bytes(range(48)))
    monkeypatch.chdir(tmp_path)
    model = _with_external_weight("secret")
    with pytest.raises(ValueError, match="external data"):
        interop.from_onnx(model)
    with pytest.raises(ValueError, match="external data"):
        interop.from_onnx(model.SerializeToString())


def test_from_onnx_never_reads_external_data_next_to_a_model_file(tmp_path):
    (tmp_path / "secret").write_bytes(bytes(range(48)))
    onnx.save(_with_external_weight("secret"), tmp_path / "m.onnx")
    with pytest.raises(ValueError, match="external data"):
        interop.from_onnx(tmp_path / "m.onnx")


def test_from_onnx_refuses_a_fifo_without_blocking(tmp_path):
    import threading
    fifo = tmp_path / "m.onnx"
    os.mkfifo(fifo)
    errors = []

    def load():
        try:
            interop.from_onnx(fifo)
        except ValueError as exc:
            errors.append(exc)
    thread = threading.Thread(target=load, daemon=True)
    thread.start()
    thread.join(10)
    if thread.is_alive():   # unblock the reader so the test process can exit
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    assert not thread.is_alive() and len(errors) == 1
    assert "regular file" in str(errors[0])


def test_from_onnx_initializer_of_unknown_type_raises_value_error():
    model = interop.to_onnx(fastnn.Network([3, 4, 2], ["relu", "softmax"], seed=0))
    model.graph.initializer[0].data_type = 9999
    with pytest.raises(ValueError, match="initializer"):
        interop.from_onnx(model)


def test_from_onnx_never_reads_external_data_of_a_constant_node(tmp_path, monkeypatch):
    (tmp_path / "secret").write_bytes(bytes(range(48)))
    monkeypatch.chdir(tmp_path)
    model = _with_external_weight("secret")
    weight = model.graph.initializer.pop(0)
    model.graph.node.insert(0, onnx.helper.make_node("Constant", [], [weight.name],
                                                     value=weight))
    with pytest.raises(ValueError, match="external data"):
        interop.from_onnx(model)
