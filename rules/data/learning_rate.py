"""D121 learning-rate: a learning rate far too high or too low for this model and optimizer."""

from __future__ import annotations

from collections.abc import Iterator

from inspector.engine import RuleOptions, Violation, rule
from inspector.graph import ModelGraph
from inspector.probe.measurements import DataDescription, Measurements
from inspector.rules.data._probe import (
    Diagnosed,
    head_model,
    measured,
    optimization_fix,
    proof,
    run,
    trial,
)

# "Too low" only when the run as given removed less than this share of its starting loss. The
# evidence (sklearn digits, Adam, 10 epochs): 1e-4, ten times below the best rate, still removed
# 23% of the loss and reached 72% accuracy (slow, but it works), while 1e-5 and 1e-6 removed under
# 1% (0.7% and none) and stayed at chance. A rate that makes real but slower progress is a tuning
# choice, not a fault: over a short run a larger rate nearly always looks better.
STALLED = 0.10


def _rates(saved: float, baseline, results: dict[float, tuple]) -> Diagnosed:
    trials = [trial("learning-rate", f"learning_rate={lr:g}", "learning_rate", run(*r, label=f"learning_rate={lr:g}"),
                    output=None) for lr, r in results.items()]
    return Diagnosed(head_model("sparse_categorical_crossentropy"),
                     Measurements(DataDescription(500), baseline=baseline, trials=tuple(trials),
                                  learning_rate=saved, optimizer="sgd"))


@rule(
    "D121",
    "learning-rate",
    "warning",
    frameworks=("keras",),
    invalid=[lambda: _rates(1e-6, run(2.3, 2.29, (0.1, 0.11)),
                            {1e-4: (2.3, 2.1, (0.1, 0.3)), 1e-2: (2.3, 0.2, (0.1, 0.95))}),
             lambda: _rates(10.0, run(2.3, 9.5, (0.1, 0.1)),
                            {1e-3: (2.3, 0.3, (0.1, 0.9)), 1e-2: (2.3, 0.2, (0.1, 0.94))})],
    valid=[lambda: _rates(1e-3, run(2.3, 0.25, (0.1, 0.93)), {}),
           # slower than 1e-2 but clearly learning (25% of the loss gone): not a fault
           lambda: _rates(1e-3, run(2.31, 1.74, (0.09, 0.37)), {1e-2: (2.31, 1.3, (0.09, 0.76))}),
           lambda: _rates(1e-3, run(2.3, 2.2, (0.1, 0.2)), {1e-2: (2.3, 2.2, (0.1, 0.21))})],
)
def learning_rate(graph: ModelGraph, opts: RuleOptions) -> Iterator[Violation]:
    """
    ## What it does
    Reports a learning rate far too low or too high for this model and optimizer, from a coarse
    range test on the data sample.

    ## Details
    Measures, on a sample of the training data (`inspect diagnose --data`), whether the model's
    learning rate suits this model and optimizer. When the run as given makes little progress or
    diverges, it runs the same probe (same copy, seed and rows) at learning rates from 1e-4 to
    0.1, a coarse range test, and reports the saved rate when another one learns measurably
    better, naming it and both figures. A rate is reported too low only when the run as given
    removes less than 10% of its starting loss: over a short run a larger rate nearly always
    looks better, and a rate that learns more slowly still works. The threshold comes from the
    trained evidence (digits, Adam, 10 epochs): 1e-4, ten times below the best rate, removed 23%
    of the loss and reached 72% accuracy; 1e-5 and 1e-6 removed under 1% and stayed at chance.

    ## Why it matters
    Far too high a rate makes the loss jump (when it becomes NaN, `nan-loss`, D123, reports it
    with the rate that keeps it finite); far too low, the model barely moves in
    the epochs it is given, which looks like a model that cannot learn. The right rate depends on
    the model, the optimizer and the data's scale, so no fixed table says it: a short measured
    run does.

    ## Example
    ```python
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=1e-6), loss="sparse_categorical_crossentropy")
    ```

    ## How to fix
    Use the rate the message names (or one close to it), then tune around it; a learning-rate
    schedule or a warm-up helps when the best rate early is not the best late.
    """
    m = measured(opts)
    if m is None or m.baseline is None:
        return
    if m.baseline.diverged_at is not None:
        return  # the loss became NaN: nan-loss says it, with this fix
    best = optimization_fix(m)
    if best is None or best.fix != "learning-rate":
        return  # nothing helps, or another optimizer does clearly better: stalled-optimizer says it
    rate = float(best.change.rsplit("=", 1)[-1])
    saved = m.learning_rate
    if (saved is None or saved < rate) and m.baseline.progress >= STALLED:
        return  # it learns, only more slowly than at a larger rate: a tuning choice, not a fault
    if saved is None:
        direction, shown = "", "the saved learning rate"
    else:
        direction = " too high" if saved > rate else " too low"
        shown = f"learning_rate={saved:g}"
    optimizer = f" for {m.optimizer}" if m.optimizer else ""
    yield Violation(f"{shown} is{direction or ' off'}{optimizer} on this model and data: {proof(m.baseline, best)}")
