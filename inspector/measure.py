"""Measure each output's weighted loss on a data sample: the facts `unbalanced-loss-weights` needs.

A file says which losses a model uses, never how large they are: an MSE's size is the squared
error in the target's own units. So, when the user hands us data, we run the model once (Keras and
TensorFlow imported here, lazily) and compute each output's loss as compile() stored it, times its
loss weight: what each head really contributes to the total loss training minimizes.

The model is loaded with `compile=False` (never `safe_mode=False`) and the training config is read
from the file by our own loaders, because Keras 3 cannot compile every legacy loss name. The data
is read with `allow_pickle=False`: an `.npz` holding object arrays is refused, not unpickled.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from inspector.errors import InspectorError, LoadError, one_line
from inspector.graph import ModelGraph
from inspector.tf_runtime import import_tensorflow_quietly

BATCH_SIZE = 256


def graph_and_model(target: Any, model: Any = None) -> tuple[ModelGraph, Any]:
    """The graph to lint and the live keras.Model to run on the data, running user code once.

    A builder reference is called once, here: its model gives both the graph (the same one
    `inspector.load` reads from it) and the run. A file is read by our loaders for the graph and by
    Keras for the run (after checking it has losses to measure, so that error comes fast). `model`,
    when given, is the live model behind `target` (e.g. `target` is its saved file or its graph).
    """
    from inspector import is_builder_reference, load

    if model is None and isinstance(target, str) and is_builder_reference(target):
        from inspector.loaders.python_builder import build_model, load_live

        model = build_model(target)
        graph = load_live(model)  # what load_builder reads from it, under the builder's name
        return replace(graph, source=replace(graph.source, path=target, format="python")), model
    graph = load(target)
    require_losses(graph)
    return graph, model if model is not None else _live_model(target)


def require_losses(graph: ModelGraph) -> None:
    if graph.training is None or not graph.training.loss:
        raise InspectorError(
            graph.source.path, "the model stores no compile configuration (no losses), so there is nothing to measure"
        )


def measure_loss_contributions(graph: ModelGraph, model: Any, data_path: str | Path) -> dict[str, float]:
    """{output name: loss weight x mean loss on the data} for each output that has a loss, running
    `model` (the live keras.Model `graph` was read from) on the `.npz` at `data_path`."""
    require_losses(graph)
    arrays = read_data(data_path, graph)
    import numpy as np

    inputs = [arrays[name] for name in graph.input_names]
    try:
        predictions = model.predict(inputs if len(inputs) > 1 else inputs[0], batch_size=BATCH_SIZE, verbose=0)
    except _data_errors() as exc:
        raise LoadError(data_path, f"the data does not fit the model: {_keras_reason(exc)}") from None
    if not isinstance(predictions, (list, tuple, Mapping)):
        predictions = [predictions]
    if isinstance(predictions, Mapping):
        predictions = [predictions[name] for name in graph.output_names]
    weights = graph.training.loss_weights or {}
    contributions: dict[str, float] = {}
    for name, predicted in zip(graph.output_names, predictions):
        loss_name = graph.training.loss.get(name)
        if loss_name is None:
            continue
        loss_fn = keras_loss(graph, name, loss_name)
        try:
            value = loss_fn(np.asarray(arrays[name]), np.asarray(predicted))
        except _data_errors() as exc:
            raise LoadError(data_path, f"the data does not fit the model: array {name!r}: "
                                       f"{_keras_reason(exc)}") from None
        value = float(np.mean(np.asarray(value)))
        contributions[name] = float(weights.get(name, 1.0)) * value
    return contributions


def _data_errors() -> tuple[type[BaseException], ...]:
    """What Keras and TensorFlow raise for arrays of the wrong shape or dtype."""
    errors: list[type[BaseException]] = [ValueError, TypeError]
    tf = sys.modules.get("tensorflow")
    if tf is not None and hasattr(tf, "errors"):
        errors.append(tf.errors.OpError)
    return tuple(errors)


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _keras_reason(exc: BaseException) -> str:
    """The line of a Keras error that says what is wrong: Keras 3 opens with `Exception
    encountered when calling Functional.call().` and colours the reason with terminal codes."""
    for line in _ANSI.sub("", str(exc)).splitlines():
        line = line.strip()
        if line and not line.startswith("Exception encountered"):
            return line
    return one_line(exc)


def read_data(data_path: str | Path, graph: ModelGraph) -> dict[str, Any]:
    """The sample's arrays by input and output name, read and checked as `inspect diagnose` reads
    them (no pickles; `(n,)` targets of an `(n, 1)` output get their column, as Keras does)."""
    from inspector.probe.data import load_sample

    return load_sample(str(data_path), graph).arrays()


def keras_loss(graph: ModelGraph, output: str, loss_name: str):
    """The Keras 3 loss callable for a stored loss: a function name (`mse`, `binary_crossentropy`,
    Keras 2's `mean_squared_error`) or a class name with its stored config (`from_logits`...)."""
    import keras

    config = dict(graph.training.loss_config.get(output, {})) if graph.training else {}
    config.pop("reduction", None)  # Keras 2's "auto" is not a Keras 3 reduction; we reduce ourselves
    config.pop("name", None)
    try:
        if config:
            return keras.losses.deserialize({"class_name": loss_name, "config": config})
        return keras.losses.get(loss_name)
    except (ValueError, TypeError) as exc:
        raise InspectorError(
            graph.source.path,
            f"output {output!r} uses loss {loss_name!r}, which Keras cannot build without its code: {exc}",
        ) from None


def _live_model(target: Any) -> Any:
    """The keras.Model to run for a file path, or `target` itself when it is a live model."""
    if isinstance(target, ModelGraph):
        raise InspectorError(target.source.path, "a ModelGraph cannot be run to measure losses: "
                                                 "pass the live keras.Model too (model=...)")
    if not isinstance(target, (str, Path)):
        return target  # a live keras.Model
    path = Path(target)
    if path.is_dir():
        raise LoadError(path, "Keras 3 cannot load a SavedModel directory to run it; measure a .keras or .h5 file")
    import_tensorflow_quietly()
    import keras

    try:
        return keras.models.load_model(path, compile=False)
    except Exception as exc:  # noqa: BLE001 - whatever Keras trips over, the user gets one line
        raise LoadError(path, f"Keras could not load the model to measure its losses: {one_line(exc)}") from None
