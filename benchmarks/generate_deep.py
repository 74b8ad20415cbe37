"""Write a deep Functional model as Keras architecture JSON, without TensorFlow.

The model repeats a small residual block (Dense -> BatchNormalization -> Activation -> Dense ->
BatchNormalization -> Add -> Activation) until it has the requested number of layers, then a
softmax classifier: realistic enough that every rule has work to do, and large on purpose.

    python benchmarks/generate_deep.py 10000 /tmp/deep_10000.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from inspector.rules._examples import Functional, layer


def deep_config(n_layers: int, width: int = 16) -> dict:
    m = Functional(f"deep_{n_layers}")
    x = m.input("features", (None, width))
    h, count, block = x, 1, 0
    while count + 8 <= n_layers:
        block += 1
        a = m.add(layer("Dense", f"b{block}_dense_a", units=width, use_bias=False), h)
        a = m.add(layer("BatchNormalization", f"b{block}_bn_a"), a)
        a = m.add(layer("Activation", f"b{block}_relu_a", activation="relu"), a)
        a = m.add(layer("Dense", f"b{block}_dense_b", units=width, use_bias=False), a)
        a = m.add(layer("BatchNormalization", f"b{block}_bn_b"), a)
        a = m.add(layer("Add", f"b{block}_add"), h, a)
        h = m.add(layer("Activation", f"b{block}_relu_out", activation="relu"), a)
        count += 7
    while count < n_layers - 1:
        h = m.add(layer("Dropout", f"tail_dropout_{count}", rate=0.1), h)
        count += 1
    y = m.add(layer("Dense", "predictions", units=10, activation="softmax"), h)
    return m.build([x], [y], loss="sparse_categorical_crossentropy")


def write_deep(n_layers: int, path: Path) -> Path:
    path.write_text(json.dumps(deep_config(n_layers)))
    return path


if __name__ == "__main__":
    write_deep(int(sys.argv[1]), Path(sys.argv[2]))
