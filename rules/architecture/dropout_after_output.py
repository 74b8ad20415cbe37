"""A107 dropout-after-output: dropout or noise applied to what the model outputs."""

from __future__ import annotations

from collections.abc import Iterator

from inspector.engine import RuleOptions, Violation, rule
from inspector.graph import ModelGraph
from inspector.kinds import ACTIVATION_LAYERS, NOISE_LAYERS, RESHAPE_LAYERS
from inspector.rules import _examples as ex
from inspector.rules._outputs import model_outputs
from inspector.rules._util import unwrapped


def _mlp(order: tuple[str, ...]):
    """Dense(32, relu) and Dense(10, softmax) with the layers of `order` placed among them."""
    entries = {
        "hidden": ex.layer("Dense", "hidden", units=32, activation="relu"),
        "output": ex.layer("Dense", "digit", units=10, activation="softmax"),
        "logits": ex.layer("Dense", "logits", units=10),
        "softmax": ex.layer("Activation", "softmax", activation="softmax"),
        "dropout": ex.layer("Dropout", "dropout", rate=0.5),
        "noise": ex.layer("GaussianNoise", "noise", stddev=0.1),
        "flatten": ex.layer("Flatten", "flatten"),
    }
    return ex.sequential((None, 64), *(entries[name] for name in order),
                         loss="sparse_categorical_crossentropy")


@rule(
    "A107",
    "dropout-after-output",
    "warning",
    frameworks=("keras",),  # dropout and noise act in training only; an exported inference graph has none
    invalid=[_mlp(("hidden", "output", "dropout")), _mlp(("hidden", "logits", "dropout", "softmax")),
             _mlp(("hidden", "output", "noise", "flatten"))],
    valid=[_mlp(("hidden", "dropout", "output")), _mlp(("hidden", "noise", "logits", "softmax"))],
)
def dropout_after_output(graph: ModelGraph, opts: RuleOptions) -> Iterator[Violation]:
    """
    ## What it does
    Reports a Dropout or noise layer between the last layer that computes an output and the output
    itself: the model's predictions are what it drops.

    ## Details
    Dropout, SpatialDropout, AlphaDropout, GaussianDropout and GaussianNoise count, when only
    activations or reshaping come after them.

    ## Why it matters
    Dropout regularizes by hiding features from the next layer, which then learns not to rely
    on any single one. After the last weight layer there is no next layer: during training the
    dropout zeroes half the class probabilities (or regression targets' predictions) and scales
    the rest by 2, so the loss sees wrong predictions on every step and the gradient is mostly
    noise, while at inference the layer does nothing and the model is judged on outputs it was
    never trained to produce. It comes from appending `Dropout` "at the end" of a Sequential
    model, one line too late.

    ## Example
    ```python
    model = keras.Sequential([
        layers.Dense(64, activation="relu"),
        layers.Dense(10, activation="softmax"),
        layers.Dropout(0.5),                      # drops the predictions
    ])
    ```

    ## How to fix
    Move the dropout before the output layer (`Dense(64) -> Dropout -> Dense(10)`).
    """
    for tensor, _ in model_outputs(graph, opts):
        call = graph.producer(tensor)
        noise, last = None, None
        for _ in range(50):
            layer = graph.layer(call.layer)
            cls = unwrapped(layer)[0]
            if cls in NOISE_LAYERS and _perturbs(layer.config):
                noise = noise or layer
            elif cls not in ACTIVATION_LAYERS and cls not in RESHAPE_LAYERS:
                last = None if layer.is_input else layer.name  # the layer computing the output
                break
            if len(call.inputs) != 1:
                break
            call = graph.producer(call.inputs[0])
        if noise is None or last is None:
            continue
        yield Violation(f"{noise.class_name} {noise.name!r} comes after {last!r}, the last layer that "
                        "computes the model's output: training sees dropped predictions; move it "
                        f"before {last!r}", (noise.name, last))


def _perturbs(config) -> bool:
    """A dropout with rate > 0 or noise with stddev > 0 (unknown values count as perturbing)."""
    for key in ("rate", "stddev", "p", "sigma"):
        value = config.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value > 0
    return True
