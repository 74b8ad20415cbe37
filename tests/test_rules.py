"""Every rule against its own examples: fires on each invalid one, silent on each valid one.

Parametrized over `all_rules()`, so a new rule module is covered the moment it exists."""

from __future__ import annotations

import json
import re

import pytest

from inspector.engine import all_rules, lint_graph, section
from inspector.graph import ModelGraph, Source
from inspector.loaders.keras_config import parse_model
from inspector.rules import _examples as ex
from inspector.rules.graph.unused_input import _ignored_metadata
from inspector.rules.normalization.bias_before_normalization import _block
from inspector.rules.normalization.missing_normalization import _vgg_like

SECTIONS = ("What it does", "Why it matters", "Example", "How to fix")


def _case(example):
    """The example's graph and rule context: a data rule's example carries what the probe measured."""
    value = example() if callable(example) else example
    if hasattr(value, "measurements"):
        return _graph(value.config), {"diagnosis": value.measurements}
    return _graph(value), None


def _graph(example):
    config = example() if callable(example) else example
    if isinstance(config, ModelGraph):  # a security rule's example: a file's graph with its payloads
        return config
    return parse_model(config, Source(path="<example>", format="json"), None, config.get("compile_config"))


def _cases(kind: str):
    for r in all_rules():
        for i, example in enumerate(getattr(r, kind)):
            yield pytest.param(r, example, id=f"{r.name}-{kind}-{i}")


@pytest.mark.parametrize(("rule", "example"), list(_cases("invalid")))
def test_rule_fires_on_invalid_example(rule, example):
    graph, context = _case(example)
    findings = lint_graph(graph, [rule], context=context)
    assert findings, f"{rule.name} is silent on one of its invalid examples"
    assert {f.code for f in findings} == {rule.code}
    assert all(f.message and f.severity == rule.severity for f in findings)


@pytest.mark.parametrize(("rule", "example"), list(_cases("valid")))
def test_rule_is_silent_on_valid_example(rule, example):
    graph, context = _case(example)
    assert lint_graph(graph, [rule], context=context) == []


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.name)
def test_rule_is_documented_and_has_examples(rule):
    assert re.fullmatch(r"[A-Z]\d{3}", rule.code)
    assert re.fullmatch(r"[a-z]+(-[a-z]+)*", rule.name)
    for title in SECTIONS:
        assert section(rule.doc, title), f"{rule.name} lacks a '## {title}' section"
    assert rule.invalid and rule.valid, f"{rule.name} needs valid and invalid examples"


def test_the_issue_rules_all_exist():
    names = {r.name for r in all_rules()}
    assert {"disconnected-graph", "unused-input", "unbalanced-loss-weights", "missing-normalization",
            "weight-sharing-opportunity", "loss-activation-mismatch", "bias-before-normalization",
            "dropout-before-normalization", "representation-bottleneck", "unsafe-lambda",
            "unknown-layer"} <= names
    codes = [r.code for r in all_rules()]
    assert len(codes) == len(set(codes))


def test_disconnected_graph_names_output_real_input_and_idle_input():
    from inspector.rules.graph.disconnected_graph import _unrelated_input

    [finding] = lint_graph(_graph(_unrelated_input), [r for r in all_rules() if r.family == "G"])
    assert finding.name == "disconnected-graph"
    assert "'score'" in finding.message and "'features'" in finding.message
    assert "'unrelated' feeds nothing" in finding.message
    assert finding.layers == ("score", "features", "unrelated")


