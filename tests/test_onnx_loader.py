"""The ONNX loader: nodes, initializers and value infos read into the same ModelGraph as Keras files,
so summary and the graph rules work on ONNX graphs. Models are built with onnx.helper, so these
tests need neither TensorFlow nor the exporter."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper

from inspector.cli import main
from inspector.errors import LoadError
from inspector.loaders import load_path, sniff


def _init(name: str, *shape: int) -> TensorProto:
    return numpy_helper.from_array(np.zeros(shape, dtype=np.float32), name)


def _save(model, path: Path) -> Path:
    onnx.save(model, str(path))
    return path


def _mlp(dead_branch: bool = False, unused_input: bool = False, layers: int = 2,
         with_value_info: bool = True, init_as_input: bool = False, activation: str = "Relu"):
    """x[N,8] -> (MatMul W_i -> activation) x layers -> Identity `head` -> y; optionally a head that
    reaches no output."""
    nodes, inits, infos = [], [], []
    prev = "x"
    for i in range(layers):
        inits.append(_init(f"W{i}", 8, 8))
        nodes.append(helper.make_node("MatMul", [prev, f"W{i}"], [f"h{i}"], name=f"dense{i}"))
        nodes.append(helper.make_node(activation, [f"h{i}"], [f"a{i}"], name=f"relu{i}"))
        infos += [helper.make_tensor_value_info(n, TensorProto.FLOAT, ["N", 8]) for n in (f"h{i}", f"a{i}")]
        prev = f"a{i}"
    nodes.append(helper.make_node("Identity", [prev], ["y"], name="head"))
    if dead_branch:
        inits.append(_init("W_dead", 8, 3))
        nodes.append(helper.make_node("MatMul", ["a0", "W_dead"], ["forgotten"], name="forgotten_head"))
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 8])]
    if unused_input:
        inputs.append(helper.make_tensor_value_info("metadata", TensorProto.FLOAT, ["N", 4]))
    if init_as_input:  # IR 3 style: every initializer also listed as a graph input
        inputs += [helper.make_tensor_value_info(t.name, TensorProto.FLOAT, list(t.dims)) for t in inits]
    graph = helper.make_graph(nodes, "mlp", inputs,
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 8])],
                              initializer=inits, value_info=infos if with_value_info else [])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="test")


def _lint(path: Path, select: str) -> list:
    from inspector.engine import lint_graph, select_rules

    return lint_graph(load_path(path), select_rules([select], None))


def test_nodes_become_layers_with_one_call_and_initializers_their_weights(tmp_path):
    graph = load_path(_save(_mlp(), tmp_path / "mlp.onnx"))
    assert graph.source.format == "onnx"
    assert [layer.name for layer in graph.layers] == ["x", "dense0", "relu0", "dense1", "relu1", "y"]
    assert graph.layer("x").class_name == "InputLayer"
    dense = graph.layer("dense0")
    assert (dense.class_name, dense.module, len(dense.calls)) == ("MatMul", "onnx", 1)
    assert [(w.name, w.shape, w.dtype) for w in dense.weights] == [("W0", (8, 8), "float32")]
    assert dense.params == 64 and graph.total_params == 128
    assert graph.input_names == ("x",) and graph.output_names == ("y",)
    assert graph.tensor(graph.outputs[0]).shape == (None, 8)
    # the initializer is a weight, not a tensor input: dense0 reads only x
    assert graph.call("dense0[0]").inputs == ("x[0]:0",)


def test_initializers_listed_as_graph_inputs_are_not_inputs(tmp_path):
    graph = load_path(_save(_mlp(init_as_input=True), tmp_path / "ir3.onnx"))
    assert graph.input_names == ("x",)
    assert [layer.name for layer in graph.layers if layer.is_input] == ["x"]
    assert graph.total_params == 128


def test_attributes_are_plain_python_in_the_config(tmp_path):
    conv = helper.make_node("Conv", ["x", "W"], ["y"], name="conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1],
                            auto_pad="NOTSET", strides=[1, 1])
    graph = helper.make_graph(
        [conv], "conv", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 5, 5])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], initializer=[_init("W", 4, 2, 3, 3)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    layer = load_path(_save(model, tmp_path / "conv.onnx")).layer("y")  # named after its graph output
    assert layer.config == {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1], "auto_pad": "NOTSET", "strides": [1, 1]}
    json.dumps(dict(layer.config))  # plain Python, as a Keras config is
    assert layer.params == 4 * 2 * 3 * 3


def test_shapes_missing_from_the_file_come_from_shape_inference(tmp_path):
    graph = load_path(_save(_mlp(with_value_info=False), tmp_path / "bare.onnx"))
    assert graph.tensor(graph.call("relu0[0]").outputs[0]).shape == (None, 8)
    assert any("shape inference" in note for note in graph.notes)


def test_unnamed_nodes_are_named_after_their_op_and_position(tmp_path):
    model = _mlp()
    for node in model.graph.node:
        node.name = ""
    graph = load_path(_save(model, tmp_path / "unnamed.onnx"))
    assert [layer.name for layer in graph.layers][1:] == ["MatMul_0", "Relu_1", "MatMul_2", "Relu_3", "y"]


def test_dead_branch_is_reported_by_disconnected_graph(tmp_path):
    path = _save(_mlp(dead_branch=True), tmp_path / "dead.onnx")
    findings = _lint(path, "disconnected-graph")
    assert len(findings) == 1
    assert findings[0].layers == ("forgotten_head",)
    assert "reach no output" in findings[0].message
    assert _lint(_save(_mlp(), tmp_path / "clean.onnx"), "disconnected-graph") == []


def test_an_input_that_feeds_nothing_and_an_output_from_no_input(tmp_path):
    graph = load_path(_save(_mlp(unused_input=True), tmp_path / "unused.onnx"))
    assert graph.input_names == ("x", "metadata")
    assert graph.tensor(graph.inputs[1]).consumers == ()
    # an output computed from a constant alone: its producer has no input ancestor
    const = helper.make_node("Constant", [], ["c"], name="const",
                             value=numpy_helper.from_array(np.ones((2,), np.float32)))
    model = helper.make_model(helper.make_graph(
        [const], "const", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("c", TensorProto.FLOAT, [2])]),
        opset_imports=[helper.make_opsetid("", 17)])
    graph = load_path(_save(model, tmp_path / "const.onnx"))
    out_call = graph.output_calls()[0]
    assert not any(graph.layer_of(a).is_input for a in graph.ancestors(out_call))
    assert graph.layer("c").config["value"] == {"dims": [2], "dtype": "float32", "value": [1.0, 1.0]}


def test_missing_normalization_does_not_judge_onnx_chains(tmp_path):
    """An ONNX file is an inference graph: exporters fold normalization into the weight layers,
    so a chain of MatMuls with sigmoids between says nothing about the trained model's
    normalization (the rule runs on Keras models only; fixtures/onnx holds real exports)."""
    deep = _save(_mlp(layers=5, activation="Sigmoid"), tmp_path / "deep.onnx")
    assert _lint(deep, "missing-normalization") == []


def test_summary_cli_on_onnx(tmp_path):
    path = _save(_mlp(), tmp_path / "mlp.onnx")
    result = CliRunner().invoke(main, ["summary", str(path)])
    assert result.exit_code == 0, result.output
    assert "dense0 (MatMul)" in result.output
    assert "Total params: 128" in result.output
    data = json.loads(CliRunner().invoke(main, ["summary", "--format", "json", str(path)]).output)
    assert data["total_params"] == 128


def test_onnx_is_recognized_by_content_under_another_name(tmp_path):
    path = _save(_mlp(), tmp_path / "model.bin")
    assert sniff(path) == "onnx"
    assert load_path(path).total_params == 128


@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_truncated_onnx_is_a_load_error_with_exit_2(tmp_path, cut):
    whole = _save(_mlp(), tmp_path / "whole.onnx").read_bytes()
    path = tmp_path / "truncated.onnx"
    path.write_bytes(whole[: int(len(whole) * cut)])
    with pytest.raises(LoadError) as info:
        load_path(path)
    assert "truncated" in str(info.value)
    result = CliRunner().invoke(main, ["summary", str(path)])
    assert result.exit_code == 2
    assert result.output.startswith("inspect: error: ") or "inspect: error: " in result.stderr


def test_garbage_named_onnx_is_a_load_error(tmp_path):
    path = tmp_path / "garbage.onnx"
    path.write_bytes(b"\x08\xff\xff\xff garbage that is not protobuf" * 10)
    with pytest.raises(LoadError):
        load_path(path)


def test_onnx_file_without_the_onnx_package_is_a_load_error_naming_the_extra(tmp_path, monkeypatch):
    """The core install (the pre-commit hook's) has no onnx: say which extra to install, exit 2."""
    path = _save(_mlp(), tmp_path / "model.onnx")
    monkeypatch.setitem(sys.modules, "onnx", None)  # `import onnx` now raises ImportError
    with pytest.raises(LoadError, match=r"reading ONNX needs the onnx package: pip install 'keras-inspector\[onnx\]'"):
        load_path(path)
    result = CliRunner().invoke(main, ["summary", str(path)])
    assert result.exit_code == 2
    assert result.stderr == (f"inspect: error: {path}: reading ONNX needs the onnx package: "
                             "pip install 'keras-inspector[onnx]'\n")


# -- graph outputs name the layers that produce them --------------------------------------------
def _model(nodes, inputs, outputs, inits=()):
    value = lambda name: helper.make_tensor_value_info(name, TensorProto.FLOAT, ["N", 4])
    graph = helper.make_graph(nodes, "g", [value(i) for i in inputs], [value(o) for o in outputs],
                              initializer=list(inits))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_the_node_producing_a_graph_output_is_named_after_it(tmp_path):
    """Users know outputs by the graph output name (Netron, the exporter), not a converter path."""
    graph = load_path(_save(_mlp(), tmp_path / "mlp.onnx"))
    assert graph.layer("y").class_name == "Identity"  # the real op: no layer is invented
    assert len(graph.layers) == 6 and "head" not in {layer.name for layer in graph.layers}
    assert "the nodes producing graph outputs are named after them: y (node 'head')" in graph.notes
    result = CliRunner().invoke(main, ["summary", str(tmp_path / "mlp.onnx")])
    assert "y (Identity)" in result.output
    assert "Outputs: y (None, 8) float32" in result.output


def test_an_unnamed_output_node_and_a_node_already_named_like_its_output(tmp_path):
    nodes = [helper.make_node("Relu", ["x"], ["score"]),  # no name, as many converters write
             helper.make_node("Sigmoid", ["x"], ["prob"], name="prob")]
    graph = load_path(_save(_model(nodes, ["x"], ["score", "prob"]), tmp_path / "two.onnx"))
    assert graph.output_names == ("score", "prob")
    assert [(layer.name, layer.class_name) for layer in graph.layers] == [
        ("x", "InputLayer"), ("score", "Relu"), ("prob", "Sigmoid")]
    assert "the nodes producing graph outputs are named after them: score (an unnamed Relu)" in graph.notes


def test_another_node_with_the_output_name_yields_it(tmp_path):
    """Node and value names are separate namespaces in ONNX: the output keeps its name."""
    nodes = [helper.make_node("Relu", ["x"], ["h"], name="y"), helper.make_node("Sigmoid", ["h"], ["y"], name="s")]
    graph = load_path(_save(_model(nodes, ["x"], ["y"]), tmp_path / "clash.onnx"))
    assert [(layer.name, layer.class_name) for layer in graph.layers][1:] == [("y_1", "Relu"), ("y", "Sigmoid")]
    assert graph.output_names == ("y",)


def test_a_node_with_two_graph_outputs_keeps_its_node_name(tmp_path):
    split = helper.make_node("Split", ["x"], ["left", "right"], name="split", axis=1, num_outputs=2)
    model = _model([split], ["x"], ["left", "right"])
    model.opset_import[0].version = 18  # num_outputs is an opset 18 attribute
    graph = load_path(_save(model, tmp_path / "split.onnx"))
    assert graph.output_names == ("split", "split")
    assert graph.outputs == ("split[0]:0", "split[0]:1")
    assert not any("named after them" in note for note in graph.notes)


def test_an_input_passed_through_as_an_output_and_a_constant_output_keep_their_names(tmp_path):
    relu = helper.make_node("Relu", ["x"], ["r"], name="relu_node")
    graph = load_path(_save(_model([relu], ["x"], ["x", "r", "bias"], inits=[_init("bias", 4)]),
                            tmp_path / "pass.onnx"))
    assert graph.output_names == ("x", "r", "bias")
    assert graph.layer("bias").class_name == "Initializer"


def test_disconnected_graph_names_the_constant_graph_output(tmp_path):
    """G101 on a constant output says `y`, the name in the file's outputs, not the node `ident`."""
    const = helper.make_node("Constant", [], ["c"], name="const",
                             value=numpy_helper.from_array(np.ones((1, 4), np.float32)))
    ident = helper.make_node("Identity", ["c"], ["y"], name="ident")
    relu = helper.make_node("Relu", ["x"], ["r"], name="relu")
    path = _save(_model([const, ident, relu], ["x"], ["r", "y"]), tmp_path / "const.onnx")
    [finding] = _lint(path, "disconnected-graph")
    assert finding.message == "output 'y' depends on no input of the model: it is a constant (computed from 'const' alone)"
    assert finding.layers == ("y", "const")


def test_exported_fixture_reads_back_with_its_input_and_output_names(tmp_path):
    """The real tf2onnx export of qa_two_inputs: node names are converter paths, yet the summary
    says text, question -> answer, as the .keras file and Netron do."""
    pytest.importorskip("tf2onnx")
    fixture = Path(__file__).parents[1] / "fixtures" / "qa_two_inputs.keras"
    if not fixture.exists():
        pytest.skip("fixtures/qa_two_inputs.keras is not built")
    out = tmp_path / "qa.onnx"
    result = CliRunner().invoke(main, ["export", str(fixture), "-o", str(out), "--no-verify",
                                       "--converter", "tf2onnx"])
    assert result.exit_code == 0, result.output
    graph = load_path(out)
    assert graph.input_names == ("text", "question")
    assert graph.output_names == ("answer",)
    assert graph.layer("answer").class_name == "Softmax"
    assert any("answer (node 'qa_two_inputs_1/answer_1/Softmax')" in note for note in graph.notes)
    summary = CliRunner().invoke(main, ["summary", str(out)]).output
    assert "Outputs: answer (None, 6) float32" in summary
    assert "Inputs: text (None, 20) int32" in summary


WILD = Path(__file__).resolve().parent.parent / "fixtures" / "wild"


def test_a_tf2onnx_export_counts_the_keras_weights_not_its_shape_constants():
    """tf2onnx stores every shape, axis list and index a Reshape, Flatten, Slice or Gather reads
    as an int32/int64 initializer; they were counted as parameters (this export of a 269-parameter
    Keras model read as 288)."""
    counts = json.loads((WILD / "params.json").read_text())
    path = WILD / "tf2onnx_reshape.onnx"
    model = onnx.load(str(path))
    integers = [t for t in model.graph.initializer if t.data_type in (TensorProto.INT64, TensorProto.INT32)]
    assert len(integers) >= 8  # the file really holds shape constants, int32 and int64
    graph = load_path(path)
    assert graph.total_params == counts["tf2onnx_reshape.onnx"] == 269  # Keras' count_params()
    assert {w.dtype for layer in graph.layers for w in layer.weights} == {"float32"}
    # the constants stay visible on the node that reads them
    flatten = next(layer for layer in graph.layers if layer.name.endswith("flatten_1/Reshape"))
    assert flatten.params == 0 and flatten.weights == ()
    constants = list(flatten.config["constant inputs"].values())
    assert constants == [{"dims": [2], "dtype": "int64", "value": [-1, 72]}]


def test_quantized_weights_and_biases_are_parameters_but_their_scales_are_not(tmp_path):
    """By the schema: QLinearConv's int8 weights and int32 bias are parameters (int32 where the
    input takes no int64); the scales and zero points describe their encoding."""
    def const(name, array):
        return numpy_helper.from_array(np.asarray(array), name)

    inits = [const("x_scale", np.float32(0.1)), const("x_zero", np.uint8(0)),
             const("w", np.ones((4, 1, 3, 3), np.int8)), const("w_scale", np.float32(0.2)),
             const("w_zero", np.int8(0)), const("y_scale", np.float32(0.3)), const("y_zero", np.uint8(0)),
             const("b", np.zeros(4, np.int32)), const("shape", np.array([-1, 144], np.int64))]
    nodes = [helper.make_node("QLinearConv", ["x", "x_scale", "x_zero", "w", "w_scale", "w_zero",
                                              "y_scale", "y_zero", "b"], ["c"], name="conv"),
             helper.make_node("Reshape", ["c", "shape"], ["y"], name="flatten")]
    graph = helper.make_graph(nodes, "q", [helper.make_tensor_value_info("x", TensorProto.UINT8, [1, 1, 8, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.UINT8, [1, 144])], initializer=inits)
    path = _save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), tmp_path / "q.onnx")
    loaded = load_path(path)
    assert [w.name for w in loaded.layer("conv").weights] == ["w", "b"]
    assert loaded.total_params == 36 + 4
