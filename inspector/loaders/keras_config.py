"""Turn a stored Keras model config, of any era, into a ModelGraph.

Every Keras source (the `.keras` zip, legacy HDF5, architecture JSON, SavedModel metadata) stores
the same kind of config; only the weights live in different places. So one parser serves all, and
each file loader hands it a `WeightSource` for its own storage. Nothing here runs code from the
config: Lambda bytecode and custom classes stay data.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, NamedTuple, Protocol

from inspector import shapes
from inspector.errors import InspectorError, UnsupportedError, one_line
from inspector.graph import (
    GraphBuilder,
    GraphError,
    Layer,
    ModelGraph,
    Shape,
    Source,
    TrainingConfig,
    Weight,
    tensor_id,
)
from inspector.loaders.limits import OUTPUT_SLACK
from inspector.security.config_pickles import config_pickles
from inspector.security.config_scan import config_payloads
from inspector.shapes.operations import K2_CONSTANT

MODEL_CLASSES = {"Model", "Functional", "Sequential"}
Ref = tuple[str, int, int]  # (layer name, call index, output index): Keras' keras_history


class LayerKey(NamedTuple):
    """How storage finds a layer: legacy HDF5 by its name, Keras 3 by its slot, the snake-case
    class name numbered per class within its model (`dense`, `dense_1`, `q_dense`...)."""

    name: str
    slot: str
    base: str = ""  # the snake-case class name the slot is made from
    rank: int = 0  # how many layers of that class come before this one in its model


class WeightSource(Protocol):
    """Where a file keeps its weights; `path` leads from the outermost model to the layer."""

    def layer_weights(self, path: tuple[LayerKey, ...]) -> list[Weight] | None:
        """The weights stored for that layer ([] for none); None when the file has no weights."""


@dataclass(frozen=True)
class _CallSpec:
    layer: str
    index: int
    refs: tuple[Ref, ...]
    arguments: Mapping[str, Any]


class Malformed(ValueError):
    """A config value of a type no Keras version writes there; `parse_model` reports it as an
    UnsupportedError naming where it was found."""


def parse_model(
    model: Mapping[str, Any],
    source: Source,
    weights: WeightSource | None = None,
    training_config: Mapping[str, Any] | None = None,
    notes: Sequence[str] = (),
) -> ModelGraph:
    """The graph of a top-level model config `{"class_name": ..., "config": ...}`.

    `training_config` is the Keras 2 `training_config` or Keras 3 `compile_config`; `notes` are
    the loader's own remarks, added to the graph's. A config that no Keras wrote (a value of the
    wrong type, a missing key) raises UnsupportedError, never a bare TypeError or KeyError.
    """
    if not isinstance(model, Mapping):
        raise UnsupportedError(source.path, f"malformed model config: it is {_kind(model)}, not an object")
    notes = list(notes)
    compile_label = "training_config" if source.format in ("h5", "savedmodel") else "compile_config"
    found = config_payloads(model, training_config, compile_label) + tuple(config_pickles(model))
    source = replace(source, payloads=source.payloads + found)
    if training_config is not None and not isinstance(training_config, Mapping):
        notes.append(f"the compile config is {_kind(training_config)}, not an object: not read")
        training_config = None
    parser = _Parser(source, weights)
    try:
        return parser.model(model, (), trainable=True, training_config=training_config or None, notes=notes)
    except InspectorError:
        raise
    except Malformed as exc:
        raise UnsupportedError(source.path, f"malformed model config: {parser.where()}{exc}") from None
    except (TypeError, KeyError, AttributeError, ValueError, IndexError) as exc:
        # the last line of defence: a shape of config the checks above did not foresee
        raise UnsupportedError(
            source.path, f"malformed model config: {parser.where()}{type(exc).__name__}: {one_line(exc)}"
        ) from None


def _kind(value: Any) -> str:
    """What a JSON value is, in JSON's words: `a list`, `an object`, `null`..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "a list"
    return "an object" if isinstance(value, Mapping) else f"a {type(value).__name__}"


def is_model_config(entry: Mapping[str, Any]) -> bool:
    """True for a config that describes a whole model (so a layer holding it is a nested model)."""
    config = entry.get("config")
    if isinstance(entry.get("class_name"), str) and entry["class_name"] in MODEL_CLASSES:
        return True
    return isinstance(config, Mapping) and "layers" in config and isinstance(config["layers"], list)


