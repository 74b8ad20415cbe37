"""Architecture JSON as written by `model.to_json()`: a config and no weights, so parameters
are computed from the config."""

from __future__ import annotations

from pathlib import Path

from inspector.errors import LoadError
from inspector.graph import ModelGraph, Source
from inspector.loaders.keras_config import parse_model
from inspector.loaders.limits import parse_json

MAX_BYTES = 256 * 1024 * 1024


def load_json(path: Path) -> ModelGraph:
    if path.stat().st_size > MAX_BYTES:
        raise LoadError(path, f"JSON file is larger than {MAX_BYTES // 2**20} MiB; not read")
    config = parse_json(path.read_bytes(), path, "the JSON")
    if not isinstance(config, dict) or "class_name" not in config or "config" not in config:
        raise LoadError(path, "JSON is not a Keras model config (expected 'class_name' and 'config' keys)")
    version, backend = config.get("keras_version"), config.get("backend")
    source = Source(
        path=str(path),
        format="json",
        keras_version=str(version) if version else None,
        backend=str(backend) if backend else None,
    )
    # parse_model reads only a dict as the compile config: anything else becomes a note
    return parse_model(config, source, None, config.get("compile_config"))
