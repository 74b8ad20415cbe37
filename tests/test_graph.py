"""Graph queries on real loaded models: order, neighbours, reachability, paths, shared calls."""

from __future__ import annotations

import pytest

import inspector
from inspector.graph import Call, topological_order


def load(fixtures_dir, name):
    return inspector.load(fixtures_dir / name)


def assert_topological(graph) -> None:
    seen: set[str] = set()
    for call in graph.calls:
        assert set(graph.predecessors(call.id)) <= seen, call.id
        seen.add(call.id)
    assert len(seen) == len(graph.calls)


@pytest.mark.parametrize("name", ["residual_identity.keras", "inception_module.h5", "siamese_shared_lstm_k2.h5",
                                  "qa_two_inputs.keras", "nested_submodel_k2.h5"])
def test_calls_are_in_topological_order(fixtures_dir, name):
    assert_topological(load(fixtures_dir, name))


def test_residual_block_neighbours_and_paths(fixtures_dir):
    g = load(fixtures_dir, "residual_identity.keras")
    assert g.predecessors("residual_add[0]") == ("stem_relu[0]", "block_2_bn[0]")
    assert g.successors("stem_relu[0]") == ("block_1_conv[0]", "residual_add[0]")
    paths = g.paths("stem_relu[0]", "residual_add[0]")
    assert sorted(paths, key=len) == [
        ["stem_relu[0]", "residual_add[0]"],
        ["stem_relu[0]", "block_1_conv[0]", "block_1_bn[0]", "block_1_relu[0]", "block_2_conv[0]",
         "block_2_bn[0]", "residual_add[0]"],
    ]
    assert g.paths("digit[0]", "image[0]") == []
    assert g.paths("image[0]", "image[0]") == [["image[0]"]]
    assert len(g.paths("image[0]", "digit[0]", limit=1)) == 1


def test_inception_branches(fixtures_dir):
    g = load(fixtures_dir, "inception_module.keras")
    assert len(g.paths("image[0]", "mixed[0]")) == 4
    assert set(g.successors("image[0]")) == {"branch_a_1x1[0]", "branch_b_1x1[0]", "branch_c_pool[0]",
                                             "branch_d_1x1[0]"}
    branch_d = {"branch_d_1x1[0]", "branch_d_3x3_1[0]", "branch_d_3x3_2[0]"}
    assert g.ancestors("branch_d_3x3_2[0]") == {"image[0]"} | branch_d - {"branch_d_3x3_2[0]"}
    assert g.descendants("branch_a_1x1[0]") == {"mixed[0]", "mixed_bn[0]", "mixed_relu[0]", "pool[0]",
                                                "flatten[0]", "digit[0]"}
    assert g.ancestors("image[0]") == set() and g.descendants("digit[0]") == set()


@pytest.mark.parametrize("name", ["siamese_shared_lstm.keras", "siamese_shared_lstm.h5", "siamese_shared_lstm_k2.h5"])
def test_shared_layer_has_one_call_per_use(fixtures_dir, name):
    g = load(fixtures_dir, name)
    lstm = g.layer("shared_lstm")
    assert lstm.is_shared and lstm.calls == ("shared_lstm[0]", "shared_lstm[1]")
    first, second = (g.call(c) for c in lstm.calls)
    assert first.inputs == ("left[0]:0",) and second.inputs == ("right[0]:0",)
    assert g.layer_of(second) is lstm
    assert g.predecessors("merged[0]") == ("shared_lstm[0]", "shared_lstm[1]")
    assert g.descendants("left[0]") == {"shared_lstm[0]", "merged[0]", "prediction[0]"}
    assert "shared_lstm[1]" not in g.descendants("left[0]")
    assert g.tensor("shared_lstm[1]:0").consumers == ("merged[0]",)
    assert g.producer("shared_lstm[1]:0") is second
    assert [layer.name for layer in g.layers if layer.is_shared] == ["shared_lstm"]


def test_unshared_siamese_has_no_shared_layer(fixtures_dir):
    g = load(fixtures_dir, "siamese_unshared_lstm.keras")
    assert not any(layer.is_shared for layer in g.layers)
    assert {g.layer("left_lstm").calls, g.layer("right_lstm").calls} == {("left_lstm[0]",), ("right_lstm[0]",)}


