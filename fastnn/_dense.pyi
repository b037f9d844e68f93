"""Type stubs for the compiled dense layer (internal: use fastnn.dense)."""
from typing import Any, Optional

import numpy as np
from numpy.typing import NDArray

_Array = NDArray[np.floating[Any]]

def simd_selected() -> str: ...
def dense_forward_into(X: _Array, W: _Array, b: _Array, act: int, param: float,
                       Z: _Array, A: _Array) -> None: ...
def dense_backward_into(grad_A: _Array, X: _Array, W: _Array, saved: _Array, act: int,
                        param: float, dZ: _Array, grad_X: Optional[_Array],
                        grad_W: _Array, grad_b: _Array) -> None: ...
