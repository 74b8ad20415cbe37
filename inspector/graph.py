"""The one intermediate representation every loader builds and every consumer reads.

A `Layer` holds what is stored once (config, weights); a `Call` is one application of that layer
(Keras calls it a node). Keeping the two apart is what makes shared layers visible: a layer with
two calls shares its weights between them. Everything here is frozen: a loader builds a graph once
through `GraphBuilder` and nobody mutates it afterwards. Frozen goes down to the mappings: the
graph's `tensors`, each layer's `config` and each call's `arguments` are read-only views (one
level deep; serialize them with `dict()`), so no consumer can add, drop or replace
a key the next one reads.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from math import prod
from types import MappingProxyType
from typing import Any

Shape = tuple[int | None, ...]
"""A tensor shape including the batch dimension; None marks an unknown dimension."""


@dataclass(frozen=True)
class Payload:
    """Something in the file that another tool would run when loading or calling the model, found
    (never run) while reading it: `kind` picks the security rule that reports it (inspector.security)."""

    kind: str  # "pickle", "import", "compile", "tf-op", "duplicate-member", "external-file"
    place: str  # where in the file, e.g. "zip member model.weights.npz (2 of 2)"
    detail: str  # what it is, e.g. "a pickle calling os.system"


@dataclass(frozen=True)
class Source:
    """Where a graph came from."""

    path: str
    format: str  # "keras", "h5", "json", "savedmodel", "onnx", "python", "live"
    keras_version: str | None = None
    backend: str | None = None
    payloads: tuple[Payload, ...] = ()  # what the loader found that could run code elsewhere


@dataclass(frozen=True)
class Weight:
    """One weight array as the file stores it: read from metadata, never loaded."""

    name: str
    shape: tuple[int, ...]
    dtype: str
    trainable: bool = True

    @property
    def size(self) -> int:
        return prod(self.shape)


@dataclass(frozen=True)
class Tensor:
    """A value flowing between calls; `id` is `layer[call]:output`, e.g. `lstm[1]:0`."""

    id: str
    shape: Shape | None
    dtype: str | None
    producer: str  # the id of the producing call
    consumers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Call:
    """One application of a layer to input tensors, producing output tensors."""

    layer: str
    index: int
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    arguments: Mapping[str, Any] = field(default_factory=dict)  # non-tensor call arguments

    @property
    def id(self) -> str:
        return call_id(self.layer, self.index)


@dataclass(frozen=True)
class Layer:
    """A layer as stored: its config and weights, and the ids of its calls."""

    name: str
    class_name: str
    config: Mapping[str, Any]
    module: str | None = None
    weights: tuple[Weight, ...] = ()
    params: int | None = None  # None when neither the file nor the config tells
    trainable_params: int | None = None
    trainable: bool = True
    calls: tuple[str, ...] = ()
    subgraph: ModelGraph | None = None
    params_from: str = "weights"  # "weights" (read from the file) or "config" (computed)

    @property
    def non_trainable_params(self) -> int | None:
        if self.params is None or self.trainable_params is None:
            return None
        return self.params - self.trainable_params

    @property
    def is_input(self) -> bool:
        return self.class_name == "InputLayer"

    @property
    def is_shared(self) -> bool:
        return len(self.calls) > 1


@dataclass(frozen=True)
class TrainingConfig:
    """What `compile()` stored: per output name, its loss and loss weight."""

    loss: Mapping[str, str | None]
    loss_weights: Mapping[str, float] | None
    metrics: tuple[str, ...] = ()
    optimizer: str | None = None
    optimizer_config: Mapping[str, Any] = field(default_factory=dict)
    loss_config: Mapping[str, Any] = field(default_factory=dict)  # output -> loss config as stored


@dataclass(frozen=True)
class ModelGraph:
    """A whole model: layers in file order, calls in topological order, named tensors."""

    name: str
    class_name: str
    source: Source
    layers: tuple[Layer, ...]
    calls: tuple[Call, ...]
    tensors: Mapping[str, Tensor]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    training: TrainingConfig | None = None
    notes: tuple[str, ...] = ()  # what the loader could not read exactly, said plainly

    # -- lookups -------------------------------------------------------------------------------
    @cached_property
    def _layers_by_name(self) -> dict[str, Layer]:
        return {layer.name: layer for layer in self.layers}

    @cached_property
    def _calls_by_id(self) -> dict[str, Call]:
        return {c.id: c for c in self.calls}

    def layer(self, name: str) -> Layer:
        return self._layers_by_name[name]

    def call(self, id: str) -> Call:
        return self._calls_by_id[id]

    def tensor(self, id: str) -> Tensor:
        return self.tensors[id]

    def producer(self, tensor_id: str) -> Call:
        return self.call(self.tensors[tensor_id].producer)

    def producer_layer(self, tensor_id: str) -> str:
        """The name of the layer whose call produced a tensor."""
        return self.call(self.tensors[tensor_id].producer).layer

    def layer_of(self, call: Call | str) -> Layer:
        c = self.call(call) if isinstance(call, str) else call
        return self.layer(c.layer)

    @property
    def output_names(self) -> tuple[str, ...]:
        """The output layer names, which Keras uses to key losses and metrics."""
        return tuple(self.producer_layer(t) for t in self.outputs)

    @property
    def input_names(self) -> tuple[str, ...]:
        return tuple(self.producer_layer(t) for t in self.inputs)

    # -- totals --------------------------------------------------------------------------------
    @property
    def total_params(self) -> int | None:
        counts = [layer.params for layer in self.layers]
        return None if any(c is None for c in counts) else sum(counts)  # type: ignore[arg-type]

    @property
    def trainable_params(self) -> int | None:
        counts = [layer.trainable_params for layer in self.layers]
        return None if any(c is None for c in counts) else sum(counts)  # type: ignore[arg-type]

    @property
    def non_trainable_params(self) -> int | None:
        total, trainable = self.total_params, self.trainable_params
        return None if total is None or trainable is None else total - trainable

    # -- graph queries on calls ----------------------------------------------------------------
    def predecessors(self, call_id: str) -> tuple[str, ...]:
        """Calls whose outputs this call consumes, in input order, without repeats."""
        seen: dict[str, None] = {}
        for t in self.call(call_id).inputs:
            seen.setdefault(self.tensors[t].producer)
        return tuple(seen)

    def successors(self, call_id: str) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for t in self.call(call_id).outputs:
            for consumer in self.tensors[t].consumers:
                seen.setdefault(consumer)
        return tuple(seen)

    def ancestors(self, call_id: str) -> set[str]:
        """Every call that this call depends on, transitively (not itself)."""
        return _reach(call_id, self.predecessors)

    def descendants(self, call_id: str) -> set[str]:
        """Every call that depends on this call, transitively (not itself)."""
        return _reach(call_id, self.successors)

    def paths(self, src: str, dst: str, limit: int = 1000) -> list[list[str]]:
        """Call paths from `src` to `dst` (both call ids), at most `limit` of them."""
        found: list[list[str]] = []
        reaching = self.ancestors(dst) | {dst}
        stack: list[tuple[str, list[str]]] = [(src, [src])]
        while stack and len(found) < limit:
            node, path = stack.pop()
            if node == dst:
                found.append(path)
                continue
            for nxt in reversed(self.successors(node)):
                if nxt in reaching:
                    stack.append((nxt, path + [nxt]))
        return found

    def input_calls(self) -> tuple[str, ...]:
        return tuple(self.tensors[t].producer for t in self.inputs)

    def output_calls(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.tensors[t].producer for t in self.outputs))

    def walk(self, depth: int | None = None) -> Iterator[tuple[tuple[str, ...], Layer]]:
        """Every layer with its nesting path (outer model layer names), nested models included."""
        yield from _walk(self, (), depth)


def call_id(layer: str, index: int) -> str:
    return f"{layer}[{index}]"


def tensor_id(layer: str, index: int, output: int) -> str:
    return f"{call_id(layer, index)}:{output}"


def _reach(start: str, step) -> set[str]:
    seen: set[str] = set()
    stack = list(step(start))
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(step(node))
    return seen


def _walk(graph: ModelGraph, prefix: tuple[str, ...], depth: int | None):
    for layer in graph.layers:
        yield prefix, layer
        if layer.subgraph is not None and (depth is None or depth > 0):
            yield from _walk(layer.subgraph, prefix + (layer.name,), None if depth is None else depth - 1)


class GraphError(ValueError):
    """A set of layers, calls and tensors that is no graph: two layers of one name, a call reading
    a tensor nobody produces, a cycle."""


def frozen_mapping(value: Mapping[str, Any]) -> Mapping[str, Any]:
    """A read-only view of a copy of a mapping. One level only: the values inside stay the JSON
    the file held (lists stay lists), since shape inference and export test them by type."""
    return value if isinstance(value, MappingProxyType) else MappingProxyType(dict(value))


def topological_order(calls: Iterable[Call], producers: Mapping[str, str]) -> list[Call]:
    """Calls sorted so every call comes after the producers of its inputs; stable on file order.

    `producers` maps tensor id to producing call id. Raises GraphError on a cycle.
    """
    calls = list(calls)
    position = {c.id: i for i, c in enumerate(calls)}
    waiting: dict[str, int] = {}
    users: dict[str, list[str]] = {c.id: [] for c in calls}
    for c in calls:
        deps = {producers[t] for t in c.inputs if producers.get(t) in position and producers[t] != c.id}
        waiting[c.id] = len(deps)
        for d in deps:
            users[d].append(c.id)
    ready = [position[c.id] for c in calls if waiting[c.id] == 0]
    heapq.heapify(ready)
    ordered: list[Call] = []
    while ready:
        call = calls[heapq.heappop(ready)]
        ordered.append(call)
        for user in users[call.id]:
            waiting[user] -= 1
            if waiting[user] == 0:
                heapq.heappush(ready, position[user])
    if len(ordered) != len(calls):
        stuck = sorted(set(position) - {c.id for c in ordered})
        raise GraphError(f"the graph has a cycle through {', '.join(stuck[:5])}")
    return ordered


class GraphBuilder:
    """Collects layers, calls and tensors as a loader reads them, then freezes one ModelGraph."""

    def __init__(self, name: str, class_name: str, source: Source):
        self.name, self.class_name, self.source = name, class_name, source
        self.layers: dict[str, Layer] = {}
        self.calls: list[Call] = []
        self.tensors: dict[str, Tensor] = {}
        self.inputs: list[str] = []
        self.outputs: list[str] = []
        self.training: TrainingConfig | None = None
        self.notes: list[str] = []

    def add_layer(self, layer: Layer) -> None:
        if layer.name in self.layers:
            raise GraphError(f"two layers are named {layer.name!r}")
        self.layers[layer.name] = layer

    def add_call(
        self,
        layer: str,
        index: int,
        inputs: Iterable[str],
        output_shapes: Iterable[Shape | None],
        dtypes: Iterable[str | None] | None = None,
        arguments: Mapping[str, Any] | None = None,
    ) -> Call:
        shapes = list(output_shapes)
        dts = list(dtypes) if dtypes is not None else [None] * len(shapes)
        outs = tuple(tensor_id(layer, index, i) for i in range(len(shapes)))
        call = Call(layer, index, tuple(inputs), outs, dict(arguments or {}))
        for tid, shape, dt in zip(outs, shapes, dts):
            self.tensors[tid] = Tensor(tid, shape, dt, call.id)
        self.calls.append(call)
        return call

    def output_names(self) -> tuple[str, ...]:
        """The layers producing the outputs declared so far: what a training config is keyed by."""
        layer_of = {c.id: c.layer for c in self.calls}
        return tuple(layer_of[self._declared(t).producer] for t in self.outputs)

    def _declared(self, tid: str) -> Tensor:
        if tid not in self.tensors:
            raise GraphError(f"the model declares {tid}, which no layer produces")
        return self.tensors[tid]

    def build(self) -> ModelGraph:
        """The frozen graph: calls in topological order, consumers filled in, mappings read-only.

        Set `training` and `notes` before calling it; the graph is not to be replaced afterwards."""
        for call in self.calls:
            missing = [t for t in call.inputs if t not in self.tensors]
            if missing:
                raise GraphError(f"layer {call.layer!r} reads {missing[0]}, which no layer produces")
        for t in self.outputs + self.inputs:
            self._declared(t)
        producers = {t.id: t.producer for t in self.tensors.values()}
        ordered = topological_order(self.calls, producers)
        consumers: dict[str, list[str]] = {t: [] for t in self.tensors}
        for call in ordered:
            for t in dict.fromkeys(call.inputs):
                consumers[t].append(call.id)
        tensors = MappingProxyType({
            tid: Tensor(t.id, t.shape, t.dtype, t.producer, tuple(consumers[tid]))
            for tid, t in self.tensors.items()
        })
        calls_of: dict[str, list[str]] = {name: [] for name in self.layers}
        for call in sorted(self.calls, key=lambda c: (c.layer, c.index)):
            calls_of.setdefault(call.layer, []).append(call.id)
        layers = tuple(
            replace(layer, config=frozen_mapping(layer.config), calls=tuple(calls_of.get(layer.name, ())))
            for layer in self.layers.values()
        )
        ordered = [replace(call, arguments=frozen_mapping(call.arguments)) for call in ordered]
        return ModelGraph(
            name=self.name,
            class_name=self.class_name,
            source=self.source,
            layers=layers,
            calls=tuple(ordered),
            tensors=tensors,
            inputs=tuple(self.inputs),
            outputs=tuple(self.outputs),
            training=self.training,
            notes=tuple(self.notes),
        )
