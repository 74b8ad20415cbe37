"""The four output formats, on findings from real fixture files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inspector.engine import Finding, all_rules
from inspector.report import LintRun, formatter
from inspector.report.text import summary_line
from inspector.run import lint_target


@pytest.fixture(scope="module")
def run(fixtures_dir):
    files = [str(fixtures_dir / n) for n in ("lambda_layer.keras", "unused_input.h5", "bias_before_bn.keras",
                                            "dense_functional.keras")]
    findings = tuple(f for path in files for f in lint_target(path, all_rules()))
    return LintRun(findings, tuple(files), ((str(fixtures_dir / "broken.keras"), "file is empty"),),
                   tuple(all_rules()))


def test_text_one_line_per_finding_and_summary(run, fixtures_dir):
    lines = formatter("text")(run).splitlines()
    assert lines[0] == (f"{fixtures_dir}/lambda_layer.keras:double: S101 unsafe-lambda Lambda 'double' "
                        "stores Python bytecode (Keras 3 __lambda__, in function) that Keras 3 runs when "
                        "loading with safe_mode=False")
    assert lines[1].startswith(f"{fixtures_dir}/unused_input.h5:metadata: G102 unused-input ")
    assert lines[2].startswith(f"{fixtures_dir}/bias_before_bn.keras:hidden: N102 bias-before-normalization")
    assert lines[-1] == "Found 3 findings (1 error, 1 warning, 1 info) in 3 of 4 files (1 file could not be read)."


def test_summary_line_without_findings():
    assert summary_line(LintRun((), ("a.h5",))) == "No findings in 1 file."
    assert summary_line(LintRun((), ("a.h5", "b.h5"))) == "No findings in 2 files."


def test_json_findings_carry_the_contract_keys(run):
    data = json.loads(formatter("json")(run))
    assert len(data) == 3
    assert all(set(d) >= {"path", "code", "name", "severity", "message", "layers"} for d in data)
    assert data[1]["name"] == "unused-input" and data[1]["layers"] == ["metadata"]
    assert {d["severity"] for d in data} == {"error", "warning", "info"}


def test_sarif_is_structurally_valid_2_1_0(run):
    doc = json.loads(formatter("sarif")(run))
    assert doc["version"] == "2.1.0" and doc["$schema"].endswith("sarif-2.1.0.json")
    [sarif_run] = doc["runs"]
    driver = sarif_run["tool"]["driver"]
    assert driver["name"] == "keras-inspector"
    rules = driver["rules"]
    assert [r["id"] for r in rules] == sorted(r.code for r in all_rules())
    for r in rules:
        assert r["name"] and r["shortDescription"]["text"] and r["fullDescription"]["text"]
        assert "## How to fix" in r["help"]["text"]
        assert r["defaultConfiguration"]["level"] in ("error", "warning", "note")
    results = sarif_run["results"]
    assert len(results) == 3
    for res in results:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        assert res["level"] in ("error", "warning", "note") and res["message"]["text"]
        [loc] = res["locations"]
        assert loc["physicalLocation"]["artifactLocation"]["uri"].endswith((".keras", ".h5"))
        assert loc["logicalLocations"][0]["name"]
    assert results[0]["locations"][0]["logicalLocations"][0]["name"] == "double"
    inv = sarif_run["invocations"][0]
    assert inv["executionSuccessful"] is False
    assert inv["toolExecutionNotifications"][0]["message"]["text"] == "file is empty"


def test_github_annotations(run, fixtures_dir):
    lines = formatter("github")(run).splitlines()
    assert lines[0].startswith(f"::error file={fixtures_dir}/lambda_layer.keras,title=S101 unsafe-lambda::Lambda")
    assert lines[0].endswith("(layer double)")
    assert lines[1].startswith("::warning file=") and "title=G102 unused-input::" in lines[1]
    assert lines[2].startswith("::notice file=")
    assert lines[-1] == f"::error file={fixtures_dir}/broken.keras,title=inspect::file is empty"


def test_github_escapes_workflow_command_syntax():
    from inspector.engine import Finding

    f = Finding("a,b:c.h5", "S101", "unsafe-lambda", "error", "50% done\nnext", ("x",))
    out = formatter("github")(LintRun((f,), ("a,b:c.h5",)))
    assert out == "::error file=a%2Cb%3Ac.h5,title=S101 unsafe-lambda::50%25 done%0Anext (layer x)\n"


# -- SARIF locations as GitHub code scanning reads them ------------------------------------------
REPO = Path(__file__).resolve().parents[1]


def _one(finding, root, errors=()):
    from inspector.report.sarif import sarif_dict

    doc = sarif_dict(LintRun((finding,), (finding.path,), errors, tuple(all_rules())), root=root)
    [sarif_run] = doc["runs"]
    return sarif_run, sarif_run["results"][0]


def _location(result):
    [loc] = result["locations"]
    return loc


def test_sarif_uris_are_relative_to_the_repository_root(run, fixtures_dir):
    from inspector.report.sarif import sarif_dict

    [sarif_run] = sarif_dict(run, root=REPO)["runs"]
    assert sarif_run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": REPO.as_uri() + "/"}}
    rel = fixtures_dir.relative_to(REPO).as_posix()
    artifacts = [_location(r)["physicalLocation"]["artifactLocation"] for r in sarif_run["results"]]
    assert artifacts == [{"uri": f"{rel}/{name}", "uriBaseId": "%SRCROOT%"}
                         for name in ("lambda_layer.keras", "unused_input.h5", "bias_before_bn.keras")]
    [note] = sarif_run["invocations"][0]["toolExecutionNotifications"]
    assert note["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": f"{rel}/broken.keras", "uriBaseId": "%SRCROOT%"}


def test_sarif_level_follows_severity(run):
    doc = json.loads(formatter("sarif")(run))
    [sarif_run] = doc["runs"]
    assert [r["level"] for r in sarif_run["results"]] == ["error", "warning", "note"]  # error, warning, info
    levels = {"error": "error", "warning": "warning", "info": "note"}
    by_code = {r.code: r for r in all_rules()}
    for descriptor in sarif_run["tool"]["driver"]["rules"]:
        assert descriptor["defaultConfiguration"]["level"] == levels[by_code[descriptor["id"]].severity]
        assert descriptor["help"]["markdown"] == descriptor["help"]["text"] == by_code[descriptor["id"]].doc


def test_sarif_file_outside_the_root_gets_an_absolute_file_uri(tmp_path):
    outside = tmp_path / "elsewhere" / "m.h5"
    _, result = _one(Finding(str(outside), "N101", "missing-normalization", "warning", "m", ("x",)), REPO)
    assert _location(result)["physicalLocation"]["artifactLocation"] == {"uri": outside.as_uri()}


@pytest.mark.parametrize(("path", "uri"), [
    ("a:b.h5", "a%3Ab.h5"),  # left as is, "a:" would read as a URI scheme
    ("models/my model 100%/é.keras", "models/my%20model%20100%25/%C3%A9.keras"),
])
def test_sarif_uri_is_escaped_and_never_gains_a_scheme(path, uri):
    from urllib.parse import unquote, urlsplit

    _, result = _one(Finding(path, "N101", "missing-normalization", "warning", "m", ("x",)), Path.cwd())
    got = _location(result)["physicalLocation"]["artifactLocation"]["uri"]
    assert got == uri and urlsplit(got).scheme == "" and unquote(got) == path


def test_sarif_logical_locations_are_unique_and_name_the_layer():
    f = Finding("m.keras", "G101", "disconnected-graph", "error", "m", ("outer/dense", "b", "outer/dense"))
    _, result = _one(f, Path.cwd())
    assert _location(result)["logicalLocations"] == [
        {"name": "dense", "fullyQualifiedName": "outer/dense", "kind": "member"},
        {"name": "b", "fullyQualifiedName": "b", "kind": "member"},
    ]
    assert result["properties"]["layers"] == ["outer/dense", "b", "outer/dense"]


def test_sarif_builder_points_at_the_line_of_its_def(monkeypatch):
    monkeypatch.chdir(REPO)
    source = REPO / "tests" / "builders" / "chapter7.py"
    line = source.read_text().splitlines().index("def unrelated_input() -> keras.Model:") + 1
    for target in ("tests/builders/chapter7.py:unrelated_input", "tests.builders.chapter7:unrelated_input"):
        _, result = _one(Finding(target, "G101", "disconnected-graph", "error", "m", ("digit",)), REPO)
        assert _location(result)["physicalLocation"] == {
            "artifactLocation": {"uri": "tests/builders/chapter7.py", "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": line}}
        assert "partialFingerprints" not in result  # the upload action hashes that line itself


def test_sarif_fingerprint_of_a_model_file_is_stable_across_working_directories(monkeypatch, fixtures_dir):
    from inspector.report.sarif import source_root

    f = Finding(str(fixtures_dir / "unused_input.h5"), "G102", "unused-input", "warning", "m", ("metadata",))
    _, first = _one(f, REPO)
    monkeypatch.chdir(fixtures_dir)
    assert source_root() == REPO  # found from a sub-folder through .git
    _, again = _one(Finding("unused_input.h5", f.code, f.name, f.severity, "reworded", f.layers), source_root())
    assert again["partialFingerprints"] == first["partialFingerprints"]
    _, other = _one(Finding(f.path, f.code, f.name, f.severity, f.message, ("other",)), REPO)
    assert other["partialFingerprints"] != first["partialFingerprints"]
    assert first["partialFingerprints"]["primaryLocationLineHash"].endswith(":1")


def test_sarif_source_root_is_the_nearest_repository_else_the_start(tmp_path):
    from inspector.report.sarif import source_root

    (tmp_path / "repo" / "a" / "b").mkdir(parents=True)
    (tmp_path / "repo" / ".git").write_text("gitdir: elsewhere\n")  # a worktree's .git is a file
    assert source_root(tmp_path / "repo" / "a" / "b") == tmp_path / "repo"
    plain = tmp_path / "plain"
    plain.mkdir()
    if not any((p / ".git").exists() for p in tmp_path.parents):
        assert source_root(plain) == plain
