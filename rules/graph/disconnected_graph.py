"""G101 disconnected-graph: outputs computed from tensors the declared inputs do not produce."""

from __future__ import annotations

from collections.abc import Iterator

from inspector.engine import RuleOptions, Violation, rule
from inspector.graph import ModelGraph
from inspector.rules import _examples as ex
from inspector.rules._util import input_layer_calls, live_calls


def _unrelated_input():
    """The chapter's `Model(unrelated_input, outputs)`: `features` drives the output, but the
    model declares `unrelated` as its input (a hand-edited or reconstructed config)."""
    m = ex.Functional("disconnected")
    real = m.input("features", (None, 8))
    unrelated = m.input("unrelated", (None, 8))
    h = m.add(ex.layer("Dense", "hidden", units=8, activation="relu"), real)
    y = m.add(ex.layer("Dense", "score", units=1, activation="sigmoid"), h)
    return m.build([unrelated], [y])


def _dangling_branch():
    """A layer whose output reaches no model output (ONNX graphs keep such nodes)."""
    m = ex.Functional("dangling")
    x = m.input("features", (None, 8))
    h = m.add(ex.layer("Dense", "hidden", units=8, activation="relu"), x)
    m.add(ex.layer("Dense", "forgotten_head", units=3), h)
    y = m.add(ex.layer("Dense", "score", units=1, activation="sigmoid"), h)
    return m.build([x], [y])


def _constant_output(through: bool):
    """A second output computed from no input (what an ONNX Constant node is): a layer the config
    calls with no tensor, read directly or through another layer."""
    m = ex.Functional("constant_head")
    x = m.input("features", (None, 4))
    y = m.add(ex.layer("Dense", "score", units=4), x)
    config = m.build([x], [y])
    called = [{"args": [], "kwargs": {}}]
    config["config"]["layers"].append({**ex.layer("Dense", "bias", units=4), "inbound_nodes": called})
    out = "bias"
    if through:
        ref = ex.Ref("bias", 0, 0, (None, 4)).as_arg()
        config["config"]["layers"].append({**ex.layer("Activation", "offset", activation="relu"),
                                           "inbound_nodes": [{"args": [ref], "kwargs": {}}]})
        out = "offset"
    config["config"]["output_layers"] = [["score", 0, 0], [out, 0, 0]]
    return config


def _connected():
    m = ex.Functional("connected")
    a = m.input("a", (None, 8))
    b = m.input("b", (None, 8))
    c = m.add(ex.layer("Concatenate", "merged"), a, b)
    y = m.add(ex.layer("Dense", "score", units=1, activation="sigmoid"), c)
    return m.build([a, b], [y])


@rule(
    "G101",
    "disconnected-graph",
    "error",
    invalid=[_unrelated_input, _dangling_branch, lambda: _constant_output(False), lambda: _constant_output(True)],
    valid=[_connected, ex.dense_chain("mlp", [16])],
)
def disconnected_graph(graph: ModelGraph, opts: RuleOptions) -> Iterator[Violation]:
    """
    ## What it does
    Reports an output that depends on an input layer the model does not declare as an input, and
    parts of the graph that reach no output.

    ## Details
    The message names the output, the input it really depends on, and the declared input that feeds
    nothing. Also reported: an output that depends on no input at all (a constant, which ONNX graphs
    can hold), and layers (ONNX nodes) whose results reach no output of the graph. A declared input
    that reaches no output is `unused-input`'s finding (G102), in Keras and ONNX models alike.

    ## Why it matters
    `Model(unrelated_input, outputs)` cannot work: the outputs are computed from a tensor the
    model will never be given. Keras 3 refuses to build it with ``Output with path `` is not
    connected to `inputs` ``, which names nothing. Such graphs still reach disk as hand-edited or
    generated architecture JSON, as ONNX exports, and through the Python-builder loader, which
    reconstructs the graph Keras refused so this rule can say what went wrong. An output that
    is a constant predicts the same value for every sample: an export or graph edit cut it off
    from the inputs. Dead nodes in a graph cost memory and export time and usually mean a head
    was forgotten in `outputs`.

    ## Example
    ```python
    features = keras.Input((8,), name="features")
    unrelated = keras.Input((8,), name="unrelated")
    score = layers.Dense(1, activation="sigmoid")(layers.Dense(8)(features))
    model = keras.Model(unrelated, score)    # score depends on `features`
    ```

    ## How to fix
    Pass the inputs the outputs are computed from: `keras.Model(features, score)`, or
    `keras.Model([features, unrelated], score)` if both are meant to be inputs (then use
    `unrelated`). For a constant output, connect it to the inputs it should be computed from
    (or re-export the model). For dead nodes, add the forgotten head to the outputs or delete it.
    """
    declared = set(graph.input_calls())
    inputs = [c.id for c in input_layer_calls(graph)]
    live = live_calls(graph)
    unused_declared = [c for c in graph.input_calls() if c not in live]
    for out_call in graph.output_calls():
        reach = graph.ancestors(out_call) | {out_call}
        output = graph.call(out_call).layer
        if not any(c in reach for c in inputs):
            sources = [c.layer for c in graph.calls if c.id in reach and not c.inputs and c.id != out_call]
            origin = f" (computed from {', '.join(repr(s) for s in sources)} alone)" if sources else ""
            yield Violation(f"output {output!r} depends on no input of the model: it is a constant{origin}",
                            (output, *sources))
            continue
        undeclared = [c for c in inputs if c in reach and c not in declared]
        if not undeclared:
            continue
        real = ", ".join(repr(graph.call(c).layer) for c in undeclared)
        message = (f"output {output!r} depends on input {real}, which is not a declared input of "
                   "the model")
        if unused_declared:
            idle = ", ".join(repr(graph.call(c).layer) for c in unused_declared)
            message += f"; the declared input {idle} feeds nothing"
        yield Violation(message, (output, *(graph.call(c).layer for c in undeclared),
                                  *(graph.call(c).layer for c in unused_declared)))
    dead = [c for c in graph.calls if c.id not in live and not graph.layer(c.layer).is_input]
    if dead:
        names = list(dict.fromkeys(c.layer for c in dead))
        yield Violation(
            f"{len(names)} layer(s) compute results that reach no output of the model: "
            + ", ".join(names[:8]) + (" ..." if len(names) > 8 else ""),
            tuple(names),
        )
