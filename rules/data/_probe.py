"""What the data rules share: reading the probe's measurements from the rule context, saying a
trial's figures, and the examples (a model config with synthetic measurements) they are tested on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from inspector.engine import RuleOptions
from inspector.probe.measurements import Measurements, Run, Trial, helps

CONTEXT_KEY = "diagnosis"


def measured(opts: RuleOptions) -> Measurements | None:
    """The probe's measurements, or None outside `inspect diagnose` (the rule then says nothing)."""
    value = opts.context.get(CONTEXT_KEY) if opts.context else None
    return value if isinstance(value, Measurements) else None


def helping(m: Measurements, *fixes: str) -> Trial | None:
    """The first of `fixes` whose trial measurably beats the run as given."""
    for fix in fixes:
        trial = m.trial(fix)
        if trial is not None and helps(m.baseline, trial.run):
            return trial
    return None


def optimization_fix(m: Measurements) -> Trial | None:
    """The one optimization fix to tell, of the learning rates tried and Adam: the best learning
    rate, unless Adam does clearly better (10 more points of accuracy, or half the loss)."""
    rates = [t for t in m.trials_of("learning-rate") if helps(m.baseline, t.run)]
    best = min(rates, key=lambda t: (-(t.run.accuracy_after or 0), t.run.loss_after)) if rates else None
    adam = helping(m, "standard-optimizer")
    if adam is None or best is None:
        return best or adam
    if adam.run.accuracy_after is not None and best.run.accuracy_after is not None:
        return adam if adam.run.accuracy_after >= best.run.accuracy_after + 0.10 else best
    return adam if adam.run.loss_after <= 0.5 * best.run.loss_after else best


def proof(base: Run, trial: Trial) -> str:
    """`as given: loss 2.3 -> 2.3 in 200 steps; with loss='...': loss 2.3 -> 0.1 in 200 steps`."""
    return f"as given: {base.figures()}; with {trial.change}: {trial.run.figures()}"


@dataclass(frozen=True)
class Diagnosed:
    """A rule example: a model config (rules/_examples.py builders) and what the probe measured."""

    config: dict[str, Any]
    measurements: Measurements


def head_model(loss: str, units: int = 10, activation: str = "softmax", features: int = 64,
               hidden: str = "relu", depth: int = 1) -> dict[str, Any]:
    """An example config: `features` inputs, `depth` hidden Dense layers, an output `units` wide."""
    from inspector.rules import _examples as ex

    m = ex.Functional("model")
    x = m.input("features", (None, features))
    h = x
    for i in range(depth):
        h = m.add(ex.layer("Dense", f"hidden_{i + 1}" if depth > 1 else "hidden", units=32, activation=hidden), h)
    y = m.add(ex.layer("Dense", "output", units=units, activation=activation), h)
    return m.build([x], [y], loss=loss)


def run(before: float, after: float, accuracy: tuple[float, float] | None = None, steps: int = 200,
        label: str = "as given", diverged_at: int | None = None, error: str | None = None) -> Run:
    """A synthetic run for the examples."""
    acc_before, acc_after = accuracy if accuracy else (None, None)
    return Run(label, steps, before, after, acc_before, acc_after, diverged_at, error=error)


def trial(fix: str, change: str, place: str, result: Run, output: str | None = "output",
          same_loss: bool = True) -> Trial:
    return Trial(fix, change, place, result, same_loss, output)
