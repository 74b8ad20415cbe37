"""The vocabulary of layer kinds (inspector.kinds) names real classes: each name is a class of the
installed Keras 3 or tf_keras, a Keras 1 or tf.keras 1 name that no installed Keras has any more,
a QKeras layer, or an ONNX operator (the ONNX loader keeps a node's op type as its class)."""

from __future__ import annotations

import os

import pytest

from inspector import kinds
from inspector.shapes import known_classes

KERAS_1 = frozenset({
    "AtrousConvolution1D", "AtrousConvolution2D",
    "Deconvolution2D", "Deconvolution3D", "TimeDistributedDense", "MaxoutDense", "Highway", "Merge",
    "SReLU", "ParametricSoftplus", "ThresholdedLinear", "AutoEncoder", "Recurrent",
    "CuDNNLSTM", "CuDNNGRU",  # Keras 2 on TensorFlow 1
    "BatchNormalizationV1", "BatchNormalizationV2",  # tf.keras 1.13 (tf_keras/src/layers/serialization.py)
})
"""Names that Keras files of those eras hold and no installed Keras defines."""

TF_KERAS_INTERNAL = frozenset({
    "TFOpLambda", "SlicingOpLambda", "TensorFlowOpLayer", "KerasHistory", "ClassMethod",
    "InstanceMethod", "InstanceProperty", "KerasOpDispatcher", "TFClassMethodDispatcher",
    "TFSlicingOpDispatcher",
})
"""Classes tf.keras writes for raw TensorFlow ops, not exported by `tf_keras.layers`."""


@pytest.fixture(scope="module")
def keras_classes() -> frozenset[str]:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    keras = pytest.importorskip("keras")
    tf_keras = pytest.importorskip("tf_keras")
    from tf_keras.src.engine import base_layer, node
    from tf_keras.src.layers.core import tf_op_layer

    modules = (keras.layers, keras.models, tf_keras.layers, tf_keras.layers.experimental, tf_keras.models)
    names = {name for module in modules for name in dir(module) if name[:1].isupper()}
    internal = {name for module in (base_layer, node, tf_op_layer) for name in dir(module)}
    assert TF_KERAS_INTERNAL <= internal, TF_KERAS_INTERNAL - internal
    assert not KERAS_1 & names, "a Keras 1 name is defined again: move it out of KERAS_1"
    return frozenset(names | {"Functional"} | TF_KERAS_INTERNAL | KERAS_1)


@pytest.fixture(scope="module")
def onnx_ops() -> frozenset[str]:
    defs = pytest.importorskip("onnx.defs")
    return frozenset(schema.name for schema in defs.get_all_schemas_with_history())


def _kinds() -> dict[str, frozenset[str]]:
    return {name: value for name, value in vars(kinds).items()
            if name.isupper() and isinstance(value, frozenset)}


@pytest.mark.parametrize("kind", sorted(set(_kinds()) - {"KNOWN_LAYERS"}))
def test_every_name_of_a_kind_is_a_keras_class_or_an_onnx_op(kind, keras_classes, onnx_ops):
    unknown = _kinds()[kind] - keras_classes - onnx_ops - kinds.QKERAS
    assert not unknown, f"{kind} names classes that are neither Keras nor ONNX: {sorted(unknown)}"


def test_the_known_layers_are_keras_classes(keras_classes):
    """unknown-layer (S102) calls a class unknown when it is not here: no name that is not Keras."""
    assert kinds.KNOWN_LAYERS <= keras_classes, sorted(kinds.KNOWN_LAYERS - keras_classes)


def test_every_keras_class_a_kind_names_is_a_known_layer(onnx_ops):
    """A layer a rule knows by kind is not an unknown layer (QKeras's and add-ons' stay unknown)."""
    named = frozenset().union(*(v for k, v in _kinds().items() if k != "KNOWN_LAYERS"))
    missing = named - kinds.KNOWN_LAYERS - kinds.QKERAS - onnx_ops
    assert not missing, sorted(missing)


def test_every_pooling_shape_inference_knows_is_a_kind():
    """Shape inference and the rules once disagreed: it knew Adaptive*Pooling, no rule did."""
    pooling = {name for name in known_classes() if "Pool" in name}
    assert pooling, "shape inference knows no pooling layer: the test reads the wrong registry"
    assert pooling <= kinds.POOLING | kinds.GLOBAL_POOLING, sorted(pooling - kinds.POOLING - kinds.GLOBAL_POOLING)


def test_kinds_that_exclude_each_other_do():
    """A class is one thing: a weight layer is not passed through, a normalization is not an
    activation, a pooling is not a reshape."""
    assert not kinds.WEIGHT_LAYERS & kinds.PASS_THROUGH_LAYERS
    assert not kinds.NORMALIZATION_LAYERS & (kinds.PASS_THROUGH_LAYERS | kinds.WEIGHT_LAYERS)
    assert not (kinds.POOLING | kinds.GLOBAL_POOLING) & kinds.RESHAPE_LAYERS
    assert not kinds.POOLING & kinds.GLOBAL_POOLING
    assert kinds.TRANSPOSED_CONVOLUTION | kinds.DEPTHWISE_CONVOLUTION <= kinds.CONVOLUTION
    assert kinds.DROPOUT < kinds.NOISE_LAYERS < kinds.DROPOUT_LAYERS