def layer_config(entry: Mapping[str, Any]) -> dict[str, Any]:
    config = entry.get("config")
    return dict(config) if isinstance(config, Mapping) else {}


def plain_class_name(entry: Mapping[str, Any]) -> str:
    """`QKeras>QDense` and `Custom>Foo` registered names become the bare class name."""
    name = str(entry.get("class_name") or entry.get("registered_name") or "?")
    return name.rsplit(">", 1)[-1]


WRAPPED_KEYS = ("layer", "forward_layer", "backward_layer", "cell")


def layer_classes(class_name: str, config: Mapping[str, Any], module: str | None
                  ) -> Iterator[tuple[str, Mapping[str, Any], str | None]]:
    """(class, config, module) of a layer and of each layer stored in its config (Bidirectional,
    TimeDistributed, RNN cells), which Keras builds from the file as well."""
    yield class_name, config, module
    for key in WRAPPED_KEYS:
        inner = config.get(key)
        if isinstance(inner, Mapping) and "class_name" in inner:
            inner_module = inner.get("module") if isinstance(inner.get("module"), str) else None
            yield from layer_classes(plain_class_name(inner), layer_config(inner), inner_module)


class _Parser:
    def __init__(self, source: Source, weights: WeightSource | None):
        self.source = source
        self.weights = weights
        self.slots: dict[int, LayerKey] = {}  # id(layer entry) -> where storage keeps it
        self.current: list[str] = []  # the names of the layers being read, outermost first
        # Outputs a call may have beyond those inferred from its config: a reference to output k
        # creates outputs 0..k, so these are bounded by the references the file holds.
        self.spare_outputs = OUTPUT_SLACK

    def where(self) -> str:
        """`layer 'a/b': ` for the layer being read when parsing failed, or nothing."""
        return f"layer {'/'.join(self.current)!r}: " if self.current else ""

    # -- models ------------------------------------------------------------------------------
    def model(
        self,
        entry: Mapping[str, Any],
        path: tuple[LayerKey, ...],
        trainable: bool,
        training_config: Mapping[str, Any] | None = None,
        notes: Sequence[str] = (),
    ) -> ModelGraph:
        class_name = plain_class_name(entry)
        config = entry.get("config")
        if isinstance(config, list):  # Keras 1 and early Keras 2 Sequential: a bare list of layers
            config = {"layers": config}
        if not isinstance(config, Mapping) or not isinstance(config.get("layers"), list):
            where = f"nested model {'/'.join(key.name for key in path)!r}" if path else "the model"
            if class_name in MODEL_CLASSES:  # a Keras class, which always stores its layers
                if not isinstance(config, Mapping):
                    problem = f"its 'config' is {_kind(config)}, not an object"
                elif "layers" not in config:
                    problem = "its config has no 'layers' list"
                else:
                    problem = f"its 'layers' is {_kind(config['layers'])}, not a list"
                # where() names a nested model already
                raise Malformed(f"{'the nested model' if path else 'the model'} ({class_name}): {problem}")
            raise UnsupportedError(
                self.source.path,
                f"{where} is a custom class {class_name!r} that stores no layer config "
                "(a subclassed model): only its own Python code can rebuild it",
            )
        name = str(config.get("name") or entry.get("name") or class_name)
        trainable = trainable and bool(config.get("trainable", True))
        self.slots.update(_slots(config["layers"]))
        builder = GraphBuilder(name, class_name, self.source)
        builder.notes.extend(notes)
        try:
            if "input_layers" in config or "output_layers" in config:
                self._functional(builder, config, path, trainable)
            else:
                self._sequential(builder, config, path, trainable)
            if training_config:
                builder.training = training_from_config(training_config, builder.output_names())
            return builder.build()
        except GraphError as exc:  # two layers of one name, a cycle, a tensor nobody produces
            where = f"nested model {'/'.join(key.name for key in path)!r}: " if path else ""
            raise UnsupportedError(self.source.path, f"inconsistent model config: {where}{exc}") from None

    @contextmanager
    def _at(self, name: str) -> Iterator[None]:
        """Reading layer `name`: kept on `current` if reading it fails, so the error can say where."""
        self.current.append(name)
        yield
        self.current.pop()

    def _sequential(self, b: GraphBuilder, config: Mapping, path: tuple[str, ...], trainable: bool):
        entries = [e for e in config["layers"] if isinstance(e, Mapping)]
        if entries and plain_class_name(entries[0]) == "InputLayer":
            first, entries = entries[0], entries[1:]
            input_name = _entry_name(first)
            input_shape = _input_shape(layer_config(first))
            input_config = layer_config(first)
        else:
            lead = layer_config(entries[0]) if entries else {}
            input_shape = _input_shape(lead) or _shape(config.get("build_input_shape"))
            if input_shape is None and isinstance(config.get("build_config"), Mapping):
                input_shape = _shape(config["build_config"].get("input_shape"))
            input_name = f"{_entry_name(entries[0]) if entries else b.name}_input"
            input_config = {"name": input_name, "batch_shape": list(input_shape or ())}
            b.notes.append(f"input layer {input_name!r} is implied by the Sequential config")
        dtype = _dtype(input_config)
        self._add_input_layer(b, input_name, input_config, input_shape, dtype)
        current = tensor_id(input_name, 0, 0)
        b.inputs.append(current)
        for entry in entries:
            name = _entry_name(entry)
            outputs = self._add_layer_and_calls(
                b, entry, path, trainable, [_CallSpec(name, 0, (), {})], {0: [current]}, {}, {}
            )
            current = outputs[(name, 0)][0]
        b.outputs.append(current)

    def _functional(self, b: GraphBuilder, config: Mapping, path: tuple[str, ...], trainable: bool):
        entries = [e for e in config["layers"] if isinstance(e, Mapping)]
        specs: dict[str, list[_CallSpec]] = {}
        stored: dict[Ref, tuple[Shape | None, str | None]] = {}
        for entry in entries:
            name = _entry_name(entry)
            if name in specs:  # calls name layers, so a second one would silently take its place
                raise GraphError(f"two layers are named {name!r}")
            with self._at(name):
                specs[name] = [
                    _CallSpec(name, i, refs, args)
                    for i, (refs, args) in enumerate(_inbound_calls(entry.get("inbound_nodes") or [], stored))
                ]
        by_name = {_entry_name(e): e for e in entries}
        input_refs, output_refs = _refs(config.get("input_layers")), _refs(config.get("output_layers"))
        for ref in input_refs + output_refs:
            if ref[0] not in by_name:
                raise UnsupportedError(
                    self.source.path, f"the model's inputs or outputs name layer {ref[0]!r}, which it does not have"
                )
        shift = _nested_node_shift(by_name, specs, output_refs)
        if shift:
            specs = {n: [_CallSpec(c.layer, c.index, tuple(_shifted(r, shift) for r in c.refs), c.arguments)
                         for c in calls] for n, calls in specs.items()}
            stored = {_shifted(r, shift): v for r, v in stored.items()}
            output_refs = [_shifted(r, shift) for r in output_refs]
        needed: dict[tuple[str, int], int] = {}  # call -> how many of its outputs are read
        all_refs = [r for calls in specs.values() for c in calls for r in c.refs] + output_refs
        for ref in all_refs:
            needed[ref[:2]] = max(needed.get(ref[:2], 1), ref[2] + 1)
        self.spare_outputs += len(all_refs)
        # Resolve calls in dependency order: a call's output shapes need its input shapes.
        waiting: dict[tuple[str, int], set[tuple[str, int]]] = {}
        users: dict[tuple[str, int], list[tuple[str, int]]] = {}
        order = {name: i for i, name in enumerate(by_name)}
        for name, calls in specs.items():
            for spec in calls:
                key = (name, spec.index)
                deps = {(r[0], r[1]) for r in spec.refs if (r[0], r[1]) != key}
                unknown = [d for d in deps if d[0] not in specs]
                if unknown:
                    raise UnsupportedError(
                        self.source.path,
                        f"layer {name!r} is called on the output of {unknown[0][0]!r}, which the model does not have",
                    )
                waiting[key] = deps
                for d in deps:
                    users.setdefault(d, []).append(key)
        for name, entry in by_name.items():
            if not specs[name] and plain_class_name(entry) == "InputLayer":
                specs[name] = [_CallSpec(name, 0, (), {})]
                waiting[(name, 0)] = set()
        ready = [(order[k[0]], k[1], k) for k, deps in waiting.items() if not deps]
        heapq.heapify(ready)
        resolved: dict[tuple[str, int], list[str]] = {}
        done_layers: set[str] = set()
        pending_calls: dict[str, dict[int, list[str]]] = {}
        while ready:
            _, _, key = heapq.heappop(ready)
            name, index = key
            inputs = [self._ref_tensor(b, r, resolved) for r in specs[name][index].refs]
            pending_calls.setdefault(name, {})[index] = inputs
            # A layer's weights depend on its first call; add the layer when that call is ready,
            # and each later call as it becomes ready.
            if name not in done_layers:
                done_layers.add(name)
                entry = by_name[name]
                if plain_class_name(entry) == "InputLayer" and not specs[name][0].refs:
                    cfg = layer_config(entry)
                    self._add_input_layer(b, name, cfg, _input_shape(cfg), _dtype(cfg))
                    outs = {(name, 0): [tensor_id(name, 0, 0)]}
                else:
                    outs = self._add_layer_and_calls(
                        b, entry, path, trainable, [specs[name][index]], {index: inputs}, stored, needed
                    )
            else:
                outs = self._add_calls(b, by_name[name], [specs[name][index]], {index: inputs}, stored, needed)
            resolved.update(outs)
            for user in users.get(key, ()):
                waiting[user].discard(key)
                if not waiting[user]:
                    heapq.heappush(ready, (order[user[0]], user[1], user))
        stuck = [k for k, deps in waiting.items() if deps]
        if stuck:
            raise UnsupportedError(self.source.path, f"the layer graph has a cycle through {stuck[0][0]!r}")
        for name, entry in by_name.items():
            if name not in done_layers:  # declared but never called: keep it, with no calls
                self._add_layer(b, entry, path, trainable, None)
        b.inputs.extend(self._ref_tensor(b, r, resolved) for r in input_refs)
        b.outputs.extend(self._ref_tensor(b, r, resolved) for r in output_refs)

    def _ref_tensor(self, b: GraphBuilder, ref: Ref, resolved: Mapping[tuple[str, int], list[str]]) -> str:
        outs = resolved.get((ref[0], ref[1]))
        if outs is None or ref[2] >= len(outs):
            raise UnsupportedError(
                self.source.path, f"a call reads output {ref[2]} of {ref[0]!r} call {ref[1]}, which does not exist"
            )
        return outs[ref[2]]

    # -- layers and calls --------------------------------------------------------------------
    def _add_input_layer(self, b: GraphBuilder, name: str, config: Mapping, shape, dtype) -> None:
        b.add_layer(
            Layer(name=name, class_name="InputLayer", config=dict(config), params=0, trainable_params=0)
        )
        b.add_call(name, 0, (), [shape], [dtype])

    def _add_layer_and_calls(self, b, entry, path, trainable, calls, inputs, stored, needed):
        first_inputs = inputs[calls[0].index]
        input_shapes = [b.tensors[t].shape for t in first_inputs]
        self._add_layer(b, entry, path, trainable, input_shapes)
        return self._add_calls(b, entry, calls, inputs, stored, needed)

    def _add_calls(self, b, entry, calls, inputs, stored, needed) -> dict[tuple[str, int], list[str]]:
        name = _entry_name(entry)
        with self._at(name):
            return self._add_calls_of(b, b.layers[name], calls, inputs, stored, needed)

    def _add_calls_of(self, b, layer: Layer, calls, inputs, stored, needed) -> dict[tuple[str, int], list[str]]:
        name = layer.name
        out: dict[tuple[str, int], list[str]] = {}
        for spec in calls:
            in_tensors = inputs[spec.index]
            in_shapes = [b.tensors[t].shape for t in in_tensors]
            if layer.subgraph is not None:
                inferred = [layer.subgraph.tensors[t].shape for t in layer.subgraph.outputs]
                dtypes = [layer.subgraph.tensors[t].dtype for t in layer.subgraph.outputs]
            else:
                inferred = shapes.output_shapes(layer.class_name, layer.config, in_shapes, spec.arguments) or []
                dtypes = []
            count = max(len(inferred), needed.get((name, spec.index), 1))
            self.spare_outputs -= count - max(len(inferred), 1)
            if self.spare_outputs < 0:
                raise UnsupportedError(
                    self.source.path,
                    f"a call reads output {count - 1:,} of {name!r} call {spec.index}, which has "
                    f"{len(inferred) or 'an unknown number of'} output(s): more than the file references",
                )
            out_shapes, out_dtypes = [], []
            for i in range(count):
                kept = stored.get((name, spec.index, i))
                shape = kept[0] if kept and kept[0] is not None else (inferred[i] if i < len(inferred) else None)
                out_shapes.append(shape)
                out_dtypes.append(
                    (kept[1] if kept else None) or (dtypes[i] if i < len(dtypes) else None) or _dtype(layer.config)
                )
            call = b.add_call(name, spec.index, in_tensors, out_shapes, out_dtypes, spec.arguments)
            out[(name, spec.index)] = list(call.outputs)
        return out

    def _add_layer(self, b: GraphBuilder, entry, path, trainable, input_shapes) -> None:
        with self._at(_entry_name(entry)):
            self._add_layer_of(b, entry, path, trainable, input_shapes)

    def _add_layer_of(self, b: GraphBuilder, entry, path, trainable, input_shapes) -> None:
        name = _entry_name(entry)
        key = self._key_of(entry, name)
        config = layer_config(entry)
        layer_trainable = trainable and bool(config.get("trainable", True))
        module = entry.get("module") if isinstance(entry.get("module"), str) else None  # Layer.module is text
        if is_model_config(entry):
            sub = self.model(entry, path + (key,), layer_trainable)
            inner = [layer for _, layer in sub.walk()]
            params = sub.total_params
            b.add_layer(
                Layer(
                    name=name,
                    class_name=plain_class_name(entry),
                    config=config,
                    module=module,
                    # leaves only: a model nested twice already lists its own layers' weights
                    weights=tuple(w for layer in inner if layer.subgraph is None for w in layer.weights),
                    params=params,
                    trainable_params=sub.trainable_params,
                    trainable=layer_trainable,
                    subgraph=sub,
                    params_from="weights" if all(lay.params_from == "weights" for lay in inner) else "config",
                )
            )
            return
        class_name = plain_class_name(entry)
        specs = shapes.weight_specs(class_name, config, input_shapes) if input_shapes is not None else None
        stored = self.weights.layer_weights(path + (key,)) if self.weights is not None else None
        if stored is not None:
            weights = _label_weights(stored, specs, layer_trainable)
            params_from = "weights"
        elif specs is not None:
            weights = [Weight(f"{name}/{s.name}", tuple(s.shape), _dtype(config) or "float32",
                              s.trainable and layer_trainable) for s in specs]
            params_from = "config"
        else:
            weights, params_from = [], "config"
        known = stored is not None or specs is not None or class_name == "InputLayer"
        b.add_layer(
            Layer(
                name=name,
                class_name=class_name,
                config=config,
                module=module,
                weights=tuple(weights),
                params=sum(w.size for w in weights) if known else None,
                trainable_params=sum(w.size for w in weights if w.trainable) if known else None,
                trainable=layer_trainable,
                params_from=params_from,
            )
        )


    def _key_of(self, entry: Mapping[str, Any], name: str) -> LayerKey:
        key = self.slots.get(id(entry))
        if key is None:
            base = _snake_case(plain_class_name(entry))
            return LayerKey(name, base, base, 0)
        return key._replace(name=name)


