"""D122 stalled-optimizer: the optimizer as configured makes no progress where Adam does."""

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

_ADAM = "optimizer=keras.optimizers.Adam(learning_rate=1e-3)"


def _example(adam, rates=()) -> Diagnosed:
    trials = [trial("standard-optimizer", _ADAM, "optimizer", adam, output=None), *rates]
    return Diagnosed(head_model("sparse_categorical_crossentropy"),
                     Measurements(DataDescription(500), baseline=run(2.3, 2.29, (0.1, 0.11)), trials=tuple(trials),
                                  learning_rate=0.01, optimizer="adadelta"))


@rule(
    "D122",
    "stalled-optimizer",
    "warning",
    frameworks=("keras",),
    invalid=[lambda: _example(run(2.3, 0.3, (0.1, 0.92)))],
    valid=[lambda: _example(run(2.3, 2.28, (0.1, 0.12))),
           # a learning rate fixes it: that is learning-rate's finding, not this one
           lambda: _example(run(2.3, 0.3, (0.1, 0.92)),
                            [trial("learning-rate", "learning_rate=1", "learning_rate", run(2.3, 0.3, (0.1, 0.9)),
                                   output=None)])],
)
def stalled_optimizer(graph: ModelGraph, opts: RuleOptions) -> Iterator[Violation]:
    """
    ## What it does
    Reports an optimizer that makes no progress on the data sample (`inspect diagnose --data`)
    where Adam does. When a short training run makes little progress, it trains the same copy
    with Adam at its default learning rate (same seed, same rows) and reports the configured
    optimizer when Adam learns measurably better, and clearly better than the configured
    optimizer at any other learning rate tried (else that rate is the fix: `learning-rate`, D121).

    ## Why it matters
    Some optimizer settings barely move the weights: Adadelta or plain SGD with Keras's default
    rates on a model they do not suit, momentum settings that cancel out, a decay that kills the
    rate in a few steps. The model looks unable to learn when only its optimizer is.

    ## Example
    ```python
    model.compile(optimizer="adadelta", loss="sparse_categorical_crossentropy")   # rate 0.001
    ```

    ## How to fix
    Use Adam (`keras.optimizers.Adam(learning_rate=1e-3)`) as a baseline, then tune; or tune the
    configured optimizer's rate and momentum until it matches.
    """
    m = measured(opts)
    if m is None or m.baseline is None:
        return
    found = optimization_fix(m)
    if found is None or found.fix != "standard-optimizer":
        return  # nothing helps, or a learning rate does as well: learning-rate says it
    rate = f" (learning_rate={m.learning_rate:g})" if m.learning_rate is not None else ""
    yield Violation(f"optimizer {m.optimizer or 'as configured'}{rate} makes little progress on this model and "
                    f"data, where Adam learns: {proof(m.baseline, found)}")
