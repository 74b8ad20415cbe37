"""A JSON list of findings: path, code, name, severity, message, layers."""

from __future__ import annotations

from inspector.report import LintRun
from inspector.report.strict_json import dumps


def format_json(run: LintRun) -> str:
    return dumps([f.as_dict() for f in run.findings], indent=2) + "\n"
