"""What D131-D133 share: per-layer measurements are shown only when training as given struggles."""

from __future__ import annotations

from collections.abc import Iterator

from inspector.engine import RuleOptions, Violation
from inspector.probe.measurements import DataDescription, LayerStats, Measurements, struggling
from inspector.rules.data._probe import Diagnosed, head_model, run

STUCK = run(2.3, 2.25, (0.1, 0.18))
LEARNS = run(2.3, 0.2, (0.1, 0.95))


def example(layers: list[LayerStats], baseline=STUCK, hidden: str = "relu") -> Diagnosed:
    return Diagnosed(head_model("sparse_categorical_crossentropy", hidden=hidden, depth=3),
                     Measurements(DataDescription(500), baseline=baseline, layers=tuple(layers)))


def worth_showing(m: Measurements) -> bool:
    """Per-layer figures explain a run that did not learn; on a model that learns they are noise."""
    return (m.baseline is not None and m.baseline.error is None and m.baseline.complete
            and m.baseline.diverged_at is None and struggling(m.baseline))  # after a NaN, nan-loss


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
