"""ONNX export of Keras models: natively from the file (native/, no TensorFlow), or through
Keras and tf2onnx; checked with onnxruntime, against Keras itself when TensorFlow is installed."""

from __future__ import annotations

from inspector.export.common import ExportResult
from inspector.export.route import export_onnx

__all__ = ["ExportResult", "export_onnx"]