def _nested_node_shift(by_name, specs, output_refs) -> dict[str, int]:
    """Keras numbers a nested model's calls from 1 in some eras: its node 0 is the one that built
    it, which the outer config leaves out. Detect that from the references themselves."""
    used: dict[str, list[int]] = {}
    for calls in specs.values():
        for call in calls:
            for ref in call.refs:
                used.setdefault(ref[0], []).append(ref[1])
    for ref in output_refs:
        used.setdefault(ref[0], []).append(ref[1])
    shift = {}
    for name, indices in used.items():
        entry = by_name.get(name)
        if (entry is not None and is_model_config(entry) and specs.get(name)
                and min(indices) >= 1 and max(indices) <= len(specs[name])):
            shift[name] = 1
    return shift


def _shifted(ref: Ref, shift: Mapping[str, int]) -> Ref:
    return (ref[0], ref[1] - shift.get(ref[0], 0), ref[2])


def _slots(entries: list) -> dict[int, LayerKey]:
    """Keras 3 stores a model's layers under names made from their class, not their own name."""
    used: dict[str, int] = {}
    slots: dict[int, LayerKey] = {}
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        base = _snake_case(plain_class_name(entry))
        rank = used.get(base, 0)
        used[base] = rank + 1
        slot = base if rank == 0 else f"{base}_{rank}"
        slots[id(entry)] = LayerKey(_entry_name(entry), slot, base, rank)
    return slots


