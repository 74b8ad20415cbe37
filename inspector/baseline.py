"""A baseline of accepted findings, so a repository can adopt the linter without fixing
everything first (as ruff's `--add-noqa` or detekt's baseline do).

`inspect lint --write-baseline FILE` records today's findings; `--baseline FILE` then reports
and fails only on the others, and lists the entries that no longer occur so they can be dropped.
A finding is keyed by its file (relative to the baseline's folder, so it holds from any working
directory), its rule and the layers it names: not by message, which carries numbers that move,
nor by order. Entries are counted, so a second identical finding is new.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from inspector.errors import UsageError

SCHEMA = "keras-inspector/baseline/v1"

Key = tuple[str, str, tuple[str, ...]]


@dataclass(frozen=True)
class Entry:
    path: str
    code: str
    name: str
    layers: tuple[str, ...]
    message: str = ""

    @property
    def key(self) -> Key:
        return self.path, self.code, tuple(sorted(self.layers))

    def __str__(self) -> str:
        return f"{self.path}:{','.join(self.layers) or '(model)'}: {self.code} {self.name}"


def _relative(path: str, folder: Path) -> str:
    """`path` relative to the baseline's folder when it is a file under it, else as given."""
    try:
        return Path(path).resolve().relative_to(folder.resolve()).as_posix()
    except (ValueError, OSError):
        return Path(path).as_posix() if Path(path).exists() else path


def _deleted(entry_path: str, folder: Path) -> bool:
    from inspector import is_builder_reference

    return not is_builder_reference(entry_path) and not (folder / entry_path).exists()


def entries_of(findings: Iterable, baseline: Path) -> list[Entry]:
    folder = baseline.parent
    return [Entry(_relative(f.path, folder), f.code, f.name, tuple(f.layers), f.message) for f in findings]


def write_baseline(findings: Sequence, file: str | Path) -> int:
    """Write every finding to `file` (sorted, so reruns give the same bytes); returns the count."""
    path = Path(file)
    if not path.parent.is_dir():
        raise UsageError(str(file), f"the folder {path.parent} does not exist")
    entries = sorted(entries_of(findings, path), key=lambda e: (e.key, e.message))
    doc = {"schema": SCHEMA,
           "findings": [{"path": e.path, "code": e.code, "name": e.name, "layers": list(e.layers),
                         "message": e.message} for e in entries]}
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return len(entries)


def read_baseline(file: str | Path) -> list[Entry]:
    path = Path(file)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(str(file), "no such baseline file (write one with --write-baseline)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(str(file), f"cannot read the baseline: {exc}") from None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA or not isinstance(doc.get("findings"), list):
        raise UsageError(str(file), f"not a keras-inspector baseline (expected schema {SCHEMA!r})")
    entries = []
    for item in doc["findings"]:
        try:
            entries.append(Entry(str(item["path"]), str(item["code"]), str(item.get("name", "")),
                                 tuple(str(x) for x in item.get("layers", [])), str(item.get("message", ""))))
        except (KeyError, TypeError):
            raise UsageError(str(file), f"a baseline entry lacks path or code: {item!r}") from None
    return entries


@dataclass(frozen=True)
class Comparison:
    new: tuple  # findings not in the baseline: reported, and they may fail the run
    known: tuple  # findings the baseline accepts
    fixed: tuple[Entry, ...]  # baseline entries no finding matched: can be dropped


def apply_baseline(findings: Sequence, file: str | Path, checked: Iterable[str] | None = None) -> Comparison:
    """Split `findings` by the baseline in `file`. `checked` (the files this run linted) limits
    the fixed entries to those files and to files since deleted, so linting one file does not
    call the other files' entries fixed."""
    path = Path(file)
    entries = read_baseline(path)
    left = Counter(e.key for e in entries)
    new, known = [], []
    for finding, entry in zip(findings, entries_of(findings, path)):
        if left[entry.key] > 0:
            left[entry.key] -= 1
            known.append(finding)
        else:
            new.append(finding)
    scope = None if checked is None else {_relative(p, path.parent) for p in checked}
    fixed = []
    for e in entries:
        if left[e.key] > 0 and (scope is None or e.path in scope or _deleted(e.path, path.parent)):
            left[e.key] -= 1
            fixed.append(e)
    return Comparison(tuple(new), tuple(known), tuple(fixed))
