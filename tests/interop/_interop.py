"""Networks and data shared by the interop tests."""
import numpy as np

import fastnn
from fastnn.interop._network_build import build_network

HIDDEN = ["identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "silu",
          "gelu", "gelu_tanh"]
# Largest max abs difference allowed between two implementations, for
# outputs up to 1 in magnitude (probabilities).
TOL = {np.float32: 1e-6, np.float64: 1e-12}


def max_abs_diff_ok(got, ref, dtype):
    """max |got - ref| <= TOL * max(1, max |ref|): an absolute bound for
    probabilities; for unbounded (MSE) outputs it scales with their size,
    since one float32 ulp of a value above 8 is already 1e-6."""
    diff = float(np.max(np.abs(np.asarray(got, np.float64) - ref)))
    return diff <= TOL[dtype] * max(1.0, float(np.max(np.abs(ref))))


def spec(name):
    """An activation spec with a non-default alpha, so that alpha must travel."""
    return (name, {"alpha": 0.3 if name == "elu" else 0.1}
            if name in ("leaky_relu", "elu") else {})


def network(hidden, output, dtype, n_outputs=3, seed=1):
    """A [6, 12, 10, n_outputs] network with ``hidden`` twice and ``output`` last."""
    sizes = [6, 12, 10, n_outputs]
    acts = [spec(hidden), spec(hidden), spec(output)]
    draft = fastnn.Network(sizes, [a for a, _ in acts], dtype=dtype, seed=seed)
    return build_network(sizes, acts, None, dtype, [(W.copy(), b.copy())
                                                     for W, b in draft.params])


def inputs(dtype, n=64, seed=0):
    return np.random.default_rng(seed).normal(size=(n, 6)).astype(dtype)
