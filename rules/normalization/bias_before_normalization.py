"""N102 bias-before-normalization: a bias that the following BatchNormalization cancels."""

from __future__ import annotations

from collections.abc import Iterator

from inspector.engine import RuleOptions, Violation, rule
from inspector.graph import ModelGraph
from inspector.kinds import BATCH_NORMALIZATION, DROPOUT_LAYERS, RESHAPE_LAYERS
from inspector.rules import _examples as ex
from inspector.rules._util import is_weight_layer, layer_activation, unwrapped


def _block(use_bias, activation="linear", between=()):
    m = ex.Functional("block")
    x = m.input("image", (None, 16, 16, 3))
    h = m.add(ex.layer("Conv2D", "conv", filters=8, kernel_size=[3, 3], use_bias=use_bias,
                       activation=activation), x)
    for cls in between:
        h = m.add(ex.layer(cls, cls.lower()), h)
    h = m.add(ex.layer("BatchNormalization", "bn"), h)
    h = m.add(ex.layer("Activation", "relu", activation="relu"), h)
    h = m.add(ex.layer("GlobalAveragePooling2D", "gap"), h)
    y = m.add(ex.layer("Dense", "predictions", units=10, activation="softmax"), h)
    return m.build([x], [y])


def _dense_then_bn(use_bias):
    return ex.dense_chain("mlp", [32], activation="linear", between=["BatchNormalization"]) \
        if use_bias else ex.sequential(
            (None, 64), ex.layer("Dense", "hidden", units=32, use_bias=False),
            ex.layer("BatchNormalization", "bn"), ex.layer("Dense", "out", units=10))


@rule(
    "N102",
    "bias-before-normalization",
    "info",
    frameworks=("keras",),  # at inference the bias and the normalization fold into one affine map: no cost
    invalid=[_block(True), _block(True, between=["Flatten"]), _block(True, between=["Dropout"]),
             _dense_then_bn(True),
             ex.dense_chain("mlp", [32, 32], activation="linear", between=["BatchNormalization"])],
    valid=[_block(False), _block(True, activation="relu"), _block(True, between=["Activation"]),
           _dense_then_bn(False)],
)
def bias_before_normalization(graph: ModelGraph, opts: RuleOptions) -> Iterator[Violation]:
    """
    ## What it does
    Reports a Dense or convolution layer with a bias and no activation of its own whose output goes
    only into a BatchNormalization.

    ## Details
    The layer has `use_bias=True`; its output may reach the BatchNormalization directly or through
    reshaping or dropout. The same fault repeated in many blocks of one model (ResNet50 has it 53
    times) is one finding that gives the count and the first places.

    ## Why it matters
    BatchNormalization subtracts the per-channel batch mean, which removes any per-channel
    constant, the bias included, and then adds its own learned offset (`beta`). The layer's bias
    is trained for nothing: wasted parameters and optimizer state, and a gradient that is always
    zero. This is why ResNet and Inception write `Conv2D(..., use_bias=False)` before
    `BatchNormalization`.

    ## Example
    ```python
    x = layers.Conv2D(64, 3)(x)                 # use_bias=True by default
    x = layers.BatchNormalization()(x)
    ```

    ## How to fix
    `layers.Conv2D(64, 3, use_bias=False)` (or `Dense(..., use_bias=False)`) before the
    normalization. Keep the bias when an activation comes between the layer and the
    normalization: then it is not cancelled.
    """
    for call in graph.calls:
        layer = graph.layer(call.layer)
        if not is_weight_layer(layer) or layer_activation(layer) != "linear":
            continue
        if not unwrapped(layer)[1].get("use_bias", True):
            continue
        norm = _only_normalization_after(graph, call.id)
        if norm is not None:
            yield Violation(f"{layer.class_name} {layer.name!r} adds a bias that the "
                            f"BatchNormalization {norm!r} right after it cancels; "
                            "set use_bias=False", (layer.name, norm), pattern=PATTERN)


PATTERN = ("weight layers add a bias that the BatchNormalization right after each cancels "
           "(set use_bias=False)")


def _only_normalization_after(graph: ModelGraph, call_id: str) -> str | None:
    """The BatchNormalization layer that is the only reader of this call's output (through
    reshaping and dropout layers, which keep a per-channel constant per-channel), else None."""
    node = call_id
    for _ in range(10):
        users = graph.successors(node)
        if len(users) != 1:
            return None
        user = graph.layer_of(users[0])
        if user.class_name in BATCH_NORMALIZATION:
            return user.name
        if user.class_name not in RESHAPE_LAYERS and user.class_name not in DROPOUT_LAYERS:
            return None
        node = users[0]
    return None
