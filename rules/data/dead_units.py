"""D131 dead-units: most ReLU units of a layer never fire on the data."""

from __future__ import annotations

from collections.abc import Iterator

from inspector.engine import RuleOptions, Violation, rule
from inspector.graph import ModelGraph
from inspector.probe.measurements import LayerStats
from inspector.rules.data._units import LEARNS, example, unit_findings

_DEAD = [LayerStats("hidden_1", "relu", 32, dead=0.94), LayerStats("hidden_2", "relu", 32, dead=0.1)]


@rule(
    "D131",
    "dead-units",
    "warning",
    options={"share": 0.5},
    frameworks=("keras",),
    invalid=[lambda: example(_DEAD)],
    valid=[lambda: example([LayerStats("hidden_1", "relu", 32, dead=0.2)]),
           lambda: example(_DEAD, baseline=LEARNS)],
)
def dead_units(graph: ModelGraph, opts: RuleOptions) -> Iterator[Violation]:
    """
    ## What it does
    After a short training run on the data sample (`inspect diagnose --data`) that made little
    progress, measures each ReLU-like layer's units on the sample and reports a layer where more
    than `share` (default half) of them output zero for every row: dead units.

    ## Why it matters
    A dead ReLU has zero gradient on every example, so it never recovers: the layer is narrower
    than it looks, and when most of it is dead the signal cannot pass. Too high a learning rate,
    unscaled inputs and a large negative bias are the usual causes.

    ## Example
    ```python
    Dense(256, activation="relu")    # with inputs of 0..255 and learning_rate=0.1: 94% dead
    ```

    ## How to fix
    Scale the inputs, lower the learning rate, use `he_normal` initialization, or
    `leaky_relu`/`elu` activations that keep a gradient below zero.
    """
    yield from unit_findings(opts, "dead", 4, "output zero on every row")
