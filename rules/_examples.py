"""Compact builders of Keras-3-style model configs, for the rules' valid and invalid examples.

They write what `model.get_config()` writes (the test suite loads a few of them in real Keras to
keep them honest), so a rule's examples read like the Keras code they stand for:

    m = Functional("classifier")
    x = m.input("pixels", (None, 64))
    h = m.add(layer("Dense", "hidden", units=32, activation="relu"), x)
    y = m.add(layer("Dense", "digit", units=10, activation="softmax"), h)
    config = m.build([x], [y], loss="sparse_categorical_crossentropy")
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# Marshalled Python bytecode, base64 as Keras 2 and 3 store a lambda, for the examples of the rules
# that find serialized lambdas (S101, S105): data here, never unmarshalled.
LAMBDA_BYTECODE = "4wEAAAAAAAAAAAAAAAIAAAATAAAB8wwAAACXAHwAZAF6BQAAUwApAk7nAAAAAAAAAECpACkB2gF0\n"

Shape = tuple[int | None, ...]

_SPATIAL = {"1D": 1, "2D": 2, "3D": 3}


@dataclass(frozen=True)
class Ref:
    """A symbolic tensor: output `tensor` of call `node` of layer `layer`."""

    layer: str
    node: int
    tensor: int
    shape: Shape
    dtype: str = "float32"

    def as_arg(self) -> dict[str, Any]:
        return {
            "class_name": "__keras_tensor__",
            "config": {"shape": list(self.shape), "dtype": self.dtype,
                       "keras_history": [self.layer, self.node, self.tensor]},
        }


def layer(class_name: str, name: str, module: str = "keras.layers", **config: Any) -> dict[str, Any]:
    """A layer entry as Keras 3 serializes it (inbound nodes are added when it is called)."""
    return {
        "module": module,
        "class_name": class_name,
        "config": {"name": name, "trainable": True, "dtype": "float32", **config},
        "registered_name": None if module.startswith("keras") else f"Custom>{class_name}",
        "name": name,
    }


def output_shape(entry: Mapping[str, Any], inputs: Sequence[Ref]) -> Shape:
    """A rough output shape: enough for the examples, not a shape inference engine."""
    cls, cfg = entry["class_name"], entry["config"]
    shape = inputs[0].shape if inputs else (None,)
    if cls in ("Functional", "Sequential"):
        return (None, None)
    if "units" in cfg and not cfg.get("return_sequences"):
        return shape[:1] + (cfg["units"],) if cls != "Dense" else shape[:-1] + (cfg["units"],)
    if "filters" in cfg:
        rank = _SPATIAL.get(cls[-2:], 2)
        return (shape[0],) + (None,) * rank + (cfg["filters"],)
    if cls == "Embedding":
        return shape + (cfg["output_dim"],)
    if cls == "Flatten" or cls.startswith("Global"):
        return (shape[0], None)
    if cls == "Concatenate":
        last = [r.shape[-1] for r in inputs]
        return shape[:-1] + ((None if None in last else sum(last)),)  # type: ignore[arg-type]
    return shape


class Functional:
    """Builds a Functional model config call by call, like the Keras functional API."""

    def __init__(self, name: str = "model"):
        self.name = name
        self.layers: dict[str, dict[str, Any]] = {}

    def input(self, name: str, shape: Shape, dtype: str = "float32") -> Ref:
        self.layers[name] = {
            "module": "keras.layers", "class_name": "InputLayer",
            "config": {"batch_shape": list(shape), "dtype": dtype, "sparse": False, "name": name},
            "registered_name": None, "name": name, "inbound_nodes": [],
        }
        return Ref(name, 0, 0, tuple(shape), dtype)

    def add(self, entry: Mapping[str, Any], *inputs: Ref, outputs: int = 1) -> Any:
        """Call `entry` on `inputs` (a list argument when several); call the same entry again
        to share it. Returns one Ref, or a tuple of `outputs` Refs."""
        name = entry["config"]["name"] if "name" in entry["config"] else entry["name"]
        stored = self.layers.setdefault(name, {**copy.deepcopy(dict(entry)), "inbound_nodes": []})
        arg: Any = [r.as_arg() for r in inputs] if len(inputs) > 1 else inputs[0].as_arg()
        stored["inbound_nodes"].append({"args": [arg], "kwargs": {}})
        node = len(stored["inbound_nodes"]) - 1
        shape = output_shape(entry, inputs)
        refs = tuple(Ref(name, node, i, shape) for i in range(outputs))
        return refs[0] if outputs == 1 else refs

    def config(self, inputs: Sequence[Ref], outputs: Sequence[Ref]) -> dict[str, Any]:
        """The nested-model form (no compile config), to call from another model with `add`."""
        ios = {
            "input_layers": [[r.layer, r.node, r.tensor] for r in inputs],
            "output_layers": [[r.layer, r.node, r.tensor] for r in outputs],
        }
        if len(inputs) == 1:
            ios["input_layers"] = ios["input_layers"][0]
        if len(outputs) == 1:
            ios["output_layers"] = ios["output_layers"][0]
        return {
            "module": "keras.src.models.functional",
            "class_name": "Functional",
            "config": {"name": self.name, "trainable": True, "layers": list(self.layers.values()),
                       **ios},
            "registered_name": "Functional",
            "name": self.name,
        }

    def build(self, inputs: Sequence[Ref], outputs: Sequence[Ref], **compile: Any) -> dict[str, Any]:
        """The top-level config; keyword arguments become its `compile_config` (loss=...)."""
        config = self.config(inputs, outputs)
        if compile:
            config["compile_config"] = compile_config(**compile)
        return config


def sequential(input_shape: Shape, *layers: Mapping[str, Any], name: str = "sequential",
               **compile: Any) -> dict[str, Any]:
    """A Sequential config: an InputLayer of `input_shape`, then `layers` in order."""
    entries = [{
        "module": "keras.layers", "class_name": "InputLayer",
        "config": {"batch_shape": list(input_shape), "dtype": "float32", "sparse": False,
                   "name": f"{name}_input"},
        "registered_name": None,
    }]
    entries += [copy.deepcopy(dict(entry)) for entry in layers]
    config: dict[str, Any] = {
        "module": "keras", "class_name": "Sequential",
        "config": {"name": name, "trainable": True, "layers": entries},
        "registered_name": None,
    }
    if compile:
        config["compile_config"] = compile_config(**compile)
    return config


def compile_config(loss: Any = None, loss_weights: Any = None, optimizer: str = "adam",
                   metrics: Sequence[str] = ()) -> dict[str, Any]:
    return {"optimizer": optimizer, "loss": loss, "loss_weights": loss_weights,
            "metrics": list(metrics), "weighted_metrics": None}


def loss(class_name: str, **config: Any) -> dict[str, Any]:
    """A loss object as Keras 3 serializes it, e.g. loss("BinaryCrossentropy", from_logits=True)."""
    return {"module": "keras.losses", "class_name": class_name,
            "config": {"name": class_name.lower(), "reduction": "sum_over_batch_size", **config},
            "registered_name": None}


REQUIRED: dict[str, dict[str, Any]] = {
    "Dropout": {"rate": 0.5},
    "SpatialDropout1D": {"rate": 0.5},
    "GaussianDropout": {"rate": 0.5},
    "Activation": {"activation": "relu"},
}
"""Arguments Keras requires for the layers `dense_chain` puts between Dense layers."""


def dense_chain(name: str, widths: Sequence[int], activation: str = "relu",
                output_units: int = 10, output_activation: str = "softmax",
                between: Sequence[str] = (), input_width: int = 64,
                **compile: Any) -> dict[str, Any]:
    """Input -> Dense(w) for each width (with `between` layer classes after each) -> output."""
    m = Functional(name)
    x = m.input("features", (None, input_width))
    h = x
    for i, width in enumerate(widths, 1):
        h = m.add(layer("Dense", f"dense_{i}", units=width, activation=activation), h)
        for cls in between:
            h = m.add(layer(cls, f"{cls.lower()}_{i}", **REQUIRED.get(cls, {})), h)
    y = m.add(layer("Dense", "output", units=output_units, activation=output_activation), h)
    return m.build([x], [y], **compile)


def carrying(config: Mapping[str, Any], *payloads: Any, fmt: str = "keras", path: str = "<example>"):
    """An example for a security rule: `config` read as a file of format `fmt` at `path`, whose
    loader recorded `payloads` (inspector.graph.Payload) while reading it. A callable, so the graph
    is built when tested."""

    def build():
        from inspector.graph import Source
        from inspector.loaders.keras_config import parse_model

        return parse_model(config, Source(path, fmt, payloads=tuple(payloads)), None,
                           config.get("compile_config"))

    return build


def as_graph(example: Any):
    """The graph a rule sees for one of its examples: a config (or a callable returning one) read
    as a JSON model file, or a security example's graph as it is."""
    from inspector.graph import ModelGraph, Source
    from inspector.loaders.keras_config import parse_model

    config = example() if callable(example) else example
    if isinstance(config, ModelGraph):  # a security rule's example: a file's graph with its payloads
        return config
    return parse_model(config, Source(path="<example>", format="json"), None, config.get("compile_config"))


def as_case(example: Any) -> tuple[Any, dict[str, Any] | None]:
    """The graph and rule context for one example: a data rule's example carries what the probe
    measured (`.config` and `.measurements`), which reaches the rule as `context["diagnosis"]`."""
    value = example() if callable(example) else example
    if hasattr(value, "measurements"):
        return as_graph(value.config), {"diagnosis": value.measurements}
    return as_graph(value), None


def unbuilt(config: Mapping[str, Any]) -> dict[str, Any]:
    """A Sequential config as Keras 2 saves a model that was never built: no InputLayer, so the
    file holds no shape at all."""
    layers = [entry for entry in config["config"]["layers"] if entry["class_name"] != "InputLayer"]
    return {**config, "config": {**config["config"], "layers": layers}}
