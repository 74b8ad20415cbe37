"""What both ONNX routes (native and tf2onnx) share: the refusals they give alike, the graph's ends
named, the file written, the result they return, and Keras called the way conversion and
verification both call it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inspector.errors import UnsupportedError
from inspector.graph import ModelGraph
from inspector.security.lambdas import holds_bytecode


@dataclass(frozen=True)
class TensorInfo:
    name: str
    shape: tuple[int | str | None, ...]
    dtype: str


@dataclass(frozen=True)
class ExportResult:
    source: str
    output: Path
    opset: int
    inputs: tuple[TensorInfo, ...]
    outputs: tuple[TensorInfo, ...]
    how: str
    translations: tuple[str, ...]
    keras_error: str | None
    size_bytes: int
    seconds: Mapping[str, float]
    verification: Any = None  # inspector.export.verify.Verification, when verified
    metadata: Mapping[str, str] = field(default_factory=dict)
    converter: str = "tf2onnx"  # "native" (from the file, no TensorFlow) or "tf2onnx"
    fallback: str | None = None  # why `auto` did not use the native converter
    warning: str | None = None  # the file carries security findings: the one-line warning


def not_exportable(target: str, kind: str) -> UnsupportedError:
    """The error for a file no converter can export."""
    why = {
        "json": "an architecture JSON holds no weights",
        "savedmodel": "Keras 3 cannot load a SavedModel directory as a Keras model",
        "onnx": "it is already ONNX",
    }.get(kind, "")
    return UnsupportedError(target, f"export reads .keras and .h5 model files and Python builders, not {kind} ({why})")


def bytecode_refusals(graph: ModelGraph) -> Iterator[str]:
    """Why no converter will export this graph: a layer holds serialized Python bytecode, which
    Keras would have to run to build it and this tool never runs (the same answer with and
    without TensorFlow installed)."""
    for _, layer in graph.walk():
        if holds_bytecode(layer.config):
            yield (f"layer {layer.name!r} is a {layer.class_name} holding serialized Python bytecode, which this "
                   "tool never executes (not even with --custom-objects): export from the Python builder instead "
                   "(`module:function`), or replace the Lambda with a named layer")


def unique_names(names: list[str]) -> list[str]:
    """The names in order, a repeat suffixed _1, _2... (ONNX graph inputs and outputs need distinct names)."""
    seen: dict[str, int] = {}
    out = []
    for n in names:
        if n in seen:
            seen[n] += 1
            out.append(f"{n}_{seen[n]}")
        else:
            seen[n] = 0
            out.append(n)
    return out


def write_model(proto: Any, metadata: Mapping[str, str], output: Path) -> None:
    """Record `metadata` in the model's metadata_props and write it to `output`."""
    for key, value in metadata.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    output.write_bytes(proto.SerializeToString())


def tensor_info(value) -> TensorInfo:
    from onnx import helper

    tt = value.type.tensor_type
    shape = tuple(d.dim_param or (d.dim_value if d.HasField("dim_value") else None) for d in tt.shape.dim)
    try:
        dtype = helper.tensor_dtype_to_np_dtype(tt.elem_type).name
    except Exception:  # noqa: BLE001 - a type numpy lacks (bfloat16...): show ONNX's code
        dtype = str(tt.elem_type)
    return TensorInfo(value.name, shape, dtype)


def call_model(model: Any, flat_inputs: list) -> list:
    """Call the model on flat inputs, packed into its own input structure; flat outputs back."""
    import keras

    struct = getattr(model, "_inputs_struct", None)
    if struct is not None:
        args = keras.tree.pack_sequence_as(struct, list(flat_inputs))
    else:
        args = flat_inputs[0] if len(flat_inputs) == 1 else list(flat_inputs)
    return keras.tree.flatten(model(args, training=False))
