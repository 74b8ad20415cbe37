"""A105 vanishing-feature-map, A106 data-format-mismatch, A107 dropout-after-output, A108
channels-first-input, N104 normalization-axis and W103 constraint-as-regularizer on models Keras
really builds: the same finding from the live model, its .keras and .h5 files and its JSON;
silent on every keras.applications model; and a builder Keras refuses for a zero-size map, read
up to the refusing layer, which A105 names."""

from __future__ import annotations

from pathlib import Path

import pytest

import inspector
from inspector.engine import lint_graph, select_rules
from inspector.run import lint_target

REPO = Path(__file__).resolve().parents[1]
CODES = ["A105", "A106", "A107", "A108", "N104", "W103"]
BUILDERS = "tests/builders/vanishing.py"


def _rules():
    return select_rules(CODES, None)


def _faulty_models(keras):
    """(expected rule, model) pairs: each model has exactly one of the four faults."""
    from keras import layers

    def cnn(name, pool_format="channels_last", bn_axis=-1, last_pool_padding="valid", pools=2):
        x = inputs = keras.Input((8, 8, 1), name="image")
        for i in range(1, pools + 1):
            x = layers.Conv2D(8, 3, padding="same", use_bias=False, name=f"conv{i}")(x)
            x = layers.BatchNormalization(axis=bn_axis, name=f"bn{i}")(x)
            x = layers.Activation("relu", name=f"relu{i}")(x)
            padding = last_pool_padding if i == pools else "valid"
            fmt = pool_format if i == 1 else "channels_last"
            x = layers.MaxPooling2D(padding=padding, data_format=fmt, name=f"pool{i}")(x)
        x = layers.GlobalAveragePooling2D(name="gap")(x)
        return keras.Model(inputs, layers.Dense(10, activation="softmax", name="digit")(x), name=name)

    def regularized():
        inputs = keras.Input((64,), name="pixels")
        x = layers.Dense(32, activation="relu", name="hidden",
                         kernel_regularizer=keras.constraints.MaxNorm(2.0))(inputs)
        return keras.Model(inputs, layers.Dense(10, activation="softmax", name="digit")(x))

    def dropped_output():
        inputs = keras.Input((64,), name="pixels")
        x = layers.Dense(32, activation="relu", name="hidden")(inputs)
        x = layers.Dense(10, activation="softmax", name="digit")(x)
        return keras.Model(inputs, layers.Dropout(0.5, name="dropout")(x))

    def pytorch_layout():
        inputs = keras.Input((3, 32, 32), name="image")
        x = layers.Conv2D(8, 3, padding="same", activation="relu", name="conv1")(inputs)
        x = layers.GlobalAveragePooling2D(name="gap")(x)
        return keras.Model(inputs, layers.Dense(10, activation="softmax", name="digit")(x))

    return [
        ("channels-first-input", pytorch_layout()),
        ("dropout-after-output", dropped_output()),
        ("vanishing-feature-map", cnn("vanishing", pools=4, last_pool_padding="same")),
        ("data-format-mismatch", cnn("mixed_formats", pool_format="channels_first")),
        ("normalization-axis", cnn("row_normalization", bn_axis=1)),
        ("constraint-as-regularizer", regularized()),
        (None, cnn("healthy")),
    ]


def test_each_fault_is_found_alike_in_every_format(keras, tmp_path):
    for expected, model in _faulty_models(keras):
        keras_path, h5_path, json_path = (tmp_path / f"{model.name}.{ext}" for ext in ("keras", "h5", "json"))
        model.save(keras_path)
        model.save(h5_path)
        json_path.write_text(model.to_json())
        results = {}
        for label, target in (("live", model), ("keras", keras_path), ("h5", h5_path), ("json", json_path)):
            graph = inspector.load(target)
            results[label] = [(f.name, f.message, f.layers) for f in lint_graph(graph, _rules())]
        assert [name for name, _, _ in results["live"]] == ([expected] if expected else []), results["live"]
        assert results["keras"] == results["h5"] == results["json"] == results["live"], model.name


