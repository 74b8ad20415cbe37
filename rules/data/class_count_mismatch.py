"""D103 class-count-mismatch: more classes in the labels than the output has units."""

from __future__ import annotations

from collections.abc import Iterator

from inspector.engine import RuleOptions, Violation, rule
from inspector.graph import ModelGraph
from inspector.probe.measurements import LABELS, DataDescription, Measurements, TargetSummary
from inspector.rules.data._probe import Diagnosed, head_model, helping, measured, proof, run, trial

_TEN = TargetSummary("output", (), LABELS, 0.0, 9.0, classes=10, majority=0.1)


def _example(units: int, baseline, trials=()) -> Diagnosed:
    return Diagnosed(head_model("sparse_categorical_crossentropy", units),
                     Measurements(DataDescription(500, targets=(_TEN,)), baseline=baseline, trials=tuple(trials)))


@rule(
    "D103",
    "class-count-mismatch",
    "error",
    frameworks=("keras",),
    invalid=[lambda: _example(8, run(2.1, float("nan"), error="Received a label value of 9 which is outside "
                                                               "the valid range of [0, 8)"),
                              [trial("output-units", "output: units=10", "output",
                                     run(2.3, 0.3, (0.1, 0.92)))])],
    valid=[lambda: _example(10, run(2.3, 0.3, (0.1, 0.92)))],
)
def class_count_mismatch(graph: ModelGraph, opts: RuleOptions) -> Iterator[Violation]:
    """
    ## What it does
    Checks, on a sample of the training data (`inspect diagnose --data`), that a classifier's
    output has a unit for every class in the labels. When the labels go higher than the units, it
    trains a copy with one unit per class on the same data and seed and reports the mismatch
    when that copy learns better, with both figures.

    ## Why it matters
    A label of 9 on an 8-unit softmax has no probability to raise: TensorFlow refuses it on CPU
    (`label value outside the valid range`) and silently yields NaN or garbage on GPU; with
    one-hot targets the extra columns are never predicted. Classes added to a dataset after the
    model was written are the usual cause.

    ## Example
    ```python
    model.add(Dense(8, activation="softmax"))       # labels are 0..9
    ```

    ## How to fix
    Give the output layer one unit per class: `Dense(num_classes, activation="softmax")`, with
    `num_classes = y.max() + 1` for integer labels.
    """
    m = measured(opts)
    if m is None or m.baseline is None:
        return
    found = helping(m, "output-units")
    if found is None:
        return
    target = m.data.target(found.output or "")
    classes = target.classes if target else "more"
    units = found.change.rsplit("=", 1)[-1]
    yield Violation(f"the labels hold {classes} classes ({found.output!r} labels up to "
                    f"{target.maximum:g}) where the output has fewer units; with {units} units the copy "
                    f"learns: {proof(m.baseline, found)}" if target else proof(m.baseline, found),
                    (found.place,))
