"""Print, as JSON, the output shapes Keras itself computes for every layer of a model file:
`{layer name: [shape, ...]}`. Run in its own process (tf_keras and Keras 3 cannot share one):

    TF_USE_LEGACY_KERAS=1 python tests/live_shapes.py tf_keras FILE...
    KERAS_BACKEND=tensorflow python tests/live_shapes.py keras FILE...
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def tf_keras_shapes(path: str) -> dict[str, list]:
    import tensorflow as tf
    import tf_keras

    model = tf_keras.models.load_model(path, compile=False)
    found = {}
    for layer in model.layers:
        node = layer.inbound_nodes[-1]  # a nested model's call in this model, not its own node 0
        found[layer.name] = [list(t.shape) for t in tf.nest.flatten(node.outputs)]
    return found


def keras_shapes(path: str) -> dict[str, list]:
    import keras

    model = keras.saving.load_model(path, compile=False)
    found = {}
    for operation in model.operations:
        node = operation._inbound_nodes[-1]
        found[operation.name] = [list(t.shape) for t in node.output_tensors]
    return found


if __name__ == "__main__":
    read = tf_keras_shapes if sys.argv[1] == "tf_keras" else keras_shapes
    print(json.dumps({path: read(path) for path in sys.argv[2:]}))
