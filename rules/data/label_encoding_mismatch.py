"""D101 label-encoding-mismatch: integer labels with categorical_crossentropy, or one-hot rows
with the sparse loss."""

from __future__ import annotations

from collections.abc import Iterator

from inspector.engine import RuleOptions, Violation, rule
from inspector.graph import ModelGraph
from inspector.probe.measurements import (
    LABELS,
    ONE_HOT,
    DataDescription,
    Measurements,
    Run,
    TargetSummary,
    Trial,
)
from inspector.rules import _examples as ex
from inspector.rules.data._probe import Diagnosed, helping, measured, proof

_LABELS = TargetSummary("digit", (), LABELS, 0.0, 9.0, classes=10, majority=0.11)
_ONE_HOT = TargetSummary("digit", (10,), ONE_HOT, 0.0, 1.0, classes=10, majority=0.11)
_REFUSED = Run("as given", 0, 2.30, float("nan"), 0.1,
               error="Arguments `target` and `output` must have the same shape")
_TRAINS = Run("as given", 200, 2.30, 0.12, 0.1, 0.97)
_SPARSE = Trial("sparse-loss", "loss='sparse_categorical_crossentropy'", "loss",
                Run("loss='sparse_categorical_crossentropy'", 200, 2.30, 0.12, 0.1, 0.97), True, "digit")


def _classifier(loss: str, target: TargetSummary, baseline: Run, trials=()) -> Diagnosed:
    config = _config(loss)
    data = DataDescription(500, targets=(target,))
    return Diagnosed(config, Measurements(data, baseline=baseline, trials=tuple(trials)))


def _config(loss: str) -> dict:
    m = ex.Functional("classifier")
    x = m.input("pixels", (None, 64))
    h = m.add(ex.layer("Dense", "hidden", units=32, activation="relu"), x)
    y = m.add(ex.layer("Dense", "digit", units=10, activation="softmax"), h)
    return m.build([x], [y], loss=loss)


@rule(
    "D101",
    "label-encoding-mismatch",
    "error",
    frameworks=("keras",),
    invalid=[lambda: _classifier("categorical_crossentropy", _LABELS, _REFUSED, [_SPARSE])],
    valid=[lambda: _classifier("sparse_categorical_crossentropy", _LABELS, _TRAINS),
           lambda: _classifier("categorical_crossentropy", _ONE_HOT, _TRAINS),
           # the fix was tried and did not help: nothing to say
           lambda: _classifier("categorical_crossentropy", _LABELS, _TRAINS, [_SPARSE])],
)
def label_encoding_mismatch(graph: ModelGraph, opts: RuleOptions) -> Iterator[Violation]:
    """
    ## What it does
    Checks, on a sample of the training data (`inspect diagnose --data`), that the targets are
    encoded the way the loss reads them: integer class labels need
    `sparse_categorical_crossentropy`, one-hot rows need `categorical_crossentropy`. It reports
    the mismatch only after training a copy of the model with the other loss, on the same data
    and seed, and measuring that it learns better; both figures are in the message.

    ## Why it matters
    `categorical_crossentropy` on integer labels either fails with a shape error or, with labels
    of shape `(n, 1)` broadcast against ten probabilities, optimizes a meaningless sum; the sparse
    loss on one-hot rows reads each row as a batch of labels. Either way the model does not learn
    the task, and nothing in the model file shows it: only the data does.

    ## Example
    ```python
    model.add(Dense(10, activation="softmax"))
    model.compile(loss="categorical_crossentropy", optimizer="adam")
    model.fit(x, y)          # y = [3, 0, 7, ...]: integer labels
    ```

    ## How to fix
    Use `loss="sparse_categorical_crossentropy"` for integer labels, or one-hot encode them
    (`keras.utils.to_categorical(y, 10)`); use `categorical_crossentropy` for one-hot rows.
    """
    m = measured(opts)
    if m is None or m.baseline is None:
        return
    trial = helping(m, "sparse-loss", "categorical-loss")
    if trial is None:
        return
    target = m.data.target(trial.output or "")
    if trial.fix == "sparse-loss":
        what = (f"integer class labels ({_labels(target)}) with loss 'categorical_crossentropy', "
                "which reads one-hot rows")
    else:
        what = (f"one-hot targets ({target.shape[-1] if target and target.shape else '?'} columns) with loss "
                "'sparse_categorical_crossentropy', which reads integer labels")
    yield Violation(f"{what}: {proof(m.baseline, trial)}", (trial.output,) if trial.output else ())


def _labels(target: TargetSummary | None) -> str:
    if target is None:
        return "integers"
    return f"{target.minimum:g} to {target.maximum:g}, {target.classes} classes"
