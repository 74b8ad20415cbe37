"""L101 loss-activation-mismatch: an output activation the compiled loss does not expect."""

from __future__ import annotations

from collections.abc import Iterator

from inspector.engine import RuleOptions, Violation, rule
from inspector.graph import ModelGraph
from inspector.rules import _examples as ex
from inspector.rules._outputs import model_outputs, model_training
from inspector.rules._util import PROBABILITY_ACTIVATIONS, final_head, loss_kind


def _head(units, activation, loss, extra=()):
    m = ex.Functional("head")
    x = m.input("features", (None, 16))
    h = m.add(ex.layer("Dense", "hidden", units=16, activation="relu"), x)
    y = m.add(ex.layer("Dense", "output", units=units, activation=activation), h)
    for cls, config in extra:
        y = m.add(ex.layer(cls, f"output_{cls.lower()}", **config), y)
    return m.build([x], [y], loss=loss)


def _all_cnn_head(loss):
    """All-CNN's classifier: a 1x1 convolution to 10 channels, averaged over the map, softmax."""
    m = ex.Functional("all_cnn")
    x = m.input("features", (None, 6, 6, 192))
    h = m.add(ex.layer("Conv2D", "class_maps", filters=10, kernel_size=[1, 1], activation="relu"), x)
    h = m.add(ex.layer("AveragePooling2D", "average", pool_size=[6, 6]), h)
    h = m.add(ex.layer("Flatten", "flatten"), h)
    y = m.add(ex.layer("Activation", "softmax", activation="softmax"), h)
    return m.build([x], [y], loss=loss)