def _snake_case(name: str) -> str:
    """keras.src.utils.naming.to_snake_case."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


# -- weights ---------------------------------------------------------------------------------
NON_TRAINABLE_NAMES = ("moving_mean", "moving_variance", "running_mean", "running_std", "seed_generator")
NON_TRAINABLE_LAST = ("mean", "variance", "count")  # Normalization's adapted state


def _label_weights(stored: list[Weight], specs, layer_trainable: bool) -> list[Weight]:
    """Decide trainability by what the layer class creates, in Keras' creation order, when the
    stored shapes are exactly those (`vars/0` in `.keras` carries no name at all, and a legacy
    HDF5 name like `normalization/mean` does not say it is state); otherwise by the name."""
    if specs is not None and [tuple(s.shape) for s in specs] == [w.shape for w in stored]:
        return [
            Weight(w.name, w.shape, w.dtype, s.trainable and layer_trainable)
            for w, s in zip(stored, specs)
        ]
    return [
        Weight(w.name, w.shape, w.dtype, layer_trainable and w.trainable
               and not any(n in w.name for n in NON_TRAINABLE_NAMES)
               and w.name.rsplit("/", 1)[-1] not in NON_TRAINABLE_LAST)
        for w in stored
    ]


# -- config shapes of every era ----------------------------------------------------------------
def _entry_name(entry: Mapping[str, Any]) -> str:
    name = entry.get("name") or layer_config(entry).get("name")
    return str(name) if name is not None else "?"


def _shape(value) -> Shape | None:
    if isinstance(value, Mapping):  # build_config {"input_shape": ...}
        value = value.get("input_shape")
    if not isinstance(value, (list, tuple)) or not all(v is None or isinstance(v, int) for v in value):
        return None
    return tuple(value)


def _input_shape(config: Mapping[str, Any]) -> Shape | None:
    """The shape a first layer declares: K3 batch_shape, K2 batch_input_shape, K1 input_dim."""
    for key in ("batch_shape", "batch_input_shape"):
        shape = _shape(config.get(key))
        if shape is not None:
            return shape
    if _shape(config.get("input_shape")) is not None:
        return (None, *config["input_shape"])
    if isinstance(config.get("input_dim"), int) and "output_dim" in config and "input_length" not in config:
        return (None, config["input_dim"])  # Keras 1 Dense(input_dim=...)
    return None


def _dtype(config: Mapping[str, Any]) -> str | None:
    dtype = config.get("dtype") or config.get("input_dtype")
    if isinstance(dtype, Mapping):  # Keras 3 DTypePolicy
        inner = dtype.get("config")
        dtype = inner.get("name") if isinstance(inner, Mapping) else None
        if isinstance(dtype, str) and dtype.startswith("mixed_"):
            dtype = dtype.split("_", 1)[1]
    return str(dtype) if isinstance(dtype, str) else None


def _refs(value) -> list[Ref]:
    """Input/output layer refs in any of their shapes: flat, list of lists, dicts, nested."""
    if _is_ref(value):
        return [(str(value[0]), int(value[1]), int(value[2]))]
    if isinstance(value, Mapping):
        return [r for v in value.values() for r in _refs(v)]
    if isinstance(value, (list, tuple)):
        return [r for v in value for r in _refs(v)]
    return []


def _is_ref(value) -> bool:
    return (
        isinstance(value, (list, tuple))
        and len(value) in (3, 4)
        and isinstance(value[0], str)
        and isinstance(value[1], int)
        and isinstance(value[2], int)
    )


def _inbound_calls(nodes, stored) -> Iterator[tuple[tuple[Ref, ...], dict[str, Any]]]:
    """Each call's tensor refs and its other arguments, from Keras 1/2 lists or Keras 3 dicts."""
    if not isinstance(nodes, list):
        raise Malformed(f"'inbound_nodes' is {_kind(nodes)}, not a list")
    for node in nodes:
        yield _k3_call(node, stored) if _is_k3_call(node) else _k2_call(node)


