"""What D131-D133 share: per-layer measurements are shown only when training as given struggles."""

from __future__ import annotations

from inspector.probe.measurements import DataDescription, LayerStats, Measurements, struggling
from inspector.rules.data._probe import Diagnosed, head_model, run

STUCK = run(2.3, 2.25, (0.1, 0.18))
LEARNS = run(2.3, 0.2, (0.1, 0.95))


def example(layers: list[LayerStats], baseline=STUCK, hidden: str = "relu") -> Diagnosed:
    return Diagnosed(head_model("sparse_categorical_crossentropy", hidden=hidden, depth=3),
                     Measurements(DataDescription(500), baseline=baseline, layers=tuple(layers)))


def worth_showing(m: Measurements) -> bool:
    """Per-layer figures explain a run that did not learn; on a model that learns they are noise."""
    return m.baseline is not None and m.baseline.error is None and struggling(m.baseline)
