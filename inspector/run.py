"""One lint run: targets, configuration, data and baseline in; a `RunResult` out.

`inspect lint`, `inspect scan` and `inspector.lint` all call `run`, so a folder, a per-file
ignore, a file that cannot be read, a baseline and `--fail-on` mean the same in each; the engine
stays a registry of rules and their runner on one graph. A command that lints a target another
way passes its own `lint_one` (or `lint_target` with its own data `probe`) and keeps the rest:
folders, per-file ignores, error capture, the baseline, the exit gate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import groupby
from pathlib import Path
from typing import Any, Protocol

from inspector.baseline import Comparison
from inspector.config import Config
from inspector.engine import Finding, Rule, lint_graph, matches, select_rules
from inspector.errors import InspectorError, UsageError, internal_error
from inspector.extras import missing_dependency
from inspector.gate import DEFAULT_FAIL_ON, failing
from inspector.graph import ModelGraph
from inspector.report import LintRun
from inspector.targets import discover


class LintOne(Protocol):
    """Lint one target (a path, builder reference, live model or graph) with `rules`; raise an
    InspectorError for a target that cannot be read. `lint_target` is the default."""

    def __call__(self, target: Any, rules: Sequence[Rule], options: Mapping[str, Mapping[str, Any]],
                 data: str | None) -> list[Finding]: ...


class Probe(Protocol):
    """What running the model on the data measures: `(graph, live keras.Model, data path) ->`
    entries of the rules' `opts.context`, so the rules stay pure functions of what was measured."""

    def __call__(self, graph: ModelGraph, model: Any, data: str) -> Mapping[str, Any]: ...


def measure_losses(graph: ModelGraph, model: Any, data: str) -> dict[str, Any]:
    """The probe of `--data` today: each output's weighted loss (for unbalanced-loss-weights)."""
    from inspector.measure import measure_loss_contributions

    return {"measured_losses": measure_loss_contributions(graph, model, data)}


def lint_target(
    target: Any,
    rules: Sequence[Rule],
    options: Mapping[str, Mapping[str, Any]] | None = None,
    data: str | None = None,
    model: Any = None,
    probe: Probe = measure_losses,
) -> list[Finding]:
    """Load one target (file, directory model, builder reference, live model, ModelGraph) and lint
    it; with `data` (an .npz), run `probe` first. That runs `model` (the live keras.Model behind
    `target`, when the caller has it) or the model `target` names; a builder is called once, for
    both the graph and the run."""
    context: dict[str, Any] = {}
    if data is None:
        from inspector import load
        from inspector.security import CarriesPayload

        try:
            graph = load(target)
        except CarriesPayload as exc:  # no model to lint, but its payloads to report
            return lint_graph(exc.graph, [r for r in rules if r.is_security], options, context)
    else:
        from inspector.measure import graph_and_model

        graph, live = graph_and_model(target, model)
        context.update(probe(graph, live, data))
    return lint_graph(graph, rules, options, context)


@dataclass(frozen=True)
class RunResult(LintRun):
    """A LintRun (what the report formats print) and what decides the exit code. `findings` are
    those the baseline did not accept; `baseline` says which it did and which entries are fixed."""

    fail_on: str = DEFAULT_FAIL_ON  # resolved: the argument, else the configuration, else warning
    baseline: Comparison | None = None  # the baseline applied, if any
    written: int | None = None  # findings recorded by `write_baseline` (then nothing fails)

    @property
    def failing(self) -> list[Finding]:
        """The findings at or above `fail_on`."""
        return failing(self.findings, self.fail_on)

    def exit_code(self, exit_zero: bool = False) -> int:
        """2 when a target could not be read, 1 on a finding at or above `fail_on` (unless
        `exit_zero`, or a baseline was written), else 0: the linters' convention."""
        if self.errors:
            return 2
        if self.written is not None or exit_zero:
            return 0
        return 1 if self.failing else 0