def _onnx_graph(path, nodes, inputs, outputs):
    """An ONNX file built with onnx.helper: nodes as (op, inputs, outputs, name) or NodeProtos,
    float [batch, 4] inputs and outputs named as given."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    value = lambda name: helper.make_tensor_value_info(name, TensorProto.FLOAT, [None, 4])
    nodes = [helper.make_node(*n[:3], name=n[3]) if isinstance(n, tuple) else n for n in nodes]
    graph = helper.make_graph(nodes, "g", [value(i) for i in inputs], [value(o) for o in outputs])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 15)]), path)
    return path


def _constant(name="const"):
    """A Constant node `name` producing `{name}_out`, a [1, 4] float tensor."""
    onnx = pytest.importorskip("onnx")
    tensor = onnx.helper.make_tensor("value", onnx.TensorProto.FLOAT, [1, 4], [1.0] * 4)
    return onnx.helper.make_node("Constant", [], [f"{name}_out"], name=name, value=tensor)


def test_onnx_constant_output_is_a_disconnected_graph(tmp_path):
    """Issue 5: an output fed by a Constant only gave G102 on the idle input and no G101."""
    import inspector

    onnx = pytest.importorskip("onnx")
    from onnx import helper

    path = _onnx_graph(tmp_path / "constant.onnx", [_constant(), ("Identity", ["const_out"], ["y"], "y")],
                       ["x"], ["y"])
    model = onnx.load(path)
    findings = inspector.lint(path, select=["G"])
    assert [(f.code, f.layers, f.message) for f in findings] == [
        ("G101", ("y", "const"),
         "output 'y' depends on no input of the model: it is a constant (computed from 'const' alone)"),
        ("G102", ("x",), "input 'x' is declared but no output depends on it"),
    ]
    # A constant beside a real output: only the constant one is reported, and x is used.
    model.graph.node.append(helper.make_node("Relu", ["x"], ["r"], name="r"))
    model.graph.output.append(helper.make_tensor_value_info("r", onnx.TensorProto.FLOAT, [None, 4]))
    onnx.save(model, path)
    assert [(f.code, f.layers) for f in inspector.lint(path, select=["G"])] == [("G101", ("y", "const"))]


def test_onnx_constant_node_as_the_output_itself(tmp_path):
    import inspector

    path = _onnx_graph(tmp_path / "bare.onnx", [("Relu", ["x"], ["r"], "r"), _constant("bias")], ["x"],
                       ["r", "bias_out"])
    [finding] = inspector.lint(path, select=["G"])
    assert finding.message == "output 'bias_out' depends on no input of the model: it is a constant"


def test_onnx_unused_input_and_dead_node(tmp_path):
    """Inputs that reach nothing are G102's in ONNX too; nodes that reach no output are G101's."""
    import inspector

    path = _onnx_graph(tmp_path / "idle.onnx", [("Relu", ["a"], ["y"], "y"), ("Sigmoid", ["a"], ["s"], "dead")],
                       ["a", "b"], ["y"])
    findings = inspector.lint(path, select=["G"])
    assert [(f.code, f.layers) for f in findings] == [("G101", ("dead",)), ("G102", ("b",))]


def test_live_calls_is_what_the_outputs_depend_on():
    from inspector.rules._util import live_calls
    from inspector.rules.graph.disconnected_graph import _dangling_branch

    graph = _graph(_dangling_branch)
    assert live_calls(graph) == {"features[0]", "hidden[0]", "score[0]"}
    assert live_calls(graph) == set().union(*(graph.ancestors(o) | {o} for o in graph.output_calls()))


def test_missing_normalization_depth_option_and_chain_layers():
    rule = next(r for r in all_rules() if r.name == "missing-normalization")
    sigmoid = _graph(ex.dense_chain("mlp", [32] * 5, activation="sigmoid"))  # 6 in a row
    [finding] = lint_graph(sigmoid, [rule])
    assert finding.layers == ("dense_1", "dense_2", "dense_3", "dense_4", "dense_5", "output")
    assert finding.message.startswith("6 weight layers in a row with no normalization between "
                                      "them (threshold 4 for sigmoid stacks)")
    assert lint_graph(sigmoid, [rule], {"missing-normalization": {"sigmoid-depth": 7}}) == []
    relu = _graph(ex.dense_chain("mlp", [32] * 5))
    assert lint_graph(relu, [rule]) == []  # ReLU stacks: threshold 16
    assert lint_graph(relu, [rule], {"N101": {"depth": 6}}) != []


def test_missing_normalization_reports_a_trunk_shared_by_two_heads_once():
    from inspector.rules.normalization.missing_normalization import _two_heads

    rule = next(r for r in all_rules() if r.name == "missing-normalization")
    [finding] = lint_graph(_graph(_two_heads), [rule])
    assert finding.message == (
        "4 weight layers in a row with no normalization between them (threshold 4 for sigmoid "
        "stacks): trunk_1 -> trunk_2 -> trunk_3 -> policy; the chain branches, also ending at value")
    assert finding.layers == ("trunk_1", "trunk_2", "trunk_3", "policy", "value")


def test_rules_run_inside_nested_models_with_prefixed_layer_names():
    inner = ex.Functional("encoder")
    x = inner.input("encoder_input", (None, 8))
    h = x
    for i in range(4):
        h = inner.add(ex.layer("Dense", f"enc_{i}", units=8, activation="sigmoid"), h)
    outer = ex.Functional("outer")
    a = outer.input("features", (None, 8))
    e = outer.add(inner.config([x], [h]), a)
    y = outer.add(ex.layer("Dense", "head", units=1, activation="sigmoid"), e)
    findings = lint_graph(_graph(outer.build([a], [y], loss="binary_crossentropy")), all_rules())
    [finding] = [f for f in findings if f.name == "missing-normalization"]
    assert finding.layers == ("encoder/enc_0", "encoder/enc_1", "encoder/enc_2", "encoder/enc_3")
    assert str(finding).startswith("<example>:encoder/enc_0: N101 missing-normalization 4 weight")


def test_onnx_graph_skips_keras_only_rules():
    from dataclasses import replace

    graph = _graph(ex.dense_chain("mlp", [16], output_units=1, loss="categorical_crossentropy"))
    rule = next(r for r in all_rules() if r.name == "loss-activation-mismatch")
    assert lint_graph(graph, [rule])
    onnx_graph = replace(graph, source=Source(path="m.onnx", format="onnx"))
    assert "onnx" not in rule.frameworks and lint_graph(onnx_graph, [rule]) == []


def _conv_bn():
    return _block(True)


@pytest.mark.parametrize("build", [
    lambda: ex.dense_chain("mlp", [32, 32], between=["BatchNormalization", "Dropout"],
                           loss="categorical_crossentropy"),
    lambda: ex.sequential((None, 8), ex.layer("Dense", "d1", units=4, activation="relu"),
                          ex.layer("Dense", "d2", units=1, activation="sigmoid"), loss="binary_crossentropy"),
    _vgg_like,
    _ignored_metadata,
    _conv_bn,
], ids=["dense-bn-dropout", "sequential", "vgg-like", "two-inputs", "conv-bn"])
def test_example_configs_are_real_keras_configs(keras, build):
    """The example builders write what Keras writes: Keras itself rebuilds them, layer for layer."""
    config = build()
    model = keras.models.model_from_json(json.dumps(config))
    graph = _graph(config)
    ours = [layer.name for layer in graph.layers if not layer.is_input]
    assert [layer.name for layer in model.layers if type(layer).__name__ != "InputLayer"] == ours
