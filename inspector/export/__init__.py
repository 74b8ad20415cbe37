"""ONNX export of Keras models, with a parity check against Keras itself.

Only this package (and Python builders) import TensorFlow: exporting must run the model.
"""

from __future__ import annotations

from inspector.export.onnx_export import ExportResult, export_onnx

__all__ = ["ExportResult", "export_onnx"]
