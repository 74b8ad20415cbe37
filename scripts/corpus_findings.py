"""Per-rule counts of lint findings on a folder of models, for before/after comparisons of the
rules (the corpus of real-world files, the fixtures...):

    .venv/bin/python scripts/corpus_findings.py FOLDER [--list]

Prints `count  CODE name` per rule that fired (every rule, at default options), then the totals;
`--list` also prints each finding. Files that fail to load are counted, not fatal.
"""

from __future__ import annotations

import sys
from collections import Counter

from inspector.engine import all_rules
from inspector.errors import InspectorError
from inspector.run import lint_target
from inspector.targets import discover


def main(argv: list[str]) -> int:
    folders = [a for a in argv if a != "--list"]
    if not folders:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    rules = all_rules()
    counts: Counter[tuple[str, str]] = Counter()
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
    for (code, name), n in sorted(counts.items()):
        print(f"{n:5d}  {code} {name}")
    print(f"{sum(counts.values())} findings in {files} files ({failed} not loaded), "
          f"{len(rules)} rules")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
