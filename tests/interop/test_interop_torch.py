"""fastnn.interop.from_torch / to_torch."""
import numpy as np
import pytest

from fastnn import interop
from _interop import HIDDEN, inputs, max_abs_diff_ok, network

torch = pytest.importorskip("torch")        # guard only: CI installs the [test] extra
nn = torch.nn

MODULES = {
    "identity": lambda: nn.Identity(), "sigmoid": lambda: nn.Sigmoid(),
    "tanh": lambda: nn.Tanh(), "relu": lambda: nn.ReLU(),
    "leaky_relu": lambda: nn.LeakyReLU(0.25), "elu": lambda: nn.ELU(0.5),
    "softplus": lambda: nn.Softplus(), "silu": lambda: nn.SiLU(),
    "gelu": lambda: nn.GELU(), "gelu_tanh": lambda: nn.GELU(approximate="tanh"),
}


def _torch_out(module, X):
    with torch.no_grad():
        return module(torch.from_numpy(X)).numpy()


@pytest.mark.parametrize("output,loss", [(nn.Softmax, "cross_entropy"),
                                         (nn.Sigmoid, "binary_cross_entropy"),
                                         (None, "mse")])
@pytest.mark.parametrize("hidden", HIDDEN)
def test_from_torch_matches_torch(hidden, output, loss, dtype):
    torch.manual_seed(0)
    last = [] if output is None else [output(dim=-1) if output is nn.Softmax else output()]
    # Nested Sequential, a Linear without bias, a leading Flatten.
    seq = nn.Sequential(nn.Flatten(), nn.Sequential(nn.Linear(6, 12), MODULES[hidden]()),
                        nn.Linear(12, 10, bias=False), MODULES[hidden](), nn.Linear(10, 3),
                        *last)
    if dtype == np.float64:
        seq = seq.double()
    net = interop.from_torch(seq)
    assert net.activations == [hidden, hidden, "identity" if output is None else
                               ("softmax" if output is nn.Softmax else "sigmoid")]
    assert net.loss == loss and net.dtype == dtype and net.layer_sizes == [6, 12, 10, 3]
    X = inputs(dtype)
    assert max_abs_diff_ok(net.forward(X), _torch_out(seq, X), dtype)


@pytest.mark.parametrize("output", ["softmax", "sigmoid", "identity"])
@pytest.mark.parametrize("hidden", HIDDEN)
def test_to_torch_matches_forward_and_round_trips_bitwise(hidden, output, dtype):
    net = network(hidden, output, dtype)
    seq = interop.to_torch(net)
    assert seq[0].weight.dtype == (torch.float32 if dtype == np.float32 else torch.float64)
    assert not seq.training
    X = inputs(dtype)
    assert max_abs_diff_ok(_torch_out(seq, X), net.forward(X), dtype)
    back = interop.from_torch(seq)
    assert back.activations == net.activations and back.loss == net.loss
    assert [a.param for a in back._acts] == [a.param for a in net._acts]
    for (W, b), (W2, b2) in zip(net.params, back.params):
        assert np.array_equal(W, W2) and np.array_equal(b, b2)


def test_loss_argument():
    seq = nn.Sequential(nn.Linear(3, 2), nn.Sigmoid())
    assert interop.from_torch(seq, loss="mse").loss == "mse"


@pytest.mark.parametrize("seq,error,match", [
    (lambda: nn.Sequential(nn.Linear(3, 4), nn.Conv1d(1, 1, 1)), ValueError,
     r"'1' \(Conv1d\) is not supported"),
    (lambda: nn.Sequential(nn.Linear(3, 4), nn.Softplus(beta=2)), ValueError, "beta=2"),
    (lambda: nn.Sequential(nn.Linear(3, 4), nn.Softplus(threshold=5)), ValueError,
     "threshold=5"),
    (lambda: nn.Sequential(nn.Linear(3, 4), nn.Softmax(dim=0)), ValueError, "dim=0"),
    (lambda: nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Tanh()), ValueError, "in a row"),
    (lambda: nn.Sequential(nn.ReLU(), nn.Linear(3, 4)), ValueError, "before the first"),
    (lambda: nn.Sequential(nn.Linear(3, 4), nn.Linear(5, 2)), ValueError, "chain"),
    (lambda: nn.Sequential(nn.ReLU()), ValueError, "before the first"),
    (lambda: nn.Sequential(), ValueError, "no Linear"),
    (lambda: nn.Sequential(nn.Linear(3, 4).half()), TypeError, "float16"),
    (lambda: nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2).double()), TypeError,
     "one dtype"),
    (lambda: nn.Linear(3, 4), TypeError, "nn.Sequential"),
    (lambda: nn.Sequential(nn.Linear(3, 4), nn.GELU(approximate="none"), nn.Dropout()),
     ValueError, "Dropout"),
])
def test_from_torch_refuses(seq, error, match):
    with pytest.raises(error, match=match):
        interop.from_torch(seq())


def test_non_finite_weights_refused():
    seq = nn.Sequential(nn.Linear(3, 4))
    with torch.no_grad():
        seq[0].bias[1] = float("nan")
    with pytest.raises(ValueError, match="layer 0 bias hold NaN"):
        interop.from_torch(seq)


def test_to_torch_refuses_non_network():
    with pytest.raises(TypeError, match="fastnn.Network"):
        interop.to_torch(nn.Sequential())


def test_network_methods_reach_the_conversions():
    import fastnn
    net = fastnn.Network([3, 4, 2], [("leaky_relu", {"alpha": 0.2}), "softmax"], seed=0)
    seq = net.to_torch()
    back = fastnn.Network.from_torch(seq)
    assert back.get_config()["activations"] == net.get_config()["activations"]
    X = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    with torch.no_grad():
        np.testing.assert_allclose(seq(torch.from_numpy(X)).numpy(), net.forward(X), atol=1e-6)
    onnx_back = fastnn.Network.from_onnx(net.to_onnx())
    assert onnx_back.forward(X).tobytes() == net.forward(X).tobytes()


def test_from_torch_refuses_meta_parameters_with_value_error():
    module = torch.nn.Sequential(torch.nn.Linear(3, 2, device="meta"))
    with pytest.raises(ValueError, match="meta device"):
        interop.from_torch(module)
