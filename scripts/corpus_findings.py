"""Per-rule counts of lint findings on a folder of models, for before/after comparisons of the
rules (the corpus of real-world files, the fixtures...):

    .venv/bin/python scripts/corpus_findings.py FOLDER [--list] [--verdicts]

Prints `count  CODE name` per rule that fired (every rule at default options, the opt-in taste
rules too), then the totals; `--list` also prints each finding. `--verdicts` prints, as rows
for tests/corpus_verdicts.tsv (file, code, layers, verdict, reason), the findings that have no
verdict there yet, with verdict and reason left for a person to fill in after reading the file,
and counts the recorded verdicts true and false. Files that fail to load are counted, not fatal.
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from pathlib import Path

from inspector.engine import all_rules
from inspector.errors import InspectorError
from inspector.run import lint_target
from inspector.targets import discover

VERDICTS = Path(__file__).resolve().parents[1] / "tests" / "corpus_verdicts.tsv"


def verdicts() -> dict[tuple[str, str, str], str]:
    """(file, code, layers) -> "true" or "false", from tests/corpus_verdicts.tsv."""
    if not VERDICTS.is_file():
        return {}
    with VERDICTS.open(newline="", encoding="utf-8") as f:
        return {(r["file"], r["code"], r["layers"]): r["verdict"] for r in csv.DictReader(f, delimiter="\t")}


def main(argv: list[str]) -> int:
    folders = [a for a in argv if not a.startswith("--")]
    if not folders:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    rules = all_rules()
    judged = verdicts() if "--verdicts" in argv else {}
    counts: Counter[tuple[str, str]] = Counter()
    outcome: Counter[str] = Counter()
    files = failed = 0
    for target in discover(folders):
        files += 1
        try:
            if isinstance(target, InspectorError):
                raise target
            findings = lint_target(target, rules)
        except InspectorError as exc:
            failed += 1
            print(f"error: {exc}", file=sys.stderr)
            continue
        for f in findings:
            counts[f.code, f.name] += 1
            if "--list" in argv:
                print(f"  {f}")
            if "--verdicts" in argv:
                key = (Path(f.path).name, f.code, ",".join(f.layers))
                outcome[judged.get(key, "unjudged")] += 1
                if key not in judged:
                    print("\t".join(key) + "\t?\t" + f.message)
    for (code, name), n in sorted(counts.items()):
        print(f"{n:5d}  {code} {name}")
    print(f"{sum(counts.values())} findings in {files} files ({failed} not loaded), "
          f"{len(rules)} rules")
    if "--verdicts" in argv:
        print(f"verdicts: {outcome['true']} true, {outcome['false']} false, {outcome['unjudged']} unjudged")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
