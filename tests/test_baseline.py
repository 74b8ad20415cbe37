"""`inspect lint --fail-on` and the baseline: only what should block, blocks."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from inspector.cli import main


@pytest.fixture()
def repo(fixtures_dir, tmp_path, monkeypatch):
    """A folder (no pyproject.toml) with an info-only model, a warning model and a clean one."""
    monkeypatch.chdir(tmp_path)
    for name in ("bias_before_bn.h5", "siamese_unshared_lstm.keras", "dense_functional.keras"):
        shutil.copy(fixtures_dir / name, tmp_path / name)
    return tmp_path


def lint(*args: str):
    return CliRunner().invoke(main, ["lint", *args])


def test_info_notes_do_not_fail_by_default(repo):
    result = lint("bias_before_bn.h5")
    assert "N102 bias-before-normalization" in result.output and "(1 info)" in result.output
    assert result.exit_code == 0
    assert lint("bias_before_bn.h5", "--fail-on", "info").exit_code == 1
    assert lint("siamese_unshared_lstm.keras").exit_code == 1  # a warning
    assert lint("siamese_unshared_lstm.keras", "--fail-on", "error").exit_code == 0
    assert lint("siamese_unshared_lstm.keras", "--fail-on", "never").exit_code == 0


def test_fail_on_in_pyproject(repo):
    (repo / "pyproject.toml").write_text('[tool.inspector]\nfail-on = "info"\n')
    assert lint("bias_before_bn.h5").exit_code == 1
    assert lint("bias_before_bn.h5", "--fail-on", "warning").exit_code == 0  # the command line wins
    (repo / "pyproject.toml").write_text('[tool.inspector]\nfail-on = "sometimes"\n')
    bad = lint("bias_before_bn.h5")
    assert bad.exit_code == 2 and "fail-on must be one of error, warning, info, never" in bad.output


def test_baseline_reports_only_new_findings_and_names_fixed_entries(repo, fixtures_dir):
    wrote = lint(".", "--write-baseline", "baseline.json")
    assert wrote.exit_code == 0, wrote.output
    doc = json.loads((repo / "baseline.json").read_text())
    assert doc["schema"] == "keras-inspector/baseline/v1"
    assert [(e["path"], e["code"], e["layers"]) for e in doc["findings"]] == [
        ("bias_before_bn.h5", "N102", ["hidden", "hidden_bn"]),
        ("siamese_unshared_lstm.keras", "W101", ["left_lstm", "right_lstm"]),
    ]
    quiet = lint(".", "--baseline", "baseline.json")
    assert quiet.exit_code == 0 and "No findings in 3 files." in quiet.output
    assert "2 known findings not shown, 0 entries fixed" in quiet.output

    shutil.copy(fixtures_dir / "unused_input.keras", repo / "two_inputs.keras")  # a new warning
    shutil.copy(fixtures_dir / "siamese_shared_lstm.keras", repo / "siamese_unshared_lstm.keras")  # fixed
    noisy = lint(".", "--baseline", "baseline.json")
    assert noisy.exit_code == 1
    assert "two_inputs.keras:metadata: G102 unused-input" in noisy.output
    assert "W101" not in noisy.output.split("fixed, can be dropped")[0]
    assert "fixed, can be dropped: siamese_unshared_lstm.keras:left_lstm,right_lstm: W101" in noisy.output


def test_baseline_is_keyed_by_layers_not_order_and_scoped_to_checked_files(repo):
    lint(".", "--write-baseline", "baseline.json")
    doc = json.loads((repo / "baseline.json").read_text())
    doc["findings"].reverse()
    doc["findings"][0]["message"] = "an older wording of the message"
    (repo / "baseline.json").write_text(json.dumps(doc))
    one = lint("bias_before_bn.h5", "--baseline", "baseline.json")
    assert one.exit_code == 0 and "1 known finding not shown, 0 entries fixed" in one.output


def test_bad_baseline_is_one_line(repo):
    missing = lint(".", "--baseline", "nope.json")
    assert missing.exit_code == 2 and "inspect: error: nope.json: no such baseline file" in missing.output
    (repo / "b.json").write_text("[1, 2]")
    wrong = lint(".", "--baseline", "b.json")
    assert wrong.exit_code == 2 and "not a keras-inspector baseline" in wrong.output


def test_baseline_paths_hold_from_another_working_directory(repo, monkeypatch):
    assert lint(".", "--write-baseline", "baseline.json").exit_code == 0
    (repo / "sub").mkdir()
    monkeypatch.chdir(repo / "sub")
    result = lint("../siamese_unshared_lstm.keras", "--baseline", "../baseline.json")
    assert result.exit_code == 0, result.output
    assert "1 known finding not shown, 0 entries fixed" in result.output


def test_a_run_that_could_not_read_a_file_neither_writes_the_baseline_nor_calls_its_entries_fixed(repo):
    assert lint(".", "--write-baseline", "baseline.json").exit_code == 0
    recorded = (repo / "baseline.json").read_text()
    assert len(json.loads(recorded)["findings"]) == 2
    # a mistyped folder must not replace the baseline with an empty one
    typo = lint("modles/", "--write-baseline", "baseline.json")
    assert typo.exit_code == 2
    assert typo.stderr.splitlines() == [
        "inspect: error: modles: no such file or directory",
        "inspect: error: baseline.json: baseline not written: 1 file could not be read"]
    assert (repo / "baseline.json").read_text() == recorded
    # a model damaged since (a real file cut in half) was not checked: its entry is not fixed
    data = (repo / "bias_before_bn.h5").read_bytes()
    (repo / "bias_before_bn.h5").write_bytes(data[: len(data) // 2])
    damaged = lint(".", "--baseline", "baseline.json")
    assert damaged.exit_code == 2
    assert "fixed, can be dropped" not in damaged.stderr
    assert "inspect: baseline baseline.json: 1 known finding not shown, 0 entries fixed" in damaged.stderr
