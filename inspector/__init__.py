"""keras-inspector: read Keras and ONNX model files into one layer graph, without TensorFlow."""

__version__ = "0.1.0"