def _is_k3_call(node) -> bool:
    return isinstance(node, Mapping) and ("args" in node or "kwargs" in node)


def stored_k2_references(nodes) -> Iterator[list]:
    """The `[layer, node, tensor...]` lists a layer's Keras 1/2 calls store, the stored lists
    themselves so that a caller can renumber them: every tensor `_k2_call` reads, in any shape of
    call (list of lists, flat, dict, keyword tensors), on every copy of the repeated kwargs."""
    for node in nodes if isinstance(nodes, list) else ():
        if _is_k3_call(node):
            continue
        for leaf in _k2_leaves(node):
            if leaf[0] != K2_CONSTANT:
                yield leaf
            if len(leaf) == 4 and isinstance(leaf[3], Mapping):
                for value in leaf[3].values():
                    yield from _k2_kwarg_tensors(value)


def _k3_call(node: Mapping, stored) -> tuple[tuple[Ref, ...], dict[str, Any]]:
    """Keras 3: `{"args": [...], "kwargs": {...}}`, a tensor anywhere in either being a
    `__keras_tensor__` (a mask, MultiHeadAttention's `value=`, a list given to `concatenate`)."""
    refs: list[Ref] = []
    _collect_k3(node.get("args", []), refs, stored)
    arguments: dict[str, Any] = {}
    kwargs = node.get("kwargs") or {}
    if not isinstance(kwargs, Mapping):
        raise Malformed(f"a call's 'kwargs' is {_kind(kwargs)}, not an object")
    for key, value in kwargs.items():
        before = len(refs)
        _collect_k3(value, refs, stored)
        if len(refs) == before:
            arguments[key] = value
    return tuple(refs), arguments




