"""`inspect summary` on the fixtures: the JSON schema other tools parse, one row per call of a
shared layer, nested models expanded on request, and loss weights per output."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from inspector.cli import main


def summary(*args: str) -> str:
    result = CliRunner().invoke(main, ["summary", *map(str, args)])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("name", ["three_outputs_weighted.keras", "qa_two_inputs_k2.h5", "dense_functional.json",
                                  "savedmodel_k2"])
def test_json_schema(fixtures_dir, manifest, name):
    data = json.loads(summary("--format", "json", fixtures_dir / name))
    entry = next(e for e in manifest["fixtures"] if e["file"] == name)
    assert data["schema"] == "keras-inspector/summary/v1"
    assert data["path"] == str(fixtures_dir / name)
    assert data["total_params"] == entry["total_params"]
    assert data["trainable_params"] == entry["trainable_params"]
    assert data["non_trainable_params"] == entry["total_params"] - entry["trainable_params"]
    assert sum(layer["params"] for layer in data["layers"]) == data["total_params"]
    for layer in data["layers"]:
        assert {"name", "class_name", "params", "trainable", "calls"} <= set(layer)
        for call in layer["calls"]:
            assert {"inputs", "output_shapes", "outputs"} <= set(call)
            assert all(isinstance(shape, list) for shape in call["output_shapes"])
    for tensor in data["inputs"] + data["outputs"]:
        assert {"name", "shape", "dtype"} <= set(tensor) and tensor["shape"][0] is None
    assert set(data["training"]) >= {"loss", "loss_weights", "optimizer", "metrics"}
    assert set(data["training"]["loss"]) == {t["name"] for t in data["outputs"]}


def test_json_training_per_output(fixtures_dir):
    weighted = json.loads(summary("--format", "json", fixtures_dir / "three_outputs_weighted.h5"))
    assert [t["name"] for t in weighted["outputs"]] == ["age", "income", "gender"]
    assert weighted["training"]["loss"] == {"age": "mse", "income": "categorical_crossentropy",
                                            "gender": "binary_crossentropy"}
    assert weighted["training"]["loss_weights"] == {"age": 0.25, "income": 1.0, "gender": 10.0}
    unweighted = json.loads(summary("--format", "json", fixtures_dir / "three_outputs_unweighted_k2.h5"))
    assert unweighted["training"]["loss_weights"] is None
    assert unweighted["keras_version"].startswith("2.")


@pytest.mark.parametrize("name", ["three_outputs_weighted.keras", "three_outputs_weighted.h5"])
def test_text_and_markdown_show_loss_weights(fixtures_dir, name):
    text = summary(fixtures_dir / name)
    assert "loss age: mse × 0.25" in text
    assert "loss income: categorical_crossentropy × 1\n" in text
    assert "loss gender: binary_crossentropy × 10\n" in text
    assert "Total params: 9,100" in text
    markdown = summary("--format", "markdown", fixtures_dir / name)
    assert "  - loss gender: binary_crossentropy × 10" in markdown
    assert "| age (Dense) | `(None, 1)` | 33 | global_pool[0]:0 |" in markdown


@pytest.mark.parametrize("name", ["siamese_shared_lstm.keras", "siamese_shared_lstm_k2.h5"])
def test_shared_layer_one_row_per_call(fixtures_dir, name):
    text = summary(fixtures_dir / name)
    rows = [line for line in text.splitlines() if line.startswith("shared_lstm")]
    assert len(rows) == 2
    assert rows[0].startswith("shared_lstm[0] (LSTM)") and "1,600" in rows[0] and rows[0].endswith("left[0]:0")
    assert rows[1].startswith("shared_lstm[1] (LSTM)") and "shared with shared_lstm[0]" in rows[1]
    assert rows[1].endswith("right[0]:0")
    assert "Shared layers: shared_lstm ×2" in text
    data = json.loads(summary("--format", "json", fixtures_dir / name))
    lstm = next(layer for layer in data["layers"] if layer["name"] == "shared_lstm")
    assert lstm["shared"] is True
    assert [c["inputs"] for c in lstm["calls"]] == [["left[0]:0"], ["right[0]:0"]]
    assert [c["output_shapes"] for c in lstm["calls"]] == [[[None, 16]], [[None, 16]]]


def test_expand_nested(fixtures_dir):
    path = fixtures_dir / "nested_submodel.keras"
    flat = summary(path)
    assert "encoder_dense" not in flat
    expanded = summary("--expand-nested", path)
    assert "  │ encoder_dense (Dense)" in expanded
    assert "  │   │ projector_dense (Dense)" in expanded
    assert "Total params: 2,778" in expanded
    data = json.loads(summary("--format", "json", "--expand-nested", path))
    encoder = next(layer for layer in data["layers"] if layer["name"] == "encoder")
    assert [layer["name"] for layer in encoder["subgraph"]["layers"]] == ["encoder_input", "encoder_dense", "projector"]
    assert encoder["params"] == encoder["subgraph"]["total_params"] == 2608
    assert "subgraph" not in json.loads(summary("--format", "json", path))["layers"][1]


def test_text_header_and_io(fixtures_dir):
    text = summary(fixtures_dir / "qa_two_inputs.keras")
    assert text.startswith('Model: "qa_two_inputs" (Functional)')
    assert "Inputs: text (None, 20) int32\n        question (None, 8) int32\n" in text
    assert "Outputs: answer (None, 6) float32" in text


def test_savedmodel_params_are_marked_as_computed(fixtures_dir):
    text = summary(fixtures_dir / "savedmodel_k2")
    assert "2,080*" in text
    assert "* computed from the config" in text
    assert "Total params: 3,466" in text
