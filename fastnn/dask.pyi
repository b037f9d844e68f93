from typing import Any, Optional

import numpy as np

__all__ = ["fit_blocks", "predict_blocks", "ThreadLimits", "limit_worker_threads"]

class ThreadLimits:
    name: str
    threads: Optional[int]
    def __init__(self, threads: Optional[int] = None) -> None: ...
    def setup(self, worker: Any) -> None: ...

def limit_worker_threads(client: Any, threads: Optional[int] = None) -> ThreadLimits: ...
def fit_blocks(estimator: Any, X: Any, y: Any, epochs: int = 1, shuffle_blocks: bool = True,
               random_state: Optional[int | np.random.Generator] = None,
               classes: Any = None, **fit_params: Any) -> Any: ...
def predict_blocks(model: Any, X: Any, method: str = "predict") -> Any: ...
