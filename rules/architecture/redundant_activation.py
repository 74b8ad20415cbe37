"""A104 redundant-activation: the same non-linearity applied twice in a row."""

from __future__ import annotations

from collections.abc import Iterator

from inspector.engine import RuleOptions, Violation, rule
from inspector.graph import Call, Layer, ModelGraph
from inspector.kinds import (
    ACTIVATION_LAYERS,
    CROPPING,
    DROPOUT_LAYERS,
    GLOBAL_POOLING,
    PADDING,
    POOLING,
    RESHAPE_LAYERS,
    UPSAMPLING,
    WEIGHT_LAYERS,
)
from inspector.rules import _examples as ex
from inspector.rules._util import activation_name, unwrapped

_IDEMPOTENT = frozenset({"relu", "relu6", "hard_tanh"})
"""f(f(x)) = f(x): the second application does nothing."""

_ELEMENTWISE_THROUGH = (DROPOUT_LAYERS | RESHAPE_LAYERS | POOLING | GLOBAL_POOLING | PADDING | CROPPING
                        | UPSAMPLING)
"""Layers between two element-wise activations that leave the second one as redundant: they
move, drop, pool or scale values (Dropout) without mixing them linearly."""

_SOFTMAX_THROUGH = DROPOUT_LAYERS
"""A softmax normalizes along an axis: a reshape or pooling between two changes what it sums over."""


def activation_key(layer: Layer) -> str | None:
    """The non-linearity a layer applies, with the options that make two of them the same
    (ReLU(max_value=6) is relu6); None for linear, learned (PReLU) or unknown ones."""
    cls, config = unwrapped(layer)
    if cls in ("ReLU", "Relu"):
        if config.get("threshold") or config.get("negative_slope"):
            return None
        max_value = config.get("max_value")
        return "relu" if max_value is None else "relu6" if max_value == 6 else f"relu(max={max_value})"
    if cls in ("LeakyReLU", "LeakyRelu"):
        return f"leaky_relu({config.get('negative_slope', config.get('alpha', 0.3))})"
    if cls in ("Softmax", "Sigmoid", "Tanh", "Selu", "Elu", "ELU"):
        return {"ELU": "elu"}.get(cls, cls.lower())
    if cls == "PReLU" or (cls not in ACTIVATION_LAYERS and cls not in WEIGHT_LAYERS):
        return None
    name = activation_name(config.get("activation"))
    return None if name in ("linear", "?", "") else name


def _applied_before(graph: ModelGraph, call: Call, key: str) -> tuple[Layer, list[str]] | None:
    """The layer that applied `key` last before `call`, reached back through layers that keep
    the second application redundant, and the layers passed; None when something else is between."""
    through = _SOFTMAX_THROUGH if key == "softmax" else _ELEMENTWISE_THROUGH
    passed: list[str] = []
    while len(call.inputs) == 1:
        call = graph.producer(call.inputs[0])
        layer = graph.layer(call.layer)
        if activation_key(layer) == key:
            return layer, passed
        if unwrapped(layer)[0] not in through:
            return None
        passed.append(layer.name)
    return None


def _dense_then(*activations, between=()):
    m = ex.Functional("mlp")
    x = m.input("features", (None, 64))
    h = m.add(ex.layer("Dense", "hidden", units=32, activation=activations[0]), x)
    for cls, config in between:
        h = m.add(ex.layer(cls, f"{cls.lower()}_{len(m.layers)}", **config), h)
    for i, act in enumerate(activations[1:]):
        h = m.add(ex.layer("Activation", f"act_{i}", activation=act), h)
    y = m.add(ex.layer("Dense", "output", units=10, activation="softmax"), h)
    return m.build([x], [y], loss="sparse_categorical_crossentropy")


def _double_softmax(between=()):
    m = ex.Functional("classifier")
    x = m.input("features", (None, 64))
    y = m.add(ex.layer("Dense", "scores", units=10, activation="softmax"), x)
    for cls, config in between:
        y = m.add(ex.layer(cls, f"{cls.lower()}_out", **config), y)
    y = m.add(ex.layer("Softmax", "probabilities"), y)
    return m.build([x], [y], loss="sparse_categorical_crossentropy")


@rule(
    "A104",
    "redundant-activation",
    "warning",
    frameworks=("keras",),
    invalid=[
        _dense_then("relu", "relu"),
        _dense_then("relu", "relu", between=[("Dropout", {"rate": 0.5})]),
        _dense_then("linear", "sigmoid", "sigmoid"),
        _dense_then("tanh", "tanh", between=[("Flatten", {})]),
        _double_softmax(),
        _double_softmax(between=[("Dropout", {"rate": 0.2})]),
        _dense_then("relu6", between=[("ReLU", {"max_value": 6.0})]),
        ex.sequential((None, 64), *(entry for i in (1, 2) for entry in (
            ex.layer("Dense", f"dense_{i}", units=32, activation="relu"), ex.layer("ReLU", f"relu_{i}"))),
            ex.layer("Dense", "output", units=10, activation="softmax")),
    ],
    valid=[
        _dense_then("relu"),
        _dense_then("linear", "relu"),
        _dense_then("relu", "relu", between=[("BatchNormalization", {})]),
        _dense_then("relu", "tanh"),
        _double_softmax(between=[("Reshape", {"target_shape": [2, 5]})]),
    ],
)
def redundant_activation(graph: ModelGraph, opts: RuleOptions) -> Iterator[Violation]:
    """
    ## What it does
    Reports an activation layer that applies the non-linearity its input already went through, such
    as `Dense(..., activation="relu")` then `Activation("relu")`.

    ## Details
    Softmax after softmax and sigmoid after sigmoid are reported too, also through layers that leave
    the second one redundant (Dropout, Flatten, pooling, padding; for a softmax only Dropout, since
    a reshape changes the axis it sums over).

    ## Why it matters
    For relu the second application does nothing: the author believes the model is something it
    is not. For squashing functions it does harm: a softmax of probabilities in [0, 1] is nearly
    uniform (its largest value is at most e/(e+n-1) over n classes), so the probabilities the
    model reports are meaningless and its loss stays high even where the ranking of classes
    survives; a sigmoid of a sigmoid only spans (0.5, 0.73).

    ## Example
    ```python
    x = layers.Dense(64, activation="relu")(x)
    x = layers.Activation("relu")(x)        # already relu
    ```

    ## How to fix
    Keep one of the two: the layer's `activation=` or the separate activation layer.
    """
    for call in graph.calls:
        layer = graph.layer(call.layer)
        if unwrapped(layer)[0] not in ACTIVATION_LAYERS:
            continue
        key = activation_key(layer)
        if key is None:
            continue
        found = _applied_before(graph, call, key)
        if found is None:
            continue
        first, passed = found
        effect = ("the second does nothing" if key in _IDEMPOTENT
                  else "a softmax of probabilities is near uniform" if key == "softmax"
                  else "squashing twice narrows the output's range")
        via = f" (through {', '.join(passed)})" if passed else ""
        yield Violation(f"{layer.class_name} {layer.name!r} applies {key} to the output of "
                        f"{first.class_name} {first.name!r}{via}, which already applies it: "
                        f"{effect}; keep one", (first.name, *passed, layer.name),
                        pattern=f"the same activation ({key}) applied twice in a row")
