"""D132 saturated-units: sigmoid or tanh units pinned at their limits on the data."""

from __future__ import annotations

from collections.abc import Iterator

from inspector.engine import RuleOptions, Violation, rule
from inspector.graph import ModelGraph
from inspector.probe.measurements import KernelScale, LayerStats
from inspector.rules.data._units import LEARNS, example, initializer_finding, unit_findings

_PINNED = [LayerStats("hidden_1", "sigmoid", 32, saturated=0.88)]


@rule(
    "D132",
    "saturated-units",
    "warning",
    options={"share": 0.5},
    frameworks=("keras",),
    invalid=[lambda: example(_PINNED, hidden="sigmoid"),
             lambda: example([], hidden="tanh", outsized=[KernelScale("hidden_1", "tanh", 5.0, 0.177)])],
    valid=[lambda: example([LayerStats("hidden_1", "sigmoid", 32, saturated=0.1)], hidden="sigmoid"),
           lambda: example(_PINNED, baseline=LEARNS, hidden="sigmoid")],
)
def saturated_units(graph: ModelGraph, opts: RuleOptions) -> Iterator[Violation]:
    """
    ## What it does
    Reports a sigmoid or tanh layer most of whose units sit at their limits on the data sample,
    after a run that made little progress.

    ## Details
    After a short training run on the data sample (`inspect diagnose --data`) that made little
    progress, measures each sigmoid or tanh layer and reports one where more than `share`
    (default half) of the units sit at their limits (below 0.01 or above 0.99 for a sigmoid,
    beyond ±0.99 for tanh) on 95% of the rows.

    When a Dense or convolution kernel starts over three times as spread as any standard
    initializer draws, sqrt(2 / min(fan_in, fan_out)) (a copied `RandomNormal(stddev=5)`), the probe also draws those kernels
    afresh with `glorot_uniform`, and reports the layers when that measurably helps, with both
    figures.

    ## Why it matters
    A saturated unit's derivative is nearly zero: it passes almost no gradient to the layers
    below, so they stop learning. Unscaled inputs and large initial weights push units there.

    ## Example
    ```python
    Dense(64, activation="sigmoid")     # on features in the thousands
    ```

    ## How to fix
    Scale the inputs, use a smaller initialization (`glorot_uniform`), add normalization before
    the layer, or switch the hidden layers to ReLU.
    """
    outsized = initializer_finding(opts, True, "a scale that drives sigmoid and tanh units to their limits")
    if outsized is not None:
        yield outsized
        return
    yield from unit_findings(opts, "saturated", 2, "are pinned at their limits")
