"""PyTorch nn.Sequential <-> Network."""
import numpy as np

from fastnn.interop._network_build import activation_specs, build_network, require

_TORCH_DTYPES = ("float32", "float64")


def _activation_of(module, nn):
    """The (name, options) of a torch activation module, or None if it is not one."""
    simple = {nn.ReLU: "relu", nn.Tanh: "tanh", nn.Sigmoid: "sigmoid", nn.SiLU: "silu"}
    for cls, name in simple.items():
        if type(module) is cls:
            return name, {}
    if type(module) is nn.LeakyReLU:
        return "leaky_relu", {"alpha": float(module.negative_slope)}
    if type(module) is nn.ELU:
        return "elu", {"alpha": float(module.alpha)}
    if type(module) is nn.GELU:
        if module.approximate not in ("none", "tanh"):
            raise ValueError(f"GELU(approximate={module.approximate!r}) is not supported")
        return ("gelu" if module.approximate == "none" else "gelu_tanh"), {}
    if type(module) is nn.Softplus:
        if module.beta != 1 or module.threshold != 20:
            raise ValueError(f"Softplus(beta={module.beta}, threshold={module.threshold}) is "
                             "not supported; fastnn's softplus is beta=1 (threshold=20)")
        return "softplus", {}
    if type(module) is nn.Softmax:
        if module.dim not in (-1, 1):
            raise ValueError(f"Softmax(dim={module.dim}) is not supported; use dim=-1 "
                             "(or 1) for (n_samples, n_classes) outputs")
        return "softmax", {}
    return None


def _flat_modules(module, nn, prefix=""):
    """(path, module) of the leaves of nested Sequentials, in order."""
    for name, child in module.named_children():
        path = f"{prefix}{name}"
        if type(child) is nn.Sequential:
            yield from _flat_modules(child, nn, path + ".")
        else:
            yield path, child


def from_torch(module, loss=None):
    """Build a Network from a PyTorch ``nn.Sequential``.

    The Sequential (Sequentials may nest) holds ``Linear`` layers, each
    followed by at most one activation: ``ReLU``, ``LeakyReLU``
    (``negative_slope`` becomes alpha), ``ELU(alpha)``, ``Tanh``,
    ``Sigmoid``, ``Softplus`` (beta=1, threshold=20 only), ``SiLU``,
    ``GELU`` (approximate "none" or "tanh"), ``Softmax(dim=-1 or 1)``; a
    ``Linear`` with no activation after it is an identity layer.
    ``Identity`` modules are skipped, and one ``Flatten()`` first (a no-op
    on 2-D input).  ``W = weight.T`` and ``b = bias`` (zeros without bias),
    copied.

    torch's Softplus returns x itself above threshold=20 where fastnn's
    computes log(1 + exp(x)): they differ there by at most 2.1e-9 (below
    float32's resolution at 20, visible in float64).

    Parameters
    ----------
    module : torch.nn.Sequential
    loss : str, optional
        Default: inferred from the last activation (softmax: cross_entropy,
        sigmoid: binary_cross_entropy, else mse).

    Returns
    -------
    fastnn.Network
        In the weights' dtype (float32 or float64).

    Raises
    ------
    ImportError
        If torch is not installed (``pip install "fastnn-cpu[torch]"``).
    TypeError
        If ``module`` is not an ``nn.Sequential``, or a weight is not
        float32/float64 or the layers' dtypes differ.
    ValueError
        For an unsupported module (the message names it and its position),
        two activations in a row, an activation before the first Linear,
        shapes that do not chain, non-finite weights, or no Linear at all.

    Examples
    --------
    >>> import torch, fastnn
    >>> from fastnn import interop
    >>> seq = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(),
    ...                           torch.nn.Linear(8, 3), torch.nn.Softmax(dim=-1))
    >>> interop.from_torch(seq)
    Network([4, 8, 3], activations=['relu', 'softmax'], loss='cross_entropy', dtype='float32')
    """
    torch = require("torch", "torch")
    nn = torch.nn
    if not isinstance(module, nn.Sequential):
        raise TypeError(f"module must be a torch.nn.Sequential, got {type(module).__name__}")
    params, activations = [], []
    for index, (path, child) in enumerate(_flat_modules(module, nn)):
        where = f"module {path!r} ({type(child).__name__})"
        if type(child) is nn.Identity:
            continue
        if type(child) is nn.Flatten and index == 0:
            if child.start_dim != 1 or child.end_dim != -1:
                raise ValueError(f"{where}: only Flatten(start_dim=1, end_dim=-1) is supported")
            continue
        if type(child) is nn.Linear:
            weight = child.weight.detach()
            if str(weight.dtype).replace("torch.", "") not in _TORCH_DTYPES:
                raise TypeError(f"{where}: weight is {weight.dtype}; only float32 and float64 "
                                "are supported")
            if any(t is not None and t.is_meta for t in (child.weight, child.bias)):
                raise ValueError(f"{where}: its parameters are on the meta device (shapes "
                                 "without values); materialise them first")
            W = weight.cpu().numpy().T.copy()
            b = (child.bias.detach().cpu().numpy().copy() if child.bias is not None
                 else np.zeros(W.shape[1], W.dtype))
            if params and W.dtype != params[0][0].dtype:
                raise TypeError(f"{where}: weight is {W.dtype}, the first Linear's "
                                f"{params[0][0].dtype}; convert the module to one dtype")
            params.append((W, b))
            activations.append(("identity", {}))
            continue
        spec = _activation_of(child, nn)
        if spec is None:
            raise ValueError(f"{where} is not supported; fastnn reads Linear layers and the "
                             "activations ReLU, LeakyReLU, ELU, Tanh, Sigmoid, Softplus, SiLU, "
                             "GELU, Softmax (and Identity)")
        if not params:
            raise ValueError(f"{where}: an activation before the first Linear is not supported")
        if activations[-1][0] != "identity":
            raise ValueError(f"{where}: two activations in a row after one Linear are not "
                             "supported")
        activations[-1] = spec
    if not params:
        raise ValueError("the Sequential holds no Linear layer")
    sizes = [params[0][0].shape[0]] + [W.shape[1] for W, _ in params]
    return build_network(sizes, activations, loss, params[0][0].dtype, params,
                         where="torch module")


