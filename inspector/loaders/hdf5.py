"""Legacy HDF5 model files (`.h5`, `.hdf5`, sometimes `.keras`): Keras 1, Keras 2, tf.keras, Keras 3.

Weights are read as metadata only (name, shape, dtype); no array is loaded. External links and
external storage would make h5py open other files, so they are refused, never followed.

Metadata comes from the pure-Python reader in `hdf5_lite` when it understands the file, which
spares the import of h5py and numpy (half of a summary's run time). A file it does not support
is read by h5py in a child process (`hdf5_probe`): the HDF5 C library can segfault on a damaged
file, and in a child a crash is an exit status reported as a one-line error, not the end of
`inspect`. Nothing but export (which reads arrays, and loads the model with Keras anyway) runs
h5py in this process.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from inspector.errors import LoadError, one_line
from inspector.graph import ModelGraph, Source, Weight
from inspector.loaders.file_window import FileWindow
from inspector.loaders.hdf5_lite import (
    EXTERNAL,
    HARD,
    Corrupt,
    Dataset,
    Link,
    Metadata,
    Unsupported,
    read_metadata,
)
from inspector.loaders.keras_config import LayerKey, parse_model
from inspector.loaders.limits import parse_json

# The attributes any loader reads; the lite reader decodes these and only these.
WANTED_ATTRS = frozenset({"model_config", "training_config", "keras_version", "backend", "weight_names", "layer_names"})
# Tests set this to False to force the h5py path.
LITE = True
# How long the h5py child may take; a hostile file must not hang `inspect` (tests shrink it).
CHILD_TIMEOUT = 60.0
CORRUPT = "not a readable HDF5 file (truncated or corrupt)"


def open_hdf5(path: Path, file=None):
    """h5py.File on a path or a file-like object, with h5py's errors turned into one line.

    For callers that read arrays (export); loaders that need metadata only use open_metadata."""
    import h5py

    try:
        return h5py.File(file if file is not None else path, "r")
    except OSError as exc:
        raise LoadError(path, f"{CORRUPT}: {one_line(exc)}") from None


def open_metadata(path: Path, file=None) -> HDF5Metadata:
    """The metadata of an HDF5 file (a path, a FileWindow, or a seekable binary file object),
    read without h5py when possible, else by h5py in a child process."""
    if LITE:
        meta = _read_lite(path, file)
        if meta is not None:
            return HDF5Metadata(meta, "lite")
    return HDF5Metadata(read_in_child(path, file), "h5py")


def _read_lite(path: Path, file) -> Metadata | None:
    try:
        if file is not None:
            file.seek(0)
            meta = read_metadata(file, WANTED_ATTRS)
        else:
            with open(path, "rb") as raw:
                meta = read_metadata(raw, WANTED_ATTRS)
    except Corrupt as exc:
        raise LoadError(path, f"{CORRUPT}: {exc}") from None
    except (Unsupported, OSError):
        return None
    # `model_weights` as a soft or external link would need following: h5py decides what that means.
    if any(link.name == "model_weights" and link.kind != HARD for link in meta.links):
        return None
    return meta


def read_in_child(path: Path, file=None) -> Metadata:
    """The metadata as h5py reads it, in a child process, so that a crash or a hang of the HDF5
    C library on a damaged file becomes a LoadError. A FileWindow is passed as path, offset and
    size; any other file object (an inflated zip member, already bounded by its reader) is
    copied to a temporary file first."""
    temp = None
    try:
        if file is None:
            args = [str(Path(path).resolve())]
        elif isinstance(file, FileWindow):
            args = [str(Path(file.path).resolve()), str(file.start), str(file.size)]
        else:
            file.seek(0)
            with tempfile.NamedTemporaryFile(prefix="inspect-", suffix=".h5", delete=False) as out:
                temp = out.name
                shutil.copyfileobj(file, out)
            args = [temp]
        done = _run_child([json.dumps(sorted(WANTED_ATTRS)), *args], path)
    finally:
        if temp is not None:
            os.unlink(temp)
    if done.returncode < 0:
        raise LoadError(path, f"not a readable HDF5 file (h5py crashed reading it: signal {-done.returncode}"
                              f"{_signal_name(-done.returncode)}): the file is corrupt")
    try:
        result = json.loads(done.stdout)
    except json.JSONDecodeError:
        detail = _last_line(done.stderr) or f"exit status {done.returncode}"
        raise LoadError(path, f"not a readable HDF5 file (h5py failed reading it: {detail})") from None
    if "error" in result:
        raise LoadError(path, result["error"])
    return _metadata(result["meta"])


def child_command() -> list[str]:
    """The command of the h5py child (tests replace it with a stub that hangs or crashes)."""
    return [sys.executable, "-m", "inspector.loaders.hdf5_probe"]


def _run_child(args: list[str], path: Path) -> subprocess.CompletedProcess:
    # The child starts in the folder holding the `inspector` package, not in the user's current
    # folder: `python -m` puts its working folder first on sys.path, and a stray h5py.py or
    # json.py next to the user's model must not be imported (paths passed are absolute).
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(root), env.get("PYTHONPATH", "")) if p)
    try:
        return subprocess.run([*child_command(), *args], capture_output=True, text=True, cwd=root, env=env,
                              timeout=CHILD_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise LoadError(path, f"not a readable HDF5 file (h5py did not finish reading it within "
                              f"{CHILD_TIMEOUT:g} s): the file is corrupt or hostile") from None
    except OSError as exc:
        raise LoadError(path, f"cannot start the h5py reader for this HDF5 file: {one_line(exc)}") from None


def _signal_name(number: int) -> str:
    try:
        return f", {signal.Signals(number).name}"
    except ValueError:
        return ""


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _metadata(data: dict[str, Any]) -> Metadata:
    from inspector.loaders.hdf5_probe import decode

    links = []
    for item in data["links"]:
        dataset = item.get("dataset")
        external = item.get("external")
        links.append(Link(
            item["name"], item["kind"],
            external=(external[0], external[1]) if external else None,
            dataset=Dataset(tuple(dataset[0]), dataset[1], dataset[2]) if dataset else None,
            group=item.get("group", False),
        ))
    attrs = {group: {key: decode(value) for key, value in values.items()} for group, values in data["attrs"].items()}
    names = {group: tuple(listed) for group, listed in data["attr_names"].items()}
    return Metadata(tuple(links), attrs, names)


class _Attrs:
    """A group's attributes as the loaders use them: `in`, and `get` of a wanted attribute.

    A list Keras 2 split into numbered chunks (`weight_names0`, `weight_names1`, ...: h5py's
    object header caps an attribute at 64 KiB) reads back whole, as tf_keras'
    load_attributes_from_hdf5_group joins it."""

    def __init__(self, values: dict[str, Any], names: tuple[str, ...]):
        self.values, self.names = values, names

    def __contains__(self, key: str) -> bool:
        return key in self.names or f"{key}0" in self.names

    def get(self, key: str, default: Any = None) -> Any:
        if key not in WANTED_ATTRS:
            raise KeyError(f"attribute {key!r} is not read from HDF5 files")
        if key in self.names:
            return self.values.get(key, default)
        joined: list[Any] = []
        chunk = 0
        while f"{key}{chunk}" in self.values:
            value = self.values[f"{key}{chunk}"]
            joined.extend(value if isinstance(value, list) else [value])
            chunk += 1
        return joined if chunk else default


class HDF5Metadata:
    """An HDF5 file's metadata, read by hdf5_lite or by h5py in a child: the questions the
    loaders ask, answered from it."""

    def __init__(self, meta: Metadata, reader: str):
        self.meta = meta
        self.reader = reader  # "lite" or "h5py"
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
    value = parse_json(text or "", path, f"attribute {key!r}")
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

    def __init__(self, path: Path, h5: HDF5Metadata, index: HDF5Index):
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


def _refuse_reference(path: Path, reason: str, place: str, what: str) -> None:
    """A reference to another file is refused, and recorded for S108 (lint and scan report it)."""
    from inspector.graph import Payload
    from inspector.security import CarriesPayload

    detail = f"{what}: h5py, so Keras, opens that file while loading; keras-inspector never does"
    raise CarriesPayload(path, reason, (Payload("external-file", place, detail),), "h5")


class HDF5Index:
    """Every link of an HDF5 file, as the lite reader or the h5py child read them.

    External links are refused on sight and soft links are never followed: nothing here opens
    another file.
    """

    def __init__(self, path: Path, h5: HDF5Metadata, backslash_separates: bool = False):
        """`backslash_separates`: read `\\` in a link name as `/` (tf.keras 2.13-2.15 on Windows
        named the groups of a `.keras` file's weights `layers\\dense`, one group at the root)."""
        self.path = path
        self.arrays: dict[str, tuple[tuple[int, ...], str]] = {}
        self.children: dict[str, list[str]] = {"": []}
        self._listed: set[str] = set()
        for link in h5.links():
            name = link.name.replace("\\", "/") if backslash_separates else link.name
            if link.kind == EXTERNAL:
                filename, target = link.external or ("?", "?")
                _refuse_reference(path, f"HDF5 external link /{name} -> {filename}:{target}; not followed",
                                  f"/{name}", f"an HDF5 external link to {filename}:{target}")
            if link.kind != HARD:
                continue
            self._add_child(name)
            if link.dataset is not None:
                if link.dataset.foreign:
                    _refuse_reference(path, f"dataset /{name} stores its data in another file; not followed",
                                      f"/{name}", "a dataset whose data is stored in another file")
                self.arrays[name] = (link.dataset.shape, link.dataset.dtype)
            else:
                self.children.setdefault(name, [])
        for names in self.children.values():
            names.sort(key=_natural)

    def _add_child(self, name: str) -> None:
        """List `name` under its parent, and each parent under its own when no link named it
        (`layers` when the file only holds `layers\\dense`)."""
        while name not in self._listed:
            self._listed.add(name)
            parent, _, leaf = name.rpartition("/")
            self.children.setdefault(parent, []).append(leaf)
            name = parent
            if not name:
                break

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

