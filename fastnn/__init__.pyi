"""Type stubs for fastnn's top-level namespace."""
from typing import IO, Optional

from fastnn.activations import (
    ACTIVATIONS as ACTIVATIONS,
    Activation as Activation,
    elu as elu,
    elu_backward as elu_backward,
    elu_derivative as elu_derivative,
    gelu as gelu,
    gelu_backward as gelu_backward,
    gelu_derivative as gelu_derivative,
    get_activation as get_activation,
    identity as identity,
    identity_backward as identity_backward,
    identity_derivative as identity_derivative,
    leaky_relu as leaky_relu,
    leaky_relu_backward as leaky_relu_backward,
    leaky_relu_derivative as leaky_relu_derivative,
    log_softmax as log_softmax,
    relu as relu,
    relu_backward as relu_backward,
    relu_derivative as relu_derivative,
    sigmoid as sigmoid,
    sigmoid_backward as sigmoid_backward,
    sigmoid_derivative as sigmoid_derivative,
    silu as silu,
    silu_backward as silu_backward,
    silu_derivative as silu_derivative,
    softmax as softmax,
    softmax_backward as softmax_backward,
    softplus as softplus,
    softplus_backward as softplus_backward,
    softplus_derivative as softplus_derivative,
    tanh as tanh,
    tanh_backward as tanh_backward,
    tanh_derivative as tanh_derivative,
)
from fastnn import datasets as datasets
from fastnn.dense import dense_backward as dense_backward, dense_forward as dense_forward
from fastnn.losses import LOSSES as LOSSES, get_loss as get_loss
from fastnn.network import History as History, Network as Network
from fastnn.optimizers import (
    SGD as SGD,
    Adam as Adam,
    Optimizer as Optimizer,
    get_optimizer as get_optimizer,
)

__version__: str
__all__ = [
    "__version__", "get_num_threads", "set_num_threads", "show_config", "Activation",
    "get_activation", "ACTIVATIONS", "softmax", "log_softmax", "softmax_backward", "elu",
    "elu_backward", "elu_derivative", "gelu", "gelu_backward", "gelu_derivative",
    "identity", "identity_backward", "identity_derivative", "leaky_relu",
    "leaky_relu_backward", "leaky_relu_derivative", "relu", "relu_backward",
    "relu_derivative", "sigmoid", "sigmoid_backward", "sigmoid_derivative", "silu",
    "silu_backward", "silu_derivative", "softplus", "softplus_backward",
    "softplus_derivative", "tanh", "tanh_backward", "tanh_derivative",
    "dense_forward", "dense_backward", "get_loss", "LOSSES", "SGD", "Adam", "Optimizer",
    "get_optimizer", "Network", "History", "datasets",
]


def get_num_threads() -> int: ...
def set_num_threads(n: int) -> None: ...
def show_config(file: Optional[IO[str]] = None) -> None: ...

# Loaded lazily (module __getattr__); they need the [sklearn] extra.
from fastnn.estimators import MLPClassifier as MLPClassifier, MLPRegressor as MLPRegressor
