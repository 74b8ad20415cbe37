"""Legacy HDF5 model files (`.h5`, `.hdf5`, sometimes `.keras`): Keras 1, Keras 2, tf.keras, Keras 3.

Weights are read as metadata only (name, shape, dtype); no array is loaded. External links and
external storage would make h5py open other files, so they are refused, never followed.

Metadata comes from the pure-Python reader in `hdf5_lite` when it understands the file, which
spares the import of h5py and numpy (half of a summary's run time); anything it does not
understand falls back to h5py, which then reads the file exactly as before.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from inspector.errors import LoadError
from inspector.graph import ModelGraph, Source, Weight
from inspector.loaders.hdf5_lite import (
    EXTERNAL,
    HARD,
    Dataset,
    Link,
    Metadata,
    Unsupported,
    read_metadata,
)
from inspector.loaders.keras_config import LayerKey, parse_model

# The attributes any loader reads; the lite reader decodes these and only these.
WANTED_ATTRS = frozenset({"model_config", "training_config", "keras_version", "backend", "weight_names", "layer_names"})
# Tests set this to False to force the h5py path.
LITE = True


def open_hdf5(path: Path, file=None):
    """h5py.File on a path or a file-like object, with h5py's errors turned into one line.

    For callers that read arrays (export); loaders that need metadata only use open_metadata."""
    import h5py

    try:
        return h5py.File(file if file is not None else path, "r")
    except OSError as exc:
        raise LoadError(path, f"not a readable HDF5 file (truncated or corrupt): {_first_line(exc)}") from None


def open_metadata(path: Path, file=None) -> LiteHDF5 | H5pyHDF5:
    """The metadata of an HDF5 file (a path, or a seekable binary file object), read without
    h5py when possible; h5py reads it (and reports any error) when the lite reader cannot."""
    if LITE:
        meta = _read_lite(path, file)
        if meta is not None:
            return LiteHDF5(meta)
        if file is not None:
            file.seek(0)
    return H5pyHDF5(open_hdf5(path, file))


def _read_lite(path: Path, file) -> Metadata | None:
    try:
        if file is not None:
            meta = read_metadata(file, WANTED_ATTRS)
        else:
            with open(path, "rb") as raw:
                meta = read_metadata(raw, WANTED_ATTRS)
    except (Unsupported, OSError):
        return None
    # `model_weights` as a soft or external link would need following: h5py decides what that means.
    if any(link.name == "model_weights" and link.kind != HARD for link in meta.links):
        return None
    return meta


class _Attrs:
    """A group's attributes as the loaders use them: `in`, and `get` of a wanted attribute."""

    def __init__(self, values: dict[str, Any], names: tuple[str, ...]):
        self.values, self.names = values, names

    def __contains__(self, key: str) -> bool:
        return key in self.names

    def get(self, key: str, default: Any = None) -> Any:
        if key not in WANTED_ATTRS:
            raise KeyError(f"attribute {key!r} is not read by the lite HDF5 reader")
        return self.values.get(key, default)


class LiteHDF5:
    """Metadata read by hdf5_lite; the same questions H5pyHDF5 answers, answered from it."""

    reader = "lite"

    def __init__(self, meta: Metadata):
        self.meta = meta
        self.attrs = self.group_attrs("")

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        pass

    def keys(self) -> list[str]:
        return [link.name for link in self.meta.links if "/" not in link.name]

    def has(self, name: str) -> bool:
        return any(link.name == name for link in self.meta.links)

    def group_attrs(self, group: str) -> _Attrs:
        return _Attrs(self.meta.attrs.get(group, {}), self.meta.attr_names.get(group, ()))

    def links(self) -> Iterator[Link]:
        return iter(self.meta.links)


