"""Type stubs for the compiled kernels (internal: use fastnn.activations)."""
from typing import Any, Optional

import numpy as np
from numpy.typing import ArrayLike, NDArray

ACTIVATION_IDS: dict[str, int]

def get_num_threads() -> int: ...
def set_num_threads(n: int) -> None: ...
def openmp_enabled() -> bool: ...
def build_info() -> tuple[str, str]: ...
def simd_info() -> tuple[str, str]: ...
def elementwise(what: int, act: int, x: ArrayLike, out: Optional[NDArray[np.floating[Any]]] = None,
                param: float = 0.0) -> Any: ...
def backward(act: int, grad: ArrayLike, saved: ArrayLike,
             out: Optional[NDArray[np.floating[Any]]] = None, param: float = 0.0) -> Any: ...
def rowwise(what: int, x: ArrayLike, y: Optional[ArrayLike] = None, axis: int = -1,
            out: Optional[NDArray[np.floating[Any]]] = None) -> Any: ...

# The compiled dense layer and training loop (fastnn/_dense.pxi), driven by
# fastnn.dense and fastnn.network, which validate every argument first.
SOFTMAX_ID: int
LOSS_IDS: dict[str, int]
OPTIMIZER_IDS: dict[str, int]

def dense_forward_into(X: NDArray[Any], W: NDArray[Any], b: NDArray[Any], act: int,
                       param: float, Z: NDArray[Any], A: NDArray[Any]) -> None: ...
def dense_backward_into(grad_A: NDArray[Any], X: NDArray[Any], W: NDArray[Any],
                        saved: NDArray[Any], act: int, param: float, dZ: NDArray[Any],
                        grad_X: Optional[NDArray[Any]], grad_W: NDArray[Any],
                        grad_b: NDArray[Any]) -> None: ...

class Trainer:
    batch_size: int
    def __init__(self, sizes: Any, act_ids: Any, act_params: Any, saves_output: Any,
                 loss_id: int, l2: float, batch: int, params: NDArray[Any],
                 grads: NDArray[Any], w_offsets: Any, b_offsets: Any) -> None: ...
    def run(self, X: NDArray[Any], Y: Optional[NDArray[Any]], labels: Optional[NDArray[Any]],
            perm: NDArray[Any], optimizer: Optional[dict[str, Any]] = None
            ) -> tuple[float, int, int, int]: ...
