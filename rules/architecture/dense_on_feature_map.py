"""A102 dense-on-feature-map: a classifier's Dense applied to a convolution's feature map."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from inspector.engine import RuleOptions, Violation, rule
from inspector.graph import Call, Layer, ModelGraph
from inspector.kinds import (
    ACTIVATION_LAYERS,
    CONVOLUTION,
    CROPPING,
    DROPOUT_LAYERS,
    LOCALLY_CONNECTED,
    MERGE,
    NORMALIZATION_LAYERS,
    PADDING,
    POOLING,
    TRANSPOSED_CONVOLUTION,
    UPSAMPLING,
)
from inspector.rules import _examples as ex
from inspector.rules._outputs import model_outputs, model_training
from inspector.rules._util import PROBABILITY_ACTIVATIONS, final_head, loss_kind, unwrapped

_SPATIAL = CONVOLUTION | LOCALLY_CONNECTED | POOLING
"""Layers whose output is a feature map (positions x channels)."""
_UPSAMPLING = UPSAMPLING | TRANSPOSED_CONVOLUTION
_KEEP_RANK = ACTIVATION_LAYERS | DROPOUT_LAYERS | NORMALIZATION_LAYERS | PADDING | CROPPING | MERGE
"""Layers that keep a feature map a feature map (merges: of feature maps alike)."""


def _rank_of_class(cls: str) -> int | None:
    """Rank (batch included) of what a 1D/2D/3D convolution or pooling layer outputs."""
    for suffix, rank in (("1D", 3), ("2D", 4), ("3D", 5)):
        if cls.endswith(suffix):
            return rank
    return None


def _feature_map_source(graph: ModelGraph, call: Call,
                        memo: dict[str, tuple[Layer, int] | None]) -> tuple[Layer, int] | None:
    """The convolution or pooling (or nested model returning an image-like map) whose feature
    map reaches `call` through layers that keep it one, and its rank; None when something else
    (a Flatten, another Dense...) is between. `memo` keeps each call's answer, so the walks of
    all Dense layers together stay linear in the size of the graph."""
    passed: list[str] = []
    current, found = call, None
    while current.inputs:
        current = graph.producer(current.inputs[0])
        if current.id in memo:
            found = memo[current.id]
            break
        passed.append(current.id)
        layer = graph.layer(current.layer)
        cls = unwrapped(layer)[0]
        shape = graph.tensor(current.outputs[0]).shape
        if cls in _SPATIAL:
            rank = len(shape) if shape else _rank_of_class(cls)
            found = (layer, rank) if rank and rank >= 3 else None
            break
        if layer.subgraph is not None:  # a nested convolutional base (transfer learning)
            found = (layer, len(shape)) if shape and len(shape) >= 4 else None
            break
        if cls not in _KEEP_RANK:
            break
    memo.update(dict.fromkeys(passed, found))
    return found


def _outputs_reached(graph: ModelGraph, call: Call, outputs: Mapping[str, str]) -> list[str]:
    """Model output tensors reached from `call` through Dense layers and layers that keep the rank."""
    found: list[str] = [t for t in call.outputs if t in outputs]
    frontier, seen = [call.id], {call.id}
    while frontier:
        for user in graph.successors(frontier.pop()):
            if user in seen:
                continue
            seen.add(user)
            cls = unwrapped(graph.layer_of(user))[0]
            if cls == "Dense" or cls in _KEEP_RANK:
                found += [t for t in graph.call(user).outputs if t in outputs]
                frontier.append(user)
    return found


def _downsampled(graph: ModelGraph, call: Call) -> bool:
    """Whether a pooling or a strided convolution lies before `call`: the positions left are not
    the input's, so the output is no per-position (segmentation, tagging) map."""
    for ancestor in graph.ancestors(call.id):
        cls, config = unwrapped(graph.layer_of(ancestor))
        strides = config.get("strides", config.get("subsample", 1))
        strides = strides if isinstance(strides, (list, tuple)) else [strides]
        if cls in POOLING or (cls in _SPATIAL and any(isinstance(s, int) and s > 1 for s in strides)):
            return True
    return False


def _same_positions(graph: ModelGraph, output: str) -> bool:
    """Whether the output keeps the positions of a model input (a dense prediction), or
    upsamples back towards them."""
    if any(unwrapped(graph.layer_of(a))[0] in _UPSAMPLING
           for a in graph.ancestors(graph.tensor(output).producer)):
        return True
    out = graph.tensor(output).shape
    for tensor in graph.inputs:
        shape = graph.tensor(tensor).shape
        if out and shape and len(shape) >= 2 and None not in out[1:-1] and (
                tuple(out[1:-1]) == tuple(shape[1:len(out) - 1])):
            return True
    return False


def _expects_one_prediction(graph: ModelGraph, dense: Call, output: str, name: str,
                            losses: Mapping[str, str | None]) -> str | None:
    """How the output (named `name` in the model) is known to be a per-example classifier ("its
    loss X expects", "a classifier outputs"), or None: not a classifier, not a map, or a
    per-position model."""
    shape = graph.tensor(output).shape
    loss = losses.get(name)
    head = final_head(graph, output, name)
    if loss_kind(loss) is not None:
        expects = f"its loss {loss} expects"
    elif loss is None and head is not None and head.activation in PROBABILITY_ACTIVATIONS:
        expects = "a classifier outputs"
    else:
        return None
    if shape is not None and len(shape) < 3:
        return None
    if _same_positions(graph, output):
        return None
    known_positions = shape is not None and None not in shape[1:-1]
    return expects if known_positions or _downsampled(graph, dense) else None


