"""A101 representation-bottleneck: a hidden layer narrower than the classes it must separate."""

from __future__ import annotations

from collections.abc import Iterator

from inspector.engine import RuleOptions, Violation, rule
from inspector.graph import ModelGraph
from inspector.kinds import RECURRENT_LAYERS
from inspector.rules import _examples as ex
from inspector.rules._outputs import model_outputs
from inspector.rules._util import output_head, unwrapped, width


def _two_paths():
    """A narrow layer on one branch only: the other branch carries the information around it."""
    m = ex.Functional("two_paths")
    x = m.input("features", (None, 64))
    a = m.add(ex.layer("Dense", "narrow", units=4, activation="relu"), x)
    b = m.add(ex.layer("Dense", "wide", units=64, activation="relu"), x)
    c = m.add(ex.layer("Concatenate", "merged"), a, b)
    y = m.add(ex.layer("Dense", "topic", units=46, activation="softmax"), c)
    return m.build([x], [y])


def _char_decoder():
    """A character-level seq2seq decoder: a 64-unit LSTM, an 89-way softmax at every step."""
    m = ex.Functional("char_decoder")
    x = m.input("decoder_inputs", (None, None, 89))
    h = m.add(ex.layer("LSTM", "decoder_lstm", units=64, return_sequences=True), x)
    y = m.add(ex.layer("Dense", "decoder_dense", units=89, activation="softmax"), h)
    return m.build([x], [y])


def _token_decoder(lstm_units: int = 128):
    """An NMT decoder (keras.io seq2seq): 15,000-token vocabulary embedded in 128 dimensions, an
    LSTM of 128 units, a softmax over the same 15,000 tokens at every step."""
    m = ex.Functional("token_decoder")
    x = m.input("decoder_tokens", (None, None), dtype="int64")
    e = m.add(ex.layer("Embedding", "token_embedding", input_dim=15000, output_dim=128, mask_zero=True), x)
    h = m.add(ex.layer("LSTM", "decoder_lstm", units=lstm_units, return_sequences=True), e)
    y = m.add(ex.layer("Dense", "next_token", units=15000, activation="softmax"), h)
    return m.build([x], [y], loss="sparse_categorical_crossentropy")


