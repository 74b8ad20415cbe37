"""Builder references and live models: the same graph as the saved file, and Keras' refused
disconnected graph reconstructed so the finding can name what Keras' error does not."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import inspector
from inspector.errors import InspectorError

REPO = Path(__file__).resolve().parents[1]
CHAPTER7 = "tests/builders/chapter7.py"


@pytest.fixture(autouse=True)
def _at_repo_root(monkeypatch, keras):
    monkeypatch.chdir(REPO)


def test_builder_file_reference_gives_the_model(keras):
    graph = inspector.load(f"{CHAPTER7}:functional_dense")
    assert graph.source.format == "python"
    assert [layer.name for layer in graph.layers] == ["pixels", "hidden_1", "hidden_2", "digit"]
    assert graph.total_params == 64 * 32 + 32 + 32 * 32 + 32 + 32 * 10 + 10
    assert graph.training is not None and graph.training.loss == {"digit": "categorical_crossentropy"}


def test_builder_module_reference(keras):
    graph = inspector.load("tests.builders.chapter7:unused_input")
    assert graph.input_names == ("text", "extra")
    assert graph.tensor("extra[0]:0").consumers == ()


def test_disconnected_builder_is_reconstructed(keras):
    graph = inspector.load(f"{CHAPTER7}:unrelated_input")
    assert graph.input_names == ("unrelated",)  # what the user declared
    assert graph.output_names == ("digit",)
    # The input the output really depends on is in the graph, though not declared.
    ancestors = graph.ancestors("digit[0]")
    assert "pixels[0]" in ancestors and "unrelated[0]" not in ancestors
    assert graph.layer("pixels").is_input
    assert graph.layer("hidden").params == 64 * 32 + 32


def test_builder_errors_are_one_line(keras):
    with pytest.raises(InspectorError, match="returned a list, not a keras.Model"):
        inspector.load(f"{CHAPTER7}:not_a_model")
    with pytest.raises(InspectorError, match=r"raised RuntimeError: the dataset path is not configured \(at chapter7.py:\d+\)"):
        inspector.load(f"{CHAPTER7}:broken")
    with pytest.raises(InspectorError, match="has no function 'missing'"):
        inspector.load(f"{CHAPTER7}:missing")
    with pytest.raises(InspectorError, match="cannot import module 'no_such_module_xyz'"):
        inspector.load("no_such_module_xyz:build")


def test_lint_names_output_real_input_and_unused_declared_input():
    """Through the CLI: the finding names what Keras' "Output with path `` ..." does not."""
    from inspector.cli import main

    if "lint" not in main.commands:
        pytest.skip("the lint command is not there yet")
    result = subprocess.run(
        [sys.executable, "-m", "inspector", "lint", f"{CHAPTER7}:unrelated_input"],
        check=False, capture_output=True, text=True, cwd=REPO, timeout=300,
    )
    assert result.returncode == 1, result.stderr
    line = next(x for x in result.stdout.splitlines() if "disconnected-graph" in x)
    assert "digit" in line and "pixels" in line and "unrelated" in line


PARITY = ["dense_functional", "dense_sequential", "qa_two_inputs", "three_outputs_weighted",
          "siamese_shared_lstm", "siamese_unshared_lstm", "nested_submodel", "inception_module",
          "residual_projection", "bn_before_activation"]


def _facts(graph: inspector.ModelGraph):
    layers = [
        (prefix, layer.name, layer.class_name, layer.params, layer.trainable_params, layer.calls,
         [(w.shape, w.dtype, w.trainable) for w in layer.weights])
        for prefix, layer in graph.walk()
    ]
    shapes = {t.id: (t.shape, t.dtype, t.consumers) for t in graph.tensors.values()}
    return layers, shapes, graph.inputs, graph.outputs


@pytest.mark.parametrize("stem", PARITY)
@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_live_model_gives_the_same_graph_as_its_file(fixtures_dir, keras, stem, suffix):
    path = fixtures_dir / f"{stem}{suffix}"
    model = keras.models.load_model(path, compile=False)
    live = inspector.load(model)
    assert live.source.format == "live"
    assert _facts(live) == _facts(inspector.load(path))


@pytest.mark.parametrize("stem", ["three_outputs_unweighted", "siamese_unshared_lstm", "unused_input"])
def test_live_compiled_model_gives_the_same_findings(fixtures_dir, keras, stem):
    from inspector.engine import all_rules, lint_graph

    path = fixtures_dir / f"{stem}.keras"
    live = inspector.load(keras.models.load_model(path))
    assert live.training == inspector.load(path).training
    from_file = [(f.code, f.message, f.layers) for f in lint_graph(inspector.load(path), all_rules())]
    from_live = [(f.code, f.message, f.layers) for f in lint_graph(live, all_rules())]
    assert from_live == from_file and from_file


def test_lint_with_data_calls_the_builder_once(keras, tmp_path):
    """`--data` used to run a builder three times (load, measure's load, measure's build)."""
    import numpy as np
    from click.testing import CliRunner

    from inspector.cli import main
    from inspector.loaders.python_builder import resolve_builder

    ref = "tests/builders/counting.py:compiled_regressor"
    calls = resolve_builder(ref).__globals__["CALLS"]
    data = tmp_path / "sample.npz"
    np.savez(data, x=np.ones((8, 4), "float32"), y=np.zeros((8, 1), "float32"))
    calls.clear()
    assert inspector.lint(ref, data=data) == []
    assert len(calls) == 1
    result = CliRunner().invoke(main, ["lint", ref, "--data", str(data)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "No findings in 1 file."
    assert len(calls) == 2
    from inspector.measure import graph_and_model

    graph, model = graph_and_model(ref)
    assert len(calls) == 3 and model.name == "counting"
    assert (graph.source.path, graph.source.format) == (ref, "python")
    assert graph.layers == inspector.load(ref).layers


def test_summary_accepts_a_builder_reference():
    """`inspect summary` read only files ("no such file or directory") while lint and render took builders."""
    import json

    from click.testing import CliRunner

    from inspector.cli import main

    result = CliRunner().invoke(main, ["summary", f"{CHAPTER7}:unrelated_input", "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert [i["name"] for i in doc["inputs"]] == ["unrelated"]
    assert {layer["name"] for layer in doc["layers"]} >= {"pixels", "hidden", "digit"}
