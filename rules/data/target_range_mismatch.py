"""D102 target-range-mismatch: targets the output and loss cannot produce."""

from __future__ import annotations

from collections.abc import Iterator

from inspector.engine import RuleOptions, Violation, rule
from inspector.graph import ModelGraph
from inspector.probe.measurements import (
    BINARY,
    CONTINUOUS,
    DataDescription,
    Measurements,
    TargetSummary,
)
from inspector.rules.data._probe import Diagnosed, head_model, helping, measured, proof, run, trial

FIXES = ("sigmoid", "binary-loss", "multi-label", "regression-loss")

_BINARY = TargetSummary("output", (1,), BINARY, 0.0, 1.0, classes=2, majority=0.63)
_PRICES = TargetSummary("output", (1,), CONTINUOUS, 5.0, 50.0)
_FLAT = run(0.0, 0.0, (0.63, 0.63))


def _example(loss, units, activation, target, baseline, trials=()) -> Diagnosed:
    data = DataDescription(500, targets=(target,))
    return Diagnosed(head_model(loss, units, activation, features=30),
                     Measurements(data, baseline=baseline, trials=tuple(trials)))


_SIGMOID = trial("sigmoid", "output: activation='sigmoid'", "output", run(0.69, 0.09, (0.63, 0.97)))
_LINEAR = trial("regression-loss", "output: activation='linear' with loss='mse'", "loss",
                run(590.0, 21.0), same_loss=False)


@rule(
    "D102",
    "target-range-mismatch",
    "error",
    frameworks=("keras",),
    invalid=[lambda: _example("binary_crossentropy", 1, "softmax", _BINARY, _FLAT, [_SIGMOID]),
             lambda: _example("binary_crossentropy", 1, "sigmoid", _PRICES, run(-300.0, -2e4), [_LINEAR])],
    valid=[lambda: _example("binary_crossentropy", 1, "sigmoid", _BINARY, run(0.69, 0.09, (0.63, 0.97))),
           lambda: _example("binary_crossentropy", 1, "softmax", _BINARY, _FLAT,
                            [trial("sigmoid", "output: activation='sigmoid'", "output", run(0.69, 0.68, (0.63, 0.64)))])],
)
def target_range_mismatch(graph: ModelGraph, opts: RuleOptions) -> Iterator[Violation]:
    """
    ## What it does
    Checks, on a sample of the training data (`inspect diagnose --data`), that each output can
    produce its targets. 0/1 targets need a sigmoid (not a one-unit softmax, which always outputs
    1, nor a linear output under a regression loss); multi-hot rows need sigmoids, not a softmax
    that shares one unit of probability among the labels; targets outside [0, 1] cannot come from
    a sigmoid or be read by a cross-entropy. It reports the mismatch only after training a copy
    with the fix on the same data and seed and measuring that it learns better.

    ## Why it matters
    A one-unit softmax is constant, so its gradient is zero and the model never learns; a
    cross-entropy on targets of 5 to 50 is unbounded below and training runs off to minus
    infinity. The file looks like a normal model: only the targets show the fault.

    ## Example
    ```python
    model.add(Dense(1, activation="softmax"))       # y is 0 or 1
    model.compile(loss="binary_crossentropy", optimizer="adam")
    ```

    ## How to fix
    For 0/1 targets: `Dense(1, activation="sigmoid")` with `binary_crossentropy` (or two softmax
    units with the sparse loss). For multi-hot targets: sigmoids with `binary_crossentropy`. For
    quantities: a linear output with `mse` or `mae`, or rescale targets into [0, 1] first.
    """
    m = measured(opts)
    if m is None or m.baseline is None:
        return
    found = helping(m, *FIXES)
    if found is None:
        return
    target = m.data.target(found.output or "")
    yield Violation(f"{_what(found.fix, target)}: {proof(m.baseline, found)}",
                    (found.output,) if found.output else ())


def _what(fix: str, target: TargetSummary | None) -> str:
    span = f"{target.minimum:g} to {target.maximum:g}" if target else "?"
    if fix == "sigmoid":
        return "0/1 targets on a one-unit softmax, which outputs 1 whatever its input"
    if fix == "binary-loss":
        return "0/1 targets read by a regression loss on an unbounded output"
    if fix == "multi-label":
        return "multi-hot targets (several labels per row) on a softmax, which spreads one unit of probability"
    kind = target.kind if target else "continuous"
    return f"{kind} targets from {span}, which a sigmoid or a cross-entropy cannot produce"
