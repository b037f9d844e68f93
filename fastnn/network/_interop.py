"""Conversions to and from other runtimes, as Network methods; the work is
done by :mod:`fastnn.interop`, imported only when one is called so that
``import fastnn`` needs none of onnx, torch or scikit-learn."""
from typing import Any, Optional


class _InteropMixin:
    """to_onnx, to_torch, from_onnx, from_sklearn, from_torch."""

    def to_onnx(self, path: Any = None, **kwargs: Any) -> Any:
        """The network as an ``onnx.ModelProto`` (written to ``path`` if
        given); see :func:`fastnn.interop.to_onnx` for the keywords."""
        from fastnn.interop import to_onnx
        return to_onnx(self, path, **kwargs)  # type: ignore[arg-type]  # self is a Network

    def to_torch(self) -> Any:
        """The network as a ``torch.nn.Sequential``; see
        :func:`fastnn.interop.to_torch`."""
        from fastnn.interop import to_torch
        return to_torch(self)  # type: ignore[arg-type]  # self is a Network

    @classmethod
    def from_onnx(cls, model: Any, loss: Optional[str] = None) -> Any:
        """A Network from an ONNX model, bytes or file; see
        :func:`fastnn.interop.from_onnx`."""
        from fastnn.interop import from_onnx
        return from_onnx(model, loss=loss)

    @classmethod
    def from_sklearn(cls, mlp: Any, return_classes: bool = False) -> Any:
        """A Network from a fitted scikit-learn MLP; see
        :func:`fastnn.interop.from_sklearn`."""
        from fastnn.interop import from_sklearn
        return from_sklearn(mlp, return_classes=return_classes)  # type: ignore[call-overload]

    @classmethod
    def from_torch(cls, module: Any, loss: Optional[str] = None) -> Any:
        """A Network from a ``torch.nn.Sequential``; see
        :func:`fastnn.interop.from_torch`."""
        from fastnn.interop import from_torch
        return from_torch(module, loss=loss)
