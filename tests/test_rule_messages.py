"""The messages of every rule, pinned: what each invalid example of each rule reports (code,
message, layers) is compared with tests/snapshots/rule_messages.json. test_rules.py checks that a
rule fires; this checks what the user reads, one entry per invalid example, and the examples cover
each branch of each rule's message.

A change to a message is deliberate: rewrite the snapshot and review its diff with the change.

    .venv/bin/python -m pytest tests/test_rule_messages.py --update-snapshots
    git diff tests/snapshots/rule_messages.json

With `-k`, only the selected entries are rewritten; entries of examples that no longer exist are
dropped, and a missing or stale entry fails the run until the snapshot is rewritten.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inspector.engine import Rule, all_rules, lint_graph
from inspector.rules import _examples as ex

SNAPSHOT = Path(__file__).parent / "snapshots" / "rule_messages.json"


def _key(rule: Rule, index: int) -> str:
    return f"{rule.code} {rule.name} invalid[{index}]"


CASES = [(r, i, example) for r in all_rules() for i, example in enumerate(r.invalid)]


@pytest.fixture(scope="module")
def snapshot(request):
    """The stored entries; with --update-snapshots, the entries the tests record, written back
    (merged with the stored ones, less those of examples that no longer exist) once they ran."""
    stored = json.loads(SNAPSHOT.read_text(encoding="utf-8")) if SNAPSHOT.is_file() else {}
    update = request.config.getoption("--update-snapshots")
    recorded: dict = {}
    yield stored, (recorded if update else None)
    if update and recorded:
        wanted = {_key(r, i) for r, i, _ in CASES}
        merged = {k: v for k, v in {**stored, **recorded}.items() if k in wanted}
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(_dumps(merged), encoding="utf-8")


def _dumps(entries: dict) -> str:
    """JSON with one finding a line, so that a changed message is a one-line diff."""
    def one(key: str) -> str:
        lines = [f"  {json.dumps(f, ensure_ascii=False)}" for f in entries[key]]
        return f" {json.dumps(key)}: [" + ("\n" + ",\n".join(lines) + "\n ]" if lines else "]")
    return "{\n" + ",\n".join(one(k) for k in sorted(entries)) + "\n}\n"


@pytest.mark.parametrize(("rule", "index", "example"), CASES, ids=[_key(r, i) for r, i, _ in CASES])
def test_rule_message(rule, index, example, snapshot):
    stored, recorded = snapshot
    graph, context = ex.as_case(example)
    findings = [{"code": f.code, "message": f.message, "layers": list(f.layers)}
                for f in lint_graph(graph, [rule], context=context)]
    key = _key(rule, index)
    if recorded is not None:
        recorded[key] = findings
        return
    assert key in stored, f"no snapshot for {key}: run pytest {__file__} --update-snapshots"
    assert findings == stored[key], f"{key}'s findings changed: if that is meant, run with --update-snapshots"


def test_the_snapshot_holds_no_stale_entry(request):
    """An entry whose example was removed or renumbered would pin nothing."""
    if request.config.getoption("--update-snapshots"):
        pytest.skip("the snapshot is being rewritten")
    if not SNAPSHOT.is_file():
        pytest.fail(f"{SNAPSHOT} is missing: run pytest {__file__} --update-snapshots")
    stale = set(json.loads(SNAPSHOT.read_text(encoding="utf-8"))) - {_key(r, i) for r, i, _ in CASES}
    assert not stale, f"stale entries (run with --update-snapshots): {sorted(stale)}"
