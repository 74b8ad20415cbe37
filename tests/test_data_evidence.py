"""The data rules' (D) evidence: each record's trained pair is committed with the data sample it
was trained on, the arrays named after the model's input and output, so `inspect diagnose` runs on
exactly what was measured; and one pair is diagnosed for real (the faulty one reported by its
rule, the fixed one not). The other pairs are diagnosed by benchmarks/diagnose_bench.py's programs
(a probe costs seconds to a minute each: too slow to run them all here)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import inspector
from inspector.engine import get_rule

REPO = Path(__file__).resolve().parents[1]
MODELS = REPO / "fixtures" / "evidence"
DATA_RECORDS = [p for p in sorted((REPO / "rules" / "evidence").glob("*.json"))
                if get_rule(p.stem).code.startswith("D")]


@pytest.mark.parametrize("path", DATA_RECORDS, ids=[p.stem for p in DATA_RECORDS])
def test_pair_is_saved_with_the_sample_it_was_trained_on(path):
    record = json.loads(path.read_text())
    for side in ("faulty", "fixed"):
        graph = inspector.load(str(MODELS / f"{path.stem}.{side}.keras"))
        with np.load(MODELS / f"{path.stem}.{side}.npz", allow_pickle=False) as sample:
            names = set(sample.files)
            rows = {len(sample[name]) for name in names}
        assert names == {graph.input_names[0], graph.output_names[0]}, (names, graph.input_names)
        assert len(rows) == 1 and 100 <= rows.pop() <= 512
        assert record[side]["description"]


def test_all_fifteen_data_rules_have_evidence():
    assert sorted(get_rule(p.stem).code for p in DATA_RECORDS) == [
        "D101", "D102", "D103", "D111", "D112", "D113", "D114", "D121", "D122", "D123",
        "D131", "D132", "D133", "D134", "D135"]


def test_non_finite_pair_is_diagnosed_by_its_rule_and_its_fix_is_not():
    pair = {side: inspector.diagnose(str(MODELS / f"non-finite-data.{side}.keras"),
                                     str(MODELS / f"non-finite-data.{side}.npz"), select=["D113"])
            for side in ("faulty", "fixed")}
    assert [f.code for f in pair["faulty"]] == ["D113"]
    assert "measurements" in pair["faulty"][0].message
    assert pair["fixed"] == [] or not [f for f in pair["fixed"] if f.code == "D113"]
