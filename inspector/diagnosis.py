"""`inspect diagnose`: the faults that show only against the data, each fix tried before it is told.

Loads the model (a file, a builder, a live keras.Model) and the data sample, has the probe measure
a copy of the model on it, and runs the rules with those measurements in their context: the data
rules (D) judge them, the static rules read the graph as `inspect lint` does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

DEFAULT_BUDGET = 60.0
DEFAULT_SEED = 0


@dataclass(frozen=True)
class Diagnosis:
    """The findings of one diagnosis and what the probe measured to reach them."""

    findings: tuple
    measurements: Any  # inspector.probe.measurements.Measurements
    path: str


def diagnose_target(
    target: Any,
    data: Any,
    rules: Sequence,
    options: Mapping[str, Mapping[str, Any]] | None = None,
    seed: int = DEFAULT_SEED,
    budget: float = DEFAULT_BUDGET,
    model: Any = None,
    progress: Callable[[str], None] | None = None,
) -> Diagnosis:
    """Diagnose one model on one data sample (an .npz path, a `module:function` reference, or
    what such a function returns); `model` is the live keras.Model behind `target`, when known."""
    from inspector.engine import lint_graph
    from inspector.measure import graph_and_model
    from inspector.probe.data import load_sample
    from inspector.probe.run import Clock, probe

    clock = Clock(budget)  # loading TensorFlow, the model and the data count in the budget
    graph, live = graph_and_model(target, model)
    sample = load_sample(data, graph)
    measurements = probe(graph, live, sample, seed=seed, budget=clock, progress=progress)
    findings = lint_graph(graph, rules, options, {"diagnosis": measurements})
    return Diagnosis(tuple(findings), measurements, graph.source.path)


def run_diagnose(target: str, data: str, seed: int, budget: float, select: Sequence[str], ignore: Sequence[str],
                 output_format: str, exit_zero: bool, fail_on: str | None, config_file: str | None,
                 echo: Callable[..., None], progress: Callable[[str], None]) -> int:
    """The `inspect diagnose` command without its option parsing: print the report, return the exit code."""
    from inspector.config import load_config
    from inspector.engine import select_rules
    from inspector.gate import DEFAULT_FAIL_ON, failing
    from inspector.report import LintRun, formatter

    config = load_config(config_file).with_command_line(list(select), list(ignore))
    rules = select_rules(config.select, config.ignore)
    result = diagnose_target(target, data, rules, config.rule_options, seed, budget, progress=progress)
    for note in result.measurements.notes:
        echo(f"inspect: diagnose: {result.path}: note: {note}", err=True)
    run = LintRun(result.findings, (result.path,), (), tuple(rules))
    echo(formatter(output_format)(run), nl=False)
    if not exit_zero and failing(result.findings, fail_on or config.fail_on or DEFAULT_FAIL_ON):
        return 1
    return 0
