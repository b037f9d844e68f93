import os
from typing import Any, Literal, Optional, Sequence, Tuple, Union, overload

import numpy as np

from fastnn.network import Network

__all__ = ["to_onnx", "from_onnx", "from_sklearn", "from_torch", "to_torch"]

_Path = Union[str, "os.PathLike[str]"]

def to_onnx(net: Network, path: Optional[_Path] = ..., opset: Optional[int] = ...,
            classes: Optional[Sequence[Any]] = ..., input_name: str = ...,
            output_name: Optional[str] = ..., label_name: str = ...) -> Any: ...
def from_onnx(model: Union[Any, bytes, _Path], loss: Optional[str] = ...) -> Network: ...
@overload
def from_sklearn(mlp: Any, return_classes: Literal[False] = ...) -> Network: ...
@overload
def from_sklearn(mlp: Any, return_classes: Literal[True]) -> Tuple[Network, np.ndarray]: ...
def from_torch(module: Any, loss: Optional[str] = ...) -> Network: ...
def to_torch(net: Network) -> Any: ...