def _k2_call(node) -> tuple[tuple[Ref, ...], dict[str, Any]]:
    """Keras 1/2: the call's first argument in its own structure, each tensor in it written as
    `[layer, node, tensor, kwargs]` with the call's keyword arguments repeated on every one.

    Usually a list of those (`[["dense", 0, 0, {}]]`), but tf.keras 2.4+ keeps the structure of
    the first argument for its op layers (TFOpLambda, SlicingOpLambda: `_preserve_input_structure_
    in_config`), so `x + y` is written flat, one tensor and not a list of one:
    `["conv2d", 0, 0, {"y": ["conv2d_1", 0, 0], "name": null}]`. A first argument that is no tensor
    (`1.0 - x`) reads `["_CONSTANT_VALUE", -1, 1.0, {...}]`. Tensors passed by keyword (`y=`,
    MultiHeadAttention's `value=`, a `mask=`) are `[layer, node, tensor]` anywhere in the kwargs.
    This follows tf_keras' own reader (`functional.reconstruct_from_config` and
    `tf_utils.convert_inner_node_data`): a list of 3 or 4 items that starts with a string is one
    tensor; any other list or object is structure around tensors.
    """
    refs: list[Ref] = []
    kwargs: dict[str, Any] = {}
    for leaf in _k2_leaves(node):
        if leaf[0] == K2_CONSTANT:
            kwargs[K2_CONSTANT] = leaf[2]  # an op layer's constant operand, which shapes its output
        else:
            if not (isinstance(leaf[1], int) and isinstance(leaf[2], int)):
                raise Malformed(f"a call reads tensor {leaf[:3]!r}, whose node and tensor indices are not numbers")
            refs.append((leaf[0], leaf[1], leaf[2]))
        if len(leaf) == 4 and isinstance(leaf[3], Mapping):
            for key, value in leaf[3].items():  # the same kwargs on every tensor: keep one copy
                kwargs.setdefault(str(key), value)
    arguments: dict[str, Any] = {}
    for key, value in kwargs.items():
        tensors = [(str(t[0]), int(t[1]), int(t[2])) for t in _k2_kwarg_tensors(value)]
        if tensors:
            refs.extend(tensors)
        else:
            arguments[key] = value
    return tuple(refs), arguments


