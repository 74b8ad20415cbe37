"""N103 dropout-before-normalization: dropout feeding a BatchNormalization (variance shift)."""

from __future__ import annotations

from collections.abc import Iterator

from inspector.engine import RuleOptions, Violation, rule
from inspector.graph import ModelGraph
from inspector.kinds import ACTIVATION_LAYERS, BATCH_NORMALIZATION, DROPOUT, RESHAPE_LAYERS
from inspector.rules import _examples as ex

PATTERN = ("Dropout layers feed BatchNormalization layers, whose moving variance will not match "
           "inference, where dropout is off")


@rule(
    "N103",
    "dropout-before-normalization",
    "warning",
    frameworks=("keras",),  # dropout acts in training only; an exported inference graph has none
    invalid=[
        ex.dense_chain("mlp", [32, 32], between=["Dropout", "BatchNormalization"]),
        ex.dense_chain("mlp", [32], between=["Dropout", "Activation", "BatchNormalization"]),
    ],
    valid=[
        ex.dense_chain("mlp", [32, 32], between=["BatchNormalization", "Dropout"]),
        ex.dense_chain("mlp", [32, 32], between=["Dropout", "LayerNormalization"]),
    ],
)
def dropout_before_normalization(graph: ModelGraph, opts: RuleOptions) -> Iterator[Violation]:
    """
    ## What it does
    Reports a Dropout layer whose output reaches a BatchNormalization without a weight layer in
    between (only through activations or reshaping).

    ## Why it matters
    Dropout scales what it keeps by 1/(1-rate) during training and does nothing at inference, so
    the variance of its output differs between the two. BatchNormalization learns its moving
    variance during training and applies it at inference to inputs whose variance has changed:
    the "variance shift" that makes the pair perform worse than either alone (Li et al., CVPR
    2019, "Understanding the Disharmony between Dropout and Batch Normalization").

    ## Example
    ```python
    x = layers.Dropout(0.5)(x)
    x = layers.BatchNormalization()(x)
    ```

    ## How to fix
    Put the Dropout after the last BatchNormalization (e.g. just before the classifier), or use
    only one of the two in that block.
    """
    passing = ACTIVATION_LAYERS | RESHAPE_LAYERS
    for call in graph.calls:
        layer = graph.layer(call.layer)
        if layer.class_name not in DROPOUT:
            continue
        frontier, seen = [call.id], set()
        while frontier:
            node = frontier.pop()
            for user in graph.successors(node):
                if user in seen:
                    continue
                seen.add(user)
                reader = graph.layer_of(user)
                if reader.class_name in BATCH_NORMALIZATION:
                    yield Violation(f"{layer.class_name} {layer.name!r} feeds the "
                                    f"BatchNormalization {reader.name!r}: its moving variance "
                                    "will not match inference, where dropout is off",
                                    (layer.name, reader.name), pattern=PATTERN)
                elif reader.class_name in passing:
                    frontier.append(user)
