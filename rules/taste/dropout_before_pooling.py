"""T104 dropout-before-pooling (opt-in, taste): a Dropout whose output goes straight into pooling."""

from __future__ import annotations

from collections.abc import Iterator

from inspector.engine import RuleOptions, Violation, rule
from inspector.graph import ModelGraph
from inspector.kinds import DROPOUT_LAYERS
from inspector.rules import _examples as ex
from inspector.rules._layout import is_pooling
from inspector.rules._util import unwrapped


def _cnn(*middle: str):
    entries = {
        "dropout": ex.layer("Dropout", "dropout", rate=0.25),
        "pool": ex.layer("MaxPooling2D", "pool", pool_size=[2, 2]),
    }
    return ex.sequential(
        (None, 28, 28, 1),
        ex.layer("Conv2D", "conv", filters=16, kernel_size=[3, 3], activation="relu"),
        *(entries[name] for name in middle),
        ex.layer("GlobalAveragePooling2D", "gap"),
        ex.layer("Dense", "digit", units=10, activation="softmax"))


def _two_blocks():
    """Two convolution blocks, each with a Dropout before its pooling: one pattern, two places."""
    block = lambda i: (ex.layer("Conv2D", f"conv{i}", filters=16, kernel_size=[3, 3], activation="relu"),
                       ex.layer("Dropout", f"dropout{i}", rate=0.25),
                       ex.layer("MaxPooling2D", f"pool{i}", pool_size=[2, 2]))
    return ex.sequential((None, 28, 28, 1), *block(1), *block(2), ex.layer("GlobalAveragePooling2D", "gap"),
                         ex.layer("Dense", "digit", units=10, activation="softmax"))


@rule(
    "T104",
    "dropout-before-pooling",
    "info",
    frameworks=("keras",),  # dropout acts in training only; an exported inference graph has none
    default=False,
    invalid=[_cnn("dropout", "pool"), _two_blocks],
    valid=[_cnn("pool", "dropout"), _cnn("pool")],
)
def dropout_before_pooling(graph: ModelGraph, opts: RuleOptions) -> Iterator[Violation]:
    """
    ## What it does
    Reports a Dropout layer whose only reader is a (non-global) pooling layer.

    ## Details
    Off by default (a matter of taste, not a fault): enable it with `--select T104`.

    ## Why it matters
    The usual order is convolution, pooling, then dropout: dropping before a max pooling
    mostly drops values the pooling would have discarded anyway, and computes the mask on a
    map four times larger. NeuraLint checks the order. The effect on accuracy is small and
    some architectures drop before pooling on purpose, hence opt-in.

    ## Example
    ```python
    x = layers.Conv2D(32, 3, activation="relu")(x)
    x = layers.Dropout(0.25)(x)
    x = layers.MaxPooling2D()(x)
    ```

    ## How to fix
    `Conv2D -> MaxPooling2D -> Dropout`.
    """
    for call in graph.calls:
        layer = graph.layer(call.layer)
        if unwrapped(layer)[0] not in DROPOUT_LAYERS:
            continue
        readers = graph.successors(call.id)
        if len(readers) == 1:
            reader = graph.layer_of(readers[0])
            if is_pooling(unwrapped(reader)[0]):
                yield Violation(f"{layer.class_name} {layer.name!r} feeds the pooling {reader.name!r}; "
                                "pool first, then drop", (layer.name, reader.name),
                                pattern="dropout layers come right before pooling")