def _k2_leaves(value) -> Iterator[list]:
    """The `[layer, node, tensor(, kwargs)]` entries of a Keras 1/2 call, in order (the stored
    lists themselves)."""
    if isinstance(value, (list, tuple)):
        if len(value) in (3, 4) and isinstance(value[0], str):
            yield value
        else:
            for item in value:
                yield from _k2_leaves(item)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _k2_leaves(item)


def _collect_k3(value, refs: list[Ref], stored) -> None:
    if isinstance(value, Mapping):
        if value.get("class_name") == "__keras_tensor__":
            cfg = value.get("config")
            if not isinstance(cfg, Mapping):
                raise Malformed(f"a call reads a tensor whose 'config' is {_kind(cfg)}, not an object")
            history = cfg.get("keras_history")
            if _is_ref(history):
                ref = (str(history[0]), int(history[1]), int(history[2]))
                refs.append(ref)
                stored[ref] = (_shape(cfg.get("shape")), cfg.get("dtype"))
            return
        for v in value.values():
            _collect_k3(v, refs, stored)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _collect_k3(v, refs, stored)


def _k2_kwarg_tensors(value) -> Iterator[list]:
    """tf.keras 2 writes a tensor keyword argument (`y=`, `value=`, `mask=[m1, m2]`) as
    `[layer, node, tensor]`, wherever it sits in the argument's structure."""
    if _is_ref(value) and len(value) == 3:
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _k2_kwarg_tensors(item)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _k2_kwarg_tensors(item)


