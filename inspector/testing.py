"""A pytest helper for users' own test suites: `assert_clean(model)` fails with the findings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def assert_clean(
    target: Any,
    select: Sequence[str] | None = None,
    ignore: Sequence[str] | None = None,
    options: Mapping[str, Mapping[str, Any]] | None = None,
) -> None:
    """Raise AssertionError listing every finding on `target` (a path or a live keras.Model)."""
    from inspector.api import lint

    findings = lint(target, select=select, ignore=ignore, options=options)
    if findings:
        lines = "\n".join(f"  {f}" for f in findings)
        raise AssertionError(f"{len(findings)} lint finding(s):\n{lines}")
