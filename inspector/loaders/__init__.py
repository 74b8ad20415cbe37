"""Open any model source by what it contains, not by its extension."""

from __future__ import annotations

import gc
from pathlib import Path

from inspector.errors import LoadError
from inspector.graph import ModelGraph

ZIP_MAGIC = b"PK\x03\x04"
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"


def sniff(path: Path) -> str:
    """The format of a path: "savedmodel", "keras", "h5", "json" or "onnx"."""
    if path.is_dir():
        return "savedmodel"
    if not path.exists():
        raise LoadError(path, "no such file or directory")
    try:
        with open(path, "rb") as f:
            head = f.read(16)
            hdf5_later = any(_at(f, offset) == HDF5_MAGIC for offset in (512, 1024, 2048))
    except OSError as exc:
        raise LoadError(path, f"cannot be read: {exc.strerror or exc}") from None
    if not head:
        raise LoadError(path, "file is empty")
    if head.startswith((ZIP_MAGIC, b"PK\x05\x06")):
        return "keras"
    if head.startswith(HDF5_MAGIC) or hdf5_later:
        return "h5"
    if head.lstrip(b" \t\r\n\xef\xbb\xbf").startswith(b"{"):
        return "json"
    if head[:1] == b"\x08" and (path.suffix.lower() == ".onnx" or _onnx_header(head)):
        return "onnx"
    raise LoadError(
        path,
        "not a model file this tool reads: neither a .keras zip, an HDF5 file, Keras JSON nor ONNX "
        f"(it starts with {head[:8]!r})",
    )


def _onnx_header(head: bytes) -> bool:
    """An ONNX ModelProto under any name: field 1 (ir_version, a small varint) first, then the tag
    of another ModelProto field (producer_name, producer_version, domain, model_version, doc_string,
    graph, opset_import, metadata_props, training_info, functions, configuration)."""
    return len(head) > 2 and 1 <= head[1] <= 30 and head[2] in (
        0x12, 0x1A, 0x22, 0x28, 0x32, 0x3A, 0x42, 0x72, 0x7A, 0x82, 0x8A)


def _at(f, offset: int) -> bytes:
    f.seek(offset)
    return f.read(8)


def load_path(path: str | Path) -> ModelGraph:
    """Read a model file or SavedModel directory into a ModelGraph. Never imports TensorFlow.

    The cyclic garbage collector is paused while the graph is built: a 10,000-layer model
    allocates a few hundred thousand small objects and no cycles, and the collector's repeated
    full scans of them made loading grow faster than linearly (4.6 s against 2.0 s measured).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _load(Path(path))
    finally:
        if enabled:
            gc.enable()


def _load(path: Path) -> ModelGraph:
    kind = sniff(path)
    if kind == "keras":
        from inspector.loaders.keras_zip import load_keras_zip

        return load_keras_zip(path)
    if kind == "h5":
        from inspector.loaders.hdf5 import load_hdf5

        return load_hdf5(path)
    if kind == "json":
        from inspector.loaders.json_file import load_json

        return load_json(path)
    if kind == "savedmodel":
        from inspector.loaders.savedmodel import load_savedmodel

        return load_savedmodel(path)
    from inspector.loaders.onnx_file import load_onnx

    return load_onnx(path)
