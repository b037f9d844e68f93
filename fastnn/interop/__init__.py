"""Export and import of networks: ONNX, scikit-learn and PyTorch.

- :func:`to_onnx` / :func:`from_onnx`: ONNX models for any runtime;
- :func:`from_sklearn`: a fitted ``sklearn.neural_network.MLPClassifier`` or
  ``MLPRegressor``;
- :func:`from_torch` / :func:`to_torch`: a ``torch.nn.Sequential`` of
  ``Linear`` layers and activations.

The optional dependencies are imported only when a function needs them:
onnx (and onnxruntime to run the models) are the extra ``[onnx]``,
scikit-learn ``[sklearn]``, PyTorch ``[torch]``.
"""
from fastnn.interop._onnx_export import to_onnx
from fastnn.interop._onnx_import import from_onnx
from fastnn.interop._sklearn import from_sklearn
from fastnn.interop._torch import from_torch, to_torch

__all__ = ["to_onnx", "from_onnx", "from_sklearn", "from_torch", "to_torch"]
