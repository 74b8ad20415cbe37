"""D135 majority-class-plateau: accuracy stuck at the rate of the most frequent class."""

from __future__ import annotations

from collections.abc import Iterator

from inspector.engine import RuleOptions, Violation, rule
from inspector.graph import ModelGraph
from inspector.probe.measurements import (
    BINARY,
    DataDescription,
    Measurements,
    Run,
    TargetSummary,
    helps,
)
from inspector.rules.data._probe import Diagnosed, head_model, measured

_SKEWED = TargetSummary("output", (1,), BINARY, 0.0, 1.0, classes=2, majority=0.9)


def _example(accuracy: float, share: float) -> Diagnosed:
    baseline = Run("as given", 200, 0.69, 0.33, 0.5, accuracy, predicted_share=share)
    return Diagnosed(head_model("binary_crossentropy", 1, "sigmoid"),
                     Measurements(DataDescription(500, targets=(_SKEWED,)), baseline=baseline))


@rule(
    "D135",
    "majority-class-plateau",
    "warning",
    frameworks=("keras",),
    invalid=[lambda: _example(0.9, 1.0)],
    valid=[lambda: _example(0.97, 0.88)],
)
def majority_class_plateau(graph: ModelGraph, opts: RuleOptions) -> Iterator[Violation]:
    """
    ## What it does
    After a short training run on the data sample (`inspect diagnose --data`), compares the
    accuracy with the share of the most frequent class in the targets. It reports when the model
    predicts one class for (nearly) every row and its accuracy is no better than that share: it
    has learned the class balance, not the task.

    ## Why it matters
    On skewed data, always answering the majority class already scores well (90% on a 9:1
    dataset), so the accuracy printed during training looks fine while the model is useless. The
    usual causes are class imbalance without weights, uninformative or unscaled inputs, or a
    learning rate too high that pushed the output into its bias.

    ## Example
    ```python
    model.fit(x, y)        # 90% of y is 0; accuracy: 0.90 from the first epoch, and stays
    ```

    ## How to fix
    Weight the classes (`class_weight=` in `fit`) or resample; check that the inputs carry the
    signal (see the other data findings); watch a per-class metric (recall, AUC), not accuracy.
    """
    m = measured(opts)
    if m is None or m.baseline is None or not m.baseline.finite or not m.baseline.complete:
        return
    base = m.baseline
    if base.accuracy_after is None or base.predicted_share is None:
        return
    if any(helps(base, t.run) for t in m.trials):
        return  # a tried fix explains it: its rule says so
    if m.memorise is not None and m.memorise.complete and m.memorise.progress < 0.5:
        return  # it cannot even fit 32 examples: cannot-fit-batch says it
    for target in m.data.targets:
        if target.majority is None or not 0.5 <= target.majority < 0.99:
            continue  # balanced classes: a one-class model shows in its accuracy, not behind it
        if base.predicted_share >= 0.98 and base.accuracy_after <= target.majority + 0.02:
            yield Violation(f"the model predicts one class for {base.predicted_share:.0%} of the rows: accuracy "
                            f"{base.accuracy_after:.0%} after {base.steps} steps is the share of the most frequent "
                            f"class in {target.name!r} ({target.majority:.0%})",
                            (target.name,) if target.name in graph.output_names else ())
            return
