"""The one place where the interop converters turn layers into a Network,
and the activation specs read back from one.

An activation spec is ``(name, options)``: a fastnn activation name and a dict
of its options, ``{"alpha": a}`` for leaky_relu and elu, ``{}`` otherwise.
"""
import importlib

import numpy as np

from fastnn.activations import get_activation
from fastnn.network import Network

# Activations whose single numeric parameter is called alpha.
ALPHA_ACTIVATIONS = ("leaky_relu", "elu")


def require(module_name, extra):
    """Import an optional dependency or say which extra brings it."""
    try:
        return importlib.import_module(module_name)
    except ImportError as exc:
        raise ImportError(f"{module_name} is needed for this conversion; install it with "
                          f'pip install "fastnn-cpu[{extra}]"') from exc


def activation_specs(net):
    """``[(name, options), ...]`` of a Network's layers."""
    return [(act.name, {"alpha": float(act.param)} if act.name in ALPHA_ACTIVATIONS else {})
            for act in net._acts]


def _checked_options(name, options, where):
    allowed = {"alpha"} if name in ALPHA_ACTIVATIONS else set()
    unknown = set(options) - allowed
    if unknown:
        raise ValueError(f"{where}: activation {name!r} takes no option "
                         f"{', '.join(sorted(unknown))}")
    if "alpha" in options:
        alpha = options["alpha"]
        # The activation's own function checks alpha's type and range, so the
        # rule lives in one place.
        get_activation(name).forward(np.zeros(0), alpha=alpha)
        return {"alpha": float(alpha)}
    return {}


def build_network(layer_sizes, activations, loss, dtype, params, where="model"):
    """A Network with the given layers, activations and parameters.

    Parameters
    ----------
    layer_sizes : list of int
    activations : list of (str, dict)
        One activation spec per layer.
    loss : str or None
        None lets the Network infer it from the output activation.
    dtype : numpy.dtype
        float32 or float64; the parameters must have it already.
    params : list of (W, b)
        ``W`` of shape (n_in, n_out), ``b`` of shape (n_out,).
    where : str
        What is being converted, for error messages.

    Raises
    ------
    ValueError
        If the shapes do not chain, a value is not finite, an activation or
        its option is unknown, or the loss does not fit.
    TypeError
        If a parameter is not of ``dtype``.
    """
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"{where}: parameters must be float32 or float64, got {dtype}")
    if len(params) != len(activations) or len(layer_sizes) != len(params) + 1:
        raise ValueError(f"{where}: {len(params)} layers, {len(activations)} activations "
                         f"and {len(layer_sizes)} layer sizes do not fit")
    for i, (W, b) in enumerate(params):
        n_in, n_out = layer_sizes[i], layer_sizes[i + 1]
        for arr, label, shape in ((W, f"layer {i} weights", (n_in, n_out)),
                                  (b, f"layer {i} bias", (n_out,))):
            if arr.dtype != dtype:
                raise TypeError(f"{where}: {label} are {arr.dtype}, the model is {dtype}")
            if arr.shape != shape:
                raise ValueError(f"{where}: {label} have shape {arr.shape}, expected {shape} "
                                 f"(the layer sizes {layer_sizes} must chain)")
            if not np.all(np.isfinite(arr)):
                raise ValueError(f"{where}: {label} hold NaN or inf")
    options = [_checked_options(name, opts, where) for name, opts in activations]
    net = Network(layer_sizes, [(name, opts) if opts else name
                                for (name, _), opts in zip(activations, options)],
                  loss=loss, dtype=dtype, seed=0)
    net.set_params(params)
    return net