# -- training configuration -------------------------------------------------------------------
def training_from_config(cfg: Mapping[str, Any], outputs: Sequence[str]) -> TrainingConfig | None:
    """Losses and loss weights keyed by output name, from a Keras 2 `training_config` or a
    Keras 3 `compile_config`, whatever structure (one, list, dict) the user compiled with."""
    loss = cfg.get("loss")
    if loss is None and not cfg.get("optimizer") and not cfg.get("optimizer_config"):
        return None
    per_output = _per_output(loss, outputs)
    weights_raw = cfg.get("loss_weights")
    weights = None
    if weights_raw is not None:
        w = _per_output(weights_raw, outputs)
        weights = {k: float(v) for k, v in w.items() if isinstance(v, (int, float))}
    optimizer = cfg.get("optimizer_config") or cfg.get("optimizer")
    opt_name, opt_config = None, {}
    if isinstance(optimizer, Mapping):
        opt_name = plain_class_name(optimizer)
        opt_config = dict(optimizer.get("config") or {}) if isinstance(optimizer.get("config"), Mapping) else {}
    elif isinstance(optimizer, str):
        opt_name = optimizer
    return TrainingConfig(
        loss={k: _loss_name(v) for k, v in per_output.items()},
        loss_weights=weights,
        metrics=tuple(_metric_names(cfg.get("metrics"))) + tuple(_metric_names(cfg.get("weighted_metrics"))),
        optimizer=opt_name,
        optimizer_config=opt_config,
        loss_config={k: dict(v.get("config") or {}) for k, v in per_output.items()
                     if isinstance(v, Mapping) and isinstance(v.get("config"), Mapping)},
    )


def _per_output(value, outputs: Sequence[str]) -> dict[str, Any]:
    if isinstance(value, Mapping) and not ("class_name" in value and "config" in value):
        return {str(k): v for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        if len(value) == len(outputs):
            return dict(zip(outputs, value))
        if len(value) == 1:
            return {o: value[0] for o in outputs}
        return {f"output_{i}": v for i, v in enumerate(value)}
    return {o: value for o in outputs}


def _loss_name(value) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        if value.get("class_name") == "function" and isinstance(value.get("config"), str):
            return value["config"]
        return plain_class_name(value)
    return str(value)


def _metric_names(value) -> Iterator[str]:
    if value is None:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        if "class_name" in value:
            # tf.keras wraps `metrics=["accuracy"]` as MeanMetricWrapper{name: "accuracy"}
            config = value.get("config")
            wrapped = isinstance(config, Mapping) and plain_class_name(value) == "MeanMetricWrapper"
            name = config.get("name") if wrapped else _loss_name(value)
            if name:
                yield name
        else:  # per output: {"age": ["mae"], ...} reads "age: mae"
            for output, v in value.items():
                yield from (f"{output}: {name}" for name in _metric_names(v))
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _metric_names(v)
