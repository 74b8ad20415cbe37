"""Output formats for lint findings: text (people), json (scripts), sarif (code scanning),
github (workflow annotations). Each is a function of one `LintRun`.

Light to import (the engine only for type checking): the CLI reads FORMATS when it is loaded."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from inspector.errors import UsageError

if TYPE_CHECKING:
    from inspector.engine import Finding, Rule

FORMATS: tuple[str, ...] = ("text", "json", "sarif", "github")
"""The `--output-format` choices, each a module of this package with a `format_<name>` function."""


@dataclass(frozen=True)
class LintRun:
    """Everything one `inspect lint` invocation produced."""

    findings: tuple[Finding, ...]
    files: tuple[str, ...]  # every target checked (or attempted)
    errors: tuple[tuple[str, str], ...] = ()  # (target, reason) for those that could not be read
    rules: tuple[Rule, ...] = ()  # the rules that ran


def formatter(name: str) -> Callable[[LintRun], str]:
    """The function printing a LintRun in format `name` (one of FORMATS)."""
    if name not in FORMATS:
        raise UsageError(None, f"unknown output format {name!r} (choose from {', '.join(FORMATS)})")
    import importlib

    return getattr(importlib.import_module(f"inspector.report.{name}"), f"format_{name}")