def to_torch(net):
    """A PyTorch ``nn.Sequential`` computing the same function as a Network.

    One ``Linear`` per layer (``weight = W.T``, ``bias = b``, copies) in the
    network's dtype, each followed by its activation module (none for
    identity; ``nn.Softmax(dim=-1)`` for softmax, ``nn.GELU("tanh")`` for
    gelu_tanh, ``nn.LeakyReLU(alpha)``, ``nn.ELU(alpha)``).  The module is
    in evaluation mode; ``from_torch(to_torch(net))`` has bitwise the same
    parameters.

    Parameters
    ----------
    net : fastnn.Network

    Returns
    -------
    torch.nn.Sequential

    Raises
    ------
    ImportError
        If torch is not installed (``pip install "fastnn-cpu[torch]"``).
    TypeError
        If ``net`` is not a Network.

    Examples
    --------
    >>> import fastnn
    >>> from fastnn import interop
    >>> net = fastnn.Network([4, 8, 1], ["elu", "sigmoid"], seed=0)
    >>> interop.to_torch(net)
    Sequential(
      (0): Linear(in_features=4, out_features=8, bias=True)
      (1): ELU(alpha=1.0)
      (2): Linear(in_features=8, out_features=1, bias=True)
      (3): Sigmoid()
    )
    """
    from fastnn.network import Network
    torch = require("torch", "torch")
    nn = torch.nn
    if not isinstance(net, Network):
        raise TypeError(f"net must be a fastnn.Network, got {type(net).__name__}")
    dtype = torch.float32 if net.dtype == np.float32 else torch.float64
    makers = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "silu": nn.SiLU,
              "softplus": nn.Softplus, "gelu": nn.GELU,
              "gelu_tanh": lambda: nn.GELU(approximate="tanh"),
              "softmax": lambda: nn.Softmax(dim=-1)}
    layers = []
    for (W, b), (name, options) in zip(net.params, activation_specs(net)):
        linear = nn.Linear(W.shape[0], W.shape[1], dtype=dtype)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(np.array(W.T, order="C")))
            linear.bias.copy_(torch.from_numpy(np.array(b)))
        layers.append(linear)
        if name == "leaky_relu":
            layers.append(nn.LeakyReLU(options["alpha"]))
        elif name == "elu":
            layers.append(nn.ELU(options["alpha"]))
        elif name != "identity":
            layers.append(makers[name]())
    return nn.Sequential(*layers).eval()
