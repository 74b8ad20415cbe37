"""inspector.run: the one lint run behind `inspect lint`, `inspect scan` and `inspector.lint`
(folders, per-file ignores, errors per target, the baseline, the exit gate), and `lint_one`, the
step another command swaps to lint a target its own way."""

from __future__ import annotations

import shutil

import pytest

import inspector
from inspector.config import load_config
from inspector.engine import get_rule
from inspector.errors import LoadError
from inspector.run import RunResult, lint_target, run


@pytest.fixture()
def repo(fixtures_dir, tmp_path):
    """A folder: a model with a warning (unused-input), a clean one, and a file that is no model."""
    for name in ("unused_input.keras", "dense_functional.keras"):
        shutil.copy(fixtures_dir / name, tmp_path / name)
    (tmp_path / "broken.h5").write_bytes(b"not an HDF5 file at all")
    return tmp_path


def test_a_folder_is_its_model_files_and_an_unreadable_one_does_not_stop_the_others(repo):
    reported = []
    result = run([str(repo)], on_error=lambda where, reason: reported.append((where, reason)))
    assert isinstance(result, RunResult)
    assert result.files == tuple(str(repo / n) for n in ("broken.h5", "dense_functional.keras", "unused_input.keras"))
    assert [path for path, _ in result.errors] == [str(repo / "broken.h5")] and reported == list(result.errors)
    assert {f.name for f in result.findings} == {"unused-input"}
    assert result.fail_on == "warning" and [f.name for f in result.failing] == ["unused-input"]
    assert result.exit_code() == 2  # a file could not be read: that wins over findings
    clean = run([str(repo / "unused_input.keras")])
    assert (clean.exit_code(), clean.exit_code(exit_zero=True)) == (1, 0)
    assert run([str(repo / "unused_input.keras")], fail_on="error").exit_code() == 0


def test_strict_raises_the_targets_own_error(repo):
    with pytest.raises(LoadError) as failure:
        run([str(repo)], strict=True)
    assert failure.value.path == str(repo / "broken.h5")


def test_configuration_per_file_ignores_and_command_line_selection(repo):
    (repo / "pyproject.toml").write_text('[tool.inspector]\nfail-on = "error"\n'
                                         'per-file-ignores = { "unused_*.keras" = ["G"] }\n')
    config = load_config(start=repo)
    target = [str(repo / "unused_input.keras")]
    assert run(target, config=config).findings == ()  # the file's ignores switch G off
    ignored = run(target, config=config, select=["unused-input"])
    assert ignored.findings == () and ignored.fail_on == "error"
    assert [f.name for f in run(target, select=["unused-input"]).findings] == ["unused-input"]


def test_lint_one_is_the_step_another_command_replaces(repo):
    """A second command keeps discovery, per-file ignores, errors, the baseline and the gate, and
    lints each target its own way: here, each finding seen twice, once as an info note."""
    seen = []

    def twice(target, rules, options, data):
        seen.append((target, tuple(r.name for r in rules), data))
        findings = lint_target(target, rules, options, data)
        return findings + [type(f)(f.path, f.code, f.name, "info", f.message, f.layers) for f in findings]

    result = run([str(repo / "unused_input.keras"), str(repo / "broken.h5")], lint_one=twice, ignore=["N"])
    assert [s[0] for s in seen] == [str(repo / "unused_input.keras"), str(repo / "broken.h5")]
    assert all("missing-normalization" not in names and "unused-input" in names for _, names, _ in seen)
    assert [f.severity for f in result.findings] == ["warning", "info"]
    assert result.errors and result.exit_code() == 2


def test_baseline_write_then_apply(repo):
    baseline = repo / "baseline.json"
    target = [str(repo / "unused_input.keras")]
    written = run(target, write_baseline=baseline)
    assert written.written == 1 and written.exit_code() == 0
    applied = run(target, baseline=baseline)
    assert applied.findings == () and len(applied.baseline.known) == 1 and applied.exit_code() == 0
    # the unreadable file would leave its findings out of the baseline: refused
    with pytest.raises(inspector.InspectorError, match="baseline not written: 1 file could not be read"):
        run([str(repo)], write_baseline=baseline)


def test_the_api_lints_folders_lists_and_baselines(repo, fixtures_dir):
    (repo / "broken.h5").unlink()
    assert {f.name for f in inspector.lint(repo)} == {"unused-input"}
    graph = inspector.load(repo / "unused_input.keras")
    both = inspector.lint([repo / "dense_functional.keras", graph])
    assert [(f.name, f.path) for f in both] == [("unused-input", str(repo / "unused_input.keras"))]
    baseline = repo / "baseline.json"
    assert len(inspector.lint(repo, write_baseline=baseline)) == 1
    assert inspector.lint(repo, baseline=baseline) == []
    (repo / "strict.toml").write_text('ignore = ["G"]\n')
    assert inspector.lint(repo, config=repo / "strict.toml") == []
    (repo / "broken.h5").write_bytes(b"nope")
    with pytest.raises(LoadError, match="broken.h5"):
        inspector.lint(repo)


def test_the_data_probe_is_a_step_of_lint_target(fixtures_dir, keras):
    """With data, lint_target runs its `probe` on the graph and the live model and hands what it
    measured to the rules: the default measures the losses; another probe replaces it."""
    model = fixtures_dir / "three_outputs_weighted.keras"
    data = str(fixtures_dir / "three_outputs_data.npz")
    calls = []

    def recording(graph, live, data_path):
        from inspector.run import measure_losses

        calls.append((graph.name, [o.name for o in live.outputs], data_path))
        measured = measure_losses(graph, live, data_path)
        return {"measured_losses": {name: loss * (1000 if name == "gender" else 1)
                                    for name, loss in measured["measured_losses"].items()}}

    assert lint_target(str(model), [get_rule("unbalanced-loss-weights")], data=data) == []  # weighted well
    (finding,) = lint_target(str(model), [get_rule("unbalanced-loss-weights")], data=data, probe=recording)
    assert len(calls) == 1 and calls[0][2] == data
    assert "gender" in finding.layers and "measured" in finding.message, finding.message
