"""Which findings fail a run: `--fail-on error|warning|info|never` (and `fail-on` in
`[tool.inspector]`). The default is `warning`: info notes are printed but never block a commit."""

from __future__ import annotations

from collections.abc import Iterable

FAIL_ON: tuple[str, ...] = ("error", "warning", "info", "never")
DEFAULT_FAIL_ON = "warning"
_RANK = {"error": 0, "warning": 1, "info": 2}


def failing(findings: Iterable, fail_on: str = DEFAULT_FAIL_ON) -> list:
    """The findings at or above `fail_on` (none for `never`)."""
    if fail_on == "never":
        return []
    limit = _RANK[fail_on]
    return [f for f in findings if _RANK.get(f.severity, 0) <= limit]
