"""Output formats for lint findings: text (people), json (scripts), sarif (code scanning),
github (workflow annotations). Each is a function of one `LintRun`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from inspector.engine import Finding, Rule


@dataclass(frozen=True)
class LintRun:
    """Everything one `inspect lint` invocation produced."""

    findings: tuple[Finding, ...]
    files: tuple[str, ...]  # every target checked (or attempted)
    errors: tuple[tuple[str, str], ...] = ()  # (target, reason) for those that could not be read
    rules: tuple[Rule, ...] = ()  # the rules that ran


def formatter(name: str) -> Callable[[LintRun], str]:
    if name == "json":
        from inspector.report.json import format_json as f
    elif name == "sarif":
        from inspector.report.sarif import format_sarif as f
    elif name == "github":
        from inspector.report.github import format_github as f
    else:
        from inspector.report.text import format_text as f
    return f


FORMATS: Sequence[str] = ("text", "json", "sarif", "github")
