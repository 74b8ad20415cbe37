"""GitHub Actions workflow commands: each finding becomes an annotation on the model file."""

from __future__ import annotations

from inspector.report import LintRun

LEVELS = {"error": "error", "warning": "warning", "info": "notice"}


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def format_github(run: LintRun) -> str:
    lines = []
    for f in run.findings:
        where = f" (layer {f.layers[0]})" if f.layers else ""
        lines.append(f"::{LEVELS[f.severity]} file={_property(f.path)},"
                     f"title={_property(f'{f.code} {f.name}')}::{_data(f.message + where)}")
    for path, reason in run.errors:
        lines.append(f"::error file={_property(path)},title=inspect::{_data(reason)}")
    return "\n".join(lines) + ("\n" if lines else "")
