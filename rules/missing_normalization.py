"""N101 missing-normalization: long stacks of weight layers with nothing normalizing them."""

from __future__ import annotations

from collections.abc import Iterator

from inspector.engine import RuleOptions, Violation, rule
from inspector.graph import ModelGraph
from inspector.rules import _examples as ex
from inspector.rules._util import (
    NORMALIZATION_LAYERS,
    PASS_THROUGH_LAYERS,
    display,
    is_weight_layer,
    layer_activation,
    unwrapped,
)


def _vgg_like():
    """Four 3x3 convolutions and a classifier, no BatchNormalization anywhere (VGG's pattern)."""
    m = ex.Functional("vgg_like")
    x = m.input("image", (None, 32, 32, 3))
    h = x
    for i in (1, 2):
        h = m.add(ex.layer("Conv2D", f"block{i}_conv1", filters=16, kernel_size=[3, 3],
                           padding="same", activation="relu"), h)
        h = m.add(ex.layer("Conv2D", f"block{i}_conv2", filters=16, kernel_size=[3, 3],
                           padding="same", activation="relu"), h)
        h = m.add(ex.layer("MaxPooling2D", f"block{i}_pool"), h)
    h = m.add(ex.layer("Flatten", "flatten"), h)
    y = m.add(ex.layer("Dense", "predictions", units=10, activation="softmax"), h)
    return m.build([x], [y], loss="sparse_categorical_crossentropy")


def _residual_without_normalization():
    """A residual block whose branch has two convolutions and whose shortcut is the input."""
    m = ex.Functional("residual")
    x = m.input("image", (None, 16, 16, 8))
    a = m.add(ex.layer("Conv2D", "stem", filters=8, kernel_size=[3, 3], padding="same"), x)
    b = m.add(ex.layer("Conv2D", "conv_1", filters=8, kernel_size=[3, 3], padding="same"), a)
    c = m.add(ex.layer("Conv2D", "conv_2", filters=8, kernel_size=[3, 3], padding="same"), b)
    s = m.add(ex.layer("Add", "add"), a, c)
    f = m.add(ex.layer("GlobalAveragePooling2D", "gap"), s)
    y = m.add(ex.layer("Dense", "predictions", units=10, activation="softmax"), f)
    return m.build([x], [y])


def _recurrent_between():
    """Dense layers on both sides of an LSTM: the LSTM ends one chain, the next starts at zero."""
    m = ex.Functional("rnn_between")
    x = m.input("steps", (None, 10, 8))
    h = m.add(ex.layer("Dense", "in_1", units=8), x)
    h = m.add(ex.layer("Dense", "in_2", units=8), h)
    h = m.add(ex.layer("LSTM", "lstm", units=8), h)
    h = m.add(ex.layer("Dense", "out_1", units=8), h)
    y = m.add(ex.layer("Dense", "out_2", units=1, activation="sigmoid"), h)
    return m.build([x], [y])


