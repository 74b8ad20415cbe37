"""The measured evidence behind each rule: the record its experiment wrote (a faulty model and its
fix, trained the same way; fixtures/evidence/), shipped as `inspector/rules/evidence/<name>.json`
so `inspect rule NAME` and docs/rules.md show what was measured, not only what is argued."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from inspector.errors import InspectorError, one_line

REQUIRED = ("rule", "seed", "data", "epochs", "faulty", "fixed", "harm")


def record(rule_name: str) -> dict[str, Any] | None:
    """The rule's evidence record, or None when it has none."""
    entry = resources.files("inspector.rules").joinpath("evidence", f"{rule_name}.json")
    if not entry.is_file():
        return None
    where = f"evidence/{rule_name}.json"
    try:
        data = json.loads(entry.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InspectorError(where, f"not a readable JSON record: {one_line(exc)}") from exc
    missing = [k for k in REQUIRED if k not in data]
    if missing:
        raise InspectorError(where, f"the record lacks {', '.join(missing)}")
    if data["rule"] != rule_name:
        raise InspectorError(where, f"the record is for rule {data['rule']!r}")
    return data


def as_markdown(data: dict[str, Any]) -> str:
    """The record as a `## Evidence` section: setup, the two models' figures, harm, threshold."""
    lines = ["## Evidence",
             (f"Trained on {data['data']}, {data['epochs']} epochs, seed {data['seed']} "
             "(`fixtures/evidence/run.py` reproduces it)."), ""]
    for side in ("faulty", "fixed"):
        figures = {k: v for k, v in data[side].items() if k != "description"}
        shown = ", ".join(f"{k} {_number(v)}" for k, v in figures.items())
        lines.append(f"- {side}: {data[side].get('description', '')} ({shown})")
    lines += ["", f"Harm: {data['harm']}"]
    if data.get("threshold"):
        lines += ["", f"Threshold: {data['threshold']}"]
    if data.get("sweep"):
        lines += ["", "Sweep:", "", *_table(data["sweep"])]
    return "\n".join(lines)


def _number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _table(rows: list[dict[str, Any]]) -> list[str]:
    """A Markdown table of the sweep rows (the keys of the first row are the columns)."""
    columns = list(rows[0])
    out = ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
    out += ["| " + " | ".join(_number(row.get(c, "")) for c in columns) + " |" for row in rows]
    return out