def test_two_inputs_and_an_unused_one(fixtures_dir):
    qa = load(fixtures_dir, "qa_two_inputs.h5")
    assert qa.input_names == ("text", "question") and qa.output_names == ("answer",)
    assert {"text[0]", "question[0]"} <= qa.ancestors("answer[0]")
    unused = load(fixtures_dir, "unused_input.keras")
    assert unused.input_calls() == ("pixels[0]", "metadata[0]")
    assert unused.descendants("metadata[0]") == set()
    assert "metadata[0]" not in unused.ancestors("digit[0]")
    assert unused.output_calls() == ("digit[0]",)


def test_nested_model_walk(fixtures_dir):
    g = load(fixtures_dir, "nested_submodel.keras")
    walked = [(path, layer.name) for path, layer in g.walk()]
    assert (("encoder",), "encoder_dense") in walked
    assert (("encoder", "projector"), "projector_dense") in walked
    assert [name for path, name in walked if path == ()] == [layer.name for layer in g.layers]
    assert all(path == () or path == ("encoder",) for path, _ in g.walk(depth=1))


def test_layer_called_twice_in_a_row(keras, tmp_path):
    """One Dense applied to its own output: call 1 depends on call 0 of the same layer."""
    inp = keras.Input((4,), name="x")
    dense = keras.layers.Dense(4, name="twice")
    out = keras.layers.Dense(1, name="head")(dense(dense(inp)))
    path = tmp_path / "twice.keras"
    keras.Model(inp, out).save(path)
    g = inspector.load(path)
    assert g.layer("twice").calls == ("twice[0]", "twice[1]")
    assert g.predecessors("twice[1]") == ("twice[0]",)
    assert g.paths("x[0]", "head[0]") == [["x[0]", "twice[0]", "twice[1]", "head[0]"]]
    assert [c.id for c in g.calls] == ["x[0]", "twice[0]", "twice[1]", "head[0]"]
    assert g.layer("twice").params == 20


def test_topological_order_is_stable_and_rejects_cycles():
    a = Call("a", 0, (), ("a[0]:0",))
    b = Call("b", 0, ("c[0]:0",), ("b[0]:0",))
    c = Call("c", 0, ("a[0]:0",), ("c[0]:0",))
    producers = {"a[0]:0": "a[0]", "b[0]:0": "b[0]", "c[0]:0": "c[0]"}
    assert [x.id for x in topological_order([a, b, c], producers)] == ["a[0]", "c[0]", "b[0]"]
    loop = Call("a", 0, ("b[0]:0",), ("a[0]:0",))
    with pytest.raises(ValueError, match="cycle"):
        topological_order([loop, b, c], producers)


def test_loaded_graph_mappings_are_read_only(fixtures_dir):
    """Frozen dataclasses are not enough: a rule writing into a layer's config, a call's arguments
    or the tensor table would change what every later consumer reads."""
    g = load(fixtures_dir, "nested_submodel.keras")
    encoder = g.layer("encoder")
    inner = encoder.subgraph.layers[1]
    call = g.call("encoder[0]")
    for mapping, key in ((g.tensors, "x"), (encoder.config, "name"), (inner.config, "units"),
                         (call.arguments, "mask"), (encoder.subgraph.tensors, "x")):
        with pytest.raises(TypeError):
            mapping[key] = None  # type: ignore[index]
    assert dict(call.arguments) == {"mask": None}
    assert g.tensors[g.outputs[0]].shape == (None, 10)


@pytest.mark.parametrize("name", ["savedmodel_k2", "three_outputs_weighted.keras",
                                  "three_outputs_unweighted_k2.h5"])
def test_training_and_notes_are_built_in_not_replaced(fixtures_dir, name):
    """The loaders hand the training config and their notes to the builder: the graph they return
    is the one `GraphBuilder.build` froze, its lookups consistent with its fields."""
    g = load(fixtures_dir, name)
    assert g.training is not None
    assert set(g.training.loss) <= set(g.output_names) | {f"output_{i}" for i in range(len(g.outputs))}
    if name == "savedmodel_k2":
        assert g.notes[-1].startswith("parameters are computed from the config")
    assert [g.layer(layer.name) for layer in g.layers] == list(g.layers)