class H5pyHDF5:
    """The same facts through h5py, for files the lite reader declines."""

    reader = "h5py"

    def __init__(self, h5):
        self.h5 = h5
        self.attrs = h5.attrs

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.h5.close()

    def keys(self) -> list[str]:
        return list(self.h5.keys())

    def has(self, name: str) -> bool:
        return self.h5.get(name, None) is not None

    def group_attrs(self, group: str):
        return self.h5[group].attrs

    def links(self) -> Iterator[Link]:
        """Every link in one low-level visit, then a dataset open per array: a third of the cost
        of walking h5py's high-level objects."""
        from h5py import h5d, h5l, h5o

        h5 = self.h5
        found: list[tuple[str, int]] = []
        h5.id.links.visit(lambda name, info: found.append((name.decode("utf-8", "replace"), info.type)), info=True)
        for name, kind in found:
            if kind == h5l.TYPE_EXTERNAL:
                target = h5.get(name, getlink=True)
                yield Link(name, EXTERNAL, external=(target.filename, target.path))
            elif kind != h5l.TYPE_HARD:
                yield Link(name, kind)
            elif h5o.get_info(h5.id, name.encode()).type == h5o.TYPE_DATASET:
                dataset = h5d.open(h5.id, name.encode())
                plist = dataset.get_create_plist()
                if plist.get_external_count() or plist.get_layout() == h5d.VIRTUAL:
                    yield Link(name, HARD, dataset=Dataset((), "", True))
                else:
                    yield Link(name, HARD, dataset=Dataset(tuple(int(d) for d in dataset.shape), str(dataset.dtype), False))
            else:
                yield Link(name, HARD, group=True)


def load_hdf5(path: Path) -> ModelGraph:
    with open_metadata(path) as f:
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
        weights = LegacyWeights(path, f, HDF5Index(path, f)) if f.has("model_weights") else None
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

    def __init__(self, path: Path, h5: LiteHDF5 | H5pyHDF5, index: HDF5Index):
        self.path = path
        self.h5 = h5
        self.index = index
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

    def _read_group(self, name: str) -> Iterator[Weight]:
        group = f"model_weights/{name}"
        if not self.index.is_group(group):
            return
        names = self.h5.group_attrs(group).get("weight_names")
        if names is None:
            yield from self.index.walk(group, "")
            return
        for raw in list(names):
            weight_name = _text(raw) or ""
            weight = self.index.weight(f"{group}/{weight_name}", weight_name.removesuffix(":0"))
            if weight is None:
                raise LoadError(self.path, f"layer {name!r} lists weight {weight_name!r}, which the file lacks")
            yield weight


class HDF5Index:
    """Every link of an HDF5 file, read in one pass (lite reader or h5py's low-level API).

    External links are refused on sight and soft links are never followed: nothing here opens
    another file.
    """

    def __init__(self, path: Path, h5: LiteHDF5 | H5pyHDF5):
        self.path = path
        self.arrays: dict[str, tuple[tuple[int, ...], str]] = {}
        self.children: dict[str, list[str]] = {"": []}
        for link in h5.links():
            name = link.name
            if link.kind == EXTERNAL:
                filename, target = link.external or ("?", "?")
                raise LoadError(path, f"HDF5 external link /{name} -> {filename}:{target}; not followed")
            if link.kind != HARD:
                continue
            parent, _, leaf = name.rpartition("/")
            self.children.setdefault(parent, []).append(leaf)
            if link.dataset is not None:
                if link.dataset.foreign:
                    raise LoadError(path, f"dataset /{name} stores its data in another file; not followed")
                self.arrays[name] = (link.dataset.shape, link.dataset.dtype)
            else:
                self.children.setdefault(name, [])
        for names in self.children.values():
            names.sort(key=_natural)

    def is_group(self, name: str) -> bool:
        return name in self.children

    def weight(self, name: str, label: str | None = None) -> Weight | None:
        found = self.arrays.get(name)
        return None if found is None else Weight(label or name, *found)

    def walk(self, group: str, prefix: str) -> Iterator[Weight]:
        """Every array below a group, depth first, `vars/0` before `vars/10` as Keras numbers them."""
        for child in self.children.get(group, ()):
            full = f"{group}/{child}" if group else child
            if full in self.arrays:
                yield Weight(prefix + child, *self.arrays[full])
            else:
                yield from self.walk(full, f"{prefix}{child}/")


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
