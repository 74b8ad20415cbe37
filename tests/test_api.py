"""The Python API: files and live models give the same graph and findings."""

from __future__ import annotations

from pathlib import Path

import pytest

import inspector
from inspector.testing import assert_clean

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
DEEP_SIGMOID = FIXTURES / "evidence" / "missing-normalization.faulty.keras"  # N101's evidence


def test_lint_on_a_file_names_the_finding():
    findings = inspector.lint(DEEP_SIGMOID)
    assert [f.name for f in findings] == ["missing-normalization"]
    finding = findings[0]
    assert finding.severity in {"error", "warning", "info"}
    assert finding.layers and all(isinstance(name, str) for name in finding.layers)
    assert "missing-normalization" in repr(finding)


def test_select_and_ignore():
    path = DEEP_SIGMOID
    assert inspector.lint(path, ignore=["missing-normalization"]) == []
    assert [f.name for f in inspector.lint(path, select=["missing-normalization"])] == ["missing-normalization"]


@pytest.mark.parametrize("stem", ["deep_no_normalization", "unused_input", "siamese_unshared_lstm", "qa_two_inputs"])
def test_live_model_and_file_agree(stem):
    keras = pytest.importorskip("keras")
    path = FIXTURES / f"{stem}.keras"
    model = keras.models.load_model(path, compile=True)
    from_file, live = inspector.load(path), inspector.load(model)
    assert [(layer.name, layer.class_name, layer.params, layer.trainable_params) for layer in live.layers] == [
        (layer.name, layer.class_name, layer.params, layer.trainable_params) for layer in from_file.layers
    ]
    assert {t.id: t.shape for t in live.tensors.values()} == {t.id: t.shape for t in from_file.tensors.values()}
    as_tuples = lambda fs: sorted((f.code, f.layers, f.message) for f in fs)
    assert as_tuples(inspector.lint(model)) == as_tuples(inspector.lint(path))


def test_summarize_matches_the_cli_schema():
    doc = inspector.summarize(FIXTURES / "qa_two_inputs.keras")
    assert [i["name"] for i in doc["inputs"]] == ["text", "question"]
    assert [o["name"] for o in doc["outputs"]] == ["answer"]
    assert doc["total_params"] == sum(layer["params"] for layer in doc["layers"])


def test_assert_clean_passes_and_fails_with_the_findings():
    assert_clean(FIXTURES / "dense_functional.keras")
    with pytest.raises(AssertionError) as failure:
        assert_clean(DEEP_SIGMOID)
    assert "missing-normalization" in str(failure.value)
    assert_clean(DEEP_SIGMOID, ignore=["missing-normalization"])


def test_render_twice_and_with_findings(tmp_path):
    first = inspector.render(FIXTURES / "siamese_unshared_lstm.keras", tmp_path / "a.mmd")
    second = inspector.render(FIXTURES / "siamese_unshared_lstm.keras", tmp_path / "b.mmd", lint=True, rankdir="LR")
    assert first.read_text().count("left_lstm") >= 1
    assert "W101" not in first.read_text() and "W101" in second.read_text()
