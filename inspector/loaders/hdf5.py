"""Legacy HDF5 model files (`.h5`, `.hdf5`, sometimes `.keras`): Keras 1, Keras 2, tf.keras, Keras 3.

Weights are read as metadata only (name, shape, dtype); no array is loaded. External links and
external storage would make h5py open other files, so they are refused, never followed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from inspector.errors import LoadError
from inspector.graph import ModelGraph, Source, Weight
from inspector.loaders.keras_config import LayerKey, parse_model


def open_hdf5(path: Path, file=None):
    """h5py.File on a path or a file-like object, with h5py's errors turned into one line."""
    import h5py

    try:
        return h5py.File(file if file is not None else path, "r")
    except OSError as exc:
        raise LoadError(path, f"not a readable HDF5 file (truncated or corrupt): {_first_line(exc)}") from None


def load_hdf5(path: Path) -> ModelGraph:
    with open_hdf5(path) as f:
        attrs = f.attrs
        if "model_config" not in attrs:
            groups = ", ".join(sorted(f.keys())[:5]) or "nothing"
            raise LoadError(
                path,
                "HDF5 file holds weights only, no model architecture (no 'model_config'; it holds "
                f"{groups}): it was written by save_weights(); load the model file instead",
            )
        config = read_json_attr(path, attrs, "model_config")
        training = read_json_attr(path, attrs, "training_config") if "training_config" in attrs else None
        source = Source(
            path=str(path),
            format="h5",
            keras_version=_text(attrs.get("keras_version")),
            backend=_text(attrs.get("backend")),
        )
        root = f.get("model_weights", None)
        weights = LegacyWeights(path, root) if root is not None else None
        return parse_model(config, source, weights, training)


def read_json_attr(path: Path, attrs, key: str) -> Any:
    text = _text(attrs.get(key))
    try:
        value = json.loads(text or "")
    except json.JSONDecodeError as exc:
        raise LoadError(path, f"attribute {key!r} is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise LoadError(path, f"attribute {key!r} is not a JSON object")
    return value


class LegacyWeights:
    """`model_weights/<layer>` groups listing their arrays in a `weight_names` attribute.

    A nested model keeps all its layers' weights in the one group of the outermost model layer.
    Keras 2 names them `<inner layer>/<weight>` whatever the depth; Keras 3 names them by the path
    below the outer layer (`projector/projector_dense/kernel` for a model nested twice), so inner
    layers are found by either prefix.
    """

    def __init__(self, path: Path, root):
        self.path = path
        self.root = root
        self._cache: dict[str, list[Weight]] = {}

    def layer_weights(self, path: tuple[LayerKey, ...]) -> list[Weight] | None:
        top = self._group_weights(path[0].name)
        if len(path) == 1:
            return top
        inner = path[-1].name
        below = "/".join(key.name for key in path[1:]) + "/"
        return [w for w in top if w.name.startswith(below) or w.name.split("/", 1)[0] == inner]

    def _group_weights(self, name: str) -> list[Weight]:
        if name not in self._cache:
            self._cache[name] = list(self._read_group(name))
        return self._cache[name]

    def _read_group(self, name: str):
        group = safe_get(self.path, self.root, name)
        if group is None:
            return
        names = group.attrs.get("weight_names")
        if names is None:
            yield from datasets(self.path, group, "")
            return
        for raw in list(names):
            weight_name = _text(raw)
            ds = safe_get(self.path, group, weight_name)
            if ds is None:
                raise LoadError(self.path, f"layer {name!r} lists weight {weight_name!r}, which the file lacks")
            check_dataset(self.path, ds)
            yield Weight(weight_name.removesuffix(":0"), tuple(int(d) for d in ds.shape), str(ds.dtype))


def safe_get(path: Path, group, name: str):
    """group[name] without following external links (which would open another file)."""
    import h5py

    current = group
    for part in [p for p in name.split("/") if p]:
        link = current.get(part, getlink=True)
        if link is None:
            return None
        if isinstance(link, h5py.ExternalLink):
            raise LoadError(
                path, f"HDF5 external link {current.name}/{part} -> {link.filename}:{link.path}; not followed"
            )
        current = current[part]
    return current


def check_dataset(path: Path, ds) -> None:
    if ds.external or ds.is_virtual:
        raise LoadError(path, f"dataset {ds.name} stores its data in another file; not followed")


def datasets(path: Path, group, prefix: str):
    """Every dataset below a group, depth first, `vars/0` before `vars/10` as Keras numbers them."""
    import h5py

    for key in sorted(group.keys(), key=_natural):
        link = group.get(key, getlink=True)
        if isinstance(link, h5py.ExternalLink):
            raise LoadError(path, f"HDF5 external link {group.name}/{key} -> {link.filename}; not followed")
        item = group[key]
        name = f"{prefix}{key}"
        if isinstance(item, h5py.Dataset):
            check_dataset(path, item)
            yield Weight(name, tuple(int(d) for d in item.shape), str(item.dtype))
        else:
            yield from datasets(path, item, name + "/")


def _natural(key: str):
    return (0, int(key), "") if key.isdigit() else (1, 0, key)


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
