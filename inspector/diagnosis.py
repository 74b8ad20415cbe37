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
    _seed_user_code(seed, target, data)
    graph, live = graph_and_model(target, model)
    sample = load_sample(data, graph)
    measurements = probe(graph, live, sample, seed=seed, budget=clock, progress=progress)
    findings = lint_graph(graph, rules, options, {"diagnosis": measurements})
    return Diagnosis(tuple(findings), measurements, graph.source.path)


def _seed_user_code(seed: int, *references: Any) -> None:
    """Seed Python, NumPy and TensorFlow before running a builder or a data function, so that the
    initial weights a builder draws and the rows a data function samples are the same for the same
    --seed: otherwise `inspect diagnose pkg:build` differs from one run to the next."""
    from inspector import is_builder_reference

    if any(isinstance(r, str) and is_builder_reference(r) for r in references):
        from inspector.tf_runtime import import_tensorflow_quietly

        import_tensorflow_quietly()
        import keras

        keras.utils.set_random_seed(seed)


def diagnose_one(seed: int = DEFAULT_SEED, budget: float = DEFAULT_BUDGET,
                 note: Callable[[str], None] | None = None,
                 progress: Callable[[str], None] | None = None) -> Callable[..., list]:
    """How `inspect diagnose` lints one target inside `inspector.run`: the probe on the data, then
    the rules with its measurements; each of the probe's notes (what it skipped, and why) goes to
    `note`. Folders, errors, baselines, formats and exit codes stay the lint run's."""

    def lint_one(target: Any, rules: Sequence, options: Mapping[str, Mapping[str, Any]] | None,
                 data: Any) -> list:
        from inspector.errors import UsageError

        if data is None:
            raise UsageError(None, "diagnose needs --data: a sample of the training data")
        result = diagnose_target(target, data, rules, options, seed, budget, progress=progress)
        for line in result.measurements.notes if note is not None else ():
            note(f"{result.path}: note: {line}")
        return list(result.findings)

    return lint_one
