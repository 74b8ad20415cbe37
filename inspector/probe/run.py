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

import contextlib
import gc
import math
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from inspector.errors import InspectorError, one_line
from inspector.graph import ModelGraph
from inspector.probe.data import Sample
from inspector.probe.describe import describe
from inspector.probe.fixes import PENALTIES, Setting, candidates, structural
from inspector.probe.layout import find_fix, fits
from inspector.probe.measurements import (
    OUTSIZED,
    SATURATING,
    KernelScale,
    LayerStats,
    Measurements,
    Run,
    Trial,
    memorised,
)

STEPS = 200  # training steps of each run
BATCH = 32
TRAIN_ROWS = 1024  # rows a run trains on, at most
TRAIN_BYTES = 256 * 2**20  # and at most this many bytes of inputs
DESCRIBE_ROWS = 10_000
DESCRIBE_BYTES = 256 * 2**20  # float64 copies the description makes, at most
ACTIVATION_BYTES = 128 * 2**20  # every layer's output on the rows the layers are measured on (256 MiB
# took EfficientNetB0 to 1.96 GiB, against the 2 GiB bound)
EVAL_ROWS = 256  # rows the loss and accuracy are measured on, before and after each run
MEMORISE_ROWS = 32
MEMORISE_STEPS = 900  # at most: the run stops at the first check (every 300 steps) where it has
# memorised them. 300 steps are too few for a small conv net that can: the 8x8 digits CNN with 16
# filters is at 84% accuracy after 300 steps, 100% after 600, while a model that cannot (L2(1.0),
# every layer frozen) is as stuck after 1200 steps as after 300 (measured, seed 0).
MEMORISE_CHECK = 300
DYING = {"relu", "relu6"}  # zero output, zero gradient below 0: a unit can die. Not leaky_relu, elu,
# selu, gelu, silu or swish, whose negative side passes a gradient (EfficientNet's swish units are
# negative on most rows of a sample, and alive)

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

    @property
    def spare(self) -> float:
        """Seconds left for training: the budget less a reserve (12%, at least 5 s) for what
        follows the last step (evaluating the copy, the rules, the report, TensorFlow's exit:
        about 4 s after EfficientNetB0) and what came before the clock started (the interpreter),
        which the budget covers too."""
        return self.left - max(5.0, 0.12 * self.budget)


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
    if not baseline.complete and baseline.error is None and baseline.diverged_at is None:
        notes.append(f"the run as given stopped after {baseline.steps} of {steps} steps: the budget was spent")
    skipped = 0.0  # seconds the runs and measurements skipped for the budget would have taken
    trials: list[Trial] = []
    for trial_setting, fix, change, place, same_loss, output in candidates(graph, description, baseline, trainer):
        cost = trainer.expected(trial_setting)
        if clock.spare < cost * 1.2:
            notes.append(f"skipped the trial {change} ({place}): it did not fit in the {budget:g} s budget")
            skipped += cost
            continue
        say(f"trying {change}")
        trials.append(Trial(fix, change, place, trainer.run(trial_setting, train), same_loss, output))
    layers: tuple[LayerStats, ...] = ()
    first_nonfinite = None
    cost = trainer.overhead[True]  # a predict of every layer's output (a new model to trace) and one
    # gradient: half a fresh copy's overhead on the digits MLP, all of it on EfficientNetB0
    if clock.spare > cost:
        say("measuring layers")
        layers, first_nonfinite = trainer.layer_stats(train, baseline)
    else:
        notes.append("skipped the per-layer measurements: the budget was spent")
        skipped += cost
    memorise = None
    memorise_setting = Setting(label="32 examples")
    cost = trainer.expected(memorise_setting, MEMORISE_CHECK)
    if clock.spare > cost * 1.5:
        say("fitting 32 examples")
        memorise = trainer.run(memorise_setting, _rows(train, MEMORISE_ROWS, seed),
                               steps=MEMORISE_STEPS, batch=MEMORISE_ROWS, until=memorised, every=MEMORISE_CHECK)
    else:
        notes.append("skipped fitting 32 examples: the budget was spent")
        skipped += cost * 1.5
    memorise_trials: list[Trial] = []
    if memorise is not None and memorise.complete and memorise.finite and not memorised(memorise):
        for fix_setting, fix, change, names in structural(graph):
            cost = trainer.expected(fix_setting, MEMORISE_CHECK)
            if clock.spare < cost * 1.5:
                notes.append(f"skipped fitting 32 examples with {change}: it did not fit in the {budget:g} s budget")
                skipped += cost * 1.5
                continue
            say(f"fitting 32 examples with {change}")
            memorise_trials.append(Trial(fix, change, ", ".join(names), trainer.run(
                fix_setting, _rows(train, MEMORISE_ROWS, seed), steps=MEMORISE_STEPS, batch=MEMORISE_ROWS,
                until=memorised, every=MEMORISE_CHECK)))
    if skipped:
        needed = 10 * math.ceil((budget - clock.spare + skipped) / 10)
        notes.append(f"a complete diagnosis of this model needs a budget of about {needed:g} s (--budget {needed:g})")
    notes += trainer.notes[len(notes):]
    return Measurements(description, seed, baseline, tuple(trials), layers, memorise, tuple(memorise_trials),
                        first_nonfinite, trainer.learning_rate, trainer.optimizer_name, None, layout,
                        tuple(dict.fromkeys(notes)), trainer.outsized)


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
        self.step_seconds = 0.0  # a training step, once traced
        self.overhead = {True: 0.0, False: 0.0}  # a run's seconds besides its steps, on a fresh
        # copy (building it, tracing its training and predict functions) or on the reused one
        self._start = None  # the copy run as given, and its variables before training
        self._trained = None  # and after its training
        self._keras = keras
        self.outsized = self._outsized()

    # -- the model's head and compile settings ---------------------------------------------------
    def head(self, output: str) -> tuple[str | None, str | None]:
        """The layer to change for the output's activation, and that activation."""
        try:
            layer = self.model.get_layer(output)
        except (ValueError, AttributeError):  # a subclassed model names no output layers
            return None, None
        seen = 0
        while seen < 10:
            config = _config(layer)
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
        changes: dict[str, dict] = {}
        for layer, activation in (setting.activations or {}).items():
            changes.setdefault(layer, {})["activation"] = activation
        for layer, units in (setting.units or {}).items():
            changes.setdefault(layer, {})["units"] = units
        for layer in setting.trainable:
            changes.setdefault(layer, {})["trainable"] = True
        for layer, initializer in (setting.initializers or {}).items():
            changes.setdefault(layer, {})["kernel_initializer"] = initializer
        try:
            config = self.model.get_config()
            for entry in config.get("layers", []) if isinstance(config, dict) else []:
                inner = entry.get("config", {})
                if inner.get("name") in changes:
                    inner.update(changes[inner["name"]])
                if inner.get("name") in setting.unpenalised:
                    inner.update({key: None for key in PENALTIES if key in inner})
            copy = type(self.model).from_config(config)
        except Exception:  # a subclassed model (no config to rebuild from): clone it when nothing changes
            if changes or setting.unpenalised:
                raise
            copy = keras.models.clone_model(self.model)
        for layer in copy.layers:
            saved = self.weights.get(layer.name)
            if saved is None or layer.name in (setting.initializers or {}):
                continue
            current = layer.get_weights()
            if len(saved) == len(current) and all(a.shape == b.shape for a, b in zip(saved, current)):
                layer.set_weights(saved)
                _finalize(layer)
        return copy

    def _outsized(self) -> tuple[KernelScale, ...]:
        """The Dense and convolution layers whose starting kernel spreads over OUTSIZED times the
        most any standard initializer draws, sqrt(2 / min(fan_in, fan_out)) (He's, or its fan-out
        form that EfficientNet uses): a copied `RandomNormal(stddev=5)`. Depthwise and separable
        kernels are left out: their fans are not their kernel's shape."""
        import numpy as np

        from inspector.kinds import DENSE, SPATIAL_CONVOLUTION

        plain = DENSE | {k for k in SPATIAL_CONVOLUTION if "Depthwise" not in k and "Separable" not in k}
        found = []
        for layer in self.graph.layers:
            saved = self.weights.get(layer.name)
            if layer.class_name not in plain or not saved or saved[0].ndim < 2:
                continue
            kernel = saved[0]
            window = math.prod(kernel.shape[:-2])
            fan = max(1, window * min(kernel.shape[-2], kernel.shape[-1]))
            largest = math.sqrt(2.0 / fan)
            std = float(np.std(kernel))
            if std > OUTSIZED * largest:
                found.append(KernelScale(layer.name, _activation_name(layer.config.get("activation")), std, largest))
        return tuple(found)

    # -- reusing the copy run as given ------------------------------------------------------------
    def reusable(self, setting: Setting) -> bool:
        """Whether the setting trains the model as given (only the data or a constant learning
        rate changes): then the copy run as given is reset and trained again, without building
        and tracing another (DenseNet121: about 20 s a copy)."""
        if self._start is None or not setting.same_model:
            return False
        rate = getattr(self._start[0].optimizer, "_learning_rate", None)
        return setting.learning_rate is None or isinstance(rate, self._keras.Variable)

    def _reuse(self, setting: Setting):
        """The copy run as given, every variable (weights, optimizer, seeds) back to its value
        before that run, so that a run on it is the run a fresh copy would make."""
        if not self.reusable(setting):
            return None
        copy, state = self._start
        _restore(state)
        if setting.learning_rate is not None:
            copy.optimizer.learning_rate = setting.learning_rate
        return copy

    def expected(self, setting: Setting, steps: int | None = None) -> float:
        """Seconds a run of the setting should take, from the runs so far."""
        return self.overhead[not self.reusable(setting)] + (steps or self.steps) * self.step_seconds

    def _timed(self, guard: Any, fresh: bool) -> None:
        """Learn a step's time and a run's overhead from the run just made."""
        if guard.steps > 1:
            self.step_seconds = (guard.last_at - guard.first_at) / (guard.steps - 1)
        self._last = (fresh, guard.steps)

    # -- runs ------------------------------------------------------------------------------------
    def _arrays(self, setting: Setting, sample: Sample) -> tuple[list, list]:
        import numpy as np

        inputs = dict(sample.inputs)
        targets = dict(sample.targets)
        if setting.inputs is not None:
            inputs = setting.inputs(inputs)
        if setting.targets is not None:
            targets = setting.targets(targets)
        if setting.finite_rows:
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
            keep: bool = False, until: Callable[[Run], bool] | None = None, every: int = 0) -> Run:
        """Train a copy for `steps` steps; the loss and accuracy on the training rows before and after.
        `keep`: keep the trained state for the per-layer measurements; `until`: every `every` steps,
        measure and stop early (a complete run) once the run so far satisfies it."""
        steps = steps or self.steps
        started = time.monotonic()
        self._last = None
        try:
            result = self._run(setting, sample, steps, batch, keep, until, every)
        finally:
            if self._last is not None:
                fresh, done = self._last
                self.overhead[fresh] = max(0.0, time.monotonic() - started - done * self.step_seconds)
        if not keep and self._last is not None and self._last[0]:
            gc.collect()  # the fresh copy just trained and dropped (and its traced functions): a large
            # model's copies would otherwise pile up until the next collection. Not after the run
            # kept for reuse: a full collection then took 18 s on DenseNet121, freeing nothing needed
        return result

    def _run(self, setting: Setting, sample: Sample, steps: int, batch: int, keep: bool,
             until: Callable[[Run], bool] | None = None, every: int = 0) -> Run:

        from inspector.measure import _data_errors

        xs, ys = self._arrays(setting, sample)
        losses = self._losses(setting)
        copy = self._reuse(setting)
        fresh = copy is None
        if fresh:
            try:
                copy = self.copy(setting)
                keyed = self._keyed(copy)
                copy.compile(optimizer=self._optimizer(setting), loss=keyed(losses),
                             loss_weights=keyed(self._loss_weights()), jit_compile=False)
                # its slot variables now, not in the first trace of the training step: a variable
                # made while tracing makes TensorFlow trace the step again (DenseNet121: 17 s, then 8 s)
                copy.optimizer.build(copy.trainable_variables)
            except Exception as exc:  # noqa: BLE001 - a change Keras will not build: not a fix to try
                what = "the model cannot be copied to train it" if setting == Setting() else "the change cannot be built"
                return Run(setting.label, 0, math.nan, math.nan, error=f"{what}: {one_line(exc)}")
            if setting == Setting():
                self._start = (copy, _state(copy))
        keyed = self._keyed(copy)
        ex, ey = [a[:EVAL_ROWS] for a in xs], [a[:EVAL_ROWS] for a in ys]
        x = ex if len(ex) > 1 else ex[0]
        try:
            before, acc_before, _ = self._evaluate(copy, x, ey, losses)
        except _Refused as refused:
            return Run(setting.label, 0, math.nan, math.nan, error=str(refused))
        def reached(done: int) -> bool:
            try:
                after, acc_after, _ = self._evaluate(copy, x, ey, losses)
            except _Refused:
                return False
            return until is not None and until(Run(setting.label, done, before, after, acc_before, acc_after))

        guard = _guard(steps, self.clock, reached if until is not None and every else None, every)
        try:
            copy.fit(self._batches(xs, keyed(ys), batch), steps_per_epoch=steps, epochs=1, shuffle=False, verbose=0,
                     callbacks=[guard])
        except _data_errors() as exc:
            return Run(setting.label, 0, before, math.nan, acc_before, error=_reason(exc))
        finally:
            self._timed(guard, fresh)
        if keep:
            self._trained = _state(copy, optimizer=False)
        if guard.diverged_at is not None:
            return Run(setting.label, guard.steps, before, math.nan, acc_before, None, guard.diverged_at, True)
        try:
            after, acc_after, share = self._evaluate(copy, x, ey, losses)
        except _Refused as refused:
            return Run(setting.label, guard.steps, before, math.nan, acc_before, error=str(refused))
        diverged = None if math.isfinite(after) else guard.steps
        return Run(setting.label, guard.steps, before, after, acc_before, acc_after, diverged,
                   guard.steps >= steps or guard.reached, predicted_share=share)

    def _batches(self, xs: list, ys: list | dict, batch: int):
        """The rows shuffled with the seed, repeated, in batches: one epoch of `steps` steps (no
        per-epoch overhead), the same order for every run."""
        import tensorflow as tf

        x = tuple(xs) if len(xs) > 1 else xs[0]
        y = ys if isinstance(ys, dict) else tuple(ys) if len(ys) > 1 else ys[0]
        rows = len(xs[0])
        data = tf.data.Dataset.from_tensor_slices((x, y))
        return data.shuffle(rows, seed=self.seed, reshuffle_each_iteration=True).repeat().batch(batch)

    def _loss_weights(self):
        training = self.graph.training
        if training is None or not training.loss_weights:
            return None
        return [float(training.loss_weights.get(n, 1.0)) for n in self.graph.output_names]

    def _keyed(self, model) -> Callable:
        """For a model whose outputs are a dict, per-output lists (losses, weights, targets) as
        dicts keyed by output name: Keras pairs a list with dict outputs in its own key order."""
        outputs = getattr(model, "output", None)
        names = self.graph.output_names
        if not isinstance(outputs, Mapping) or set(outputs) != set(names):
            return lambda values: values
        return lambda values: None if values is None else dict(zip(names, values))

    def _in_order(self, predictions) -> list:
        """A model's predictions as a list in the graph's output order, whether it returns one
        array, a list, or a dict keyed by output name (every layout model.fit accepts)."""
        if isinstance(predictions, Mapping):
            names = self.graph.output_names
            if all(n in predictions for n in names):
                return [predictions[n] for n in names]
            return list(predictions.values())
        return list(predictions) if isinstance(predictions, (list, tuple)) else [predictions]

    def _evaluate(self, model, x, ys: list, losses: list) -> tuple[float, float | None, float | None]:
        """The weighted loss on the rows, and for the first class target the accuracy and the
        share of the most frequent predicted class (one predict: no second traced function)."""
        import numpy as np

        from inspector.measure import _data_errors

        try:
            predictions = self._in_order(model.predict(x, batch_size=256, verbose=0))
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
        by the run as given (as it started, when that run diverged; a fresh copy when it failed);
        the first layer whose output is NaN/inf."""
        import numpy as np

        keras = self._keras
        model = self._start[0] if self._start is not None and baseline.error is None else None
        if model is not None:  # later runs reused it: back to the state the run as given trained it
            # to, or where that run started when it diverged (NaN weights say nothing)
            state = self._start[1] if baseline.diverged_at is not None else self._trained
            if state is not None:
                _restore(state)
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
            activation = _activation_name(_config(layer).get("activation", ""))
            units = int(out.shape[-1]) if out.ndim >= 2 else 1
            dead = saturated = None
            if activation in DYING and out.ndim >= 2:
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
                predictions = self._in_order(model(xs if len(xs) > 1 else xs[0], training=True))
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
    text = re.split(r"\s+Label values:|\s+\[Op:", text)[0].strip().rstrip(".")
    return text if len(text) <= 240 else text[:237] + "..."


def _guard(steps: int, clock: Clock, reached: Callable[[int], bool] | None = None, every: int = 0):
    """A Keras callback: stop at `steps`, at the first NaN loss, when the budget runs out, or at a
    check (every `every` steps) where `reached` says the run has done what it is for."""
    import keras

    class Guard(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.steps, self.diverged_at, self.reached = 0, None, False
            self.first_at, self.last_at = None, None
            self.check_weights = 1  # every step, or every tenth for a model of over a million weights

        def on_train_begin(self, logs=None):
            if sum(math.prod(v.shape) for v in self.model.trainable_variables) > 1_000_000:
                self.check_weights = 10

        def on_train_batch_end(self, batch, logs=None):
            self.steps += 1
            self.last_at = time.monotonic()
            if self.first_at is None:
                self.first_at = self.last_at
            loss = (logs or {}).get("loss")
            # the logged loss can stay finite (a cross-entropy clips its probabilities) while the
            # weights are NaN: six ReLU layers initialized with stddev 1, under SGD(0.01)
            if (loss is not None and not math.isfinite(float(loss))) or (
                    self.steps % self.check_weights == 0 and not _finite_weights(self.model)):
                self.diverged_at = self.steps
                self.model.stop_training = True
            if self.steps >= steps or clock.spare <= 0:
                self.model.stop_training = True
            elif reached is not None and self.steps % every == 0 and reached(self.steps):
                self.reached = True
                self.model.stop_training = True

    return Guard()


def _state(model: Any, optimizer: bool = True) -> tuple[list, list]:
    """The model's variables (with its optimizer's and metrics' unless `optimizer` is False) and
    their values now."""
    variables = list(model.variables)
    if optimizer:
        variables += list(model.optimizer.variables) + list(model.metrics_variables)
    return variables, [v.numpy() for v in variables]


def _finite_weights(model: Any) -> bool:
    import numpy as np

    for variable in model.trainable_variables:
        value = np.asarray(variable.numpy())
        if value.dtype.kind == "f" and not np.isfinite(value).all():
            return False
    return True


def _restore(state: tuple[list, list]) -> None:
    for variable, value in zip(*state):
        variable.assign(value)


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


def _finalize(layer: Any) -> None:
    """An adapted preprocessing layer (Normalization, Discretization, lookups) computes what it
    applies from its adapted weights in `finalize_state`, which `set_weights` does not call: without
    it the copy's Normalization would pass raw inputs through unscaled."""
    finalize = getattr(layer, "finalize_state", None)
    if callable(finalize):
        with contextlib.suppress(Exception):  # a layer not adapted, or with no state to finalize
            finalize()


def _config(layer: Any) -> dict:
    """A layer's config, or {} for a custom layer that does not implement get_config."""
    try:
        config = layer.get_config()
    except Exception:  # noqa: BLE001 - NotImplementedError and whatever a custom layer raises
        return {}
    return config if isinstance(config, dict) else {}


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

