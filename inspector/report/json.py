"""A JSON list of findings: path, code, name, severity, message, layers."""

from __future__ import annotations

import json

from inspector.report import LintRun


def format_json(run: LintRun) -> str:
    return json.dumps([f.as_dict() for f in run.findings], indent=2) + "\n"
