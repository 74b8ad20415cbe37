"""What the rules share about layers: activations, widths, heads, chains. The kinds of layers
(which classes pool, merge, normalize...) are named in `inspector.kinds`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from inspector.graph import Call, Layer, ModelGraph
from inspector.kinds import (
    ACTIVATION_LAYERS,
    AVERAGE_POOLING,
    DROPOUT_LAYERS,
    GLOBAL_AVERAGE_POOLING,
    GLOBAL_MAX_POOLING,
    MAX_POOLING,
    NORMALIZATION_LAYERS,
    RECURRENT_LAYERS,
    RESHAPE_LAYERS,
    WEIGHT_LAYERS,
)

PROBABILITY_ACTIVATIONS = frozenset({"softmax", "sigmoid"})


def unwrapped(layer: Layer) -> tuple[str, Mapping[str, Any]]:
    """The class and config that do the work: the inner layer of a TimeDistributed wrapper."""
    if layer.class_name == "TimeDistributed":
        inner = layer.config.get("layer")
        if isinstance(inner, Mapping) and isinstance(inner.get("config"), Mapping):
            return str(inner.get("class_name", "")).rsplit(">", 1)[-1], inner["config"]
    return layer.class_name, layer.config


def activation_name(value: Any) -> str:
    """An activation as stored ("relu", {"class_name": "function", "config": "relu"}, None)."""
    if value is None:
        return "linear"
    if isinstance(value, str):
        name = value
    elif isinstance(value, Mapping):
        cfg = value.get("config")
        name = cfg if isinstance(cfg, str) else str(value.get("class_name", ""))
    else:
        return "?"
    name = name.rsplit(".", 1)[-1].lower()
    return {"swish": "silu", "none": "linear"}.get(name, name)


def layer_activation(layer: Layer) -> str:
    """The activation a layer applies: its `activation` option, or what an activation layer is."""
    cls, config = unwrapped(layer)
    if cls == "Softmax":
        return "softmax"
    if cls in ("ReLU", "Relu"):
        return "relu"
    if cls in ("Sigmoid", "Tanh", "Selu", "Elu", "LeakyReLU", "LeakyRelu", "PReLU", "ELU"):
        return cls.lower().replace("leakyrelu", "leaky_relu")
    return activation_name(config.get("activation"))


def is_weight_layer(layer: Layer) -> bool:
    return unwrapped(layer)[0] in WEIGHT_LAYERS


def width(layer: Layer) -> int | None:
    """Units of a Dense or recurrent layer, filters of a convolution; None when unknown."""
    _, config = unwrapped(layer)
    for key in ("units", "filters", "output_dim", "nb_filter"):
        value = config.get(key)
        if isinstance(value, int):
            return value
    return None


def live_calls(graph: ModelGraph) -> set[str]:
    """The ids of the calls some output of the model depends on, the output calls included: what
    `disconnected-graph` (dead nodes, idle inputs) and `unused-input` both judge a graph by. One
    walk back from all outputs at once."""
    live: set[str] = set()
    stack = list(graph.output_calls())
    while stack:
        call_id = stack.pop()
        if call_id not in live:
            live.add(call_id)
            stack.extend(graph.predecessors(call_id))
    return live


def input_layer_calls(graph: ModelGraph) -> Iterator[Call]:
    """Calls of InputLayers (graph inputs in ONNX graphs too, which loaders map to InputLayer)."""
    for call in graph.calls:
        if graph.layer(call.layer).is_input:
            yield call


def first_input_producers(graph: ModelGraph, call: Call, limit: int) -> Iterator[Call]:
    """The call producing `call`'s first input, then the one producing that call's first input,
    and so on back to a model input; at most `limit` calls."""
    current = call
    for _ in range(limit):
        if not current.inputs:
            return
        current = graph.producer(current.inputs[0])
        yield current


def display(names: list[str], keep: int = 6) -> str:
    """`a -> b -> c`, shortened in the middle for long chains."""
    if len(names) <= keep:
        return " -> ".join(names)
    return " -> ".join(names[: keep // 2]) + f" -> ... ({len(names) - keep} more) -> " + " -> ".join(
        names[-(keep // 2):])


@dataclass(frozen=True)
class Head:
    """What an output computes last: its activation and size, and the layer that sets the size."""

    output: str  # output layer name (the key of losses)
    activation: str
    units: int | None
    layer: str  # the weight layer producing the scores


def output_head(graph: ModelGraph, tensor_id: str, name: str | None = None) -> Head | None:
    """Walk back from an output tensor through activation and reshaping layers to the layer that
    computes it; None when something unknown (a Lambda, a merge, a custom layer) decides it.
    `name` is the output's name in the model (default: the layer producing the tensor)."""
    output, units = _output_and_units(graph, tensor_id, name)
    activation: str | None = None
    for layer, cls in _chain_back(graph, tensor_id):
        if cls in ACTIVATION_LAYERS:
            activation = activation or layer_activation(layer)
        elif cls in WEIGHT_LAYERS or cls in RECURRENT_LAYERS:
            own = layer_activation(layer)
            if activation is None or activation == "linear":
                activation = own if own != "linear" or activation is None else activation
            return Head(output, activation or "linear", units or width(layer), layer.name)
        elif cls not in DROPOUT_LAYERS and cls not in RESHAPE_LAYERS:
            return None
    return None


