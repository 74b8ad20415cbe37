"""The diagnose benchmark's programs are runnable as labelled: every labelled program exists, builds
a compiled keras.Model (as written, and after its fix), and its data loads with one row of targets
per row of inputs. Running `inspect diagnose` on them is the benchmark's job, not the tests'."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
LABELS = json.loads((ROOT / "benchmarks" / "diagnose" / "labels.json").read_text())
bench = importlib.import_module("diagnose_bench")

PROGRAMS = [(name, "build", "data") for name in LABELS["faulty"]] + \
           [(name, "build_fixed", "data_fixed") for name in LABELS["faulty"]] + \
           [(name, "build", "data") for name in LABELS["healthy"]]


def rows(arrays) -> set[int]:
    if isinstance(arrays, dict):
        arrays = list(arrays.values())
    if isinstance(arrays, (list, tuple)):
        return {len(a) for a in arrays}
    return {len(arrays)}


@pytest.mark.parametrize(("name", "build", "data"), PROGRAMS, ids=[f"{p[0]}:{p[1]}" for p in PROGRAMS])
def test_program_builds_and_its_data_loads(name, build, data):
    import keras

    module = importlib.import_module(f"diagnose.{name}")
    model = getattr(module, build)()
    assert isinstance(model, keras.Model) and model.optimizer is not None and model.loss is not None
    x, y = getattr(module, data)()
    assert len(rows(x) | rows(y)) == 1 and 100 <= rows(x).pop() <= 5000
    keras.backend.clear_session()


def test_labels_name_known_codes_categories_and_places():
    assert len(LABELS["faulty"]) >= 30 and len(LABELS["healthy"]) >= 10
    for name, label in LABELS["faulty"].items():
        assert label["category"] in LABELS["categories"], name
        assert label["codes"] and all(c[0] == "D" and c[1:].isdigit() for c in label["codes"]), name
        assert all(len(p) == 1 and next(iter(p)) in ("layer", "compile", "data") for p in label["places"]), name


def test_scoring_needs_the_code_and_the_place():
    item = {"side": "faulty", "label": {"codes": ["D131"], "places": [{"layer": "hidden"}]}}
    at = {"code": "D131", "layers": ["hidden"], "message": "94% of hidden's units are dead"}
    elsewhere = {"code": "D131", "layers": ["digit"], "message": "dead units"}
    other = {"code": "D121", "layers": [], "message": "learning rate too high"}
    assert bench.verdict(item, {"findings": [other, at]})["outcome"] == "diagnosed"
    assert bench.verdict(item, {"findings": [elsewhere]})["outcome"] == "wrong place"
    assert bench.verdict(item, {"findings": [other]})["outcome"] == "other finding"
    assert bench.verdict(item, {"findings": []})["outcome"] == "missed"
    compile_item = {"side": "faulty", "label": {"codes": ["D121"], "places": [{"compile": "optimizer"}]}}
    lr = {"code": "D121", "layers": [], "message": "Adam learning_rate=1.0 is too high: ..."}
    assert bench.verdict(compile_item, {"findings": [lr]})["outcome"] == "diagnosed"
    healthy = {"side": "healthy", "label": {}}
    assert bench.verdict(healthy, {"findings": [other]}) == {"false_alarm": True, "alarm_codes": ["D121"],
                                                             "data_alarm": True}
    assert not bench.verdict(healthy, {"findings": []})["false_alarm"]