def _cnn(dense_input=(), head=("Dense", {"units": 10, "activation": "softmax"}),
         loss="sparse_categorical_crossentropy", pool=True, strides=1):
    m = ex.Functional("cnn")
    x = m.input("image", (None, 28, 28, 1))
    h = m.add(ex.layer("Conv2D", "conv", filters=16, kernel_size=[3, 3],
                           strides=[strides, strides], activation="relu"), x)
    if pool:
        h = m.add(ex.layer("MaxPooling2D", "pool", pool_size=[2, 2]), h)
    for cls, config in dense_input:
        h = m.add(ex.layer(cls, f"{cls.lower()}_{len(m.layers)}", **config), h)
    cls, config = head
    y = m.add(ex.layer(cls, "label", **config), h)
    return m.build([x], [y], loss=loss)


@rule(
    "A102",
    "dense-on-feature-map",
    "error",
    frameworks=("keras",),
    invalid=[
        _cnn(),
        _cnn([("Dense", {"units": 64, "activation": "relu"})]),
        _cnn([("Dropout", {"rate": 0.5})], ("Dense", {"units": 1, "activation": "sigmoid"}),
             loss="binary_crossentropy"),
        _cnn(pool=False, strides=2, loss=None),
        ex.unbuilt(ex.sequential((None, 100, 4), ex.layer("Conv1D", "conv", filters=8, kernel_size=[3]),
                                 ex.layer("MaxPooling1D", "pool", pool_size=[2]),
                                 ex.layer("Dense", "label", units=10, activation="softmax"),
                                 loss="categorical_crossentropy")),
        ex.sequential((None, 28, 28, 1), ex.layer("Conv2D", "conv", filters=8, kernel_size=[3, 3]),
                      ex.layer("AdaptiveAveragePooling2D", "pool", output_size=[4, 4], data_format="channels_last"),
                      ex.layer("Dense", "label", units=10, activation="softmax"), loss="categorical_crossentropy"),
    ],
    valid=[
        _cnn([("Flatten", {})]),
        _cnn([("GlobalAveragePooling2D", {})]),
        _cnn([("Dense", {"units": 64, "activation": "relu"}), ("Flatten", {})]),
        _cnn(pool=False, head=("Dense", {"units": 10}), loss="mse"),
    ],
)
def dense_on_feature_map(graph: ModelGraph, opts: RuleOptions) -> Iterator[Violation]:
    """
    ## What it does
    Reports a `Dense` layer applied to the feature map of a convolution or pooling, with no
    `Flatten` or global pooling between, on the way to a classifier output.

    ## Details
    The feature map is the 3-D or 4-D output of a convolution or pooling; the classifier output is
    one trained with a cross-entropy loss or ending in softmax/sigmoid, whose positions are not
    those of its input (the feature map was pooled or strided, and nothing upsamples it back).
    Per-position models (segmentation at input resolution, sequence tagging) and Dense layers
    reading attention or recurrent sequences are left alone.

    ## Why it matters
    A Dense layer acts on the last axis only: on a feature map it is a 1x1 convolution, applied
    at each position separately. The classifier's output is then a map of predictions, one per
    position, each seeing only its own receptive field, not one prediction per example. Keras
    refuses to fit it against `(batch, classes)` labels ("Shapes (None, 10) and (None, 13, 13,
    10) are incompatible"), and once the labels are tiled to fit, it trains on the wrong task.

    ## Example
    ```python
    x = layers.Conv2D(32, 3, activation="relu")(inputs)
    x = layers.MaxPooling2D()(x)
    outputs = layers.Dense(10, activation="softmax")(x)    # (None, 13, 13, 10)
    ```

    ## How to fix
    Put `layers.Flatten()` or `layers.GlobalAveragePooling2D()` before the first Dense layer.
    """
    training = model_training(graph, opts)
    losses = training.loss if training is not None else {}
    outputs = dict(model_outputs(graph, opts))
    memo: dict[str, tuple[Layer, int] | None] = {}
    for call in graph.calls:
        dense = graph.layer(call.layer)
        if dense.class_name != "Dense":
            continue
        shape = graph.tensor(call.inputs[0]).shape if call.inputs else None
        if shape is not None and len(shape) < 3:
            continue  # a vector per example: nothing to walk back for
        source = _feature_map_source(graph, call, memo)
        if source is None:
            continue
        conv, rank = source
        for output in dict.fromkeys(_outputs_reached(graph, call, outputs)):
            name = outputs[output]
            expects = _expects_one_prediction(graph, call, output, name, losses)
            if expects is None:
                continue
            shape = graph.tensor(output).shape
            shown = "(" + ", ".join(str(d) for d in shape) + ")" if shape else "a map"
            yield Violation(
                f"Dense {dense.name!r} is applied to the {rank}-D output of "
                f"{conv.class_name} {conv.name!r} with no Flatten or global pooling between: it "
                f"acts on each position separately, so output {name!r} is {shown} where "
                f"{expects} (batch, classes); add Flatten() or "
                f"GlobalAveragePooling{rank - 2}D() before it",
                tuple(dict.fromkeys((dense.name, conv.name, graph.producer_layer(output)))))
            break
