"""D123 nan-loss: the loss becomes NaN or infinite in training; where values blow up first."""

from __future__ import annotations

import math
from collections.abc import Iterator

from inspector.engine import RuleOptions, Violation, rule
from inspector.graph import ModelGraph
from inspector.probe.measurements import (
    DataDescription,
    InputSummary,
    LayerStats,
    Measurements,
    helps,
)
from inspector.rules.data._probe import (
    Diagnosed,
    head_model,
    measured,
    optimization_fix,
    run,
    trial,
)

_CLEAN = InputSummary("features", (8,), "float32", -2.0, 3.0, 0.0, 1.0, columns=8)


def _example(baseline, first=None, trials=(), layers=()) -> Diagnosed:
    return Diagnosed(head_model("mse", 1, "linear", features=8),
                     Measurements(DataDescription(500, inputs=(_CLEAN,)), baseline=baseline, trials=tuple(trials),
                                  layers=tuple(layers), first_nonfinite=first, learning_rate=3.0, optimizer="sgd"))


def _outsized(layers: tuple[LayerStats, ...]) -> LayerStats | None:
    """The layer whose loss gradient at the start of training is over 10x every other layer's
    (the probe measures a diverged run's layers where it started): where the update blows up."""
    norms = sorted((s for s in layers if s.grad_norm is not None and math.isfinite(s.grad_norm)),
                   key=lambda s: s.grad_norm or 0.0, reverse=True)
    if len(norms) >= 2 and (norms[0].grad_norm or 0.0) > 10 * (norms[1].grad_norm or 0.0):
        return norms[0]
    return None


@rule(
    "D123",
    "nan-loss",
    "error",
    frameworks=("keras",),
    invalid=[lambda: _example(run(1.2, float("nan"), diverged_at=4), "hidden",
                              [trial("learning-rate", "learning_rate=0.001", "learning_rate", run(1.2, 0.3), None)]),
             lambda: _example(run(14.5, float("nan"), diverged_at=4), None,
                              [trial("learning-rate", "learning_rate=0.0001", "learning_rate", run(14.5, 6.2), None)],
                              [LayerStats("hidden", "relu", 32, grad_norm=3.1e5),
                               LayerStats("output", "linear", 1, grad_norm=310.0)])],
    valid=[lambda: _example(run(1.2, 0.3))],
)
def nan_loss(graph: ModelGraph, opts: RuleOptions) -> Iterator[Violation]:
    """
    ## What it does
    Reports a loss that becomes NaN or infinite in a short training run on the data sample, at which
    step and where, with the fix that keeps it finite.

    ## Details
    Trains a copy of the model briefly on a sample of the training data (`inspect diagnose
    --data`) and reports when the loss becomes NaN or infinite, at which step, and the first
    layer whose output is no longer finite, or else the layer whose loss gradient at the start is
    over ten times any other's (where the updates blow up); it says which tried fix (a lower
    learning rate, clean data) keeps the loss finite. NaN or inf in the data itself is `non-finite-data` (D113).

    ## Why it matters
    Once one step produces a NaN, every weight it touches is NaN and the rest of training is
    wasted; Keras keeps going and prints `loss: nan` every epoch. The usual causes are a learning
    rate too high for the model, a log or a division of zero in a custom layer or loss, and
    exploding activations in deep or recurrent stacks.

    ## Example
    ```python
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=3.0), loss="mse")
    ```

    ## How to fix
    Apply the fix the message names; else lower the learning rate, clip gradients
    (`clipnorm=1.0`), add normalization before the layer named, and check custom layers and losses
    for logs and divisions of zero.
    """
    m = measured(opts)
    if m is None or m.baseline is None or m.baseline.error is not None:
        return
    if m.baseline.diverged_at is None:
        return
    if any(s.nonfinite for s in (*m.data.inputs, *m.data.targets)):
        return  # non-finite-data says it, with its cause
    where = f"; the first layer whose output is not finite is {m.first_nonfinite!r}" if m.first_nonfinite else ""
    layers = (m.first_nonfinite,) if m.first_nonfinite else ()
    outsized = _outsized(m.layers) if not m.first_nonfinite else None
    if outsized is not None:
        others = max((s.grad_norm or 0.0) for s in m.layers if s is not outsized and s.grad_norm is not None)
        where = (f"; at the start the loss gradient on {outsized.layer!r} is {outsized.grad_norm:.2g}, "
                 f"against {others:.2g} at most elsewhere")
        layers = (outsized.layer,)
    best = optimization_fix(m)
    fixes = ([best] if best is not None else []) + [t for t in m.trials if helps(m.baseline, t.run)]
    cure = (f"; with {fixes[0].change} it stays finite: {fixes[0].run.figures()}" if fixes else "")
    yield Violation(f"the loss becomes NaN at step {m.baseline.diverged_at} of training as given "
                    f"({m.baseline.figures()}){where}{cure}", layers)
