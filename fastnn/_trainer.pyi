"""Type stubs for the compiled training loop (internal: use fastnn.Network)."""
import enum
from typing import Any, Optional, Sequence

import numpy as np
from numpy.typing import NDArray
from typing_extensions import disjoint_base

_Array = NDArray[np.floating[Any]]

class fnn_loss(enum.IntEnum):
    FNN_MSE = 0
    FNN_BCE = 1
    FNN_CE = 2
    FNN_POISSON = 3

class fnn_optimizer(enum.IntEnum):
    FNN_SGD = 0
    FNN_ADAM = 1

SOFTMAX_ID: int
LOSS_IDS: dict[str, int]
OPTIMIZER_IDS: dict[str, int]
SK_POISSON_ID: int
PARAMS_NOT_FINITE: int

def simd_selected() -> str: ...
def _layer_passes(z: NDArray[np.floating], b: NDArray[np.floating],
                  grad: NDArray[np.floating], act: int, param: float,
                  threads: int) -> tuple[NDArray[np.floating], NDArray[np.floating],
                                         NDArray[np.floating]]: ...
def _bounded_draws(rng: np.random.Generator, high: int, count: int) -> NDArray[np.uint64]: ...

@disjoint_base
class Trainer:
    def __init__(self, sizes: Sequence[int], act_ids: Sequence[int],
                 act_params: Sequence[float], saves_output: Sequence[bool], loss_id: int,
                 l2: float, batch: int, params: _Array, grads: _Array,
                 w_offsets: Sequence[int], b_offsets: Sequence[int],
                 sklearn_scaling: bool = False) -> None: ...
    @property
    def batch_size(self) -> int: ...
    def run(self, X: Any, Y: Optional[_Array], labels: Optional[NDArray[np.int64]],
            perm: NDArray[np.int64], optimizer: Optional[dict[str, Any]] = None,
            sample_weight: Optional[NDArray[np.float64]] = None,
            check_finite: bool = False, check_x: bool = True) -> tuple[float, int, int, int]: ...
    def fit_epochs(self, X: _Array, Y: Optional[_Array], labels: Optional[NDArray[np.int64]],
                   perm: NDArray[np.int64], optimizer: dict[str, Any],
                   rng: Optional[np.random.Generator],
                   snapshot: tuple[_Array, Optional[_Array], Optional[_Array]],
                   loss_sum: NDArray[np.float64], correct: NDArray[np.int64],
                   seconds: NDArray[np.float64], progress: NDArray[np.int64],
                   check_x: bool = True) -> int: ...
    def loss_and_grad_full(self, X: _Array, Y: Optional[_Array],
                           labels: Optional[NDArray[np.int64]],
                           sample_weight: Optional[NDArray[np.float64]] = None) -> float: ...
