"""L102 unbalanced-loss-weights: one head's loss drowns the others' in a multi-output model."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from inspector.engine import RuleOptions, Violation, rule
from inspector.graph import ModelGraph
from inspector.rules import _examples as ex
from inspector.rules._util import loss_kind, output_head

REGRESSION_LOSSES = {
    "mse": "squared", "meansquarederror": "squared", "meansquaredlogarithmicerror": "squared log",
    "msle": "squared log", "mae": "absolute", "meanabsoluteerror": "absolute",
    "mape": "percentage", "meanabsolutepercentageerror": "percentage", "huber": "absolute",
    "huberloss": "absolute", "logcosh": "absolute", "logcoshe": "absolute",
}
BOUNDED_ACTIVATIONS = frozenset({"sigmoid", "softmax", "tanh", "hard_sigmoid", "hard_tanh", "softsign"})


@dataclass(frozen=True)
class _Head:
    output: str
    loss: str
    weight: float
    chance: float | None  # the loss of an uninformed prediction, when the file fixes it
    why: str  # how that figure follows from the file
    unbounded: bool = False  # a regression loss whose size is in the target's own units


def _three_outputs(loss_weights=None):
    """The chapter's social-media model: age (mse), income (10 classes), gender (binary)."""
    m = ex.Functional("three_outputs")
    posts = m.input("posts", (None, 50), dtype="int32")
    x = m.add(ex.layer("Embedding", "embedding", input_dim=60, output_dim=16), posts)
    x = m.add(ex.layer("GlobalAveragePooling1D", "pool"), x)
    age = m.add(ex.layer("Dense", "age", units=1), x)
    income = m.add(ex.layer("Dense", "income", units=10, activation="softmax"), x)
    gender = m.add(ex.layer("Dense", "gender", units=1, activation="sigmoid"), x)
    losses = {"age": "mse", "income": "categorical_crossentropy", "gender": "binary_crossentropy"}
    return m.build([posts], [age, income, gender], loss=losses, loss_weights=loss_weights)


def _two_classifiers(weights):
    """A 1000-class and a binary head; the binary one weighted `weights["flag"]`."""
    m = ex.Functional("two_classifiers")
    x = m.input("features", (None, 32))
    h = m.add(ex.layer("Dense", "hidden", units=64, activation="relu"), x)
    label = m.add(ex.layer("Dense", "label", units=1000, activation="softmax"), h)
    flag = m.add(ex.layer("Dense", "flag", units=1, activation="sigmoid"), h)
    return m.build([x], [label, flag], loss=["sparse_categorical_crossentropy", "binary_crossentropy"],
                   loss_weights=weights)


def _two_regressions():
    m = ex.Functional("two_regressions")
    x = m.input("features", (None, 8))
    a = m.add(ex.layer("Dense", "height", units=1), x)
    b = m.add(ex.layer("Dense", "weight", units=1), x)
    return m.build([x], [a, b], loss="mse")


@rule(
    "L102",
    "unbalanced-loss-weights",
    "warning",
    options={"factor": 10.0},
    frameworks=("keras",),
    invalid=[lambda: _three_outputs(), lambda: _two_classifiers({"label": 1.0, "flag": 0.01})],
    valid=[lambda: _three_outputs({"age": 0.25, "income": 1.0, "gender": 10.0}),
           lambda: _two_classifiers(None), _two_regressions],
)
def unbalanced_loss_weights(graph: ModelGraph, opts: RuleOptions) -> Iterator[Violation]:
    """
    ## What it does
    Checks that the outputs of a multi-output model contribute losses of comparable size, so that
    training serves every head.

    ## Details
    With `--data FILE.npz` it runs the model and measures each output's loss times its loss weight;
    it reports when the largest is more than `factor` (default 10) times the smallest, and suggests
    weights that balance them. Without data it reasons from the file alone and says so: a
    cross-entropy starts at ln(classes), a binary cross-entropy at ln 2, while an MSE or MAE on an
    unbounded output has no fixed scale.

    ## Why it matters
    Training minimizes the weighted sum of the outputs' losses. If one term is a hundred times
    the others (an MSE on ages in years around 30, against a binary cross-entropy around 0.7),
    gradient descent spends nearly all its effort on that head and the others barely learn.

    ## Example
    ```python
    model.compile(optimizer="rmsprop",
                  loss={"age": "mse", "income": "categorical_crossentropy",
                        "gender": "binary_crossentropy"})          # no loss_weights
    ```

    ## How to fix
    Give `compile()` loss weights that bring the contributions to the same order of magnitude,
    e.g. `loss_weights={"age": 0.25, "income": 1.0, "gender": 10.0}`, or rescale the regression
    targets (standardize ages). Measure with `inspect lint model.keras --data sample.npz`, which
    prints the contributions and weights that balance them.
    """
    if graph.training is None:
        return
    factor = float(opts.factor)
    outputs = [o for o in graph.output_names if graph.training.loss.get(o)]
    weights = graph.training.loss_weights or {}
    outputs = [o for o in outputs if weights.get(o, 1.0) != 0]
    if len(outputs) < 2:
        return
    measured = opts.context.get("measured_losses") if opts.context else None
    if measured:
        yield from _measured(outputs, weights, measured, factor)
        return
    yield from _estimated(graph, outputs, weights, factor)


