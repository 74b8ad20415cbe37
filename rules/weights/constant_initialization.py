"""W102 constant-initialization: a hidden layer's kernel starts with every unit the same."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from inspector.engine import RuleOptions, Violation, rule
from inspector.graph import Call, Layer, ModelGraph
from inspector.kinds import (
    ACTIVATION_LAYERS,
    DEPTHWISE_CONVOLUTION,
    NORMALIZATION_LAYERS,
    ONNX_LINEAR,
    PASS_THROUGH_LAYERS,
    WEIGHT_LAYERS,
)
from inspector.rules import _examples as ex
from inspector.rules._outputs import model_outputs
from inspector.rules._util import layer_activation, unwrapped, width

_JUDGED = WEIGHT_LAYERS - DEPTHWISE_CONVOLUTION - ONNX_LINEAR
"""Layers whose units share one input, so a constant kernel makes them identical. A depthwise
kernel's channels read different inputs, and ONNX files store weights, not initializers."""

_DEAD_AT_ZERO = frozenset({"relu", "relu6"})
"""Activations whose gradient is zero at 0: a zero kernel (and bias) never moves."""

_KERNEL_KEYS = ("kernel_initializer", "pointwise_initializer", "init")


def constant_value(initializer: Any) -> float | None:
    """The value every weight starts at, for zeros/ones/Constant(scalar) in any Keras era's
    spelling ("zeros", "zero", {"class_name": "Zeros"}, Constant(value=0.5)); else None."""
    if isinstance(initializer, str):
        name, config = initializer, {}
    elif isinstance(initializer, Mapping):
        name, config = str(initializer.get("class_name", "")), initializer.get("config") or {}
    else:
        return None
    key = name.rsplit(">", 1)[-1].rsplit(".", 1)[-1].lower()
    if key in ("zeros", "zero"):
        return 0.0
    if key in ("ones", "one"):
        return 1.0
    if key == "constant" and isinstance(config, Mapping):
        value = config.get("value", 0.0)
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    return None


def _kernel_constant(layer: Layer) -> float | None:
    _, config = unwrapped(layer)
    for key in _KERNEL_KEYS:
        if key in config:
            return constant_value(config[key])
    return None


def _downstream(graph: ModelGraph, call: Call, outputs: Mapping[str, str]) -> tuple[bool, list[Layer], list[str]]:
    """From `call` forward through layers that neither learn a linear map nor are unknown
    (activations, dropout, reshaping, pooling, merges, normalizations): whether one of the
    model's `outputs` is reached (a nested model's output that the model computes on from is not), the weight layers reached, and the activations applied to this layer's own
    output (before any merge adds another signal to it, as a zero-initialized residual branch
    or ControlNet's "zero convolution" does on purpose)."""
    reached, weights, activations = False, [], []
    frontier, seen = [(call.id, False)], {call.id}
    while frontier:
        current_id, merged = frontier.pop()
        current = graph.call(current_id)
        reached = reached or any(t in outputs for t in current.outputs)
        for user in graph.successors(current.id):
            if user in seen:
                continue
            seen.add(user)
            layer = graph.layer_of(user)
            cls = unwrapped(layer)[0]
            if cls in WEIGHT_LAYERS:
                weights.append(layer)
            elif cls in PASS_THROUGH_LAYERS or cls in NORMALIZATION_LAYERS:
                merges = merged or len(graph.call(user).inputs) > 1
                if cls in ACTIVATION_LAYERS and not merges:
                    activations.append(layer_activation(layer))
                frontier.append((user, merges))
    return reached, weights, activations


def _zero_residual_branch():
    """A residual block whose last convolution starts at zero (Fixup, ControlNet): the block
    starts as the identity, on purpose, and the Add keeps the relu after it alive."""
    m = ex.Functional("resnet")
    x = m.input("image", (None, 8, 8, 16))
    h = m.add(ex.layer("Conv2D", "conv_a", filters=16, kernel_size=[3, 3], padding="same",
                       activation="relu"), x)
    h = m.add(ex.layer("Conv2D", "conv_b", filters=16, kernel_size=[3, 3], padding="same",
                       kernel_initializer="zeros"), h)
    h = m.add(ex.layer("Add", "add"), x, h)
    h = m.add(ex.layer("Activation", "relu", activation="relu"), h)
    h = m.add(ex.layer("Conv2D", "conv_c", filters=16, kernel_size=[3, 3], activation="relu"), h)
    h = m.add(ex.layer("GlobalAveragePooling2D", "gap"), h)
    y = m.add(ex.layer("Dense", "digit", units=10, activation="softmax"), h)
    return m.build([x], [y], loss="sparse_categorical_crossentropy")


