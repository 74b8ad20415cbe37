"""ONNX export straight from the layer graph and the file's weight arrays: onnx.helper and numpy,
never TensorFlow or Keras. One module per layer family registers its converters (registry.py);
emitter.py keeps channels-last values and inserts transposes only where an operator needs them."""

from __future__ import annotations

from inspector.export.native.convert import convert_graph, supported_classes, unsupported_layers

__all__ = ["convert_graph", "supported_classes", "unsupported_layers"]
