"""The probe: train in-memory copies of a model briefly on the user's data and measure.

This is the only code that runs a model for a diagnosis (TensorFlow is imported here, lazily). The
user's model is never changed: every run trains a copy rebuilt from its config with its weights,
after `keras.utils.set_random_seed(seed)`, on the same rows in the same order, so the run as given
and each counterfactual fix (another learning rate, the sparse loss, a sigmoid, scaled inputs...)
differ only by that fix. What it measured goes into a frozen `Measurements`; the rules judge it.

Bounded: rows are subsampled, steps capped, and the clock is read between runs and at every
training step; what does not fit in the budget is skipped and said in a note.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from inspector.errors import InspectorError, one_line
from inspector.graph import ModelGraph
from inspector.probe.data import Sample, output_shape
from inspector.probe.describe import describe
from inspector.probe.layout import find_fix, fits
from inspector.probe.measurements import (
    BINARY,
    CONTINUOUS,
    LABELS,
    MULTI_HOT,
    ONE_HOT,
    DataDescription,
    LayerStats,
    Measurements,
    Run,
    Trial,
    struggling,
)

STEPS = 200  # training steps of each run
BATCH = 32
TRAIN_ROWS = 1024  # rows a run trains on, at most
TRAIN_BYTES = 256 * 2**20  # and at most this many bytes of inputs
DESCRIBE_ROWS = 10_000
DESCRIBE_BYTES = 256 * 2**20  # float64 copies the description makes, at most
ACTIVATION_BYTES = 256 * 2**20  # every layer's output on the rows the layers are measured on
MEMORISE_ROWS = 32
MEMORISE_STEPS = 300
LEARNING_RATES = (1e-4, 1e-3, 1e-2, 1e-1)
SPARSE = "sparse_categorical_crossentropy"
CATEGORICAL = "categorical_crossentropy"
CLASS_LOSSES = {"categoricalcrossentropy", "sparsecategoricalcrossentropy", "binarycrossentropy", "cce",
                "scce", "bce", "categoricalfocalcrossentropy", "binaryfocalcrossentropy", "kldivergence",
                "kld", "hinge", "squaredhinge", "categoricalhinge"}
RELU_LIKE = {"relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "silu", "swish"}
SATURATING = {"sigmoid", "tanh", "hard_sigmoid", "softsign"}

Progress = Callable[[str], None]


@dataclass
class Clock:
    """The budget: seconds from the start of the probe."""

    budget: float
    start: float = 0.0

    def __post_init__(self) -> None:
        self.start = time.monotonic()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.start

    @property
    def left(self) -> float:
        return self.budget - self.elapsed


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


def probe(graph: ModelGraph, model: Any, sample: Sample, seed: int = 0, budget: float | Clock = 60.0,
          progress: Progress | None = None, steps: int = STEPS) -> Measurements:
    """Measure `model` (a live keras.Model, left as it is) on `sample` with `seed`, within `budget`
    seconds (or a Clock already running: loading the model and data counts too). Keras's own
    warnings about the faults being measured (a one-unit softmax...) are silenced: the findings
    say them, with figures."""
    clock = budget if isinstance(budget, Clock) else Clock(budget)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _probe(graph, model, sample, seed, clock, progress, steps)


def _probe(graph: ModelGraph, model: Any, sample: Sample, seed: int, clock: Clock,
           progress: Progress | None, steps: int) -> Measurements:
    budget = clock.budget
    say = _progress_after(clock, progress)
    row_values = sum(max(1, a[:1].size) for a in sample.arrays().values())
    description = describe(_rows(sample, max(2, min(DESCRIBE_ROWS, DESCRIBE_BYTES // (8 * row_values))), seed))
    if graph.training is None or not any(graph.training.loss.values()):
        raise InspectorError(graph.source.path, "the model stores no compile configuration (no loss), so it "
                                                "cannot be trained to diagnose it: compile it before saving")
    from inspector.tf_runtime import import_tensorflow_quietly

    import_tensorflow_quietly()
    trainer = _Trainer(graph, model, seed, clock, steps)
    notes: list[str] = list(trainer.notes)
    sample, layout, rejected = _fit_layout(graph, sample)
    if rejected is not None:
        return Measurements(description, seed, rejected=rejected, notes=tuple(notes))
    train = _rows(sample, _train_rows(sample), seed)
    say("training the model as given")
    baseline = trainer.run(Setting(), train, keep=True)
    if baseline.error is not None and _is_layout_error(baseline.error):
        return Measurements(description, seed, baseline=baseline, rejected=baseline.error, layout=layout,
                            notes=tuple(notes))
    trials: list[Trial] = []
    for trial_setting, fix, change, place, same_loss, output in _candidates(graph, description, baseline, trainer):
        if clock.left < trainer.run_seconds * 1.2:
            notes.append(f"skipped the trial {change} ({place}): it did not fit in the {budget:g} s budget")
            continue
        say(f"trying {change}")
        trials.append(Trial(fix, change, place, trainer.run(trial_setting, train), same_loss, output))
    layers: tuple[LayerStats, ...] = ()
    first_nonfinite = None
    if clock.left > trainer.run_seconds * 0.5:
        say("measuring layers")
        layers, first_nonfinite = trainer.layer_stats(train, baseline)
    else:
        notes.append("skipped the per-layer measurements: the budget was spent")
    memorise = None
    if clock.left > trainer.run_seconds * 1.5:
        say("fitting 32 examples")
        memorise = trainer.run(Setting(label="32 examples"), _rows(train, MEMORISE_ROWS, seed),
                               steps=MEMORISE_STEPS, batch=MEMORISE_ROWS)
    else:
        notes.append("skipped fitting 32 examples: the budget was spent")
    notes += trainer.notes[len(notes):]
    return Measurements(description, seed, baseline, tuple(trials), layers, memorise, (), first_nonfinite,
                        trainer.learning_rate, trainer.optimizer_name, None, layout, tuple(dict.fromkeys(notes)))


def _progress_after(clock: Clock, progress: Progress | None, after: float = 3.0) -> Progress:
    """Report a step only once the probe has run for a few seconds: quick probes stay quiet."""
    def say(what: str) -> None:
        if progress is not None and clock.elapsed >= after:
            progress(f"{what} ({clock.elapsed:.0f} s of {clock.budget:g} s)")
    return say


# -- the data ------------------------------------------------------------------------------------
def _rows(sample: Sample, count: int, seed: int) -> Sample:
    """At most `count` rows, picked with `seed` (all of them, in order, when there are fewer)."""
    import numpy as np

    if sample.rows <= count:
        return sample
    picked = np.sort(np.random.default_rng(seed).choice(sample.rows, count, replace=False))
    return Sample({n: a[picked] for n, a in sample.inputs.items()}, {n: a[picked] for n, a in sample.targets.items()},
                  sample.source)


def _train_rows(sample: Sample) -> int:
    row_bytes = sum(a[:1].nbytes for a in sample.inputs.values()) or 1
    return max(BATCH, min(TRAIN_ROWS, TRAIN_BYTES // row_bytes))


def _fit_layout(graph: ModelGraph, sample: Sample) -> tuple[Sample, str | None, str | None]:
    """The sample with each input reshaped to what the model reads, the change made, or why not."""
    inputs = dict(sample.inputs)
    changes = []
    for name, tensor in zip(graph.input_names, graph.inputs):
        shape = graph.tensor(tensor).shape
        if shape is None:
            continue
        want = tuple(shape[1:])
        have = tuple(inputs[name].shape[1:])
        if fits(have, want):
            continue
        fix = find_fix(name, have, want)
        if fix is None:
            return sample, None, (f"input {name!r}: the data is {have} per example, the model reads "
                                  f"{tuple(want)}, and no reshape or transpose turns one into the other")
        inputs[name] = fix.apply(inputs[name])
        changes.append(f"input {name!r}: {fix.why}; {fix.change}")
    if not changes:
        return sample, None, None
    return Sample(inputs, sample.targets, sample.source), "; ".join(changes), None


def _is_layout_error(reason: str) -> bool:
    return "incompatible with the layer" in reason or "expected shape" in reason.lower()


# -- which fixes to try ---------------------------------------------------------------------------
def _candidates(graph: ModelGraph, data: DataDescription, baseline: Run, trainer: _Trainer):
    """(setting, fix key, change as written, place, same loss) for each fix the data calls for."""
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
            yield (Setting("linear + mse", activations={layer: "linear"}, losses={name: "mse"},
                           targets=_standardised_targets(name)), "regression-loss",
                   f"{layer}: activation='linear' with loss='mse' (targets standardised)", "loss", False, name)
    for summary in data.inputs:
        if summary.nonfinite:
            yield (Setting("finite inputs", inputs=_finite_inputs), "clean-data",
                   "NaN and inf in the inputs replaced by column means", "data", True, summary.name)
            break
    if any(t.nonfinite for t in data.targets):
        yield (Setting("finite targets", targets=_finite_targets), "clean-data",
               "rows with NaN or inf targets dropped", "data", True, None)
    scaled = _scaling(data)
    if scaled is not None:
        how, transform = scaled
        yield Setting(how, inputs=transform), "scale-inputs", how, "data", True, None
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


def _finite_targets(targets: dict) -> dict:
    return targets  # rows are dropped in _Trainer._arrays, where inputs and targets are both known


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


# -- training copies of the model -----------------------------------------------------------------
class _Trainer:
    """Builds a fresh copy of the model for each run and trains it with the same seed and rows."""

    def __init__(self, graph: ModelGraph, model: Any, seed: int, clock: Clock, steps: int):
        import keras

        self.graph, self.model, self.seed, self.clock, self.steps = graph, model, seed, clock, steps
        self.notes: list[str] = []
        self.weights = {layer.name: layer.get_weights() for layer in model.layers}
        self.optimizer_name, self.optimizer_config = self._optimizer_config()
        self.learning_rate = _rate(self.optimizer_config)
        self.run_seconds = 0.0  # the longest run so far: what the next one may need
        self._keras = keras

    # -- the model's head and compile settings ---------------------------------------------------
    def head(self, output: str) -> tuple[str | None, str | None]:
        """The layer to change for the output's activation, and that activation."""
        try:
            layer = self.model.get_layer(output)
        except ValueError:
            return None, None
        seen = 0
        while seen < 10:
            config = layer.get_config()
            if "activation" in config:
                return layer.name, _activation_name(config["activation"])
            inbound = getattr(layer, "_inbound_nodes", [])
            if not inbound or len(inbound[0].parent_nodes) != 1:
                return None, None
            layer = inbound[0].parent_nodes[0].operation
            seen += 1
        return None, None

    def _optimizer_config(self) -> tuple[str, dict]:
        training = self.graph.training
        name = (training.optimizer if training else None) or "rmsprop"
        config = dict(training.optimizer_config) if training else {}
        if "lr" in config and "learning_rate" not in config:
            config["learning_rate"] = config.pop("lr")
        return str(name).rsplit(".", 1)[-1].lower(), config

    def _optimizer(self, setting: Setting):
        keras = self._keras
        if setting.optimizer is not None:
            return keras.optimizers.get(setting.optimizer)
        config = dict(self.optimizer_config)
        if setting.learning_rate is not None:
            config["learning_rate"] = setting.learning_rate
        try:
            return keras.optimizers.deserialize({"class_name": self.optimizer_name, "config": config})
        except Exception:  # noqa: BLE001 - Keras 2 options Keras 3 lacks (decay...): keep the essentials
            kept = {k: v for k, v in config.items() if k in ("learning_rate", "momentum", "nesterov", "rho",
                                                              "beta_1", "beta_2", "epsilon", "clipnorm")}
            try:
                return keras.optimizers.deserialize({"class_name": self.optimizer_name, "config": kept})
            except Exception:  # noqa: BLE001
                self.notes.append(f"optimizer {self.optimizer_name!r} could not be rebuilt; the probe used Adam")
                return keras.optimizers.Adam(learning_rate=setting.learning_rate or 1e-3)

    def _losses(self, setting: Setting) -> list:
        from inspector.measure import keras_loss

        losses = []
        training = self.graph.training
        assert training is not None
        for name in self.graph.output_names:
            chosen = (setting.losses or {}).get(name)
            if chosen is not None:
                losses.append(self._keras.losses.get(chosen))
            elif training.loss.get(name):
                losses.append(keras_loss(self.graph, name, training.loss[name]))
            else:
                losses.append(None)
        return losses

    # -- copies ----------------------------------------------------------------------------------
    def copy(self, setting: Setting):
        """A new model from the original's config with the setting's changes, and its weights
        wherever the shapes still match."""
        keras = self._keras
        keras.utils.set_random_seed(self.seed)
        config = self.model.get_config()
        changes: dict[str, dict] = {}
        for layer, activation in (setting.activations or {}).items():
            changes.setdefault(layer, {})["activation"] = activation
        for layer, units in (setting.units or {}).items():
            changes.setdefault(layer, {})["units"] = units
        for entry in config.get("layers", []) if isinstance(config, dict) else []:
            inner = entry.get("config", {})
            if inner.get("name") in changes:
                inner.update(changes[inner["name"]])
        try:
            copy = type(self.model).from_config(config)
        except Exception:
            if changes:
                raise
            copy = keras.models.clone_model(self.model)
        for layer in copy.layers:
            saved = self.weights.get(layer.name)
            if saved is None:
                continue
            current = layer.get_weights()
            if len(saved) == len(current) and all(a.shape == b.shape for a, b in zip(saved, current)):
                layer.set_weights(saved)
        return copy

    # -- runs ------------------------------------------------------------------------------------
    def _arrays(self, setting: Setting, sample: Sample) -> tuple[list, list]:
        import numpy as np

        inputs = dict(sample.inputs)
        targets = dict(sample.targets)
        if setting.inputs is not None:
            inputs = setting.inputs(inputs)
        if setting.targets is not None:
            targets = setting.targets(targets)
            keep = np.ones(sample.rows, dtype=bool)
            for array in targets.values():
                keep &= np.isfinite(array.reshape(len(array), -1)).all(axis=1)
            inputs = {n: a[keep] for n, a in inputs.items()}
            targets = {n: a[keep] for n, a in targets.items()}
        xs = [np.asarray(inputs[n]) for n in self.graph.input_names]
        xs = [x.astype("float32") if x.dtype.kind == "f" and x.dtype != np.float32 else x for x in xs]
        ys = [np.asarray(targets[n]) for n in self.graph.output_names if n in targets]
        return xs, ys

    def run(self, setting: Setting, sample: Sample, steps: int | None = None, batch: int = BATCH,
            keep: bool = False) -> Run:
        """Train a copy for `steps` steps; the loss and accuracy on the training rows before and after.
        `keep`: keep the trained copy for the per-layer measurements."""
        steps = steps or self.steps
        started = time.monotonic()
        try:
            result = self._run(setting, sample, steps, batch, keep)
        finally:
            self.run_seconds = max(self.run_seconds, time.monotonic() - started)
        return result

    def _run(self, setting: Setting, sample: Sample, steps: int, batch: int, keep: bool) -> Run:

        from inspector.measure import _data_errors

        xs, ys = self._arrays(setting, sample)
        try:
            copy = self.copy(setting)
            losses = self._losses(setting)
            copy.compile(optimizer=self._optimizer(setting), loss=losses,
                         loss_weights=self._loss_weights(), jit_compile=False)
        except Exception as exc:  # noqa: BLE001 - a change Keras will not build: not a fix to try
            return Run(setting.label, 0, math.nan, math.nan, error=f"the change cannot be built: {one_line(exc)}")
        x = xs if len(xs) > 1 else xs[0]
        if keep:
            self.kept = copy
        try:
            before, acc_before, _ = self._evaluate(copy, x, ys, losses)
        except _Refused as refused:
            return Run(setting.label, 0, math.nan, math.nan, error=str(refused))
        guard = _guard(steps, self.clock)
        try:
            copy.fit(self._batches(xs, ys, batch), steps_per_epoch=steps, epochs=1, shuffle=False, verbose=0,
                     callbacks=[guard])
        except _data_errors() as exc:
            return Run(setting.label, 0, before, math.nan, acc_before, error=_reason(exc))
        if guard.diverged_at is not None:
            return Run(setting.label, guard.steps, before, math.nan, acc_before, None, guard.diverged_at,
                       guard.steps >= steps or guard.diverged_at is not None)
        try:
            after, acc_after, share = self._evaluate(copy, x, ys, losses)
        except _Refused as refused:
            return Run(setting.label, guard.steps, before, math.nan, acc_before, error=str(refused))
        diverged = None if math.isfinite(after) else guard.steps
        return Run(setting.label, guard.steps, before, after, acc_before, acc_after, diverged,
                   guard.steps >= steps, predicted_share=share)

    def _batches(self, xs: list, ys: list, batch: int):
        """The rows shuffled with the seed, repeated, in batches: one epoch of `steps` steps (no
        per-epoch overhead), the same order for every run."""
        import tensorflow as tf

        x = tuple(xs) if len(xs) > 1 else xs[0]
        y = tuple(ys) if len(ys) > 1 else ys[0]
        rows = len(xs[0])
        data = tf.data.Dataset.from_tensor_slices((x, y))
        return data.shuffle(rows, seed=self.seed, reshuffle_each_iteration=True).repeat().batch(batch)

    def _loss_weights(self):
        training = self.graph.training
        if training is None or not training.loss_weights:
            return None
        return [float(training.loss_weights.get(n, 1.0)) for n in self.graph.output_names]

    def _evaluate(self, model, x, ys: list, losses: list) -> tuple[float, float | None, float | None]:
        """The weighted loss on the rows, and for the first class target the accuracy and the
        share of the most frequent predicted class (one predict: no second traced function)."""
        import numpy as np

        from inspector.measure import _data_errors

        try:
            predictions = model.predict(x, batch_size=256, verbose=0)
            if not isinstance(predictions, (list, tuple)):
                predictions = [predictions]
            weights = self._loss_weights() or [1.0] * len(predictions)
            loss = sum(w * float(np.mean(np.asarray(fn(y, p))))
                       for fn, w, y, p in zip(losses, weights, ys, predictions) if fn is not None)
        except _data_errors() as exc:
            raise _Refused(_reason(exc)) from None
        for y, p in zip(ys, predictions):
            accuracy = _accuracy(np.asarray(y), np.asarray(p))
            if accuracy is not None:
                return float(loss), accuracy[0], accuracy[1]
        return float(loss), None, None

    # -- layers ------------------------------------------------------------------------------------
    def layer_stats(self, sample: Sample, baseline: Run) -> tuple[tuple[LayerStats, ...], str | None]:
        """Dead and saturated units and the kernel's gradient norm per layer, on the copy trained
        by the run as given (or a fresh copy when that run failed); the first layer whose output
        is NaN/inf."""
        import numpy as np

        keras = self._keras
        model = getattr(self, "kept", None) if baseline.error is None else None
        if model is None:
            try:
                model = self.copy(Setting())
            except Exception:  # noqa: BLE001
                return (), None
        watched = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
        try:
            per_row = sum(math.prod(d or 1 for d in layer.output.shape[1:]) for layer in watched)
        except (AttributeError, ValueError, TypeError):  # a layer without one symbolic output
            return (), None
        rows = max(1, min(256, ACTIVATION_BYTES // (4 * max(1, per_row))))
        xs, ys = self._arrays(Setting(), _head_rows(sample, rows))
        try:
            probe_model = keras.Model(model.inputs, [layer.output for layer in watched])
            outputs = probe_model.predict(xs if len(xs) > 1 else xs[0], batch_size=256, verbose=0)
        except Exception:  # noqa: BLE001 - a subclassed or nested model without symbolic outputs
            return (), None
        if not isinstance(outputs, (list, tuple)):
            outputs = [outputs]
        grads = self._gradient_norms(model, xs, ys)
        stats: list[LayerStats] = []
        first_nonfinite = None
        for layer, out in zip(watched, outputs):
            out = np.asarray(out)
            if first_nonfinite is None and out.dtype.kind == "f" and not np.isfinite(out).all():
                first_nonfinite = layer.name
            activation = _activation_name(layer.get_config().get("activation", ""))
            units = int(out.shape[-1]) if out.ndim >= 2 else 1
            dead = saturated = None
            if activation in RELU_LIKE and out.ndim >= 2:
                flat = out.reshape(-1, out.shape[-1])
                dead = float(np.mean(np.all(flat <= 0, axis=0)))
            elif activation in SATURATING and out.ndim >= 2:
                flat = out.reshape(-1, out.shape[-1])
                low, high = (0.01, 0.99) if activation in ("sigmoid", "hard_sigmoid") else (-0.99, 0.99)
                pinned = (flat <= low) | (flat >= high)
                saturated = float(np.mean(np.mean(pinned, axis=0) >= 0.95))
            weights = layer.get_weights()
            weight_norm = float(np.linalg.norm(weights[0])) if weights else None
            if dead is None and saturated is None and layer.name not in grads:
                continue
            stats.append(LayerStats(layer.name, activation, units, dead, saturated, grads.get(layer.name), weight_norm))
        return tuple(stats), first_nonfinite

    def _gradient_norms(self, model, xs: list, ys: list) -> dict[str, float]:
        import numpy as np
        import tensorflow as tf

        losses = self._losses(Setting())
        try:
            with tf.GradientTape() as tape:
                predictions = model(xs if len(xs) > 1 else xs[0], training=True)
                if not isinstance(predictions, (list, tuple)):
                    predictions = [predictions]
                total = tf.add_n([tf.reduce_mean(fn(tf.convert_to_tensor(y), p))
                                  for fn, y, p in zip(losses, ys, predictions) if fn is not None])
            kernels = [(layer.name, layer.weights[0]) for layer in model.layers
                       if layer.trainable_weights and len(layer.weights[0].shape) >= 2]
            gradients = tape.gradient(total, [w.value if hasattr(w, "value") else w for _, w in kernels])
        except Exception:  # noqa: BLE001 - a loss Keras cannot differentiate here: no gradient figures
            return {}
        return {name: float(np.linalg.norm(np.asarray(g))) for (name, _), g in zip(kernels, gradients)
                if g is not None}


class _Refused(Exception):
    pass


def _reason(exc: BaseException) -> str:
    """Keras's reason in one short line: without TensorFlow's `{{function_node ...}}` prefix, the
    dump of label values, or the op name."""
    import re

    from inspector.measure import _keras_reason

    text = re.sub(r"\{\{[^}]*\}\}\s*", "", _keras_reason(exc))
    text = re.split(r"\s+Label values:|\s+\[Op:", text)[0].strip()
    return text if len(text) <= 240 else text[:237] + "..."


def _guard(steps: int, clock: Clock):
    """A Keras callback: stop at `steps`, at the first NaN loss, or when the budget runs out."""
    import keras

    class Guard(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.steps, self.diverged_at = 0, None

        def on_train_batch_end(self, batch, logs=None):
            self.steps += 1
            loss = (logs or {}).get("loss")
            if loss is not None and not math.isfinite(float(loss)):
                self.diverged_at = self.steps
                self.model.stop_training = True
            if self.steps >= steps or clock.left <= 0:
                self.model.stop_training = True

    return Guard()


def _head_rows(sample: Sample, count: int) -> Sample:
    return Sample({n: a[:count] for n, a in sample.inputs.items()}, {n: a[:count] for n, a in sample.targets.items()},
                  sample.source)


def _accuracy(y: Any, p: Any) -> tuple[float, float] | None:
    """Accuracy and the share of the most frequent predicted class, for class targets."""
    import numpy as np

    if p.ndim < 2 or y.shape[0] != p.shape[0] or not np.isfinite(p).all():
        return None
    y = y.reshape(len(y), -1)
    if not np.all(np.isfinite(y)) or not np.all(y == np.round(y)) or y.min() < 0:
        return None
    if p.shape[-1] == 1 and y.shape[1] == 1:
        if not (y.max() <= 1):
            return None
        predicted = (p.reshape(-1) > 0.5).astype(int)
        truth = y.reshape(-1)
    elif y.shape[1] == 1 and p.shape[-1] > 1:
        predicted = p.reshape(len(p), -1).argmax(axis=1)
        truth = y.reshape(-1)
    elif y.shape[1] == p.reshape(len(p), -1).shape[1] and y.max() <= 1 and np.all(y.sum(axis=1) == 1):
        predicted = p.reshape(len(p), -1).argmax(axis=1)
        truth = y.argmax(axis=1)
    else:
        return None
    share = float(np.bincount(predicted).max() / len(predicted))
    return float(np.mean(predicted == truth)), share


def _activation_name(value: Any) -> str:
    if isinstance(value, Mapping):
        value = value.get("config", {}).get("name") or value.get("class_name", "")
    return str(value or "linear").rsplit(".", 1)[-1].lower()


def _rate(config: Mapping[str, Any]) -> float | None:
    value = config.get("learning_rate")
    if isinstance(value, Mapping):  # a schedule: its starting rate
        value = value.get("config", {}).get("initial_learning_rate")
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None