def _measured(outputs, weights: Mapping[str, float], measured: Mapping[str, float],
              factor: float) -> Iterator[Violation]:
    values = {o: float(measured[o]) for o in outputs if o in measured and float(measured[o]) > 0}
    if len(values) < 2:
        return
    high = max(values, key=values.__getitem__)
    low = min(values, key=values.__getitem__)
    ratio = values[high] / values[low]
    if ratio <= factor:
        return
    mean = sum(values.values()) / len(values)
    suggested = "{" + ", ".join(f"{o!r}: {_round(weights.get(o, 1.0) * mean / v):g}" for o, v in values.items()) + "}"
    shown = ", ".join(f"{o} {_fmt(v)}" for o, v in values.items())
    yield Violation(
        f"measured weighted loss contributions are {shown}: {high!r} contributes {ratio:.0f}x "
        f"{low!r} (more than the factor {factor:g}), so training serves mostly {high!r}; loss weights "
        f"that balance them (keeping the total): loss_weights={suggested}",
        tuple(values),
    )


def _estimated(graph: ModelGraph, outputs, weights: Mapping[str, float], factor: float) -> Iterator[Violation]:
    heads = [_head(graph, o, weights.get(o, 1.0)) for o in outputs]
    known = [h for h in heads if h.chance is not None]
    if len(known) >= 2:
        high = max(known, key=lambda h: h.chance * h.weight)  # type: ignore[operator]
        low = min(known, key=lambda h: h.chance * h.weight)  # type: ignore[operator]
        ratio = (high.chance * high.weight) / (low.chance * low.weight)  # type: ignore[operator]
        if ratio > factor:
            shown = "; ".join(f"{h.output!r} ({h.loss}) {h.why}, x weight {h.weight:g} = {_fmt(h.chance * h.weight)}"  # type: ignore[operator]
                              for h in known)
            yield Violation(
                f"estimate from the file (losses at chance level, before any learning): {shown}; "
                f"{high.output!r} starts {ratio:.0f}x above {low.output!r} (factor {factor:g}), so "
                f"{low.output!r} barely steers training; measure with --data to confirm",
                (high.output, low.output),
            )
            return
    equal_weights = len({weights.get(h.output, 1.0) for h in heads}) == 1
    unbounded = [h for h in heads if h.unbounded]
    if unbounded and known and equal_weights:
        scale = {"squared": "the squared error in target units", "absolute": "the absolute error in target units",
                 "squared log": "the squared log error of the targets", "percentage": "a percentage error"}
        regress = "; ".join(
            f"{h.loss} on {h.output!r} has no fixed scale: its loss is {scale[REGRESSION_LOSSES[_key(h.loss)]]}, "
            "easily 100x the others" for h in unbounded
        )
        others = ", ".join(f"{h.output!r} ({h.loss}) {h.why}" for h in known)
        yield Violation(
            f"estimate from the file: {regress}, while {others}; every loss weight is "
            f"{weights.get(heads[0].output, 1.0):g}, so nothing rescales it and training may serve "
            f"{unbounded[0].output!r} alone. Set loss_weights or standardize the targets; "
            "measure with --data to see the real contributions",
            tuple(h.output for h in unbounded + known),
        )


def _head(graph: ModelGraph, output: str, weight: float) -> _Head:
    loss = str(graph.training.loss[output])  # type: ignore[union-attr]
    tensor = graph.outputs[graph.output_names.index(output)]
    head = output_head(graph, tensor)
    shape = graph.tensor(tensor).shape
    units = (head.units if head else None) or (shape[-1] if shape else None)
    activation = head.activation if head else None
    kind = loss_kind(loss)
    from_logits = bool(graph.training.loss_config.get(output, {}).get("from_logits"))  # type: ignore[union-attr]
    if kind == "binary":
        return _Head(output, loss, weight, math.log(2), "is ln 2 = 0.69 at chance")
    if kind == "categorical" and isinstance(units, int) and units >= 2:
        return _Head(output, loss, weight, math.log(units),
                     f"is ln({units}) = {math.log(units):.2f} at chance ({units} classes)")
    if _key(loss) in REGRESSION_LOSSES:
        bounded = activation in BOUNDED_ACTIVATIONS and not from_logits
        return _Head(output, loss, weight, None, "", unbounded=not bounded and activation is not None)
    return _Head(output, loss, weight, None, "")


def _key(loss: str) -> str:
    return loss.lower().replace("_", "").rsplit(".", 1)[-1]


def _round(value: float) -> float:
    """Two significant digits: weights are a judgment, not a measurement to six places."""
    if value == 0:
        return 0.0
    digits = 1 - math.floor(math.log10(abs(value)))
    return round(value, digits)


def _fmt(value: float) -> str:
    return f"{value:.3g}" if value < 1000 else f"{value:,.0f}"