@rule(
    "L101",
    "loss-activation-mismatch",
    "error",
    frameworks=("keras",),
    invalid=[
        _head(10, "softmax", "binary_crossentropy"),
        _head(1, "softmax", "binary_crossentropy"),
        _head(1, "softmax", None),
        _head(1, "linear", "binary_crossentropy"),
        _head(10, "linear", "categorical_crossentropy"),
        _head(10, "sigmoid", "categorical_crossentropy"),
        _head(1, "sigmoid", "sparse_categorical_crossentropy"),
        _head(10, "softmax", ex.loss("CategoricalCrossentropy", from_logits=True)),
        _head(10, "linear", "categorical_crossentropy", extra=[("Activation", {"activation": "relu"})]),
        _head(10, "linear", "categorical_crossentropy",
              extra=[("BatchNormalization", {}), ("Activation", {"activation": "relu"})]),
        _head(10, "softmax", "categorical_crossentropy", extra=[("BatchNormalization", {})]),
        _head(10, "linear", "binary_crossentropy", extra=[("Flatten", {}), ("Softmax", {})]),
        _head(10, "linear", "binary_crossentropy",
              extra=[("Dropout", {"rate": 0.5}), ("Reshape", {"target_shape": [10]}),
                     ("Activation", {"activation": "softmax"})]),
        _head(10, "linear", "categorical_crossentropy",
              extra=[("Activation", {"activation": "relu"}), ("Dropout", {"rate": 0.5})]),
        lambda: _all_cnn_head("binary_crossentropy"),
    ],
    valid=[
        _head(10, "softmax", "categorical_crossentropy"),
        _head(10, "softmax", "sparse_categorical_crossentropy"),
        _head(1, "sigmoid", "binary_crossentropy"),
        _head(5, "sigmoid", "binary_crossentropy"),
        _head(1, "linear", ex.loss("BinaryCrossentropy", from_logits=True)),
        _head(10, "linear", ex.loss("SparseCategoricalCrossentropy", from_logits=True)),
        _head(1, "linear", "mse"),
        _head(10, "linear", "categorical_crossentropy", extra=[("Softmax", {})]),
        _head(10, "linear", None),
        _head(10, "linear", "categorical_crossentropy",
              extra=[("BatchNormalization", {}), ("Flatten", {}), ("Activation", {"activation": "softmax"})]),
        _head(10, "softmax", "categorical_crossentropy", extra=[("Dropout", {"rate": 0.5})]),
        lambda: _all_cnn_head("categorical_crossentropy"),
    ],
)
def loss_activation_mismatch(graph: ModelGraph, opts: RuleOptions) -> Iterator[Violation]:
    """
    ## What it does
    Reports an output whose final activation and size do not fit the loss it was compiled with, such
    as softmax with binary cross-entropy.

    ## Details
    The final activation is the last one really applied, followed back through Activation, Flatten,
    Reshape, Dropout, normalization and average pooling layers (a mean of probabilities is one). The combinations that train badly or not at all:
    softmax with binary cross-entropy, a one-unit softmax, sigmoid (or any single unit) with
    categorical cross-entropy, an output that is not a probability (linear, relu, tanh...) with a
    cross-entropy loss but no `from_logits=True`, and a softmax or sigmoid output with
    `from_logits=True`.

    ## Why it matters
    These models compile and train without an error, and give poor results for reasons that are
    hard to see. A softmax over one unit always outputs 1.0, so nothing is learned. Binary
    cross-entropy on a softmax treats coupled class scores as independent yes/no answers.
    Categorical cross-entropy on sigmoid outputs (which need not sum to one) is minimized by
    pushing every output up, and on a single unit it is always zero. A cross-entropy loss
    expecting probabilities clips a linear output into (0, 1), where its gradient vanishes; and
    `from_logits=True` on a softmax output applies the softmax twice.

    ## Example
    ```python
    outputs = layers.Dense(10, activation="softmax")(x)
    model.compile(loss="binary_crossentropy")        # one of 10 classes: categorical
    ```

    ## How to fix
    One class of several: softmax with `categorical_crossentropy` (one-hot labels) or
    `sparse_categorical_crossentropy` (integer labels). Yes/no or multi-label: sigmoid with
    `binary_crossentropy`. Or leave the output linear and pass `from_logits=True` to the loss,
    which is numerically the most stable.
    """
    training = model_training(graph, opts)
    if training is None:
        losses: dict = {}
        loss_config: dict = {}
    else:
        losses, loss_config = dict(training.loss), dict(training.loss_config)
    for tensor, name in model_outputs(graph, opts):
        head = final_head(graph, tensor, name)
        if head is None:
            continue
        where = tuple(dict.fromkeys((graph.producer_layer(tensor), head.by, head.layer)))
        act, units = head.activation, head.units
        if act == "linear" and head.by != head.layer:  # a normalization is the last operation
            state = f"ends in the normalization {head.by!r}, which is no probability"
        elif head.by in (head.layer, head.output):
            state = f"has a {act} activation"
        else:
            state = f"has a {act} activation (applied by {head.by!r})"
        if act == "softmax" and units == 1:
            yield Violation(f"output {head.output!r} is a softmax over a single unit, which always "
                            "outputs 1.0; use sigmoid for a yes/no output", where)
            continue
        loss = losses.get(head.output)
        kind = loss_kind(loss)
        if kind is None:
            continue
        from_logits = bool(loss_config.get(head.output, {}).get("from_logits", False))
        if from_logits:
            if act in PROBABILITY_ACTIVATIONS:
                yield Violation(f"output {head.output!r} already applies {act}, but its loss "
                                f"{loss} has from_logits=True, which applies it again", where)
            continue
        if act not in PROBABILITY_ACTIVATIONS:
            yield Violation(f"output {head.output!r} {state}, but its loss {loss} "
                            "expects probabilities; use softmax/sigmoid or from_logits=True", where)
        elif kind == "binary" and act == "softmax":
            yield Violation(f"output {head.output!r} is a softmax over {units} units with {loss}; "
                            "use categorical cross-entropy, or sigmoid for multi-label outputs",
                            where)
        elif kind == "categorical" and units == 1:
            yield Violation(f"output {head.output!r} has one unit but is trained with {loss}, "
                            "which is always zero on one unit; use binary_crossentropy", where)
        elif kind == "categorical" and act == "sigmoid":
            yield Violation(f"output {head.output!r} is a sigmoid over {units} units with {loss}, "
                            "which expects a softmax; use softmax, or binary_crossentropy for "
                            "multi-label outputs", where)
