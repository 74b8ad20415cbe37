"""SARIF 2.1.0 for code-scanning dashboards: each rule with its documentation, each finding with
the model file as its physical location and the layer as its logical location.

Paths are written the way GitHub code scanning resolves them: relative to the repository root
(the nearest folder above the working directory holding `.git`), under the uriBaseId %SRCROOT%.
A file outside that root gets an absolute file:// URI, so it can never pass for a repository
path. A `file.py:function` builder points at its Python file and the line of the `def`."""

from __future__ import annotations

import ast
import hashlib
import os
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

from inspector import __version__, is_builder_reference
from inspector.engine import Finding, Rule, section
from inspector.report import LintRun
from inspector.report.strict_json import dumps

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}
INFORMATION_URI = "https://github.com/keras-inspector/keras-inspector"
SRCROOT = "%SRCROOT%"


def _rule(r: Rule) -> dict[str, Any]:
    full = section(r.doc, "What it does") or r.summary
    why = section(r.doc, "Why it matters")
    descriptor = {
        "id": r.code,
        "name": r.name,
        "shortDescription": {"text": r.summary},
        "fullDescription": {"text": " ".join(full.split())},
        "help": {"text": r.doc, "markdown": r.doc},
        "defaultConfiguration": {"level": LEVELS[r.severity]},
        "properties": {"tags": [r.family], "why": " ".join(why.split())},
    }
    if r.security_severity is not None:  # GitHub code scanning ranks security alerts by it
        descriptor["properties"]["security-severity"] = f"{r.security_severity:.1f}"
        descriptor["properties"]["tags"].append("security")
    return descriptor


def sarif_dict(run: LintRun, root: str | Path | None = None) -> dict[str, Any]:
    """The SARIF log of one lint run; `root` is the folder URIs are relative to (default: the
    repository holding the working directory)."""
    base = Path(os.path.abspath(root if root is not None else source_root()))
    rules = {r.code: r for r in run.rules}
    for f in run.findings:  # a finding from a rule not passed in still needs its descriptor
        if f.code not in rules:
            from inspector.engine import get_rule

            rules[f.code] = get_rule(f.code)
    ordered = sorted(rules.values(), key=lambda r: r.code)
    index = {r.code: i for i, r in enumerate(ordered)}
    results = [_result(f, index[f.code], base) for f in run.findings]
    invocation: dict[str, Any] = {"executionSuccessful": not run.errors}
    if run.errors:
        invocation["toolExecutionNotifications"] = [
            {"level": "error", "message": {"text": reason},
             "locations": [{"physicalLocation": _physical(path, base)}]}
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
            "originalUriBaseIds": {SRCROOT: {"uri": _directory_uri(base)}},
            "results": results,
        }],
    }


def _result(f: Finding, rule_index: int, base: Path) -> dict[str, Any]:
    physical = _physical(f.path, base)
    location: dict[str, Any] = {"physicalLocation": physical}
    layers = list(dict.fromkeys(f.layers))  # SARIF wants logicalLocations unique
    if layers:
        location["logicalLocations"] = [
            {"name": layer.rsplit("/", 1)[-1], "fullyQualifiedName": layer, "kind": "member"}
            for layer in layers
        ]
    result: dict[str, Any] = {
        "ruleId": f.code,
        "ruleIndex": rule_index,
        "level": LEVELS[f.severity],
        "message": {"text": f.message},
        "locations": [location],
        "properties": {"name": f.name, "layers": list(f.layers)},
    }
    if "region" not in physical:
        # A model file has no lines, so GitHub's upload action computes no fingerprint for it;
        # without one, every retrained (rewritten) file would look like a new alert.
        key = "\0".join([f.code, physical["artifactLocation"]["uri"], *sorted(layers)])
        result["partialFingerprints"] = {
            "primaryLocationLineHash": hashlib.sha256(key.encode()).hexdigest()[:16] + ":1"}
    return result


def _physical(target: str, base: Path) -> dict[str, Any]:
    """The artifact a target names: its file, or for a builder reference the Python file that
    defines the function, with the line of its `def` when that can be found without running it."""
    if not Path(target).exists() and is_builder_reference(target):
        module, _, function = target.rpartition(":")
        source = _builder_source(module)
        if source is None:
            return {"artifactLocation": {"uri": quote(target, safe="")}}
        physical: dict[str, Any] = {"artifactLocation": _artifact(source, base)}
        line = _def_line(source, function)
        if line is not None:
            physical["region"] = {"startLine": line}
        return physical
    return {"artifactLocation": _artifact(Path(target), base)}


def _artifact(path: Path, base: Path) -> dict[str, Any]:
    absolute = Path(os.path.abspath(path))
    try:
        relative = absolute.relative_to(base)
    except ValueError:
        return {"uri": absolute.as_uri()}
    return {"uri": quote(relative.as_posix(), safe="/-._~"), "uriBaseId": SRCROOT}


def _builder_source(module: str) -> Path | None:
    """`path/to/file.py` as given; `pkg.module` as the file it was imported from (linting it
    imported it), else as a file or package under the working directory."""
    if module.endswith(".py") or "/" in module or os.sep in module:
        path = Path(module)
        return path if path.is_file() else None
    imported = getattr(sys.modules.get(module), "__file__", None)
    if imported and Path(imported).is_file():
        return Path(imported)
    stem = Path(*module.split("."))
    for candidate in (stem.with_suffix(".py"), stem / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _def_line(source: Path, function: str) -> int | None:
    """The line of the module-level `def function` (parsed, never executed)."""
    try:
        tree = ast.parse(source.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return None
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == function:
            return node.lineno
    return None


def source_root(start: Path | None = None) -> Path:
    """The repository root above `start` (the working directory): the nearest folder holding
    `.git` (a folder, or a file in a worktree or submodule); `start` itself when there is none."""
    here = Path(os.path.abspath(start or Path.cwd()))
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return folder
    return here


def _directory_uri(folder: Path) -> str:
    """SARIF requires the URI a uriBaseId stands for to end with a slash."""
    uri = folder.as_uri()
    return uri if uri.endswith("/") else uri + "/"


def format_sarif(run: LintRun) -> str:
    return dumps(sarif_dict(run), indent=2) + "\n"
