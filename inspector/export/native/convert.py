"""The layer graph to an ONNX model, call by call, nested models inlined, weights from the file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from onnx import ModelProto, helper

from inspector.errors import LoadError, UnsupportedError, one_line
from inspector.export.common import unique_names
from inspector.export.native import (  # noqa: F401 - each module registers its converters
    convolution,
    core,
    merging,
    normalization,
    pooling,
    recurrent,
    reshaping,
)
from inspector.export.native.emitter import Emitter, Value, identity, onnx_type
from inspector.export.native.registry import CONVERTERS, TENSOR_INPUTS, LayerCall
from inspector.export.native.weights import WeightFile, slots_of
from inspector.graph import ModelGraph

OPSET = 17
MODEL_CLASSES = {"Functional", "Sequential", "Model"}


def supported_classes() -> list[str]:
    return sorted(CONVERTERS)


def unsupported_layers(graph: ModelGraph) -> list[tuple[str, str]]:
    """(layer name, class) of every layer the native converter has no converter for."""
    missing = []
    for _, layer in graph.walk():
        if layer.is_input or (layer.subgraph is not None and layer.class_name in MODEL_CLASSES):
            continue
        if layer.class_name not in CONVERTERS:
            missing.append((layer.name, layer.class_name))
    return missing


def convert_graph(graph: ModelGraph, path: Path, kind: str, opset: int = OPSET, also: tuple[str, ...] = ()):
    """(ModelProto, input names, output names) for a model file read into `graph`; the tensors
    whose ids are in `also` become extra outputs, named by id (to compare inner layers)."""
    missing = unsupported_layers(graph)
    if missing:
        name, cls = missing[0]
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise UnsupportedError(path, f"layer {name!r} is a {cls}, which the native converter does not support{more}")
    model = ModelProto()
    em = Emitter(graph=model.graph)
    in_names = unique_names(list(graph.input_names))
    out_names = unique_names(list(graph.output_names))
    for name in in_names + out_names:
        em.reserve(name)
    inputs, values = [], {}
    for tensor_id, name in zip(graph.inputs, in_names):
        tensor = graph.tensor(tensor_id)
        if tensor.shape is None:
            raise UnsupportedError(path, f"input {name!r} has no known shape")
        dtype = _dtype(tensor.dtype)
        inputs.append(helper.make_tensor_value_info(name, onnx_type(dtype), _dims(name, tensor.shape)))
        values[tensor_id] = Value(name, identity(len(tensor.shape)), dtype)
    with WeightFile(path, kind) as weights:
        values = _walk(graph, values, em, weights, (), (), str(path))
    outputs = []
    for tensor_id, name in [*zip(graph.outputs, out_names), *((t, t) for t in also)]:
        value = values[tensor_id]
        em.nodes.append(helper.make_node("Identity", [em.keras(value)], [name], name=f"{name}_output"))
        shape = graph.tensor(tensor_id).shape
        outputs.append(helper.make_tensor_value_info(name, onnx_type(value.dtype), _dims(name, shape)
                                                     if shape is not None else None))
    onnx_graph = em.graph  # model.graph itself, its initializers written already
    onnx_graph.name = graph.name
    onnx_graph.node.extend(em.nodes)
    onnx_graph.input.extend(inputs)
    onnx_graph.output.extend(outputs)
    model.opset_import.append(helper.make_opsetid("", opset))
    model.producer_name = "keras-inspector"
    model.ir_version = 8  # onnxruntime reads IR 8 (opset 17) everywhere it is installed
    return model, in_names, out_names


def _walk(graph: ModelGraph, values: dict[str, Value], em: Emitter, weights: WeightFile,
          path: tuple[str, ...], slot_path: tuple[str, ...], source: str) -> dict[str, Value]:
    slots = slots_of(graph)
    masked = _masking_embedding_inputs(graph)
    for call in graph.calls:
        layer = graph.layer_of(call)
        if layer.is_input:
            continue
        unreached = [t for t in call.inputs if t not in values]
        if unreached:
            # An InputLayer the model does not declare (Keras refuses to build such a model):
            # the ONNX graph would have no input to feed it from.
            source_layer = graph.layer_of(graph.call(graph.tensor(unreached[0]).producer)).name
            raise UnsupportedError(source, f"layer {layer.name!r} reads {source_layer!r}, which is not a declared "
                                           "input of the model, so no exported input could feed it (Keras refuses "
                                           "to build this model too; `inspect lint` shows the graph's fault)")
        inputs = [values[t] for t in call.inputs]
        if layer.subgraph is not None and layer.class_name in MODEL_CLASSES:
            sub = layer.subgraph
            inner = dict(zip(sub.inputs, inputs))
            inner = _walk(sub, inner, em, weights, path + (layer.name,), slot_path + (slots[layer.name],), source)
            outs = [inner[t] for t in sub.outputs]
        else:
            expected = TENSOR_INPUTS[layer.class_name]
            if not inputs:  # a config whose call lists no inbound tensor: Keras cannot build it either
                raise LoadError(source, f"layer {layer.name!r} ({layer.class_name}) is called with no input tensor")
            if expected is not None and len(inputs) > expected:
                raise UnsupportedError(source, f"layer {layer.name!r} ({layer.class_name}) is called with "
                                               f"{len(inputs)} tensors (a mask or a state?); the native converter "
                                               f"reads {expected}")
            where, slot = path + (layer.name,), slot_path + (slots[layer.name],)
            shapes = [graph.tensor(t).shape for t in call.outputs]
            try:
                outs = CONVERTERS[layer.class_name](LayerCall(
                    em, layer, inputs, shapes,
                    lambda layer=layer, where=where, slot=slot: weights.arrays(where, slot, layer),
                    source, not masked.isdisjoint(call.inputs)))
            except (ValueError, TypeError, KeyError, IndexError, ArithmeticError) as exc:
                # The converters read the config as Keras writes it; a stranger's file is not
                # checked by anyone before that: a value of the wrong type or range ends here.
                raise LoadError(source, f"layer {layer.name!r} ({layer.class_name}): its config holds a value the "
                                        f"native converter cannot read ({type(exc).__name__}: {one_line(exc)})") from None
        if len(outs) != len(call.outputs):
            raise UnsupportedError(source, f"layer {layer.name!r}: {len(call.outputs)} outputs in the file, "
                                           f"{len(outs)} converted")
        values.update(zip(call.outputs, outs))
    return values


def _masking_embedding_inputs(graph: ModelGraph) -> set[str]:
    """The tensors an Embedding(mask_zero=True) reads; found once per graph, since a tensor read by
    thousands of calls would make a per-call search of its consumers quadratic."""
    return {t for call in graph.calls
            if (layer := graph.layer_of(call)).class_name == "Embedding" and layer.config.get("mask_zero")
            for t in call.inputs}


def _dims(name: str, shape) -> list:
    return ["batch" if i == 0 else (f"{name}_dim{i}" if d is None else int(d)) for i, d in enumerate(shape)]


def _dtype(dtype: str | None) -> str:
    try:
        return np.dtype(dtype or "float32").name
    except TypeError:
        return "float32"

