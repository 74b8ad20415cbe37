"""L103 regression-loss-on-softmax: a classifier's softmax output trained with mse/mae."""

from __future__ import annotations

from collections.abc import Iterator

from inspector.engine import RuleOptions, Violation, rule
from inspector.graph import ModelGraph
from inspector.rules import _examples as ex
from inspector.rules._outputs import model_outputs, model_training
from inspector.rules._util import final_head

_REGRESSION_LOSSES = frozenset({
    "mse", "meansquarederror", "mae", "meanabsoluteerror", "mape", "meanabsolutepercentageerror",
    "msle", "meansquaredlogarithmicerror", "huber", "huberloss", "logcosh", "logcoshloss",
})


def regression_loss(name: str | None) -> bool:
    return bool(name) and name.lower().replace("_", "") in _REGRESSION_LOSSES


def _classifier(activation, loss, units=10, extra=()):
    m = ex.Functional("classifier")
    x = m.input("pixels", (None, 64))
    h = m.add(ex.layer("Dense", "hidden", units=32, activation="relu"), x)
    y = m.add(ex.layer("Dense", "digit", units=units, activation=activation), h)
    for cls, config in extra:
        y = m.add(ex.layer(cls, f"digit_{cls.lower()}", **config), y)
    return m.build([x], [y], loss=loss)


@rule(
    "L103",
    "regression-loss-on-softmax",
    "warning",
    frameworks=("keras",),
    invalid=[
        _classifier("softmax", "mse"),
        _classifier("softmax", "mean_absolute_error"),
        _classifier("linear", ex.loss("MeanSquaredError"), extra=[("Softmax", {})]),
        _classifier("linear", "mse", extra=[("Activation", {"activation": "softmax"}),
                                            ("Dropout", {"rate": 0.2})]),
    ],
    valid=[
        _classifier("softmax", "categorical_crossentropy"),
        _classifier("sigmoid", "mse"),  # e.g. an autoencoder's [0, 1] pixels: a regression
        _classifier("linear", "mse"),
        _classifier("softmax", "mse", extra=[("BatchNormalization", {})]),
        _classifier("softmax", None),
    ],
)
def regression_loss_on_softmax(graph: ModelGraph, opts: RuleOptions) -> Iterator[Violation]:
    """
    ## What it does
    Reports an output whose last activation is a softmax trained with a regression loss (mean
    squared, absolute, percentage or logarithmic error, Huber or log-cosh).

    ## Details
    A softmax is a probability distribution over classes. A sigmoid output with `mse` is left alone:
    it is also how an autoencoder regresses pixels in [0, 1].

    ## Why it matters
    The model is a classifier trained as a regressor. The squared error between a softmax and a
    one-hot label has a gradient that vanishes when the softmax is confidently wrong (it is
    multiplied by the softmax's own derivative, which is near zero there), so the worst
    mistakes are corrected the slowest; cross-entropy's gradient is the plain error `p - y`.
    Under plain SGD it barely trains (measured below); adaptive optimizers such as Adam hide
    most of the difference, which is why it is a warning and not an error.

    ## Example
    ```python
    outputs = layers.Dense(10, activation="softmax")(x)
    model.compile(loss="mse", metrics=["accuracy"])
    ```

    ## How to fix
    Use `categorical_crossentropy` (one-hot labels) or `sparse_categorical_crossentropy`
    (integer labels). If the output really is a regression of proportions that sum to one, keep
    the softmax and say so by ignoring this rule for the file.
    """
    training = model_training(graph, opts)
    if training is None:
        return
    for tensor, name in model_outputs(graph, opts):
        head = final_head(graph, tensor, name)
        if head is None or head.activation != "softmax" or head.units == 1:
            continue
        loss = training.loss.get(head.output)
        if regression_loss(loss):
            where = tuple(dict.fromkeys((graph.producer_layer(tensor), head.by, head.layer)))
            yield Violation(f"output {head.output!r} is a softmax over {head.units} classes trained "
                            f"with the regression loss {loss}; use categorical cross-entropy",
                            where)