def _output_and_units(graph: ModelGraph, tensor_id: str, name: str | None) -> tuple[str, int | None]:
    """The output's name (`name`, or the layer producing it) and the tensor's last dimension
    (None when unknown)."""
    shape = graph.tensor(tensor_id).shape
    return name or graph.producer_layer(tensor_id), shape[-1] if shape else None


def _chain_back(graph: ModelGraph, tensor_id: str) -> Iterator[tuple[Layer, str]]:
    """Each layer (and its unwrapped class) from the one producing `tensor_id` back, while each
    call has one input; at most 50 layers."""
    call = graph.producer(tensor_id)
    for _ in range(50):
        layer = graph.layer(call.layer)
        yield layer, unwrapped(layer)[0]
        if len(call.inputs) != 1:
            return
        call = graph.producer(call.inputs[0])


def loss_kind(name: str | None) -> str | None:
    """"binary", "categorical" (sparse too) or None for a loss name of any spelling."""
    if not name:
        return None
    key = name.lower().replace("_", "")
    if key in ("binarycrossentropy", "bce", "binaryfocalcrossentropy"):
        return "binary"
    if key in ("categoricalcrossentropy", "cce", "sparsecategoricalcrossentropy", "scce",
               "categoricalfocalcrossentropy"):
        return "categorical"
    return None


@dataclass(frozen=True)
class FinalHead(Head):
    """A Head whose activation is the last operation really applied to the output, and `by`, the
    layer that applies it (an Activation layer, a normalization, or the weight layer itself)."""

    by: str = ""


AVERAGE_POOLING_LAYERS = AVERAGE_POOLING | GLOBAL_AVERAGE_POOLING
"""Poolings that average: a mean of probabilities is still one (a softmax stays a distribution)."""

MAX_POOLING_LAYERS = MAX_POOLING | GLOBAL_MAX_POOLING


def final_head(graph: ModelGraph, tensor_id: str, name: str | None = None) -> FinalHead | None:
    """Walk back from an output tensor through activation, dropout, reshaping, normalization and
    pooling layers to the layer that computes it. The activation is the last one applied: a softmax
    followed by a BatchNormalization is no longer a probability ("linear", by the normalization).
    Pooling keeps it only where it keeps its meaning: a mean of probabilities is a probability
    (the All-CNN head: 1x1 convolution, average pooling, softmax), a max of softmax scores no
    longer sums to one. None when something unknown (a Lambda, a merge, a custom layer) decides it."""
    output, units = _output_and_units(graph, tensor_id, name)
    final: tuple[str, str] | None = None  # (activation, layer applying it), once known
    for layer, cls in _chain_back(graph, tensor_id):
        if cls in AVERAGE_POOLING_LAYERS or (cls in MAX_POOLING_LAYERS and final is not None):
            continue  # applied before the final activation, or keeps its meaning
        if cls in MAX_POOLING_LAYERS:
            return None  # max over a probability map: whatever it is, no longer the activation's
        if cls in ACTIVATION_LAYERS:
            act = layer_activation(layer)
            if final is None and act != "linear":
                final = (act, layer.name)
        elif cls in NORMALIZATION_LAYERS:
            if final is None:
                final = ("linear", layer.name)
        elif cls in WEIGHT_LAYERS or cls in RECURRENT_LAYERS:
            act, by = final or (layer_activation(layer), layer.name)
            return FinalHead(output, act, units or width(layer), layer.name, by)
        elif cls not in DROPOUT_LAYERS and cls not in RESHAPE_LAYERS:
            return None
    return None
