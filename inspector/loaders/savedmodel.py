"""SavedModel directories. tf.keras 2 wrote the Keras architecture beside the TensorFlow graph in
`keras_metadata.pb`; that is read with a small protobuf reader, so TensorFlow is never imported.
A SavedModel without it (`tf.saved_model.save`, Keras 3 `model.export`) holds only TensorFlow
functions: no layer graph can be read honestly from it, and the error says what to do instead."""

from __future__ import annotations

import json
from pathlib import Path

from inspector.errors import LoadError, one_line
from inspector.graph import ModelGraph, Source
from inspector.loaders.keras_config import parse_model
from inspector.loaders.limits import parse_json
from inspector.loaders.protobuf import fields

MAX_BYTES = 512 * 1024 * 1024


def load_savedmodel(path: Path) -> ModelGraph:
    if not (path / "saved_model.pb").is_file() and not (path / "saved_model.pbtxt").is_file():
        listed = ", ".join(sorted(p.name for p in path.iterdir())[:5]) or "nothing"
        raise LoadError(
            path,
            f"directory is not a SavedModel (no saved_model.pb; it holds {listed}): pass a model file",
        )
    payloads = _graph_payloads(path)
    meta_path = path / "keras_metadata.pb"
    if not meta_path.is_file():
        reason = ("SavedModel holds TensorFlow functions but no Keras architecture (no keras_metadata.pb: "
                  "written by tf.saved_model.save or Keras 3 model.export); inspect the .keras or .h5 file "
                  "it was exported from instead")
        if payloads:
            from inspector.security import CarriesPayload

            raise CarriesPayload(path, reason, payloads, "savedmodel")
        raise LoadError(path, reason)
    if meta_path.stat().st_size > MAX_BYTES:
        raise LoadError(path, "keras_metadata.pb is larger than 512 MiB; not read")
    root = _root_metadata(path, meta_path.read_bytes())
    config = {"class_name": root.get("class_name"), "config": root.get("config")}
    version = root.get("keras_version")
    source = Source(path=str(path), format="savedmodel", keras_version=str(version) if version else None,
                    payloads=payloads)
    note = "parameters are computed from the config: the SavedModel's variables are not read"
    return parse_model(config, source, None, root.get("training_config"), notes=(note,))


def _graph_payloads(path: Path) -> tuple:
    """The unsafe ops of saved_model.pb (inspector.security.savedmodel_ops)."""
    from inspector.security.savedmodel_ops import savedmodel_payloads

    graph = path / "saved_model.pb"
    if not graph.is_file():
        return ()
    if graph.stat().st_size > MAX_BYTES:
        raise LoadError(path, "saved_model.pb is larger than 512 MiB; not read")
    try:
        return savedmodel_payloads(graph.read_bytes())
    except (ValueError, IndexError) as exc:
        raise LoadError(path, f"saved_model.pb is corrupt: {one_line(exc)}") from None


def _root_metadata(path: Path, data: bytes) -> dict:
    """The metadata JSON of node 0 (`root`) of a keras SavedMetadata message."""
    try:
        for field, value in fields(data):
            if field != 1 or not isinstance(value, bytes):
                continue
            node = dict(fields(value))
            is_root = node.get(3) == b"root" or node.get(2, 0) == 0  # node_path, node_id
            if not is_root or not isinstance(node.get(5), bytes):  # 5: the metadata JSON
                continue
            meta = _decode(parse_json(node[5], path, "keras_metadata.pb"))
            if isinstance(meta, dict) and isinstance(meta.get("config"), dict):
                return meta
    except (ValueError, IndexError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise LoadError(path, f"keras_metadata.pb is corrupt: {one_line(exc)}") from None
    raise LoadError(path, "keras_metadata.pb has no model config for its root object")


def _decode(value):
    """Undo tf.keras' SavedModel JSON encoding of tuples and shapes
    (`{"class_name": "__tuple__", "items": [...]}`, likewise `TensorShape`): without this every
    `batch_input_shape` reads as a dict, and no shape or parameter count can be computed."""
    if isinstance(value, dict):
        if value.get("class_name") in ("__tuple__", "TensorShape") and isinstance(value.get("items"), list):
            return [_decode(v) for v in value["items"]]
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value
