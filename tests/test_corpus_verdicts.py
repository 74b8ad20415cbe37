"""Precision on real files that cannot drift: every lint finding on every corpus file has a
verdict in corpus_verdicts.tsv (file, code, layers, verdict, reason), read against the file by a
person, and every verdict is `true`. A new finding without a verdict fails (a false alarm cannot
land unnoticed), so does a verdict whose finding is gone (a true finding cannot vanish
unnoticed), and so does a finding judged false: that is a bug in its rule, to fix there.

Every rule runs, the opt-in taste rules (T) too: a user who selects them is told the same kind
of facts about their model, and those must be true as well.
`scripts/corpus_findings.py --verdicts` prints the rows still missing, ready to judge."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from inspector.engine import all_rules
from inspector.errors import InspectorError
from inspector.run import lint_target
from inspector.targets import discover

VERDICTS = Path(__file__).resolve().parent / "corpus_verdicts.tsv"
FIELDS = ("file", "code", "layers", "verdict", "reason")


def read_verdicts(path: Path = VERDICTS) -> dict[tuple[str, str, str], tuple[str, str]]:
    """(file, code, layers joined by commas) -> (verdict, reason)."""
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    table = {}
    for row in rows:
        key = (row["file"], row["code"], row["layers"])
        assert key not in table, f"two verdicts for {key}"
        assert row["verdict"] in ("true", "false") and row["reason"].strip(), row
        table[key] = (row["verdict"], row["reason"])
    return table


def corpus_findings(corpus: Path) -> dict[tuple[str, str, str], str]:
    """(file, code, layers) -> the finding's text, for every rule on every file that loads."""
    rules = all_rules()
    found = {}
    for target in discover([str(corpus)]):
        try:
            if isinstance(target, InspectorError):
                raise target
            findings = lint_target(target, rules)
        except InspectorError:
            continue  # a file that cannot be read is tests/test_corpus.py's concern
        for f in findings:
            found[(Path(f.path).name, f.code, ",".join(f.layers))] = str(f)
    return found


@pytest.fixture(scope="module")
def found(corpus_dir):
    return corpus_findings(corpus_dir)


def test_every_finding_has_a_verdict(found):
    missing = [text for key, text in found.items() if key not in read_verdicts()]
    assert not missing, "findings without a verdict (judge them in tests/corpus_verdicts.tsv):\n" + "\n".join(missing)


def test_every_verdict_still_has_its_finding(found):
    gone = [key for key in read_verdicts() if key not in found]
    assert not gone, f"verdicts whose finding is gone (a true finding lost?): {gone}"


def test_no_finding_is_false(found):
    false = [(found.get(key, key), reason) for key, (verdict, reason) in read_verdicts().items()
             if verdict == "false"]
    assert not false, f"false findings on real files (bugs in their rules): {false}"


def test_the_verdicts_cover_the_whole_corpus(corpus_dir, found):
    """The corpus is read whole: 58 of its 59 files load, and the verdicts span many of them."""
    assert len({key[0] for key in found}) >= 20
    assert sum(1 for _ in corpus_dir.glob("*.h5")) + sum(1 for _ in corpus_dir.glob("*.keras")) >= 55
