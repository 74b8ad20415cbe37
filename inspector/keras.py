"""A Keras training callback: lint (and, with data, diagnose) before the first step, watch the
loss balance while training.

`LintCallback` lints the model at `on_train_begin` (so a day of GPU time is not spent on a model
with an unused input), and at each epoch end reads the per-output losses Keras already logs
(`<output>_loss`, unweighted) and multiplies them by the compiled loss weights: the contributions
the optimizer actually sees. It warns once when they drift further apart than the
`unbalanced-loss-weights` factor. Importing this module imports Keras; nothing else in the
package does at import time.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import keras

from inspector.errors import InspectorError

SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}
DEFAULT_FACTOR = 10.0


class LintFailure(InspectorError):
    """Raised by LintCallback when a finding reaches its `fail_on` severity."""


class LossBalanceWarning(UserWarning):
    """The per-output loss contributions are further apart than the configured factor."""


class LintFindingWarning(UserWarning):
    """A lint finding below the callback's `fail_on` severity."""


class LintCallback(keras.callbacks.Callback):
    """Lint at the start of training and watch per-output loss contributions each epoch.

    fail_on: "error", "warning" or "info" raises LintFailure when a finding is at least that
        severe; None only warns.
    log_dir: write findings (text) and contributions (scalars) as TensorBoard summaries there.
    data: an .npz path for the `unbalanced-loss-weights` measurement before training; with
        `diagnose=True`, the sample to diagnose on (an .npz, a `module:function`, (x, y), a dict,
        a tf.data.Dataset or a PyDataset).
    factor: the largest/smallest contribution ratio that triggers the warning (default: the
        rule's own default, 10).
    diagnose: before the first step, run `inspect diagnose`'s checks (the data rules, D) on
        copies of the model trained briefly on `data`, within `budget` seconds, with `seed`.
    """

    def __init__(
        self,
        fail_on: str | None = "error",
        log_dir: str | None = None,
        data: str | None = None,
        select: Sequence[str] | None = None,
        ignore: Sequence[str] | None = None,
        factor: float | None = None,
        diagnose: bool = False,
        seed: int = 0,
        budget: float = 60.0,
    ):
        super().__init__()
        if fail_on is not None and fail_on not in SEVERITY_RANK:
            raise ValueError(f"fail_on must be one of {sorted(SEVERITY_RANK)} or None, not {fail_on!r}")
        self.fail_on = fail_on
        self.log_dir = log_dir
        self.data = data
        self.select, self.ignore = select, ignore
        self.factor = factor
        if diagnose and data is None:
            raise ValueError("diagnose=True needs data: a sample to train copies of the model on")
        self.diagnose, self.seed, self.budget = diagnose, seed, budget
        self.findings: list = []
        self.contributions: list[dict[str, float]] = []  # one dict per epoch
        self.warned_epoch: int | None = None
        self._loss_weights: dict[str, float] = {}
        self._writer = None

    # -- Keras hooks -----------------------------------------------------------------------
    def on_train_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        from inspector import load
        from inspector.api import lint

        graph = load(self.model)
        training = graph.training
        outputs = graph.output_names
        weights = training.loss_weights if training is not None and training.loss_weights else {}
        self._loss_weights = {name: float(weights.get(name, 1.0)) for name in outputs}
        if self.factor is None:
            from inspector.engine import get_rule

            self.factor = float(get_rule("unbalanced-loss-weights").options.get("factor", DEFAULT_FACTOR))
        if self.diagnose:
            from inspector.diagnosis import diagnose_target
            from inspector.engine import select_rules

            self.findings = list(diagnose_target(graph, self.data, select_rules(self.select, self.ignore),
                                                 seed=self.seed, budget=self.budget, model=self.model).findings)
        else:
            self.findings = lint(graph, select=self.select, ignore=self.ignore, data=self.data, model=self.model)
        self._log_findings()
        failing = [f for f in self.findings if self._fails(f.severity)]
        if failing:
            raise LintFailure(
                graph.source.path,
                f"{len(failing)} lint finding(s) at or above {self.fail_on!r}: "
                + "; ".join(f"{f.code} {f.name}: {f.message}" for f in failing),
            )
        for finding in self.findings:
            warnings.warn(str(finding), LintFindingWarning, stacklevel=2)

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        contributions = loss_contributions(logs or {}, self._loss_weights)
        if len(contributions) < 2:
            return
        self.contributions.append(contributions)
        self._log_scalars(epoch, contributions)
        ratio = spread(contributions)
        if self.warned_epoch is None and ratio > self.factor:
            self.warned_epoch = epoch
            shown = ", ".join(f"{k} {v:.4g}" for k, v in sorted(contributions.items(), key=lambda kv: -kv[1]))
            warnings.warn(
                f"epoch {epoch + 1}: per-output loss contributions (loss × weight) are {ratio:.1f}× apart "
                f"(more than {self.factor:g}×): {shown}; training mostly serves the largest",
                LossBalanceWarning,
                stacklevel=2,
            )

    def on_train_end(self, logs: Mapping[str, Any] | None = None) -> None:
        if self._writer is not None:
            self._writer.flush()

    # -- helpers -----------------------------------------------------------------------------
    def _fails(self, severity: str) -> bool:
        return self.fail_on is not None and SEVERITY_RANK[severity] >= SEVERITY_RANK[self.fail_on]

    def _summary_writer(self):
        if self.log_dir is None:
            return None
        if self._writer is None:
            import tensorflow as tf

            self._writer = tf.summary.create_file_writer(str(self.log_dir))
        return self._writer

    def _log_findings(self) -> None:
        writer = self._summary_writer()
        if writer is None:
            return
        import tensorflow as tf

        text = "\n".join(f"- **{f.code} {f.name}** ({f.severity}) {', '.join(f.layers)}: {f.message}"
                         for f in self.findings) or "No findings."
        with writer.as_default():
            tf.summary.text("inspector/findings", text, step=0)
        writer.flush()

    def _log_scalars(self, epoch: int, contributions: Mapping[str, float]) -> None:
        writer = self._summary_writer()
        if writer is None:
            return
        import tensorflow as tf

        with writer.as_default():
            for name, value in contributions.items():
                tf.summary.scalar(f"inspector/loss_contribution/{name}", value, step=epoch)
            tf.summary.scalar("inspector/loss_contribution_spread", spread(contributions), step=epoch)
        writer.flush()


def loss_contributions(logs: Mapping[str, Any], loss_weights: Mapping[str, float]) -> dict[str, float]:
    """`<output>_loss` (which Keras logs unweighted) times that output's loss weight."""
    found = {}
    for name, weight in loss_weights.items():
        value = logs.get(f"{name}_loss")
        if value is not None and math.isfinite(float(value)):
            found[name] = float(value) * weight
    return found


def spread(contributions: Mapping[str, float]) -> float:
    """Largest over smallest contribution; infinite when the smallest is zero."""
    values = list(contributions.values())
    smallest = min(values)
    return math.inf if smallest <= 0 else max(values) / smallest
