"""N105 normalization-momentum: BatchNormalization momentum written in PyTorch's convention."""

from __future__ import annotations

from collections.abc import Iterator

from inspector.engine import RuleOptions, Violation, rule
from inspector.graph import ModelGraph
from inspector.rules import _examples as ex
from inspector.rules._util import BATCH_NORMALIZATION, unwrapped


def _mlp(momentum):
    config = {} if momentum is None else {"momentum": momentum}
    return ex.sequential(
        (None, 64),
        ex.layer("Dense", "hidden", units=32, use_bias=False),
        ex.layer("BatchNormalization", "bn", **config),
        ex.layer("Activation", "relu", activation="relu"),
        ex.layer("Dense", "digit", units=10, activation="softmax"))


@rule(
    "N105",
    "normalization-momentum",
    "warning",
    options={"min-momentum": 0.5},
    invalid=[_mlp(0.1), _mlp(0.01)],
    valid=[_mlp(0.99), _mlp(0.9), _mlp(None)],
    frameworks=("keras",),
)
def normalization_momentum(graph: ModelGraph, opts: RuleOptions) -> Iterator[Violation]:
    """
    ## What it does
    Reports a BatchNormalization whose `momentum` is below `min-momentum` (default 0.5): almost
    always PyTorch's `momentum=0.1` copied into Keras, where the number means the opposite.

    ## Why it matters
    Keras updates the moving statistics as `moving = momentum * moving + (1 - momentum) *
    batch`; PyTorch as `moving = (1 - momentum) * moving + momentum * batch`. PyTorch's default
    0.1 is Keras' 0.9. Written into Keras, `momentum=0.1` makes the moving mean and variance 90%
    the last training batch's: at inference every prediction is normalized with the statistics
    of whatever batch came last, and accuracy drops and varies from one training to the next
    (the record below measures it). Keras' default is 0.99.

    ## Example
    ```python
    layers.BatchNormalization(momentum=0.1)      # PyTorch's default, Keras' 0.9
    ```

    ## How to fix
    `BatchNormalization(momentum=0.9)` (PyTorch's 0.1), or leave Keras' default 0.99.
    """
    for layer in graph.layers:
        cls, config = unwrapped(layer)
        momentum = config.get("momentum")
        if cls not in BATCH_NORMALIZATION or isinstance(momentum, bool) \
                or not isinstance(momentum, (int, float)) or momentum >= opts.min_momentum:
            continue
        yield Violation(f"BatchNormalization {layer.name!r} has momentum={momentum}: in Keras that "
                        f"keeps {momentum:.0%} of the moving statistics per step, so they are mostly "
                        f"the last batch's; PyTorch's {momentum} is Keras' {1 - momentum:g}",
                        (layer.name,),
                        pattern=f"BatchNormalization layers have momentum={momentum} (PyTorch's "
                                f"convention; Keras' equivalent is {1 - momentum:g})")
