"""A103 missing-nonlinearity: two weight layers composed with nothing non-linear between."""

from __future__ import annotations

from collections.abc import Iterator

from inspector.engine import RuleOptions, Violation, rule
from inspector.graph import Call, Layer, ModelGraph
from inspector.kinds import (
    AVERAGE_POOLING,
    CROPPING,
    DEPTHWISE_CONVOLUTION,
    DROPOUT_LAYERS,
    EINSUM_DENSE,
    MATMUL,
    PADDING,
    RESHAPE_LAYERS,
    UPSAMPLING,
    WEIGHT_LAYERS,
)
from inspector.rules import _examples as ex
from inspector.rules._util import layer_activation, unwrapped, width

_LINEAR_MAPS = WEIGHT_LAYERS - DEPTHWISE_CONVOLUTION - EINSUM_DENSE - MATMUL
"""Weight layers whose pairs are judged. A depthwise convolution next to a pointwise one is a
separable convolution, linear on purpose; EinsumDense and bare MatMul are attention projections."""

_LINEAR_THROUGH = (DROPOUT_LAYERS | (RESHAPE_LAYERS - {"Reshape", "Masking"}) | PADDING | CROPPING | UPSAMPLING
                   | AVERAGE_POOLING)
"""Linear layers a composition runs through. Not through a normalization or a merge (the linear
bottlenecks of MobileNetV2 end in BatchNormalization and a residual Add), nor a Reshape (a
generator's "project and reshape" Dense), nor max pooling, which is itself non-linear."""


def _is_linear(layer: Layer) -> bool:
    cls = unwrapped(layer)[0]
    if cls == "Activation":
        return layer_activation(layer) == "linear"
    return cls in _LINEAR_THROUGH


def _next_linear_map(graph: ModelGraph, call: Call) -> tuple[Call, list[str]] | None:
    """The weight layer call that alone consumes `call`'s output through linear layers only,
    and the layers between; None when the output branches or meets anything else."""
    passed: list[str] = []
    current = call
    while True:
        users = graph.successors(current.id)
        if len(users) != 1 or any(t in graph.outputs for t in current.outputs):
            return None
        current = graph.call(users[0])
        layer = graph.layer(current.layer)
        if unwrapped(layer)[0] in _LINEAR_MAPS:
            return (current, passed) if len(current.inputs) == 1 else None
        if not _is_linear(layer):
            return None
        passed.append(layer.name)


def _in_width(graph: ModelGraph, call: Call) -> int | None:
    shape = graph.tensor(call.inputs[0]).shape if call.inputs else None
    return shape[-1] if shape else None


def _mlp(*hidden, between=(), input_width=64):
    m = ex.Functional("mlp")
    x = m.input("features", (None, input_width))
    h = x
    for i, (units, activation) in enumerate(hidden):
        h = m.add(ex.layer("Dense", f"dense_{i}", units=units, activation=activation), h)
        for cls, config in between:
            h = m.add(ex.layer(cls, f"{cls.lower()}_{i}", **config), h)
    y = m.add(ex.layer("Dense", "output", units=10, activation="softmax"), h)
    return m.build([x], [y], loss="sparse_categorical_crossentropy")


@rule(
    "A103",
    "missing-nonlinearity",
    "warning",
    frameworks=("keras",),
    invalid=[
        _mlp((128, "linear")),
        _mlp((128, "relu"), (64, None)),
        _mlp((128, "linear"), between=[("Dropout", {"rate": 0.5})]),
        _mlp((128, "linear"), between=[("Activation", {"activation": "linear"})]),
        _mlp((128, "linear"), (64, "linear")),
    ],
    valid=[
        _mlp((128, "relu")),
        _mlp((128, "linear"), between=[("Activation", {"activation": "relu"})]),
        _mlp((128, "linear"), between=[("BatchNormalization", {})]),
        _mlp((8, "linear"), input_width=64),  # 64 -> 8 -> 10: a low-rank factorization
    ],
)
def missing_nonlinearity(graph: ModelGraph, opts: RuleOptions) -> Iterator[Violation]:
    """
    ## What it does
    Reports a Dense or convolution layer without an activation whose output goes, through linear
    layers only, to another Dense or convolution layer and nowhere else.

    ## Details
    The linear layers between may be Dropout, Flatten, padding, average pooling or a linear
    Activation. Deliberately linear structures are left alone: a projection into a narrower space
    than both its neighbours (a low-rank factorization, an autoencoder's code, MobileNetV2's linear
    bottleneck), anything ending in a normalization or a residual merge, a Reshape between (a
    generator's "project and reshape"), depthwise-then-pointwise convolutions (a separable
    convolution) and attention projections.

    ## Why it matters
    The composition of two linear maps is one linear map: the two layers have the parameters
    and the cost of two but compute what one would, and the network is shallower than it looks.
    A hidden layer that was meant to add capacity adds none; a classifier on data that is not
    linearly separable stays at the accuracy of a linear model.

    ## Example
    ```python
    x = layers.Dense(128)(inputs)                       # no activation
    outputs = layers.Dense(10, activation="softmax")(x)
    ```

    ## How to fix
    Give the first layer an activation (`activation="relu"`), or put an activation layer after
    it; or drop one of the two layers if one linear map is what was meant.
    """
    for call in graph.calls:
        first = graph.layer(call.layer)
        if unwrapped(first)[0] not in _LINEAR_MAPS or layer_activation(first) != "linear":
            continue
        found = _next_linear_map(graph, call)
        if found is None:
            continue
        second_call, passed = found
        second = graph.layer(second_call.layer)
        inner, before, after = width(first), _in_width(graph, call), width(second)
        if inner is not None and before is not None and after is not None and inner < min(before, after):
            continue  # a bottleneck: rank-limiting on purpose
        via = f" (through {', '.join(passed)})" if passed else ""
        yield Violation(f"{first.class_name} {first.name!r} has no activation and feeds "
                        f"{second.class_name} {second.name!r}{via} only: the two compose into "
                        "one linear map; give the first an activation",
                        (first.name, *passed, second.name),
                        pattern="weight layers composed with nothing non-linear between them")
