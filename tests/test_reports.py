"""The four output formats, on findings from real fixture files."""

from __future__ import annotations

import json

import pytest

from inspector.engine import all_rules, lint_target
from inspector.report import LintRun, formatter
from inspector.report.text import summary_line


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
                        "stores Python bytecode (Keras 3 __lambda__, in function) that Keras runs when "
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
