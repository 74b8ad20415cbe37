"""W103 constraint-as-regularizer: a weight constraint passed where a regularizer belongs."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from inspector.engine import RuleOptions, Violation, rule
from inspector.graph import ModelGraph
from inspector.rules import _examples as ex
from inspector.rules._util import unwrapped

CONSTRAINTS = frozenset({"maxnorm", "minmaxnorm", "nonneg", "unitnorm", "radialconstraint"})
REGULARIZERS = frozenset({"l1", "l2", "l1l2", "orthogonalregularizer"})


def _serialized(module: str, class_name: str, **config: Any) -> dict[str, Any]:
    return {"module": module, "class_name": class_name, "config": config, "registered_name": None}


def _mlp(**dense_config: Any):
    return ex.sequential(
        (None, 64),
        ex.layer("Dense", "hidden", units=32, activation="relu", **dense_config),
        ex.layer("Dense", "digit", units=10, activation="softmax"))


MAX_NORM = _serialized("keras.constraints", "MaxNorm", max_value=2.0, axis=0)
L2 = _serialized("keras.regularizers", "L2", l2=0.01)


@rule(
    "W103",
    "constraint-as-regularizer",
    "error",
    invalid=[_mlp(kernel_regularizer=MAX_NORM), _mlp(bias_regularizer="unit_norm"),
             _mlp(kernel_constraint=L2)],
    frameworks=("keras",),
    valid=[_mlp(kernel_constraint=MAX_NORM), _mlp(kernel_regularizer=L2), _mlp()],
)
def constraint_as_regularizer(graph: ModelGraph, opts: RuleOptions) -> Iterator[Violation]:
    """
    ## What it does
    Reports a weight constraint passed as a regularizer, and a regularizer passed as a constraint.

    ## Details
    A constraint (`MaxNorm`, `MinMaxNorm`, `NonNeg`, `UnitNorm`) given as a `kernel_regularizer`,
    `bias_regularizer`, `recurrent_regularizer`...; a regularizer (`L1`, `L2`, `L1L2`) given as a
    `*_constraint`.

    ## Why it matters
    A regularizer returns a penalty that Keras adds to the loss; a constraint returns the
    projected weights. Keras 3 accepts a `MaxNorm` as a regularizer and adds the *weights
    themselves*, clipped, to the loss, summed: instead of bounding the norm it pulls every
    weight down without limit, and the `max_norm` intended never applies. The file saves, but
    `keras.models.load_model` refuses it ("Could not interpret regularizer identifier"), so the
    trained model cannot be loaded again. A regularizer passed as a constraint replaces the
    weights by a scalar penalty after each step.

    ## Example
    ```python
    layers.Dense(256, activation="relu", kernel_regularizer=keras.constraints.MaxNorm(3))
    ```

    ## How to fix
    `kernel_constraint=keras.constraints.MaxNorm(3)`; `kernel_regularizer=` takes
    `keras.regularizers.L2(...)` and the like.
    """
    for layer in graph.layers:
        cls, config = unwrapped(layer)
        for key, value in config.items():
            kind = _kind(value)
            if key.endswith("_regularizer") and kind == "constraint":
                wanted = key.removesuffix("_regularizer") + "_constraint"
                yield Violation(f"{cls} {layer.name!r} has the constraint {_name(value)} as its "
                                f"{key}: Keras adds the clipped weights to the loss and cannot load "
                                f"the saved file again; pass it as {wanted}", (layer.name,),
                                pattern=f"layers have the constraint {_name(value)} as their {key} "
                                        f"(Keras cannot load the file again); pass it as {wanted}")
            elif key.endswith("_constraint") and kind == "regularizer":
                wanted = key.removesuffix("_constraint") + "_regularizer"
                yield Violation(f"{cls} {layer.name!r} has the regularizer {_name(value)} as its "
                                f"{key}: it replaces the weights by a penalty after each step; "
                                f"pass it as {wanted}", (layer.name,),
                                pattern=f"layers have the regularizer {_name(value)} as their {key}; "
                                        f"pass it as {wanted}")


def _name(value: Any) -> str:
    if isinstance(value, Mapping):
        return str(value.get("class_name", "?"))
    return repr(value)


def _kind(value: Any) -> str | None:
    """"constraint", "regularizer" or None for a serialized object or identifier string."""
    if isinstance(value, Mapping):
        module = str(value.get("module") or "")
        name = str(value.get("class_name") or "")
    elif isinstance(value, str):
        module, name = "", value
    else:
        return None
    key = name.rsplit(">", 1)[-1].lower().replace("_", "")
    if "constraints" in module or key in CONSTRAINTS:
        return "constraint"
    if "regularizers" in module or key in REGULARIZERS:
        return "regularizer"
    return None