def run(
    targets: Sequence[Any],
    *,
    config: Config | None = None,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    options: Mapping[str, Mapping[str, Any]] | None = None,
    data: str | Path | None = None,
    baseline: str | Path | None = None,
    write_baseline: str | Path | None = None,
    fail_on: str | None = None,
    lint_one: LintOne = lint_target,
    on_error: Callable[[str, str], None] | None = None,
    strict: bool = False,
) -> RunResult:
    """Lint `targets` (paths, folders, builder references, live models, graphs).

    `config` (a loaded `[tool.inspector]`; none: defaults) gives rules, options, per-file ignores
    and fail-on; `select`/`ignore` win over it as on the command line, `options` add rule options.
    A target that cannot be read is recorded in `errors` and passed to `on_error(where, reason)`
    as it happens, and the others are still linted; with `strict` it is raised instead (the
    InspectorError, or the bug itself). `write_baseline` records the findings (refused when a
    target could not be read: its findings would be missing); `baseline` keeps only the new ones.
    """
    config = (config or Config()).with_command_line(select, ignore)
    if options:
        config = replace(config, rule_options={**config.rule_options, **options})
    rules = select_rules(config.select, config.ignore)
    data = str(data) if data is not None else None
    findings: list[Finding] = []
    files: list[str] = []
    errors: list[tuple[str, str]] = []

    def failed(where: str, reason: str) -> None:
        errors.append((where, reason))
        if on_error is not None:
            on_error(where, reason)

    for target in _expand(targets):
        if isinstance(target, InspectorError):  # a folder or entry that could not be listed
            if strict:
                raise target
            files.append(target.path)
            failed(target.path, target.reason)
            continue
        label = _label(target)
        files.append(label)
        per_file = config.ignored_for(label) if isinstance(target, str) else ()
        off = {r.code for r in rules if any(matches(r, s) for s in per_file)}  # "ALL" too
        chosen = [r for r in rules if r.code not in off]
        try:
            findings.extend(lint_one(target, chosen, config.rule_options, data))
        except Exception as exc:  # noqa: BLE001 - a bug too: one target must not stop the others
            where, reason = _failure(exc, label, strict)
            failed(where, reason)
    written = None
    compared = None
    if write_baseline is not None:
        from inspector.baseline import write_baseline as record

        if errors:
            # The unread files' findings would be missing: a mistyped folder would replace a
            # baseline with an empty one, and the next run would fail on every old finding.
            raise UsageError(str(write_baseline), f"baseline not written: {len(errors)} file"
                                                  f"{'s' if len(errors) != 1 else ''} could not be read")
        written = record(findings, write_baseline)
    elif baseline is not None:
        from inspector.baseline import apply_baseline

        unread = {path for path, _ in errors}
        # an entry of a file that could not be read is not fixed: it was not checked
        compared = apply_baseline(findings, baseline, [f for f in files if f not in unread])
        findings = list(compared.new)
    return RunResult(tuple(findings), tuple(files), tuple(errors), tuple(rules),
                     fail_on=fail_on or config.fail_on or DEFAULT_FAIL_ON, baseline=compared, written=written)


def _expand(targets: Sequence[Any]) -> Iterator[Any]:
    """Paths and builder references through `discover` (a folder is its model files), in order;
    live models and graphs as they are."""
    for paths, group in groupby(targets, key=lambda t: isinstance(t, (str, Path))):
        if paths:  # together, so a folder reached twice is listed once
            yield from discover([str(t) for t in group])
        else:
            yield from group


def _label(target: Any) -> str:
    """How a target is named in files, errors and the baseline."""
    if isinstance(target, str):
        return target
    if isinstance(target, ModelGraph):
        return target.source.path
    return f"<live model {getattr(target, 'name', type(target).__name__)}>"


def _failure(exc: Exception, label: str, strict: bool) -> tuple[str, str]:
    """(where, one-line reason) of a target that could not be linted: the path an InspectorError
    names (the model, or e.g. the --data file), a missing extra, or a bug."""
    if isinstance(exc, InspectorError):
        if strict:
            raise exc
        return exc.path or label, exc.reason
    missing = missing_dependency(exc, label)
    if missing is not None:
        if strict:
            raise missing from exc
        return label, missing.reason
    if strict:
        raise exc
    return label, internal_error(exc)

