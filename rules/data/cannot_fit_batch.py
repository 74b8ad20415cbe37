"""D134 cannot-fit-batch: the model cannot memorise 32 examples in up to 900 steps."""

from __future__ import annotations

from collections.abc import Iterator

from inspector.engine import RuleOptions, Violation, rule
from inspector.graph import ModelGraph
from inspector.probe.measurements import (
    DataDescription,
    LayerStats,
    Measurements,
    Run,
    Trial,
    helps,
    memorised,
)
from inspector.rules.data._probe import Diagnosed, head_model, measured, run

_STUCK = run(2.3, 2.2, (0.1, 0.25), steps=300, label="32 examples")
_FITS = run(2.3, 0.01, (0.1, 1.0), steps=300, label="32 examples")


def _example(memorise: Run, layers=(), fixes=()) -> Diagnosed:
    return Diagnosed(head_model("sparse_categorical_crossentropy", hidden="sigmoid", depth=3),
                     Measurements(DataDescription(500), baseline=run(2.3, 2.25, (0.1, 0.2)), memorise=memorise,
                                  memorise_trials=tuple(fixes), layers=tuple(layers)))


@rule(
    "D134",
    "cannot-fit-batch",
    "warning",
    frameworks=("keras",),
    invalid=[lambda: _example(_STUCK, fixes=[Trial("unfreeze", "trainable=True on 'hidden_1', 'output'",
                                                   "hidden_1, output", _FITS)]),
             lambda: _example(_STUCK, [LayerStats("hidden_1", "relu", 32, dead=0.1, grad_norm=0.2),
                                       LayerStats("hidden_2", "relu", 1, dead=1.0, grad_norm=0.0),
                                       LayerStats("output", "softmax", 10, grad_norm=0.3)]),
             lambda: _example(_STUCK)],
    valid=[lambda: _example(_FITS),
           # 90% saturated in a 32-unit layer: saturated-units names it, with its figures
           lambda: _example(_STUCK, [LayerStats("hidden_1", "sigmoid", 32, saturated=0.9, grad_norm=1e-9)])],
)
def cannot_fit_batch(graph: ModelGraph, opts: RuleOptions) -> Iterator[Violation]:
    """
    ## What it does
    Reports a model that cannot learn 32 examples of the data sample by heart, the classic sanity
    check, when no tried fix explains it.

    ## Details
    The classic sanity check, on the data sample (`inspect diagnose --data`): trains a copy of
    the model on 32 examples, full batch, for up to 900 steps, checking every 300 whether it has
    learned them by heart (accuracy 99%, or nine tenths of the loss gone). When it has not, the
    probe tries the structural fixes on the same 32 examples (frozen layers made trainable, weight
    penalties removed) and names the layers of the one that lets the model learn them. 300 steps alone are too
    few for a small conv net that can: measured, an 8x8 digits CNN with 16 filters is at 84%
    after 300 steps and 100% after 600, while a model that cannot (L2(1.0) on every layer, or
    every layer frozen) is as stuck after 1200 steps as after 300. When it cannot, and
    no tried fix (loss, activation, scaling, learning rate, optimizer) explains it, something
    structural is wrong; the message names the layer that looks responsible (units dead or
    saturated, a vanishing gradient), when the per-layer measurements point to one.

    ## Why it matters
    If 32 examples cannot be memorised, the full dataset cannot be learned: more epochs, data
    or tuning will not help. Typical causes are a bottleneck layer, an activation that cuts the
    signal, a frozen layer, or an output wired to the wrong tensor.

    ## Example
    ```python
    x = Dense(1, activation="relu")(x)        # a one-unit bottleneck before a 10-class output
    ```

    ## How to fix
    Look at the layer named; remove bottlenecks, check `trainable` flags and what feeds the
    output, and retry until 32 examples are learned before training on everything.
    """
    m = measured(opts)
    if m is None or m.memorise is None or m.baseline is None or m.baseline.error is not None:
        return
    memo = m.memorise
    if not memo.complete or memo.error is not None or memorised(memo):
        return
    for fixed in m.memorise_trials:  # a structural fix tried on the same 32 examples
        if memorised(fixed.run):
            yield Violation(f"the model cannot memorise 32 examples: {memo.figures()}; with {fixed.change}: "
                            f"{fixed.run.figures()}", tuple(fixed.place.split(", ")))
            return
    if any(helps(m.baseline, t.run) for t in m.trials):
        return  # a tried fix explains it: its own rule says so
    culprit = _culprit(m.layers)
    if culprit is not None and culprit[2]:
        return  # dead-units, saturated-units or gradient-flow names the layer, with its figures
    where = f"; the layer that looks responsible: {culprit[0]!r} ({culprit[1]})" if culprit else ""
    yield Violation(f"the model cannot memorise 32 examples: {memo.figures()}{where}",
                    (culprit[0],) if culprit else ())


def _culprit(layers: tuple[LayerStats, ...]) -> tuple[str, str, bool] | None:
    """The layer that looks responsible, why, and whether a per-layer rule reports it already
    (D131-D133 at their default thresholds: units of a layer wider than a bottleneck)."""
    for stats in layers:
        if stats.dead is not None and stats.dead >= 0.5:
            return stats.layer, f"{stats.dead:.0%} of its {stats.units} units dead", stats.units >= 4
        if stats.saturated is not None and stats.saturated >= 0.5:
            return stats.layer, f"{stats.saturated:.0%} of its {stats.units} units saturated", stats.units >= 2
    norms = [s for s in layers if s.grad_norm is not None]
    if len(norms) >= 2:
        top = max(s.grad_norm for s in norms)  # type: ignore[type-var]
        for stats in norms:
            if top > 0 and stats.grad_norm < 1e-4 * top:  # type: ignore[operator]
                return stats.layer, f"gradient norm {stats.grad_norm:.2g}, against {top:.2g} at most elsewhere", True
    return None
