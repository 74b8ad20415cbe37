"""Every rule's evidence holds on its trained pair: the faulty model is reported by its rule, the
fixed one is not, and the record the pair produced is what `inspect rule` and docs/rules.md show."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from inspector.cli import main
from inspector.engine import get_rule
from inspector.evidence import REQUIRED, as_markdown, record
from inspector.run import lint_target

REPO = Path(__file__).resolve().parents[1]
RECORDS = sorted((REPO / "rules" / "evidence").glob("*.json"))
MODELS = REPO / "fixtures" / "evidence"
# Data rules (D) judge a model against its data: tests/test_data_evidence.py checks their pairs.
STATIC = [p for p in RECORDS if not get_rule(p.stem).code.startswith("D")]


@pytest.mark.parametrize("path", STATIC, ids=[p.stem for p in STATIC])
def test_faulty_model_is_reported_and_its_fix_is_not(path):
    rule = get_rule(path.stem)
    faulty = lint_target(str(MODELS / f"{rule.name}.faulty.keras"), [rule])
    fixed = lint_target(str(MODELS / f"{rule.name}.fixed.keras"), [rule])
    assert faulty, f"{rule.name} is silent on the model built to show its fault"
    assert not fixed, [str(f) for f in fixed]


@pytest.mark.parametrize("path", RECORDS, ids=[p.stem for p in RECORDS])
def test_record_is_complete_and_measured(path):
    data = json.loads(path.read_text())
    assert set(REQUIRED) <= set(data) and data["rule"] == path.stem
    assert (MODELS / f"{path.stem.replace('-', '_')}.py").is_file(), "no experiment reproduces it"
    for side in ("faulty", "fixed"):
        figures = [v for k, v in data[side].items() if k != "description"]
        assert figures and all(isinstance(v, (int, float)) for v in figures), data[side]


def test_inspect_rule_shows_the_measured_evidence():
    assert RECORDS, "no evidence record is shipped"
    name = RECORDS[0].stem
    result = CliRunner().invoke(main, ["rule", name])
    assert result.exit_code == 0, result.output
    assert result.output.rstrip().endswith(as_markdown(record(name)))
    assert f"Harm: {record(name)['harm']}" in result.output


def test_a_rule_without_evidence_has_no_record():
    assert record("no-such-rule") is None


def test_rules_json_listing_carries_each_record():
    result = CliRunner().invoke(main, ["rules", "--format", "json"])
    assert result.exit_code == 0, result.output
    listed = {r["name"]: r["evidence"] for r in json.loads(result.output)}
    assert {name for name, evidence in listed.items() if evidence} == {p.stem for p in RECORDS}
    assert all(listed[p.stem] == json.loads(p.read_text()) for p in RECORDS)
