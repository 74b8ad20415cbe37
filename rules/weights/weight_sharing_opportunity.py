"""W101 weight-sharing-opportunity: a Siamese model written without sharing its encoder."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from inspector.engine import RuleOptions, Violation, rule
from inspector.graph import Call, ModelGraph, Tensor
from inspector.kinds import DOT, MERGE
from inspector.rules import _examples as ex
from inspector.rules._outputs import model_outputs

MERGE_LAYERS = MERGE | DOT | {"Lambda"}  # the usual Siamese distance, e.g. |a - b|, is a two-input Lambda
IGNORED_KEYS = frozenset({"name", "seed", "trainable", "shared_object_id"})


def _siamese(shared: bool, name: str, cls: str = "LSTM", right_units: int = 16):
    """Two (10, 8) sequences, an LSTM on each (one shared LSTM, or two), concatenated."""
    m = ex.Functional(name)
    left = m.input("left", (None, 10, 8))
    right = m.input("right", (None, 10, 8))
    if shared:
        encoder = ex.layer(cls, "encoder", units=16)
        a, b = m.add(encoder, left), m.add(encoder, right)
    else:
        a = m.add(ex.layer(cls, "left_encoder", units=16), left)
        b = m.add(ex.layer(cls, "right_encoder", units=right_units), right)
    merged = m.add(ex.layer("Concatenate", "merged", axis=-1), a, b)
    y = m.add(ex.layer("Dense", "same", units=1, activation="sigmoid"), merged)
    return m.build([left, right], [y], loss="binary_crossentropy")


def _two_towers():
    """Two inputs, each through Dense 32 -> Dense 8, as two symmetric outputs (no merge)."""
    m = ex.Functional("two_towers")
    ins = [m.input(side, (None, 20)) for side in ("query", "document")]
    outs = []
    for side, x in zip(("query", "document"), ins):
        h = m.add(ex.layer("Dense", f"{side}_dense_1", units=32, activation="relu"), x)
        outs.append(m.add(ex.layer("Dense", f"{side}_embedding", units=8), h))
    return m.build(ins, outs)


def _same_start_branches():
    """Two identical convolution branches read the SAME tensor: a multi-head block, not Siamese."""
    m = ex.Functional("two_heads")
    x = m.input("image", (None, 8, 8, 3))
    a = m.add(ex.layer("Conv2D", "head_a", filters=4, kernel_size=[3, 3], padding="same"), x)
    b = m.add(ex.layer("Conv2D", "head_b", filters=4, kernel_size=[3, 3], padding="same"), x)
    merged = m.add(ex.layer("Concatenate", "heads", axis=-1), a, b)
    return m.build([x], [merged])


def _tabular_fields(n_fields: int = 3):
    """Wide & Deep / DeepFM style: one id per categorical field, each field its own Embedding."""
    m = ex.Functional("tabular_fields")
    fields = [m.input(f"field_{k}", (None, 1), dtype="int32") for k in range(n_fields)]
    vectors = []
    for k, f in enumerate(fields):
        e = m.add(ex.layer("Embedding", f"field_{k}_embedding", input_dim=100, output_dim=8), f)
        vectors.append(m.add(ex.layer("Flatten", f"field_{k}_flat"), e))
    merged = m.add(ex.layer("Concatenate", "fields", axis=-1), *vectors)
    h = m.add(ex.layer("Dense", "deep", units=32, activation="relu"), merged)
    y = m.add(ex.layer("Dense", "click", units=1, activation="sigmoid"), h)
    return m.build(fields, [y], loss="binary_crossentropy")


def _token_pair(shared: bool):
    """Two token sequences (a question pair) embedded: one table for both, or two."""
    m = ex.Functional("question_pair")
    ins = [m.input(side, (None, 30), dtype="int32") for side in ("q1", "q2")]
    shared_embedding = ex.layer("Embedding", "tokens", input_dim=5000, output_dim=32)
    codes = []
    for side, x in zip(("q1", "q2"), ins):
        e = m.add(shared_embedding if shared else ex.layer("Embedding", f"{side}_tokens", input_dim=5000,
                                                          output_dim=32), x)
        codes.append(m.add(ex.layer("GlobalAveragePooling1D", f"{side}_mean"), e))
    merged = m.add(ex.layer("Concatenate", "pair", axis=-1), *codes)
    y = m.add(ex.layer("Dense", "duplicate", units=1, activation="sigmoid"), merged)
    return m.build(ins, [y], loss="binary_crossentropy")


@rule(
    "W101",
    "weight-sharing-opportunity",
    "warning",
    invalid=[lambda: _siamese(False, "siamese_unshared"), lambda: _siamese(False, "gru_pair", "GRU"), _two_towers,
             lambda: _token_pair(False), lambda: _siamese(False, "custom_pair", "PairEncoder")],
    valid=[lambda: _siamese(True, "siamese_shared"), lambda: _siamese(False, "different", right_units=8),
           _same_start_branches, _tabular_fields, lambda: _token_pair(True)],
)
def weight_sharing_opportunity(graph: ModelGraph, opts: RuleOptions) -> Iterator[Violation]:
    """
    ## What it does
    Finds identical branches that start from different inputs and meet, yet each have their own
    weights: a Siamese network written without sharing.

    ## Details
    The branches are identical in structure and layer configuration, start from different inputs of
    the same shape and dtype, and meet in a merge layer (Concatenate, Add, Subtract, Dot...) or as
    symmetric model outputs.

    Branches that start by looking up ONE id per sample in an Embedding (the per-field embeddings
    of Wide & Deep, DeepFM and other tabular models) are not reported: each input is a different
    categorical feature, id 3 of one field and id 3 of another are unrelated, and one table for
    all fields would conflate them. Token sequences (two texts from one vocabulary) still are.

    Nor are identical heads on feature maps that one trunk computed from the same input (a
    detector's head at each scale): nothing there compares two inputs, and sharing them is a
    trade-off, not a fix. Measured (fixtures/evidence/weight_sharing_multiscale.py, 3 seeds): a
    small three-scale detector localized 99.6-99.8% of held-out objects with one head per scale
    and 100% with shared heads, a difference too small to warn about.

    ## Why it matters
    That is a Siamese network written without sharing: both sides are meant to map their inputs
    into the same representation space, so that comparing the two encodings means something.
    With separate weights each side learns its own space from half the data, the model has
    twice the parameters, and swapping the inputs changes the answer.

    ## Example
    ```python
    left = keras.Input((10, 8)); right = keras.Input((10, 8))
    merged = layers.concatenate([layers.LSTM(16)(left), layers.LSTM(16)(right)])
    ```

    ## How to fix
    Create the layer once and call it on both inputs; Keras then shares its weights:
    ```python
    lstm = layers.LSTM(16)
    merged = layers.concatenate([lstm(left), lstm(right)])
    ```
    If the two sides are meant to differ (a question encoder and a text encoder), give them
    different configurations, or ignore this rule for the model.
    """
    signatures = _Signatures(graph)
    meetings: list[tuple[str, tuple[str, ...]]] = []
    for call in graph.calls:
        layer = graph.layer(call.layer)
        if layer.class_name in MERGE_LAYERS and len(set(call.inputs)) >= 2:
            meetings.append((f"merged by {call.layer!r} ({layer.class_name})", tuple(dict.fromkeys(call.inputs))))
    outputs = [t for t, _ in model_outputs(graph, opts)]
    if len(outputs) >= 2:
        meetings.append(("as the model's outputs", tuple(outputs)))
    reported: set[frozenset[str]] = set()
    for where, tensors in meetings:
        groups: dict[tuple, list[list[Call]]] = {}
        for t in tensors:
            chain, start = _chain(graph, t)
            if not chain:
                continue
            start_tensor = graph.tensor(start)
            if _categorical_field(graph, chain, start_tensor):
                continue
            key = (start_tensor.shape, start_tensor.dtype, tuple(signatures.of(c) for c in chain))
            groups.setdefault(key, []).append(chain)
        for chains in groups.values():
            if not _independent(graph, [chain[0].inputs[0] for chain in chains]):
                continue  # heads on one trunk's feature maps (multi-scale), not a Siamese pair
            violation = _violation(graph, chains, where)
            if violation is not None and frozenset(violation.layers) not in reported:
                reported.add(frozenset(violation.layers))
                yield violation


def _independent(graph: ModelGraph, starts: list[str]) -> bool:
    """Whether the branches' start tensors come from different model inputs, none shared: what
    makes them two sides to compare. Branches on feature maps one trunk computed from the same
    input are heads at different depths or scales (a detector's per-scale heads), unshared by
    design (see Evidence)."""
    inputs = set(graph.input_calls())
    seen: set[str] = set()
    for tensor in dict.fromkeys(starts):
        producer = graph.tensor(tensor).producer
        sources = ({producer} | graph.ancestors(producer)) & inputs
        if sources & seen:
            return False
        seen |= sources
    return True


def _chain(graph: ModelGraph, tensor: str) -> tuple[list[Call], str]:
    """The single-input calls leading to `tensor`, back to where the branch starts (an input, a
    fork, a multi-input call), in forward order, and the tensor it starts from."""
    chain: list[Call] = []
    current = tensor
    while True:
        call = graph.producer(current)
        if graph.layer(call.layer).is_input or len(call.inputs) != 1 or len(call.outputs) != 1:
            break
        chain.append(call)
        current = call.inputs[0]
        if len(graph.tensor(current).consumers) != 1:
            break
    chain.reverse()
    return chain, current


def _categorical_field(graph: ModelGraph, chain: list[Call], start: Tensor) -> bool:
    """True when the branch begins by embedding a single id per sample: a categorical feature
    whose ids mean something only within its own field, so its table is its own."""
    if graph.layer(chain[0].layer).class_name != "Embedding" or start.shape is None:
        return False
    return all(d == 1 for d in start.shape[1:])


def _violation(graph: ModelGraph, chains: list[list[Call]], where: str) -> Violation | None:
    # Keep one branch per start tensor: branches from the same tensor are parallel heads.
    by_start: dict[str, list[Call]] = {}
    for chain in chains:
        by_start.setdefault(chain[0].inputs[0], chain)
    if len(by_start) < 2:
        return None
    branches = list(by_start.values())
    positions = [
        [graph.layer(chain[i].layer) for chain in branches] for i in range(len(branches[0]))
    ]
    unshared = [layers for layers in positions if len({layer.name for layer in layers}) > 1]
    if not unshared:
        return None
    params = [_learned(layer) for layers in unshared for layer in layers[1:]]
    if all(p == 0 for p in params):
        return None  # nothing to share: pooling, reshaping, activations, constants
    saving = "an unknown number of" if any(p is None for p in params) else f"{sum(params):,}"  # type: ignore[arg-type,misc]
    starts = [_start_name(graph, graph.tensor(chain[0].inputs[0])) for chain in branches]
    groups = "; ".join(
        " = ".join(repr(layer.name) for layer in layers) + f" ({layers[0].class_name})" for layers in unshared
    )
    message = (
        f"{len(branches)} branches from {', '.join(starts)} are identical in structure and "
        f"configuration but unshared, and meet {where}: {groups} could each be one layer called "
        f"on every input (a Siamese network); sharing would save {saving} parameters"
    )
    involved = tuple(layer.name for layers in unshared for layer in layers)
    # Several groups of branches from the same inputs (a class head and a box head on each side)
    # are one missed sharing: the engine folds them into one finding by this pattern.
    pattern = (f"branches from {', '.join(starts)} are identical in structure and configuration "
               "but unshared: each could be one set of layers called on every input (a Siamese network)")
    return Violation(message, involved, pattern)


def _learned(layer) -> int | None:
    """Parameters training learns: floating-point weights. ONNX keeps integer constants (axes,
    shapes) as initializers too, and two copies of a constant are no missed weight sharing."""
    if layer.params is None or not layer.weights:
        return layer.params
    return sum(w.size for w in layer.weights if w.dtype.startswith(("float", "bfloat")))


def _start_name(graph: ModelGraph, tensor: Tensor) -> str:
    layer = graph.producer_layer(tensor.id)
    return repr(layer) if graph.layer(layer).is_input else f"{layer!r} output {tensor.id}"


class _Signatures:
    """A layer's class and configuration without its name, seeds and nested names, as a string,
    computed once per layer; a nested model's is its whole inner structure."""

    def __init__(self, graph: ModelGraph):
        self.graph = graph
        self.cache: dict[str, str] = {}

    def of(self, call: Call) -> str:
        name = call.layer
        if name not in self.cache:
            layer = self.graph.layer(name)
            if layer.subgraph is not None:
                self.cache[name] = "model:" + _structure(layer.subgraph)
            else:
                self.cache[name] = layer.class_name + ":" + json.dumps(_normalized(layer.config), sort_keys=True,
                                                                       default=str)
        return self.cache[name]


def _structure(graph: ModelGraph) -> str:
    signatures = _Signatures(graph)
    position = {c.id: i for i, c in enumerate(graph.calls)}
    parts = []
    for call in graph.calls:
        inputs = [(position[graph.tensor(t).producer], t.rsplit(":", 1)[-1]) for t in call.inputs]
        parts.append(f"{signatures.of(call)}<-{inputs}")
    outputs = [(position[graph.tensor(t).producer], t.rsplit(":", 1)[-1]) for t in graph.outputs]
    return "|".join(parts) + f"=>{outputs}"


def _normalized(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _normalized(v) for k, v in value.items() if k not in IGNORED_KEYS}
    if isinstance(value, (list, tuple)):
        return [_normalized(v) for v in value]
    return value
