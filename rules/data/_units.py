"""What D131-D133 share: per-layer measurements are shown only when training as given struggles."""

from __future__ import annotations

from collections.abc import Iterator

from inspector.engine import RuleOptions, Violation
from inspector.probe.measurements import (
    DataDescription,
    LayerStats,
    Measurements,
    helps,
    listed,
    struggling,
)
from inspector.rules.data._probe import Diagnosed, head_model, run

STUCK = run(2.3, 2.25, (0.1, 0.18))
LEARNS = run(2.3, 0.2, (0.1, 0.95))


def example(layers: list[LayerStats], baseline=STUCK, hidden: str = "relu", outsized=()) -> Diagnosed:
    """`outsized`: KernelScales of the first hidden layer, with the trial that draws it afresh."""
    from inspector.rules.data._probe import trial

    drawn = "glorot_uniform" if hidden in ("sigmoid", "tanh") else "he_normal"
    trials = (trial("initializer", f"kernel_initializer={drawn!r} on 'hidden_1'", "hidden_1", LEARNS, None),)
    return Diagnosed(head_model("sparse_categorical_crossentropy", hidden=hidden, depth=3),
                     Measurements(DataDescription(500), baseline=baseline, layers=tuple(layers),
                                  trials=trials if outsized else (), outsized=tuple(outsized)))


def worth_showing(m: Measurements) -> bool:
    """Per-layer figures explain a run that did not learn; on a model that learns they are noise,
    after a NaN meaningless (nan-loss says it), and beside a tried fix that works a symptom of
    the fault that fix's rule reports (dead units under too high a learning rate)."""
    return (m.baseline is not None and m.baseline.error is None and m.baseline.complete
            and m.baseline.diverged_at is None and struggling(m.baseline)
            and not any(helps(m.baseline, t.run) for t in m.trials))


def initializer_finding(opts: RuleOptions, saturating: bool, what: str) -> Violation | None:
    """The layers (saturating or not) whose starting kernels are outsized, when drawing them
    afresh with a standard initializer measurably helps: both figures."""
    from inspector.rules.data._probe import measured, proof

    m = measured(opts)
    if m is None or m.baseline is None:
        return None
    trial = m.trial("initializer")
    scales = [k for k in m.outsized if k.saturating == saturating]
    if trial is None or not scales or not helps(m.baseline, trial.run):
        return None
    worst = max(scales, key=lambda k: k.std / k.largest)
    return Violation(f"the starting kernels of {listed([k.layer for k in scales])} spread {worst.std:.2g} (std), {worst.std / worst.largest:.0f}x "
                     f"the most a standard initializer draws for {worst.layer!r} ({worst.largest:.2g}): {what}; "
                     f"{proof(m.baseline, trial)}", tuple(k.layer for k in scales))


def unit_findings(opts: RuleOptions, measure: str, min_units: int, state: str) -> Iterator[Violation]:
    """One finding per layer where more than the `share` option of the units are in `state`
    (the LayerStats field `measure`: dead or saturated), after a run as given that struggled."""
    from inspector.rules.data._probe import measured

    m = measured(opts)
    if m is None or not worth_showing(m):
        return
    share = float(opts.share)
    for stats in m.layers:
        value = getattr(stats, measure)
        if value is not None and value > share and stats.units >= min_units:
            yield Violation(f"{value:.0%} of the {stats.units} {stats.activation} units of {stats.layer!r} {state} on "
                            f"the sample after training as given ({m.baseline.figures()})",  # type: ignore[union-attr]
                            (stats.layer,), pattern=f"most units {measure} after training as given")
