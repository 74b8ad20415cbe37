"""What the probe measured, as frozen data: the one thing the data rules (D) read besides the graph.

TensorFlow-free and numpy-free, so that rules import it without running anything and tests can
write synthetic measurements by hand. The probe (`inspector.probe.run`) fills it; the rules judge it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

# Target kinds, from the values alone (describe.py decides them).
BINARY = "binary"  # one column of 0/1
LABELS = "labels"  # one column of small non-negative integers, more than two of them
ONE_HOT = "one-hot"  # rows of 0/1 with exactly one 1
MULTI_HOT = "multi-hot"  # rows of 0/1, some with several 1s
PROBABILITIES = "probabilities"  # values in [0, 1], not all 0/1
CONTINUOUS = "continuous"  # anything else


@dataclass(frozen=True)
class InputSummary:
    """One input array: overall range and moments, per-column facts (last axis as columns)."""

    name: str
    shape: tuple[int, ...]  # per sample, without the batch axis
    dtype: str
    minimum: float
    maximum: float
    mean: float
    std: float
    nan: int = 0
    inf: int = 0
    integer: bool = False  # every finite value is a whole number
    columns: int = 1  # size of the last axis
    constant_columns: tuple[int, ...] = ()  # last-axis positions holding one value in every row
    column_std_min: float = 0.0  # smallest and largest std of the non-constant columns
    column_std_max: float = 0.0

    @property
    def nonfinite(self) -> int:
        return self.nan + self.inf

    @property
    def largest(self) -> float:
        return max(abs(self.minimum), abs(self.maximum))


@dataclass(frozen=True)
class TargetSummary:
    """One target array, read as a label would be: its kind, range and classes."""

    name: str
    shape: tuple[int, ...]
    kind: str
    minimum: float
    maximum: float
    classes: int | None = None  # distinct labels (labels/binary) or columns (one-hot/multi-hot)
    majority: float | None = None  # share of the most frequent class
    nan: int = 0
    inf: int = 0

    @property
    def nonfinite(self) -> int:
        return self.nan + self.inf


@dataclass(frozen=True)
class DataDescription:
    """The sample as the model will see it."""

    rows: int
    inputs: tuple[InputSummary, ...] = ()
    targets: tuple[TargetSummary, ...] = ()

    def input(self, name: str) -> InputSummary | None:
        return next((i for i in self.inputs if i.name == name), None)

    def target(self, name: str) -> TargetSummary | None:
        return next((t for t in self.targets if t.name == name), None)


@dataclass(frozen=True)
class Run:
    """A short training run: the loss (and accuracy, for class targets) before and after."""

    label: str  # "as saved", "learning_rate=0.001", ...
    steps: int
    loss_before: float
    loss_after: float
    accuracy_before: float | None = None
    accuracy_after: float | None = None
    diverged_at: int | None = None  # the step where the loss became NaN/inf
    complete: bool = True  # False when the budget cut it short
    error: str | None = None  # Keras refused to train (e.g. targets the loss cannot read)
    predicted_share: float | None = None  # share of the most frequent predicted class, after

    @property
    def finite(self) -> bool:
        return self.error is None and self.diverged_at is None and math.isfinite(self.loss_after)

    @property
    def progress(self) -> float:
        """The share of the starting loss training removed (negative when it grew)."""
        if not (math.isfinite(self.loss_before) and math.isfinite(self.loss_after)) or self.loss_before <= 0:
            return 0.0
        return 1.0 - self.loss_after / self.loss_before

    def figures(self) -> str:
        """`loss 0.693 -> 0.041 in 200 steps (accuracy 50% -> 98%)`."""
        if self.error is not None:
            return f"Keras refuses to train: {self.error}"
        if self.diverged_at is not None:
            return f"loss {_num(self.loss_before)} -> NaN at step {self.diverged_at}"
        text = f"loss {_num(self.loss_before)} -> {_num(self.loss_after)} in {self.steps} steps"
        if self.accuracy_before is not None and self.accuracy_after is not None:
            text += f" (accuracy {self.accuracy_before:.0%} -> {self.accuracy_after:.0%})"
        return text


@dataclass(frozen=True)
class Trial:
    """A counterfactual: one fix applied to a copy of the model (or the data), the same probe run."""

    fix: str  # a key the rules ask for: "sparse-loss", "learning-rate", "scale-inputs", ...
    change: str  # what was changed, as the user would write it: "loss='sparse_categorical_crossentropy'"
    place: str  # where: a layer name, or "loss", "optimizer", "learning_rate", "data"
    run: Run
    same_loss: bool = True  # False when the fix changed the loss itself (losses then differ in kind)
    output: str | None = None  # the model output the fix is about, when it is about one


@dataclass(frozen=True)
class LayerStats:
    """One layer after the probe's training: its units' health and its gradient."""

    layer: str
    activation: str = ""
    units: int = 0
    dead: float | None = None  # share of ReLU-like units never positive on the sample
    saturated: float | None = None  # share of sigmoid/tanh units pinned at their limits
    grad_norm: float | None = None  # norm of the loss gradient on its kernel, on one batch
    weight_norm: float | None = None


SATURATING = frozenset({"sigmoid", "tanh", "hard_sigmoid", "softsign"})
OUTSIZED = 3.0  # a starting kernel's std over this many times the largest a standard initializer draws


@dataclass(frozen=True)
class KernelScale:
    """A Dense or convolution kernel as training starts: its spread against the largest that a
    standard initializer draws for its shape."""

    layer: str
    activation: str
    std: float
    largest: float  # sqrt(2 / min(fan_in, fan_out)): He's, or its fan-out form

    @property
    def saturating(self) -> bool:
        return self.activation in SATURATING


@dataclass(frozen=True)
class Measurements:
    """Everything one probe measured on one model and one data sample (same seed throughout)."""

    data: DataDescription
    seed: int = 0
    baseline: Run | None = None  # the model as given (or as saved), trained briefly
    trials: tuple[Trial, ...] = ()
    layers: tuple[LayerStats, ...] = ()
    memorise: Run | None = None  # 32 examples, up to 900 steps (until memorised)
    memorise_trials: tuple[Trial, ...] = ()  # the same, with each structural fix
    first_nonfinite: str | None = None  # the first layer whose output is NaN/inf when the loss is
    learning_rate: float | None = None
    optimizer: str | None = None
    rejected: str | None = None  # why the model refused the data (Keras's reason), when it did
    layout: str | None = None  # the reshape/transpose that made the data fit, when one was needed
    notes: tuple[str, ...] = field(default=())
    outsized: tuple[KernelScale, ...] = ()  # starting kernels far larger than their fan-in allows

    def trial(self, fix: str) -> Trial | None:
        """The best run of a fix (several learning rates share `learning-rate`): lowest loss."""
        runs = [t for t in self.trials if t.fix == fix and t.run.complete]
        finite = [t for t in runs if t.run.finite]
        if finite:
            return min(finite, key=lambda t: (-(t.run.accuracy_after or 0), t.run.loss_after))
        return runs[0] if runs else None

    def trials_of(self, fix: str) -> tuple[Trial, ...]:
        return tuple(t for t in self.trials if t.fix == fix)


def helps(base: Run | None, fixed: Run | None) -> bool:
    """Whether a fix measurably helps: it trains where the original diverged (or ran a loss off
    below zero), or it ends with clearly better accuracy (10 points, or 5 points that halve the
    errors), or, without accuracy, at most half the loss and clearly more progress. Small
    differences are noise on a short run and say nothing."""
    if base is None or fixed is None or not fixed.complete or not fixed.finite:
        return False
    if base.error is not None:
        return fixed.progress > 0  # Keras refused the data as given: a fix it trains on is one
    if not base.finite or base.loss_after < 0 <= base.loss_before:
        return fixed.progress > 0.1  # diverged, or a loss running off below zero
    if base.accuracy_after is not None and fixed.accuracy_after is not None:
        gain = fixed.accuracy_after - base.accuracy_after
        halved = (1 - fixed.accuracy_after) <= 0.5 * (1 - base.accuracy_after)
        return gain >= 0.10 or (gain >= 0.05 and halved)
    return fixed.progress >= base.progress + 0.25 and (
        fixed.loss_after <= 0.5 * base.loss_after or base.loss_after <= 0)


def memorised(run: Run) -> bool:
    """Whether a run learned its rows: 99% accuracy, or 90% of the starting loss gone."""
    if run.accuracy_after is not None and run.accuracy_after >= 0.99:
        return True
    return run.progress >= 0.9


def struggling(run: Run | None) -> bool:
    """The run as given made little progress, diverged or could not train at all: the runs
    where trying other settings, and showing per-layer measurements, can explain something."""
    if run is None:
        return False
    if not run.finite:
        return True
    if run.accuracy_after is not None and run.accuracy_after >= 0.95:
        return False
    return run.progress < 0.5


def listed(names: tuple[str, ...] | list[str], shown: int = 4) -> str:
    """`'a', 'b', 'c', 'd' and 2 more`: layer names in a message."""
    text = ", ".join(repr(n) for n in names[:shown])
    return text + (f" and {len(names) - shown} more" if len(names) > shown else "")


def _num(value: float) -> str:
    if not math.isfinite(value):
        return "NaN" if math.isnan(value) else "inf"
    return f"{value:.3g}" if abs(value) < 1e4 else f"{value:.3e}"
