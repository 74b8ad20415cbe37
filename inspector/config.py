"""`[tool.inspector]` in pyproject.toml: which rules run, where, and with which options.

```toml
[tool.inspector]
select = ["G", "N101", "loss-activation-mismatch"]   # codes, names or family prefixes; default all
ignore = ["S102"]
fail-on = "warning"   # error, warning (the default: info notes never fail), info or never
per-file-ignores = { "legacy/*.h5" = ["N"], "models/custom_*.keras" = ["unknown-layer"] }

[tool.inspector.rules.missing-normalization]
depth = 6
```

The file is found by walking up from the current directory to the first `pyproject.toml` that has
a `[tool.inspector]` table (or given with `--config`, which may also be a plain TOML file holding
those keys at its top level). `per-file-ignores` globs match paths relative to that file's folder,
or a file's name alone. Unknown keys are an error, not a silent no-op: a typo must not switch a
check off unnoticed.
"""

from __future__ import annotations

import fnmatch
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from inspector.errors import UsageError

KEYS = ("select", "ignore", "per-file-ignores", "rules", "fail-on")


@dataclass(frozen=True)
class Config:
    select: tuple[str, ...] | None = None  # None: every rule
    ignore: tuple[str, ...] = ()
    per_file_ignores: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    rule_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # by rule name
    path: Path | None = None  # the file the configuration came from
    fail_on: str | None = None  # "error", "warning", "info" or "never"; None: the default (warning)

    def with_command_line(self, select: Sequence[str] | None, ignore: Sequence[str] | None) -> Config:
        """Command-line options win: `--select` replaces the file's select and ignore lists (so
        a rule selected by hand runs), `--ignore` adds to the file's ignores."""
        new_select, new_ignore = self.select, self.ignore
        if select:
            new_select, new_ignore = tuple(select), ()
        if ignore:
            new_ignore = new_ignore + tuple(ignore)
        return replace(self, select=new_select, ignore=new_ignore)

    def ignored_for(self, target: str) -> tuple[str, ...]:
        """Selectors that `per-file-ignores` switches off for `target` (a path or builder ref)."""
        if not self.per_file_ignores:
            return ()
        base = self.path.parent if self.path else Path.cwd()
        candidates = {target, Path(target).name}
        try:
            candidates.add(Path(target).resolve().relative_to(base.resolve()).as_posix())
        except (ValueError, OSError):
            pass
        found: list[str] = []
        for pattern, selectors in self.per_file_ignores.items():
            if any(fnmatch.fnmatch(c, pattern) for c in candidates):
                found.extend(selectors)
        return tuple(found)


def find_config(start: Path | None = None) -> Path | None:
    """The nearest pyproject.toml with a `[tool.inspector]` table, from `start` upwards."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            try:
                if "inspector" in _read_toml(candidate).get("tool", {}):
                    return candidate
            except UsageError:
                if "tool.inspector" in candidate.read_text(encoding="utf-8", errors="replace"):
                    raise  # ours, and broken: say so rather than lint with defaults
                continue  # a broken pyproject.toml of some other project up the tree
    return None


def load_config(path: str | Path | None = None, start: Path | None = None) -> Config:
    """The configuration from `path` (`--config`), else the discovered pyproject.toml, else
    defaults. Raises UsageError for unreadable files, unknown keys, rules and options."""
    explicit = path is not None
    file = Path(path) if path is not None else find_config(start)
    if file is None:
        return Config()
    if explicit and not file.is_file():
        raise UsageError(file, "no such configuration file")
    data = _read_toml(file)
    table = data.get("tool", {}).get("inspector")
    if table is None:
        if file.name == "pyproject.toml":
            return Config(path=file)
        table = data
    return _parse(file, table)


def _read_toml(file: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        return tomllib.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(file, f"cannot read configuration: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(file, f"invalid TOML: {exc}") from None


def _parse(file: Path, table: Mapping[str, Any]) -> Config:
    from inspector.engine import check_selectors, get_rule, resolve_options

    where = "[tool.inspector]" if file.name == "pyproject.toml" else "the configuration"
    unknown = [k for k in table if k not in KEYS]
    if unknown:
        raise UsageError(file, f"unknown key {unknown[0]!r} in {where} (known keys: {', '.join(KEYS)})")

    def selectors(key: str, value: Any) -> tuple[str, ...]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise UsageError(file, f"{key} must be a list of rule codes, names or prefixes")
        try:
            check_selectors(value)
        except UsageError as exc:
            raise UsageError(file, f"{key}: {exc.reason}") from None
        return tuple(value)

    select = selectors("select", table["select"]) if "select" in table else None
    ignore = selectors("ignore", table.get("ignore", []))
    pfi_raw = table.get("per-file-ignores", {})
    if not isinstance(pfi_raw, Mapping):
        raise UsageError(file, "per-file-ignores must be a table of glob = [rules]")
    per_file = {str(glob): selectors(f"per-file-ignores {glob!r}", value)
                for glob, value in pfi_raw.items()}
    rules_raw = table.get("rules", {})
    if not isinstance(rules_raw, Mapping):
        raise UsageError(file, "rules must be a table of [tool.inspector.rules.RULE-NAME] tables")
    options: dict[str, dict[str, Any]] = {}
    for key, values in rules_raw.items():
        try:
            r = get_rule(key)
        except UsageError:
            raise UsageError(file, f"[rules.{key}]: no rule named {key!r}") from None
        if not isinstance(values, Mapping):
            raise UsageError(file, f"[rules.{key}] must be a table of options")
        try:
            options[r.name] = resolve_options(r, values)
        except UsageError as exc:
            raise UsageError(file, exc.reason) from None
    fail_on = table.get("fail-on")
    if fail_on is not None:
        from inspector.gate import FAIL_ON

        if fail_on not in FAIL_ON:
            raise UsageError(file, f"fail-on must be one of {', '.join(FAIL_ON)}, not {fail_on!r}")
    return Config(select, ignore, per_file, options, file, fail_on)
