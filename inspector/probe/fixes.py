"""Which counterfactual fixes the probe tries, chosen from the data's description and the run as
given: the loss the labels need, the activation the targets need, one unit per class, scaled or
cleaned inputs, other learning rates, a standard optimizer. Each is a `Setting` the trainer
applies to a fresh copy of the model (or to the data), with the same seed and rows."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from inspector.graph import ModelGraph
from inspector.probe.data import output_shape
from inspector.probe.measurements import (
    BINARY,
    CONTINUOUS,
    LABELS,
    MULTI_HOT,
    ONE_HOT,
    DataDescription,
    Run,
    listed,
    struggling,
)

LEARNING_RATES = (1e-4, 1e-3, 1e-2, 1e-1)
SPARSE = "sparse_categorical_crossentropy"
CATEGORICAL = "categorical_crossentropy"
CLASS_LOSSES = {"categoricalcrossentropy", "sparsecategoricalcrossentropy", "binarycrossentropy", "cce",
                "scce", "bce", "categoricalfocalcrossentropy", "binaryfocalcrossentropy", "kldivergence",
                "kld", "hinge", "squaredhinge", "categoricalhinge"}

@dataclass(frozen=True)
class Setting:
    """What one run changes: per output loss and activation, the optimizer, the inputs."""

    label: str = "as given"
    losses: Mapping[str, str] | None = None  # output -> loss name
    activations: Mapping[str, str] | None = None  # layer -> activation
    units: Mapping[str, int] | None = None  # layer -> units
    learning_rate: float | None = None
    optimizer: str | None = None  # a standard optimizer by name, with its own default rate
    inputs: Callable[[dict], dict] | None = None  # the inputs, transformed
    targets: Callable[[dict], dict] | None = None
    finite_rows: bool = False  # drop the rows whose targets hold NaN or inf
    trainable: tuple[str, ...] = ()  # layers made trainable
    initializers: Mapping[str, str] | None = None  # layer -> kernel initializer, drawn afresh
    unpenalised: tuple[str, ...] = ()  # layers without their weight and activity penalties

    @property
    def same_model(self) -> bool:
        """Whether the model and its compile settings are the ones given, but for the learning rate."""
        return not (self.losses or self.activations or self.units or self.optimizer or self.trainable
                    or self.unpenalised or self.initializers)


PENALTIES = ("kernel_regularizer", "bias_regularizer", "activity_regularizer", "recurrent_regularizer",
             "depthwise_regularizer", "pointwise_regularizer", "beta_regularizer", "gamma_regularizer")


def structural(graph: ModelGraph):
    """(setting, fix key, change as written, the layers) for each structural fix tried when 32
    examples cannot be learned: the frozen layers made trainable, the weight penalties removed."""
    layers = [layer for layer in graph.layers if not layer.is_input]
    frozen = tuple(layer.name for layer in layers if not layer.trainable and (layer.params or 0) > 0)
    if frozen:
        yield (Setting("frozen layers trainable", trainable=frozen), "unfreeze",
               f"trainable=True on {listed(frozen)}", frozen)
    penalised = tuple(layer.name for layer in layers if any(layer.config.get(k) for k in PENALTIES))
    if penalised:
        yield (Setting("no penalties", unpenalised=penalised), "no-penalty",
               f"no regularizer on {listed(penalised)}", penalised)


def candidates(graph: ModelGraph, data: DataDescription, baseline: Run, trainer: Any):
    """(setting, fix key, change as written, place, same loss, output) for each fix the data calls
    for; `trainer` tells the output's head layer and activation, and the optimizer's settings."""
    training = graph.training
    assert training is not None
    for name in graph.output_names:
        loss = training.loss.get(name)
        target = data.target(name)
        if not loss or target is None:
            continue
        key = _key(loss)
        units = _units(graph, name)
        layer, activation = trainer.head(name)
        if key in ("categoricalcrossentropy", "cce") and target.kind in (LABELS, BINARY) and target.shape in ((), (1,)):
            yield (Setting(f"loss={SPARSE!r}", losses={name: SPARSE}), "sparse-loss",
                   f"loss='{SPARSE}'", "loss", True, name)
        if key in ("sparsecategoricalcrossentropy", "scce") and target.kind == ONE_HOT:
            yield (Setting(f"loss={CATEGORICAL!r}", losses={name: CATEGORICAL}), "categorical-loss",
                   f"loss='{CATEGORICAL}'", "loss", True, name)
        if target.kind in (LABELS, BINARY, ONE_HOT) and units is not None and target.classes is not None \
                and units > 1 and target.classes > units and layer is not None:
            yield (Setting(f"units={target.classes}", units={layer: target.classes}), "output-units",
                   f"{layer}: units={target.classes}", layer, True, name)
        if target.kind == BINARY and units == 1 and layer is not None:
            if activation == "softmax":
                yield (Setting("sigmoid", activations={layer: "sigmoid"}), "sigmoid",
                       f"{layer}: activation='sigmoid'", layer, True, name)
            elif key not in CLASS_LOSSES and not key.startswith("binary"):
                yield (Setting("sigmoid + binary_crossentropy", activations={layer: "sigmoid"},
                               losses={name: "binary_crossentropy"}), "binary-loss",
                       f"{layer}: activation='sigmoid' with loss='binary_crossentropy'", "loss", False, name)
        if target.kind == MULTI_HOT and activation == "softmax" and layer is not None:
            yield (Setting("sigmoid + binary_crossentropy", activations={layer: "sigmoid"},
                           losses={name: "binary_crossentropy"}), "multi-label",
                   f"{layer}: activation='sigmoid' with loss='binary_crossentropy'", layer, False, name)
        outside = target.kind in (CONTINUOUS, LABELS) and (target.minimum < 0 or target.maximum > 1)
        reads_probabilities = key.startswith("binary") or activation == "sigmoid" or (
            target.kind == CONTINUOUS and (key in CLASS_LOSSES or activation == "softmax"))
        if outside and reads_probabilities and layer is not None:
            scalar = target.shape in ((), (1,)) and units is not None and units > 1  # one unit per value
            change = f"{layer}: {'units=1, ' if scalar else ''}activation='linear' with loss='mse' (targets standardised)"
            yield (Setting("linear + mse", activations={layer: "linear"}, losses={name: "mse"},
                           units={layer: 1} if scalar else None, targets=_standardised_targets(name)),
                   "regression-loss", change, "loss", False, name)
    for summary in data.inputs:
        if summary.nonfinite:
            yield (Setting("finite inputs", inputs=_finite_inputs), "clean-data",
                   "NaN and inf in the inputs replaced by column means", "data", True, summary.name)
            break
    if any(t.nonfinite for t in data.targets):
        yield (Setting("finite targets", finite_rows=True), "clean-data",
               "rows with NaN or inf targets dropped", "data", True, None)
    scaled = _scaling(data)
    if scaled is not None:
        how, transform = scaled
        yield Setting(how, inputs=transform), "scale-inputs", how, "data", True, None
    if trainer.outsized and baseline.error is None:  # tried even on a run that learns: 28x He's
        # scale is no one's choice, and two tanh layers so drawn reach 55% where Glorot's reach 80%+
        chosen = {k.layer: "glorot_uniform" if k.saturating else "he_normal" for k in trainer.outsized}
        written = "; ".join(f"kernel_initializer={name!r} on {listed(tuple(n for n in chosen if chosen[n] == name))}"
                            for name in dict.fromkeys(chosen.values()))
        yield Setting("initializers", initializers=chosen), "initializer", written, "kernel_initializer", True, None
    if struggling(baseline) and baseline.error is None:
        rate = trainer.learning_rate
        for lr in LEARNING_RATES:
            if rate is None or abs(math.log10(lr / rate)) >= 0.99:
                yield Setting(f"learning_rate={lr:g}", learning_rate=lr), "learning-rate", \
                    f"learning_rate={lr:g}", "learning_rate", True, None
        if trainer.optimizer_name not in ("adam", "adamw", "nadam"):
            yield Setting("Adam", optimizer="adam"), "standard-optimizer", \
                "optimizer=keras.optimizers.Adam(learning_rate=1e-3)", "optimizer", True, None


def _scaling(data: DataDescription):
    """Divide raw 0-255 pixels by 255; standardise inputs in the thousands or on scales far apart."""
    for summary in data.inputs:
        if not math.isfinite(summary.maximum):
            continue
        pixels = summary.integer and summary.minimum >= 0 and 100 < summary.maximum <= 255
        if pixels:
            return "inputs / 255", lambda inputs: {n: a.astype("float32") / 255.0 for n, a in inputs.items()}
        spread = summary.column_std_max / summary.column_std_min if summary.column_std_min > 0 else 1.0
        if summary.largest >= 100 or (spread >= 100 and summary.largest > 10):
            return "inputs standardised ((x - mean) / std per column)", _standardise
    return None


def _standardise(inputs: dict) -> dict:
    import numpy as np

    out = {}
    for name, array in inputs.items():
        values = array.astype("float64")
        axes = tuple(range(values.ndim - 1)) or (0,)
        mean = values.mean(axis=axes, keepdims=True)
        std = values.std(axis=axes, keepdims=True)
        out[name] = ((values - mean) / np.where(std > 0, std, 1.0)).astype("float32")
    return out


def _finite_inputs(inputs: dict) -> dict:
    import numpy as np

    out = {}
    for name, array in inputs.items():
        values = array.astype("float64")
        bad = ~np.isfinite(values)
        if bad.any():
            masked = np.where(bad, np.nan, values)
            with np.errstate(invalid="ignore"):
                means = np.nan_to_num(np.nanmean(masked, axis=0))
            values = np.where(bad, np.broadcast_to(means, values.shape), values)
        out[name] = values.astype("float32")
    return out


def _standardised_targets(output: str):
    """Targets of `output` as (y - mean) / std: what a regression head trains on best."""
    def transform(targets: dict) -> dict:
        values = targets[output].astype("float64")
        std = values.std() or 1.0
        return {**targets, output: ((values - values.mean()) / std).astype("float32")}
    return transform


def _key(loss: str) -> str:
    """`categorical_crossentropy`, `CategoricalCrossentropy`, `keras.losses.X` -> one spelling."""
    return str(loss).lower().rsplit(".", 1)[-1].replace("_", "")


def _units(graph: ModelGraph, output: str) -> int | None:
    shape = output_shape(graph, output)
    return shape[-1] if shape else None


