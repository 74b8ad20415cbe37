"""Real ONNX exports (fixtures/onnx, written by fixtures/onnx_exports.py with tf2onnx and
torch.onnx) are inference graphs: every BatchNormalization of the trained model is folded away,
so the rules whose claim needs it (missing-normalization above all) do not run on them, and lint
is quiet. Each file is checked to really show the premise: forced onto it, missing-normalization
would report the long convolution chain the converter left."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from click.testing import CliRunner

import inspector
from inspector.cli import main
from inspector.engine import FRAMEWORKS, all_rules, get_rule, lint_graph

EXPORTS = sorted((Path(__file__).resolve().parents[1] / "fixtures" / "onnx").glob("*.onnx"))


def test_the_exports_are_there():
    assert {p.stem for p in EXPORTS} == {"tf2onnx_conv_bn", "tf2onnx_inverted_residual", "torch_conv_bn",
                                         "torch_inverted_residual"}


@pytest.mark.parametrize("path", EXPORTS, ids=[p.stem for p in EXPORTS])
def test_an_export_with_folded_normalization_lints_quietly(path):
    graph = inspector.load(path)
    assert graph.source.format == "onnx"
    classes = {layer.class_name for layer in graph.layers}
    assert "Conv" in classes and "BatchNormalization" not in classes  # folded by the converter
    assert lint_graph(graph, all_rules()) == []
    forced = dataclasses.replace(get_rule("missing-normalization"), frameworks=FRAMEWORKS)
    [chain] = lint_graph(graph, [forced])
    assert len(chain.layers) >= 17  # what the Keras/PyTorch model normalizes 17 times and more


def test_the_rule_listings_say_which_rules_run_on_onnx():
    listing = CliRunner().invoke(main, ["rules"]).stdout.splitlines()
    row = {line.split()[1]: line.split()[3] for line in listing if line[:1].isupper() and line[1:4].isdigit()}
    assert row["missing-normalization"] == row["bias-before-normalization"] == row["dropout-after-output"] == "-"
    assert row["unused-input"] == row["weight-sharing-opportunity"] == "yes"
    doc = CliRunner().invoke(main, ["rule", "missing-normalization"]).stdout
    assert "Applies to: keras models." in doc
