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


def proof(base: Run, trial: Trial) -> str:
    """`as given: loss 2.3 -> 2.3 in 200 steps; with loss='...': loss 2.3 -> 0.1 in 200 steps`."""
    return f"as given: {base.figures()}; with {trial.change}: {trial.run.figures()}"


@dataclass(frozen=True)
class Diagnosed:
    """A rule example: a model config (rules/_examples.py builders) and what the probe measured."""

    config: dict[str, Any]
    measurements: Measurements