def _mlp(kernel, activation="relu", output_kernel="glorot_uniform", bias="zeros", units=64,
         between=()):
    m = ex.Functional("mlp")
    x = m.input("pixels", (None, 64))
    h = m.add(ex.layer("Dense", "hidden", units=units, activation=activation,
                       kernel_initializer=kernel, bias_initializer=bias), x)
    for cls, config in between:
        h = m.add(ex.layer(cls, f"{cls.lower()}_1", **config), h)
    y = m.add(ex.layer("Dense", "digit", units=10, activation="softmax",
                       kernel_initializer=output_kernel), h)
    return m.build([x], [y], loss="sparse_categorical_crossentropy")


_ZEROS = {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": None}


@rule(
    "W102",
    "constant-initialization",
    "error",
    frameworks=("keras",),
    invalid=[
        _mlp("zeros"),
        _mlp(_ZEROS, activation="linear", between=[("Activation", {"activation": "relu"})]),
        _mlp("ones"),
        _mlp({"class_name": "Constant", "config": {"value": 0.05}}, activation="tanh"),
        _mlp("zeros", activation="tanh", output_kernel="zeros"),
        _mlp("ones", activation="linear", between=[("BatchNormalization", {})]),
        _mlp("zeros", between=[("Dense", {"units": 64, "activation": "relu", "kernel_initializer": "zeros"})]),
    ],
    valid=[
        _mlp("glorot_uniform"),
        _mlp("zeros", activation="tanh"),  # the next layer's random weights break the symmetry
        _mlp("glorot_uniform", output_kernel="zeros"),  # each output unit has its own error
        _mlp("ones", units=1),
        _mlp("he_normal", bias="ones"),
        _mlp("zeros", activation="linear", between=[("BatchNormalization", {}),
                                                     ("Activation", {"activation": "tanh"})]),
        _zero_residual_branch(),
    ],
)
def constant_initialization(graph: ModelGraph, opts: RuleOptions) -> Iterator[Violation]:
    """
    ## What it does
    Reports a hidden Dense or convolution layer whose constant kernel initializer (`zeros`, `ones`,
    `Constant(v)`) makes its units identical for good.

    ## Details
    That is: a nonzero constant; zeros under relu (every unit outputs 0 and gets no gradient); zeros
    followed by another constant-initialized layer. Left alone: bias initializers (a constant bias
    is the norm), output layers (each output unit gets its own error, so zeros there is a known,
    harmless choice), single-unit layers, depthwise kernels (each channel reads its own input), and
    zeros under an activation that passes gradient at 0 (tanh, linear) into a randomly initialized
    layer, which breaks the symmetry.

    ## Why it matters
    Units that start equal compute the same function of the same input and receive nearly the
    same gradient, so they stay (nearly) copies of each other: the layer has the width of one
    unit. A zero kernel under relu is worse: the layer outputs zeros, its gradient is zero, and
    nothing before it ever learns.

    ## Example
    ```python
    layers.Dense(64, activation="relu", kernel_initializer="zeros")
    ```

    ## How to fix
    Leave the kernel initializer at its default (`glorot_uniform`), or use `he_normal` for relu
    layers. Keep constants for `bias_initializer`.
    """
    outputs = dict(model_outputs(graph, opts))
    for call in graph.calls:
        layer = graph.layer(call.layer)
        if call.index != 0 or unwrapped(layer)[0] not in _JUDGED or (width(layer) or 2) < 2:
            continue
        value = _kernel_constant(layer)
        if value is None:
            continue
        reaches_output, next_layers, activations = _downstream(graph, call, outputs)
        if reaches_output:
            continue
        own = layer_activation(layer)
        activation = own if own != "linear" else next(iter(activations), "linear")
        constant_next = [n.name for n in next_layers if _kernel_constant(n) is not None]
        init = "zeros" if value == 0 else "ones" if value == 1 else f"Constant({value:g})"
        if value != 0:
            why = ("every unit starts as the same function of the same input and they stay "
                   "near-copies of each other")
        elif activation in _DEAD_AT_ZERO:
            why = f"every unit outputs {activation}(0) = 0 and gets no gradient, so it never learns"
        elif constant_next:
            why = (f"{constant_next[0]!r} after it starts constant too, so every unit gets the "
                   "same gradient and they never differ")
        else:
            continue
        yield Violation(f"{layer.class_name} {layer.name!r} initializes its kernel to {init}: "
                        f"{why}; use the default glorot_uniform (he_normal for relu)",
                        (layer.name,),
                        pattern="hidden layers whose kernel starts constant (every unit the same)")