@rule(
    "A101",
    "representation-bottleneck",
    "warning",
    frameworks=("keras",),  # reads Keras Dense/recurrent layers and their softmax heads; an export's MatMul/Gemm heads are not followed
    options={"min-classes": 3, "max-ratio": 0.5},
    invalid=[
        ex.dense_chain("reuters", [64, 4], output_units=46),
        ex.dense_chain("reuters_deep", [64, 4, 64], output_units=46),
        ex.dense_chain("half", [64, 23], output_units=46),
        ex.sequential((None, 20, 8), ex.layer("LSTM", "encoder", units=8),
                      ex.layer("Dense", "topic", units=46, activation="softmax")),
        lambda: _token_decoder(lstm_units=16),
    ],
    valid=[
        ex.dense_chain("reuters", [64, 64], output_units=46),
        ex.dense_chain("reuters_32", [64, 32], output_units=46),
        ex.dense_chain("binary", [4, 2], output_units=1, output_activation="sigmoid"),
        ex.dense_chain("two_classes", [1], output_units=2),
        ex.dense_chain("three_classes", [64, 2], output_units=3),
        _char_decoder,
        _two_paths,
        _token_decoder,
    ],
)
def representation_bottleneck(graph: ModelGraph, opts: RuleOptions) -> Iterator[Violation]:
    """
    ## What it does
    Reports a hidden Dense or recurrent layer much narrower than the classes of a softmax output,
    when every path to that output goes through it.

    ## Details
    For each softmax output over C classes (C >= `min-classes`, default 3), a hidden Dense or
    recurrent layer with at most `max-ratio` x C units (default 0.5: 23 units before 46 classes)
    that every path from the inputs to that output goes through. The ratio is where the measured
    harm appears (see Evidence): a layer half as wide as the classes, or narrower, cost 10 points of
    accuracy or more; one a little narrower than the classes (a 64-unit LSTM before an 89-way
    character softmax) does not.

    ## Why it matters
    Each layer can only pass on what the previous one kept. A 4-unit layer in front of a 46-class
    output squeezes everything the model knows into four numbers; what it drops, no later layer
    can recover, however wide. The chapter's Reuters example loses about 8 points of accuracy
    this way (a 4-unit layer before 46 classes). Convolutions are not checked: their features are
    spatial maps, not a single vector.

    ## Example
    ```python
    x = layers.Dense(64, activation="relu")(inputs)
    x = layers.Dense(4, activation="relu")(x)              # 4 < 46
    outputs = layers.Dense(46, activation="softmax")(x)
    ```

    ## How to fix
    Make every hidden layer on the way to the classifier at least as wide as the number of
    classes (commonly several times wider), or give the information another path around it.
    A language-model head is judged differently: when the classes are the tokens of a vocabulary
    the model itself embeds (an Embedding whose `input_dim` is the number of classes), a layer at
    least as wide as that Embedding's `output_dim` is not reported. The model already represents
    every token in that many dimensions, and predicting 15,000 tokens from 128 (GPT-2: 50,257
    from 768) is how every word-level decoder is built; a layer narrower than the embedding
    still is reported.

    Set `max-ratio` under `[tool.inspector.rules.representation-bottleneck]` to be stricter.
    """
    min_classes = int(opts["min-classes"])
    max_ratio = float(opts["max-ratio"])
    inputs = set(graph.input_calls())
    vocabularies = _embedded_vocabularies(graph)
    order = {c.id: i for i, c in enumerate(graph.calls)}
    for tensor, name in model_outputs(graph, opts):
        head = output_head(graph, tensor, name)
        if head is None or head.activation != "softmax" or not head.units:
            continue
        classes = head.units
        if classes < min_classes:
            continue
        narrow: dict[str, int] = {}  # every narrow layer all paths to the head go through
        for head_call in graph.layer(head.layer).calls:
            for candidate in sorted(graph.ancestors(head_call), key=order.__getitem__):
                layer = graph.layer_of(candidate)
                cls = unwrapped(layer)[0]
                if cls != "Dense" and cls not in RECURRENT_LAYERS:
                    continue
                units = width(layer)
                if units is None or units > max_ratio * classes:
                    continue
                if classes in vocabularies and units >= vocabularies[classes]:
                    continue  # a token decoder as wide as its own token embeddings
                if _dominates(graph, candidate, head_call, inputs):
                    narrow.setdefault(layer.name, units)
        if not narrow:
            continue
        # One fault, one finding: a chain of narrow layers is one bottleneck, named by its
        # narrowest layer (the first of the narrowest, in graph order).
        first = min(narrow, key=narrow.__getitem__)
        units, cls = narrow[first], unwrapped(graph.layer(first))[0]
        others = [n for n in narrow if n != first]
        also = f" (and through {', '.join(repr(n) for n in others)}, also at most {max_ratio:g}x)" if others else ""
        yield Violation(
            f"{cls} {first!r} has {units} units for the {classes} classes of output "
            f"{head.output!r} (at most {max_ratio:g}x, where accuracy was measured to suffer), and "
            f"everything reaching the output passes through it{also}",
            (first, *others, graph.producer_layer(tensor)))


def _embedded_vocabularies(graph: ModelGraph) -> dict[int, int]:
    """Vocabulary size -> the narrowest embedding width the model gives it."""
    sizes: dict[int, int] = {}
    for _, layer in graph.walk():
        if layer.class_name != "Embedding":
            continue
        vocab, dim = layer.config.get("input_dim"), layer.config.get("output_dim")
        if isinstance(vocab, int) and isinstance(dim, int):
            sizes[vocab] = min(dim, sizes.get(vocab, dim))
    return sizes


def _dominates(graph: ModelGraph, block: str, target: str, inputs: set[str]) -> bool:
    """True when no input reaches `target` without passing through `block`."""
    seen, stack = {block}, [target]
    while stack:
        node = stack.pop()
        if node in inputs:
            return False
        for pred in graph.predecessors(node):
            if pred not in seen:
                seen.add(pred)
                stack.append(pred)
    return True
