"""Lint on real files: the fixtures give exactly their manifest's findings, keras.applications
give the missing-normalization results the issue states, and the corpus lints without a crash."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from inspector.cli import main
from inspector.engine import all_rules
from inspector.run import lint_target

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
UNLOADABLE = {"AlgoDM-Fall2023-Team2__Visual-Search-Using-Variational-Autoencoders__model.keras"}


def _manifest_entries():
    import json

    path = FIXTURES / "manifest.json"
    if not path.is_file():
        return []
    return [pytest.param(e, id=e["file"]) for e in json.loads(path.read_text())["fixtures"]]


@pytest.mark.parametrize("entry", _manifest_entries())
def test_fixture_yields_exactly_its_expected_findings(entry):
    findings = lint_target(str(FIXTURES / entry["file"]), all_rules())
    assert Counter(f.name for f in findings) == Counter(entry["expected_findings"]), [str(f) for f in findings]


def test_lint_fixtures_folder_prints_the_expected_findings(fixtures_dir, monkeypatch, tmp_path, manifest):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["lint", str(fixtures_dir)])
    assert result.exit_code == 1, result.stderr
    expected = Counter((e["file"], name) for e in manifest["fixtures"] for name in e["expected_findings"])
    got = Counter((Path(line.split(":")[0]).name, line.split(" ")[2])
                  for line in result.stdout.splitlines()[:-1]
                  # evidence/: tests/test_evidence.py; wild/: tests/test_wild_shapes.py
                  if Path(line.split(":")[0]).parent.name not in ("evidence", "wild"))
    assert got == expected
    evidence = len(list((fixtures_dir / "evidence").glob("*.keras")))
    wild = len([p for p in (fixtures_dir / "wild").iterdir() if p.suffix in (".h5", ".keras", ".onnx")])
    exports = len(list((fixtures_dir / "onnx").glob("*.onnx")))  # quiet: tests/test_onnx_exports.py
    assert result.stdout.splitlines()[-1].endswith(
        f" of {len(manifest['fixtures']) + evidence + wild + exports} files.")


def test_applications_missing_normalization_and_no_weight_sharing(keras_applications, application_name):
    """Built once per session by tests/conftest.py, shared with the loader and render tests."""
    name = application_name
    findings = lint_target(str(keras_applications(name).keras), all_rules())
    names = [f.name for f in findings]
    assert "weight-sharing-opportunity" not in names
    if name == "VGG16":
        [finding] = [f for f in findings if f.name == "missing-normalization"]
        assert finding.layers[0] == "block1_conv1" and finding.layers[-1] == "predictions"
        assert finding.message.startswith("16 weight layers in a row")
    else:
        assert "missing-normalization" not in names, [str(f) for f in findings]


def _corpus_files():
    if not CORPUS.is_dir():
        return []
    return [pytest.param(p, id=p.name) for p in sorted(CORPUS.iterdir()) if p.suffix in (".h5", ".hdf5", ".keras")]


@pytest.mark.parametrize("path", _corpus_files())
def test_corpus_file_lints_without_a_crash(path, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["lint", str(path)])
    if path.name in UNLOADABLE:
        assert result.exit_code == 2
        assert result.stderr.startswith(f"inspect: error: {path}: ")
        assert "custom class 'VAE'" in result.stderr
    else:
        assert result.exit_code in (0, 1), result.stderr
        assert "internal error" not in result.stderr
        assert result.stdout.splitlines()[-1].endswith(" 1 file.")


def test_corpus_findings_name_real_problems(corpus_dir, monkeypatch, tmp_path):
    """Two corpus files whose problems are known: Keras 2 Lambda bytecode, and QKeras layers."""
    monkeypatch.chdir(tmp_path)
    deepfm = corpus_dir / "KonduitAI__dl4j-test-resources__src_main_resources_modelimport_keras_examples_deepfm_deepfm.h5"
    # Each is one finding (the same fault at several layers is folded) naming every layer.
    [lambdas] = [f for f in lint_target(str(deepfm), all_rules()) if f.name == "unsafe-lambda"]
    assert set(lambdas.layers) == {"cat_embed_2d_genure_mean", "sum_of_tensors",
                                   "square_of_tensors", "lambda_1", "embed_1d_mean"}
    assert "Keras 2 base64 marshal" in lambdas.message and ": 5 places (" in lambdas.message
    qkeras = corpus_dir / "fastmachinelearning__example-models__keras_qkeras-v3_3layer.keras"
    [unknown] = [f for f in lint_target(str(qkeras), all_rules()) if f.name == "unknown-layer"]
    assert set(unknown.layers) == {"fc1", "fc2", "fc3", "output", "relu1", "relu2", "relu3"}
    assert "from module 'qkeras.qlayers'" in unknown.message
    assert os.path.basename(unknown.path) == qkeras.name
