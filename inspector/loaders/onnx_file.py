"""ONNX model files, mapped onto the same ModelGraph as Keras files so every rule and view applies.

Each node becomes a layer with one call (class_name = op_type, config = its attributes as plain
Python); the initializers a node reads become its weights, so parameters are counted from their
dims exactly, never loaded; graph inputs that are not initializers become InputLayers. Shapes come
from value_info, graph inputs and outputs, or ONNX shape inference when the file stores none.
An ONNX file is data: nothing in it runs, and `onnx` is imported only here.

Names: the IR names a model's inputs and outputs by the layer that produces them, but in ONNX the
names users know (Netron's, the exporter's `answer`) are the graph inputs' and outputs' value names,
while node names are converter paths (`qa_two_inputs_1/answer_1/Softmax`) or empty. So a node whose
output is exactly one graph output takes that output's name as its layer name (the node name goes
into a note), and summary, lint and render say `answer (Softmax)`. We rename the real node rather
than add a pass-through layer named after the output: a layer the file does not hold would change
layer counts and hide the real output op (Softmax, Sigmoid) from the rules that read it. A node
producing several graph outputs keeps its node name: one layer cannot carry two names.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from math import prod
from pathlib import Path
from typing import Any

from inspector.errors import LoadError, one_line
from inspector.graph import GraphBuilder, Layer, ModelGraph, Shape, Source, Weight
from inspector.loaders.onnx_checks import check_dimensions
from inspector.loaders.onnx_infer import inferred_value_infos

MAX_LIST = 64  # attribute lists longer than this are summarized, not copied into the config
SHARED_WEIGHT_MIN = 64  # a shared initializer this large is a weight worth naming, not a constant


ONNX_MISSING = "reading ONNX needs the onnx package: pip install 'keras-inspector[onnx]'"


def load_onnx(path: Path) -> ModelGraph:
    path = Path(path)
    try:
        import onnx
    except ImportError:  # an optional dependency: the core install (and the pre-commit hook) lacks it
        raise LoadError(path, ONNX_MISSING) from None
    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as exc:  # noqa: BLE001 - protobuf raises DecodeError, RuntimeWarning and more
        raise LoadError(path, f"not a readable ONNX file (truncated or corrupt): {one_line(exc)}") from None
    graph = model.graph
    if not graph.output:
        raise LoadError(
            path,
            f"the ONNX graph declares no outputs ({len(graph.node)} nodes read): the file is truncated "
            "or not a model",
        )
    notes = check_dimensions(path, model)  # before any native code sees the model
    return _build(path, model, notes)


def _build(path: Path, model, checked_notes: list[str]) -> ModelGraph:
    graph = model.graph
    initializers = {t.name: t for t in graph.initializer}
    for sparse in graph.sparse_initializer:
        initializers.setdefault(sparse.values.name, sparse)
    shapes, dtypes = _value_types(model)
    notes = _model_notes(model) + checked_notes
    if _needs_inference(graph, shapes):
        inferred, failure = inferred_value_infos(model)
        if failure:
            notes.append(f"ONNX shape inference failed on this file, so shapes it does not store are unknown: {failure}")
        if inferred is not None:
            more_shapes, more_dtypes = _value_types(inferred)
            for k, v in more_shapes.items():
                shapes.setdefault(k, v)
            for k, v in more_dtypes.items():
                dtypes.setdefault(k, v)
            notes.append("shapes the file does not store were computed by ONNX shape inference")

    builder = GraphBuilder(graph.name or path.stem, "ONNX", Source(path=str(path), format="onnx",
                                                                 keras_version=_meta(model, "keras_version")))
    output_names = _output_names(graph, initializers)
    names: set[str] = set(output_names.values())  # reserved: no other node or input may take them
    produced: dict[str, str] = {}  # ONNX value name -> our tensor id

    for value in graph.input:
        if value.name in initializers:
            continue  # an initializer listed as an input (IR < 4 style) is a weight, not an input
        name = _unique(value.name or "input", names)
        builder.add_layer(Layer(name, "InputLayer", {"name": value.name, "batch_shape": _list(shapes.get(value.name)),
                                                     "dtype": dtypes.get(value.name)},
                                module="onnx", params=0, trainable_params=0))
        call = builder.add_call(name, 0, [], [shapes.get(value.name)], [dtypes.get(value.name)])
        produced[value.name] = call.outputs[0]
        builder.inputs.append(call.outputs[0])

    opsets = {o.domain or "ai.onnx": o.version for o in model.opset_import}
    owner: dict[str, str] = {}  # initializer -> the first node that reads it (its owner)
    shared: dict[str, list[str]] = {}  # initializer -> every node that reads it
    renamed: list[str] = []
    for i, node in enumerate(graph.node):
        if i in output_names:
            name = output_names[i]
            if node.name != name:
                renamed.append(f"{name} (node {node.name!r})" if node.name else f"{name} (an unnamed {node.op_type})")
        else:
            name = _unique(node.name or f"{node.op_type}_{i}", names)
        weights, tensor_inputs, constants = [], [], {}
        for position, value in enumerate(node.input):
            if not value:
                continue  # an omitted optional input
            if value in initializers and value not in produced:
                if not parameter_input(node, position, initializers[value], opsets):
                    constants[value] = _tensor_summary(_dense(initializers[value]))
                    continue
                if value in owner:
                    if owner[value] != name:
                        shared.setdefault(value, [owner[value]]).append(name)
                    continue
                owner[value] = name
                weights.append(_weight(initializers[value]))
                continue
            if value not in produced:
                raise LoadError(path, f"node {name!r} ({node.op_type}) reads {value!r}, which no node, input or "
                                      "initializer provides: the file is truncated or invalid")
            tensor_inputs.append(produced[value])
        params = sum(w.size for w in weights)
        config = _attributes(node)
        if constants:  # shapes, axes, indices...: what the node reads, not what it learned
            config[CONSTANTS] = constants
        builder.add_layer(Layer(name, node.op_type, config, module=node.domain or "onnx",
                                weights=tuple(weights), params=params, trainable_params=params))
        outs = list(node.output)
        call = builder.add_call(name, 0, tensor_inputs, [shapes.get(o) for o in outs], [dtypes.get(o) for o in outs])
        for value, tid in zip(outs, call.outputs):
            if value:
                produced[value] = tid

    for value in graph.output:
        if value.name not in produced and value.name in initializers:  # a constant output
            name = _unique(value.name, names)
            weight = _weight(initializers[value.name])
            builder.add_layer(Layer(name, "Initializer", {"name": value.name}, module="onnx",
                                    weights=(weight,), params=weight.size, trainable_params=weight.size))
            produced[value.name] = builder.add_call(name, 0, [], [weight.shape], [weight.dtype]).outputs[0]
        if value.name not in produced:
            raise LoadError(path, f"graph output {value.name!r} is produced by no node: the file is truncated "
                                  "or invalid")
        builder.outputs.append(produced[value.name])
    read = {v for node in graph.node for v in node.input}
    unused = [n for n in initializers if n not in read and n not in {v.name for v in graph.output}]
    if unused:
        notes.append(f"{len(unused)} initializer(s) read by no node, not counted: " + ", ".join(unused[:5])
                     + (" ..." if len(unused) > 5 else ""))
    if renamed:
        notes.append("the nodes producing graph outputs are named after them: " + ", ".join(renamed[:5])
                     + (" ..." if len(renamed) > 5 else ""))
    notes += _shared_notes(shared, initializers)
    builder.notes.extend(notes)
    try:
        return builder.build()
    except ValueError as exc:
        raise LoadError(path, f"the ONNX graph is not a valid graph: {exc}") from None


# -- types and shapes ------------------------------------------------------------------------
def _value_types(model) -> tuple[dict[str, Shape | None], dict[str, str | None]]:
    shapes: dict[str, Shape | None] = {}
    dtypes: dict[str, str | None] = {}
    graph = model.graph
    for value in list(graph.input) + list(graph.output) + list(graph.value_info):
        if not value.type.HasField("tensor_type"):
            continue
        tt = value.type.tensor_type
        if tt.HasField("shape"):
            shapes[value.name] = tuple(d.dim_value if d.HasField("dim_value") else None for d in tt.shape.dim)
        if tt.elem_type:
            dtypes[value.name] = _dtype_name(tt.elem_type)
    return shapes, dtypes


def _needs_inference(graph, shapes: Mapping[str, Any]) -> bool:
    """Some node output has no stored shape: only then is ONNX shape inference worth its cost."""
    return any(o and o not in shapes for node in graph.node for o in node.output)


# -- which initializers are parameters ---------------------------------------------------------
CONSTANTS = "constant inputs"  # the config key listing a node's initializers that are not weights
FLOAT_TYPES = frozenset({"float", "double", "float16", "bfloat16", "float8e4m3fn", "float8e4m3fnuz",
                         "float8e5m2", "float8e5m2fnuz", "float4e2m1"})
QUANTIZED_TYPES = frozenset({"int8", "uint8", "int4", "uint4", "int16", "uint16"})
INDEX_TYPES = frozenset({"int32", "int64"})
# Inputs that carry an operator's settings as a tensor, not something learned: Resize's scales
# and region of interest, Clip's bounds, Pad's fill value, and quantization's scales and zero
# points (the encoding of a weight, not more weights).
SETTING_INPUTS = frozenset({"scales", "roi", "min", "max", "constant_value"})


def parameter_input(node, position: int, init, opsets: Mapping[str, int]) -> bool:
    """Whether the initializer `init`, read as input `position` of `node`, is a parameter.

    Exporters store a model's weights as initializers, but also every shape, axis list and index
    a Reshape, Slice, Gather or Unsqueeze reads (tf2onnx folds whole shape computations into
    int64 constants); counting those would inflate the parameters against the Keras model. The
    ONNX operator schema says what an input is: one that takes int64 and nothing but int32/int64
    (`shape`, `axes`, `starts`, `indices`, `repeats`, `pads`) is never a weight; a setting passed as a tensor
    (SETTING_INPUTS, `*_scale`, `*_zero_point`) neither. Elsewhere the dtype decides: floating
    point and the small integers of quantized weights are parameters; int64 is shape arithmetic
    (a Concat or Gather of shape pieces); int32 is a parameter only where int64 is not accepted
    (QLinearConv's bias). An operator the schemas do not know is judged by dtype alone.
    """
    dtype = _dtype_name(init.values.data_type if hasattr(init, "values") else init.data_type)
    dtype = {"float32": "float", "float64": "double"}.get(dtype, dtype)
    domain = node.domain if node.domain not in ("", "ai.onnx") else ""
    formal = _formal_input(node.op_type, domain, opsets.get(domain or "ai.onnx"), position)
    if formal is not None:
        name, allowed = formal
        if "int64" in allowed and allowed <= INDEX_TYPES:
            return False
        if name in SETTING_INPUTS or name.endswith(("_scale", "_zero_point")):
            return False
        if dtype == "int32":
            return "int64" not in allowed
    return dtype in FLOAT_TYPES or dtype in QUANTIZED_TYPES


@functools.lru_cache(maxsize=4096)
def _formal_input(op_type: str, domain: str, version: int | None, position: int
                  ) -> tuple[str, frozenset[str]] | None:
    """(name, element types it accepts) of the schema input that `position` binds to, or None
    for an operator (or an input past its last) that the ONNX schemas do not describe."""
    from onnx import defs

    try:
        schema = defs.get_schema(op_type, version or defs.onnx_opset_version(), domain)
    except Exception:  # noqa: BLE001 - onnx raises SchemaError for an operator it does not know
        return None
    inputs = schema.inputs
    if not inputs:
        return None
    formal = inputs[min(position, len(inputs) - 1)]
    if position >= len(inputs) and formal.option != defs.OpSchema.FormalParameterOption.Variadic:
        return None
    constraints = {c.type_param_str: c.allowed_type_strs for c in schema.type_constraints}
    types = constraints.get(formal.type_str, [formal.type_str])
    return formal.name, frozenset(t.removeprefix("tensor(").removesuffix(")") for t in types)


def _dense(init):
    """The TensorProto of an initializer (a sparse one's values)."""
    return init.values if hasattr(init, "values") else init


def _weight(init) -> Weight:
    dims = tuple(int(d) for d in init.dims)
    if hasattr(init, "values"):  # a SparseTensorProto: its dense shape is what the op sees
        return Weight(init.values.name, dims, _dtype_name(init.values.data_type), trainable=True)
    return Weight(init.name, dims, _dtype_name(init.data_type), trainable=True)


def _dtype_name(elem_type: int) -> str:
    from onnx import TensorProto

    try:
        name = TensorProto.DataType.Name(elem_type).lower()
    except ValueError:
        return f"onnx_type_{elem_type}"
    return {"float": "float32", "double": "float64"}.get(name, name)


def _list(shape: Shape | None) -> list | None:
    return None if shape is None else list(shape)


# -- attributes as plain Python --------------------------------------------------------------
def _attributes(node) -> dict[str, Any]:
    from onnx import AttributeProto, helper

    config: dict[str, Any] = {}
    for attr in node.attribute:
        if attr.type == AttributeProto.TENSOR:
            config[attr.name] = _tensor_summary(attr.t)
        elif attr.type == AttributeProto.TENSORS:
            config[attr.name] = [_tensor_summary(t) for t in attr.tensors[:MAX_LIST]]
        elif attr.type == AttributeProto.GRAPH:
            config[attr.name] = {"graph": attr.g.name, "nodes": len(attr.g.node)}
        elif attr.type == AttributeProto.GRAPHS:
            config[attr.name] = [{"graph": g.name, "nodes": len(g.node)} for g in attr.graphs]
        elif attr.type == AttributeProto.SPARSE_TENSOR:
            config[attr.name] = {"sparse_tensor": list(attr.sparse_tensor.dims)}
        elif attr.type == AttributeProto.TYPE_PROTO:
            config[attr.name] = str(attr.tp).strip()
        else:
            value = helper.get_attribute_value(attr)
            config[attr.name] = _plain(value)
    return config


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, (list, tuple)):
        items = [_plain(v) for v in value[:MAX_LIST]]
        return items + [f"... {len(value) - MAX_LIST} more"] if len(value) > MAX_LIST else items
    return value


def _tensor_summary(tensor) -> dict[str, Any]:
    """A constant's dims and dtype, and its value when it is small enough to read at a glance."""
    from onnx import numpy_helper

    summary: dict[str, Any] = {"dims": [int(d) for d in tensor.dims], "dtype": _dtype_name(tensor.data_type)}
    if prod(summary["dims"]) <= 16 and tensor.data_location != 1:  # 1 = EXTERNAL
        try:
            summary["value"] = numpy_helper.to_array(tensor).tolist()
        except Exception:  # noqa: BLE001 - an unusual encoding: keep dims and dtype only
            summary["value"] = None
    return summary


# -- names and notes -------------------------------------------------------------------------
def _output_names(graph, initializers: Mapping[str, Any]) -> dict[int, str]:
    """Node index -> the graph output it is named after: nodes producing exactly one graph output.

    Graph inputs and initializers need no entry: their layers already carry the value's name."""
    wanted = {v.name for v in graph.output if v.name} - {v.name for v in graph.input} - set(initializers)
    names: dict[int, str] = {}
    for i, node in enumerate(graph.node):
        mine = [o for o in node.output if o in wanted]
        if len(mine) == 1:
            names[i] = mine[0]
    return names


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 0
    while candidate in taken:
        n += 1
        candidate = f"{name}_{n}"
    taken.add(candidate)
    return candidate


def _shared_notes(shared: Mapping[str, list[str]], initializers: Mapping[str, Any]) -> list[str]:
    """Weights read by several nodes are counted once, under the first; say so for real weights,
    and only count the small constants (axes, starts...) converters share everywhere."""
    notes, small = [], 0
    for value, readers in shared.items():
        if _weight(initializers[value]).size < SHARED_WEIGHT_MIN:
            small += 1
            continue
        notes.append(f"initializer {value!r} is read by {len(readers)} nodes ({', '.join(readers[:4])}"
                     f"{' ...' if len(readers) > 4 else ''}): counted once, under {readers[0]}")
    if small:
        notes.append(f"{small} small constant(s) read by several nodes are counted once, under their first reader")
    return notes


def _meta(model, key: str) -> str | None:
    return next((p.value for p in model.metadata_props if p.key == key), None)


def _model_notes(model) -> list[str]:
    opsets = ", ".join(f"{o.domain or 'ai.onnx'} {o.version}" for o in model.opset_import)
    version = model.producer_version.removesuffix(" None")  # tf2onnx appends its git hash, or None
    producer = " ".join(p for p in (model.producer_name, version) if p)
    note = f"ONNX IR {model.ir_version}, opset {opsets or '?'}"
    if producer:
        note += f", produced by {producer}"
    source = _meta(model, "source")
    if source:
        note += f", exported from {source}"
    return [note]