@rule(
    "N101",
    "missing-normalization",
    "warning",
    options={"depth": 4},
    invalid=[
        ex.dense_chain("deep_mlp", [32, 32, 32, 32]),
        _vgg_like,
        _residual_without_normalization,
        ex.sequential((None, 8), *(ex.layer("Dense", f"d{i}", units=8, activation="relu")
                                   for i in range(4)), ex.layer("Dropout", "drop", rate=0.5)),
    ],
    valid=[
        ex.dense_chain("shallow_mlp", [32, 32]),
        ex.dense_chain("normalized_mlp", [32, 32, 32, 32, 32], between=["BatchNormalization"]),
        ex.dense_chain("layer_normalized", [32] * 6, between=["LayerNormalization"]),
        ex.dense_chain("self_normalizing", [32] * 8, activation="selu"),
        _recurrent_between,
    ],
)
def missing_normalization(graph: ModelGraph, opts: RuleOptions) -> Iterator[Violation]:
    """
    ## What it does
    Finds paths of `depth` (default 4) or more consecutive weight layers (Dense, Conv1D/2D/3D,
    SeparableConv, DepthwiseConv, ConvTranspose; ONNX Conv, Gemm, MatMul) with no normalization
    layer (BatchNormalization, LayerNormalization, GroupNormalization, UnitNormalization, ...)
    between them, and reports each maximal such chain once, naming its layers.

    "Consecutive" means connected through layers that neither learn a linear map nor normalize:
    activations, dropout and noise, pooling, padding, cropping, up-sampling, reshaping, and merges
    (Add, Concatenate, Multiply...). A merge continues the longest chain among its inputs, so a
    residual shortcut that skips convolutions does not shorten the convolution path beside it.
    Every other layer ends a chain: normalization (which is the point), and also layers whose
    behaviour the rule does not model (Embedding, recurrent layers, attention, Lambda, custom
    layers, nested models). Weight layers with a self-normalizing activation (SELU) do not count.

    With these definitions VGG16 (13 convolutions and 3 Dense layers, pooling between blocks, no
    normalization) is reported, while ResNet50, MobileNetV2, InceptionV3, DenseNet121,
    EfficientNetB0, Xception and NASNetMobile, which normalize after (almost) every convolution,
    are not: their longest unnormalized chain is 3 (EfficientNet's squeeze-and-excitation).

    ## Why it matters
    Without normalization, the scale of activations drifts layer after layer; deep stacks then
    train slowly or not at all, and need careful initialization and small learning rates.
    Normalization keeps each layer's input centred and scaled, which is what lets deep networks
    train quickly (Ioffe & Szegedy 2015). VGG16 trains from scratch only with great care for
    exactly this reason.

    ## Example
    ```python
    x = inputs
    for _ in range(8):
        x = layers.Dense(32, activation="relu")(x)   # 8 in a row, never normalized
    ```

    ## How to fix
    Put a `BatchNormalization` (convolutions, large batches) or `LayerNormalization` (sequences,
    small batches) between weight layers, commonly `Conv2D(use_bias=False)` -> `BatchNormalization`
    -> `Activation("relu")`; or use SELU activations with `lecun_normal` initialization. Raise the
    threshold with `[tool.inspector.rules.missing-normalization] depth = 6`.
    """
    depth = int(opts["depth"])
    count: dict[str, int] = {}  # call id -> weight layers in the chain ending at its output
    last: dict[str, str | None] = {}  # call id -> last counted weight call in that chain
    previous: dict[str, str | None] = {}  # weight call id -> the weight call before it
    continued: set[str] = set()
    for call in graph.calls:
        layer = graph.layer(call.layer)
        cls = unwrapped(layer)[0]
        preds = graph.predecessors(call.id)
        best = max(preds, key=lambda p: count.get(p, 0), default=None)
        incoming = count.get(best, 0) if best else 0
        before = last.get(best) if best else None
        if is_weight_layer(layer):
            if _self_normalizing(graph, call.id):
                count[call.id], last[call.id] = incoming, before
            else:
                count[call.id], last[call.id] = incoming + 1, call.id
                previous[call.id] = before
                if before is not None:
                    continued.add(before)
        elif cls in PASS_THROUGH_LAYERS and cls not in NORMALIZATION_LAYERS:
            count[call.id], last[call.id] = incoming, before
        else:
            count[call.id], last[call.id] = 0, None
    for end in previous:
        if end in continued or count[end] < depth:
            continue
        chain: list[str] = []
        node: str | None = end
        while node is not None:
            chain.append(node)
            node = previous[node]
        names = list(dict.fromkeys(graph.call(c).layer for c in reversed(chain)))
        yield Violation(
            f"{len(chain)} weight layers in a row with no normalization between them "
            f"(threshold {depth}): {display(names)}",
            tuple(names),
        )


def _self_normalizing(graph: ModelGraph, call_id: str) -> bool:
    """SELU on the layer itself, or in an activation layer that is its only consumer."""
    if layer_activation(graph.layer_of(call_id)) == "selu":
        return True
    users = graph.successors(call_id)
    return len(users) == 1 and layer_activation(graph.layer_of(users[0])) == "selu"
