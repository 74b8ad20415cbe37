"""SARIF 2.1.0 for code-scanning dashboards: each rule with its documentation, each finding with
the model file as its physical location and the layer as its logical location."""

from __future__ import annotations

import json
from typing import Any

from inspector import __version__
from inspector.engine import Rule, section
from inspector.report import LintRun

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}
INFORMATION_URI = "https://github.com/keras-inspector/keras-inspector"


def _rule(r: Rule) -> dict[str, Any]:
    full = section(r.doc, "What it does") or r.summary
    why = section(r.doc, "Why it matters")
    return {
        "id": r.code,
        "name": r.name,
        "shortDescription": {"text": r.summary},
        "fullDescription": {"text": " ".join(full.split())},
        "help": {"text": r.doc, "markdown": r.doc},
        "defaultConfiguration": {"level": LEVELS[r.severity]},
        "properties": {"tags": [r.family], "why": " ".join(why.split())},
    }


def sarif_dict(run: LintRun) -> dict[str, Any]:
    rules = {r.code: r for r in run.rules}
    for f in run.findings:  # a finding from a rule not passed in still needs its descriptor
        if f.code not in rules:
            from inspector.engine import get_rule

            rules[f.code] = get_rule(f.code)
    ordered = sorted(rules.values(), key=lambda r: r.code)
    index = {r.code: i for i, r in enumerate(ordered)}
    results = []
    for f in run.findings:
        location: dict[str, Any] = {"physicalLocation": {"artifactLocation": {"uri": _uri(f.path)}}}
        if f.layers:
            location["logicalLocations"] = [
                {"name": layer.rsplit("/", 1)[-1], "fullyQualifiedName": layer, "kind": "member"}
                for layer in f.layers
            ]
        results.append({
            "ruleId": f.code,
            "ruleIndex": index[f.code],
            "level": LEVELS[f.severity],
            "message": {"text": f.message},
            "locations": [location],
            "properties": {"name": f.name, "layers": list(f.layers)},
        })
    invocation: dict[str, Any] = {"executionSuccessful": not run.errors}
    if run.errors:
        invocation["toolExecutionNotifications"] = [
            {"level": "error", "message": {"text": reason},
             "locations": [{"physicalLocation": {"artifactLocation": {"uri": _uri(path)}}}]}
            for path, reason in run.errors
        ]
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "keras-inspector",
                "version": __version__,
                "informationUri": INFORMATION_URI,
                "rules": [_rule(r) for r in ordered],
            }},
            "invocations": [invocation],
            "results": results,
        }],
    }


def _uri(path: str) -> str:
    """A relative path stays relative (SARIF resolves it against the checkout); backslashes and
    spaces are made URI-safe."""
    from urllib.parse import quote

    return quote(path.replace("\\", "/"), safe="/:@-._~")


def format_sarif(run: LintRun) -> str:
    return json.dumps(sarif_dict(run), indent=2) + "\n"