def test_found_messages_say_what_is_wrong(keras):
    found = {name: lint_graph(inspector.load(model), _rules()) for name, model in _faulty_models(keras) if name}
    [vanishing] = found["vanishing-feature-map"]
    assert vanishing.layers == ("pool4",)
    assert "height and width: 8 'image' -> 4 'pool1' -> 2 'pool2' -> 1 'pool3'" in vanishing.message
    [mixed] = found["data-format-mismatch"]
    assert mixed.layers == ("pool1", "relu1") or mixed.layers[0] == "pool1"
    assert "channels_first" in mixed.message and "channels_last" in mixed.message
    [axis] = found["normalization-axis"]  # one fault in two places: one finding
    assert axis.layers == ("bn1", "bn2")
    assert axis.message == ("BatchNormalization layers normalize axis 1 of their input while the "
                            "channels are on axis 3: 2 places (bn1, bn2)")
    [layout] = found["channels-first-input"]
    assert layout.layers == ("image", "conv1")
    assert "channels-first images (3 channel(s) of 32x32)" in layout.message
    [dropped] = found["dropout-after-output"]
    assert dropped.layers == ("dropout", "digit")
    assert "comes after 'digit', the last layer that computes the model's output" in dropped.message
    [constraint] = found["constraint-as-regularizer"]
    assert "MaxNorm" in constraint.message and "kernel_constraint" in constraint.message


def test_keras_applications_are_silent(keras_applications, application_name):
    """The .keras file only: every format gives the same findings (the test above)."""
    path = keras_applications(application_name).keras
    assert lint_target(str(path), _rules()) == [], path


@pytest.fixture
def _at_repo_root(monkeypatch):
    monkeypatch.chdir(REPO)


@pytest.mark.usefixtures("_at_repo_root")
def test_refused_builder_names_the_layer_and_dimension(keras):
    graph = inspector.load(f"{BUILDERS}:too_many_pools")
    assert graph.output_names == ("pool4",)  # read up to the layer Keras refused
    assert any("Computed output size would be zero or negative" in n for n in graph.notes)
    [finding] = lint_graph(graph, _rules())
    assert finding.layers == ("pool4",)
    assert finding.message.startswith("MaxPooling2D 'pool4' slides a window of 2 over a height of 1")
    assert "1 'pool3'" in finding.message

    [finding] = lint_graph(inspector.load(f"{BUILDERS}:valid_kernel_too_large"), _rules())
    assert finding.layers == ("conv2",)
    assert "a window of 5 over a height of 2" in finding.message and "width" not in finding.message
    assert "10 'image' -> 6 'conv1' -> 2 'pool1'" in finding.message


@pytest.mark.usefixtures("_at_repo_root")
def test_refused_tf_keras_builder_names_the_layer(keras):
    pytest.importorskip("tf_keras")
    graph = inspector.load(f"{BUILDERS}:too_many_pools_tf_keras")
    assert any("Negative dimension size" in n for n in graph.notes)
    [finding] = lint_graph(graph, _rules())
    assert finding.layers == ("pool4",)
    assert "height and width: 8 'digits' -> 4 'pool1' -> 2 'pool2' -> 1 'pool3'" in finding.message


@pytest.mark.usefixtures("_at_repo_root")
def test_refused_builder_cannot_be_run(keras):
    from inspector.errors import InspectorError
    from inspector.loaders.python_builder import build_model

    with pytest.raises(InspectorError, match="Keras refused the model .*zero or negative"):
        build_model(f"{BUILDERS}:too_many_pools")


def test_taste_rules_run_only_when_selected(tmp_path, monkeypatch):
    """On the command line: a T finding appears with `--select T` (or its name), never by default,
    and a per-file ignore of `ALL` silences it too."""
    import json

    from click.testing import CliRunner

    from inspector.cli import main
    from inspector.rules.taste.shrinking_filters import _cnn

    monkeypatch.chdir(tmp_path)
    (tmp_path / "narrowing.json").write_text(json.dumps(_cnn(64, 32)))
    run = lambda *args: CliRunner().invoke(main, ["lint", "narrowing.json", *args])
    assert run().exit_code == 0
    for selector in ("T", "T101", "shrinking-filters"):
        result = run("--select", selector)
        assert "T101 shrinking-filters Conv2D 'conv2' has 32 filters, fewer than the 64" in result.output
        assert result.exit_code == 0  # an info note: printed, never fails by default
    assert run("--select", "T", "--fail-on", "info").exit_code == 1
    assert "T101" not in run("--select", "ALL").output
    (tmp_path / "pyproject.toml").write_text(
        '[tool.inspector]\nselect = ["T"]\nper-file-ignores = { "narrowing.json" = ["ALL"] }\n')
    assert "T101" not in run().output
