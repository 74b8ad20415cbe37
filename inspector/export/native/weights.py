"""The weight arrays of a model file, read as data (h5py or numpy), never through Keras.

The layer graph already says which arrays each layer owns, their shapes and their order; this
module only finds the bytes: `layers/<name>/.../vars/<i>` in a `.keras` zip's `model.weights.h5`
(or `model.weights.npz`), `model_weights/<outer layer>/<weight name>` in a legacy HDF5 file.
Every array is checked against the shape the graph recorded, so a file whose arrays do not
match its own config is refused instead of producing a wrong ONNX model.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import NamedTuple

import numpy as np

from inspector.errors import LoadError, UnsupportedError
from inspector.graph import Layer, ModelGraph
from inspector.loaders.keras_config import _snake_case as snake_case


class WeightFile:
    """Arrays by layer nesting path, from one open model file; use as a context manager."""

    def __init__(self, path: Path, kind: str):
        self.path = path
        self.kind = kind
        self._h5 = None
        self._npz = None
        self._raw = None  # the .keras file, open while its weights member is read in place
        if kind == "keras":
            self._open_zip()
        elif kind == "h5":
            from inspector.loaders.hdf5 import open_hdf5

            self._h5 = open_hdf5(path)
        else:
            raise UnsupportedError(path, f"a {kind} file holds no weights to export")

    def _open_zip(self) -> None:
        """The weights member as the loader reads it (keras_zip): the last member of its name, as
        Keras reads it; declared sizes checked before anything is inflated, stored members read in
        place and compressed ones inflated in bounded memory, so a zip bomb costs no memory."""
        from inspector.loaders.hdf5 import open_hdf5
        from inspector.loaders.keras_zip import _member_bytes, _member_file

        try:
            archive = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise LoadError(self.path, f"cannot read the weights from the archive: {exc}") from None
        with archive:
            members = {info.filename: info for info in archive.infolist()}
            if "model.weights.h5" in members:
                self._raw = open(self.path, "rb")  # noqa: SIM115 - closed in __exit__, or below on failure
                try:
                    self._h5 = WindowsNames.around(open_hdf5(self.path, _member_file(
                        self.path, archive, self._raw, members["model.weights.h5"])))
                except BaseException:
                    self._raw.close()
                    raise
            elif "model.weights.npz" in members:
                data = _member_bytes(self.path, archive, members["model.weights.npz"])
                try:
                    self._npz = np.load(io.BytesIO(data), allow_pickle=False)
                except ValueError:  # numpy's "contains pickled (object) data": a bare pickle
                    raise LoadError(self.path, "model.weights.npz is not an npz archive but a pickle, which "
                                               f"this tool never unpickles: `inspect scan {self.path}` says "
                                               "what it would run") from None
                except (OSError, EOFError, zipfile.BadZipFile) as exc:
                    raise LoadError(self.path, f"model.weights.npz is not a readable npz archive: {exc}") from None
                if not hasattr(self._npz, "files"):  # np.load read a bare .npy array, not an archive
                    raise LoadError(self.path, "model.weights.npz holds one bare array, not an npz archive of "
                                               "the layers' arrays")
            else:
                raise LoadError(self.path, "the .keras archive holds no weights (no model.weights.h5 or .npz)")

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        if self._h5 is not None:
            self._h5.close()
        if self._raw is not None:
            self._raw.close()

    def arrays(self, path: tuple[str, ...], slots: tuple[Slot, ...], layer: Layer) -> list[np.ndarray]:
        """The layer's arrays in the order the graph lists its weights, each of the recorded
        shape. `path` is the layer's nesting path by name, itself last; `slots` the same path
        by Keras 3 storage slot (see slots_of)."""
        prefix = "/".join(path) + "/"
        return [self._read(path, slots, prefix, weight.name, tuple(weight.shape), layer.name)
                for weight in layer.weights]

    def _read(self, path: tuple[str, ...], slots: tuple[Slot, ...], prefix: str, name: str,
              shape: tuple, layer: str) -> np.ndarray:
        rest = name.removeprefix(prefix)
        by_slot = "layers/" + "/layers/".join(s.keras3 for s in slots) + "/" + rest
        if self._npz is not None:
            candidates = [name, by_slot]
        elif self.kind == "keras":
            candidates = [by_slot, "layers/" + "/layers/".join(path) + "/" + rest]
            legacy = self._tf_keras_group(slots)
            if legacy is not None:
                candidates.append(f"{legacy}/{rest}")
        else:
            group = f"model_weights/{path[0]}/"
            candidates = [group + name, group + name + ":0"]
        for key in candidates:
            array = self._array(key, shape, layer, name, path)
            if array is not None:
                return array
        if self._npz is not None and "layers/" + "/layers/".join(s.keras3 for s in slots) in self._npz:
            raise self._pickled(path)  # Keras' npz layout: one object array of arrays per layer
        raise UnsupportedError(self.path, f"layer {'/'.join(path)!r}: cannot find weight {name!r} in the file "
                                          "(a layout of weights the native converter does not read)")

    def _array(self, key: str, shape: tuple, layer: str, name: str, path: tuple[str, ...]) -> np.ndarray | None:
        """The array at `key` (None when nothing is there), its shape checked against the config's
        before a byte is read: a damaged file declaring a 2**31-element dataset costs nothing."""
        try:
            if self._npz is not None:
                if key not in self._npz:
                    return None
                stored = _NpyHeader(self._npz, key)
            else:
                import h5py

                if self._h5.get(key, getclass=True, getlink=False) is not h5py.Dataset:
                    return None  # nothing there, a group, or a link to nowhere
                stored = self._h5[key]
            if tuple(stored.shape) != shape:
                raise LoadError(self.path, f"layer {layer!r}: weight {name} holds shape {tuple(stored.shape)}, "
                                           f"its config says {shape}")
            return np.asarray(self._npz[key] if self._npz is not None else stored)
        except ValueError:  # an object array: reading it means unpickling
            raise self._pickled(path) from None
        except (OSError, KeyError, TypeError, RuntimeError, EOFError, zipfile.BadZipFile) as exc:
            raise LoadError(self.path, f"layer {layer!r}: weight {name} cannot be read: {exc}") from None

    def _pickled(self, path: tuple[str, ...]) -> LoadError:
        return LoadError(self.path, f"layer {'/'.join(path)!r}: model.weights.npz stores its weights as a pickled "
                                    "object array, which this tool never unpickles (nor hands to Keras): save the "
                                    "model with model.weights.h5, Keras' default, to export it")

    def _tf_keras_group(self, slots: tuple[Slot, ...]) -> str | None:
        """tf.keras 2.13 to 2.15 keep layers under `_layer_checkpoint_dependencies`, numbering a
        class once per dependency (a layer with weights counts twice): the n-th layer of a class
        takes the n-th group of that class, as the loader (keras_zip) reads them."""
        group = ""
        for slot in slots:
            container = f"{group}_layer_checkpoint_dependencies"
            if container not in self._h5:
                return None
            pattern = re.compile(re.escape(slot.base) + r"(?:_(\d+))?")
            numbered = sorted((int(m.group(1) or 0), child) for child in self._h5[container]
                              if (m := pattern.fullmatch(child)))
            if slot.rank >= len(numbered):
                return None
            group = f"{container}/{numbered[slot.rank][1]}/"
        return group.rstrip("/")


class WindowsNames:
    """A `model.weights.h5` written by tf.keras 2.13-2.15 on Windows, read with `/` paths.

    Its saver joined layer paths with the OS separator, so the file holds one root group named
    `layers\\dense` (with `vars/0` below) where other systems write `layers/dense`. This view maps
    every `/` path onto the stored name, and lists implied groups (`layers`) by their children.
    """

    def __init__(self, h5):
        self.h5 = h5
        self.stored: dict[str, str] = {}  # "/" path -> the name in the file
        self.groups: dict[str, dict[str, None]] = {}  # "/" path of a group -> its children, in order
        h5.visit(self._add)

    @classmethod
    def around(cls, h5):
        """`h5` itself unless a name at its root holds a backslash."""
        return cls(h5) if any("\\" in name for name in h5) else h5

    def _add(self, name: str) -> None:
        path = name.replace("\\", "/")
        self.stored.setdefault(path, name)
        parts = path.split("/")
        for depth in range(1, len(parts)):
            self.groups.setdefault("/".join(parts[:depth]), {})[parts[depth]] = None

    def __contains__(self, key: str) -> bool:
        return key in self.stored or key in self.groups

    def get(self, key: str, getclass: bool = False, getlink: bool = False):
        """h5py's `get(key, getclass=True)`: the class of what is stored at `key`, or None."""
        if key in self.groups:
            import h5py

            return h5py.Group if getclass else list(self.groups[key])
        if key not in self.stored:
            return None
        return self.h5.get(self.stored[key], getclass=getclass, getlink=getlink)

    def __getitem__(self, key: str):
        """The dataset at `key`, or a group's child names (all that iterating a group gives)."""
        if key in self.groups:
            return list(self.groups[key])
        return self.h5[self.stored[key]]

    def close(self) -> None:
        self.h5.close()


class _NpyHeader:
    """The shape an npz member declares, read from its header without inflating the array."""

    def __init__(self, npz, key: str):
        with npz.zip.open(f"{key}.npy") as member:
            version = np.lib.format.read_magic(member)
            read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            self.shape, _, self.dtype = read(member)


class Slot(NamedTuple):
    """Where a model's saver puts a layer: its snake-case class name and its rank among the
    layers of that class in the model's layer order."""

    base: str
    rank: int

    @property
    def keras3(self) -> str:
        """Keras 3's group name: `dense`, `dense_1`..."""
        return self.base if self.rank == 0 else f"{self.base}_{self.rank}"


def slots_of(graph: ModelGraph) -> dict[str, Slot]:
    """Layer name -> its Slot, numbered per class in the model's layer order, as keras_config
    reads them."""
    used: dict[str, int] = {}
    slots = {}
    for layer in graph.layers:
        base = snake_case(layer.class_name)
        rank = used.get(base, 0)
        used[base] = rank + 1
        slots[layer.name] = Slot(base, rank)
    return slots
