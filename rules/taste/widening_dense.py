"""T102 widening-dense (opt-in, taste): a hidden Dense wider than the Dense before it."""

from __future__ import annotations

from collections.abc import Iterator

from inspector.engine import RuleOptions, Violation, rule
from inspector.graph import ModelGraph
from inspector.kinds import ACTIVATION_LAYERS, BATCH_NORMALIZATION, DROPOUT
from inspector.rules import _examples as ex
from inspector.rules._util import unwrapped, width
from inspector.rules.taste._shared import previous


@rule(
    "T102",
    "widening-dense",
    "info",
    frameworks=("keras",),  # reads Keras Dense `units`
    default=False,
    invalid=[ex.dense_chain("mlp", [32, 128]), ex.dense_chain("mlp", [64, 32, 64]), ex.dense_chain("mlp", [16, 32, 64])],
    valid=[ex.dense_chain("mlp", [128, 64, 32]), ex.dense_chain("mlp", [64, 64]),
           ex.dense_chain("mlp", [16], output_units=100)],
)
def widening_dense(graph: ModelGraph, opts: RuleOptions) -> Iterator[Violation]:
    """
    ## What it does
    Reports a hidden Dense layer (one that another Dense layer reads) with more units than the Dense
    layer before it.

    ## Details
    Off by default (a matter of taste, not a fault): enable it with `--select T102`. Output layers
    are left alone: their width is the number of classes.

    ## Why it matters
    A classifier's fully connected head usually narrows towards the output (a funnel): a layer
    wider than its input cannot carry more information than it receives and adds parameters.
    NeuraLint checks this. Expanding layers are normal in transformers' feed-forward blocks,
    autoencoders' decoders and generators, hence opt-in.

    ## Example
    ```python
    x = layers.Dense(32, activation="relu")(x)
    x = layers.Dense(128, activation="relu")(x)      # wider than its input
    y = layers.Dense(10, activation="softmax")(x)
    ```

    ## How to fix
    Narrow the head towards the output (`128, 64, 32`), or keep this rule off if the expansion
    is the design.
    """
    for call in graph.calls:
        layer = graph.layer(call.layer)
        if unwrapped(layer)[0] != "Dense" or not _feeds_dense(graph, call.id):
            continue
        before = previous(graph, call, lambda other: unwrapped(other)[0] == "Dense",
                          through_concatenation=False)
        if before is None:
            continue
        mine, theirs = width(layer), width(graph.layer(before.layer))
        if mine is not None and theirs is not None and mine > theirs:
            yield Violation(f"Dense {layer.name!r} has {mine} units, more than the {theirs} of "
                            f"{before.layer!r} before it", (layer.name, before.layer),
                            pattern="hidden Dense layers are wider than the Dense layer before them")


def _feeds_dense(graph: ModelGraph, call_id: str) -> bool:
    """Whether a Dense layer reads this call's output (through activations, dropout...)."""
    stack, seen = list(graph.successors(call_id)), set()
    while stack:
        succ = stack.pop()
        if succ in seen:
            continue
        seen.add(succ)
        cls = unwrapped(graph.layer_of(succ))[0]
        if cls == "Dense":
            return True
        if cls in ACTIVATION_LAYERS or cls in DROPOUT or cls in BATCH_NORMALIZATION:
            stack.extend(graph.successors(succ))
    return False
