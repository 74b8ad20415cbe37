"""G102 unused-input: a declared input that no output depends on."""

from __future__ import annotations

from collections.abc import Iterator

from inspector.engine import RuleOptions, Violation, rule
from inspector.graph import ModelGraph
from inspector.rules import _examples as ex
from inspector.rules._util import input_layer_calls, live_calls


def _ignored_metadata():
    """`Model([pixels, metadata], f(pixels))`: Keras 3 accepts it without a word."""
    m = ex.Functional("unused")
    pixels = m.input("pixels", (None, 64))
    metadata = m.input("metadata", (None, 4))
    h = m.add(ex.layer("Dense", "hidden", units=32, activation="relu"), pixels)
    y = m.add(ex.layer("Dense", "digit", units=10, activation="softmax"), h)
    return m.build([pixels, metadata], [y])


def _both_used():
    m = ex.Functional("used")
    pixels = m.input("pixels", (None, 64))
    metadata = m.input("metadata", (None, 4))
    c = m.add(ex.layer("Concatenate", "merged"), pixels, metadata)
    y = m.add(ex.layer("Dense", "digit", units=10, activation="softmax"), c)
    return m.build([pixels, metadata], [y])


def _passthrough_output():
    """An input returned as an output is used, even though no layer reads it."""
    m = ex.Functional("passthrough")
    x = m.input("x", (None, 4))
    y = m.add(ex.layer("Dense", "y", units=2), x)
    return m.build([x], [x, y])


@rule(
    "G102",
    "unused-input",
    "warning",
    invalid=[_ignored_metadata],
    valid=[_both_used, _passthrough_output, ex.dense_chain("mlp", [16])],
)
def unused_input(graph: ModelGraph, opts: RuleOptions) -> Iterator[Violation]:
    """
    ## What it does
    Reports a declared input of the model that no output depends on.

    ## Why it matters
    `keras.Model([a, b], f(a))` builds without complaint in Keras 3, and `fit` then wants data for
    `b` that the model silently ignores. The feature you collected, cleaned and fed never reaches
    the prediction, and nothing tells you. (When an output depends on an input that is not
    declared at all, `disconnected-graph` reports the whole mix-up, and this rule stays quiet.)

    ## Example
    ```python
    pixels = keras.Input((64,), name="pixels")
    metadata = keras.Input((4,), name="metadata")
    digit = layers.Dense(10, activation="softmax")(pixels)
    model = keras.Model([pixels, metadata], digit)   # metadata feeds nothing
    ```

    ## How to fix
    Use the input (e.g. `layers.Concatenate()([pixels, metadata])`) or drop it from the model's
    inputs and from the data you feed.
    """
    declared = graph.input_calls()
    reach = live_calls(graph)
    if any(c.id in reach and c.id not in declared for c in input_layer_calls(graph)):
        return  # disconnected-graph explains this model
    for call_id in declared:
        if call_id not in reach:
            name = graph.call(call_id).layer
            yield Violation(f"input {name!r} is declared but no output depends on it", (name,))
