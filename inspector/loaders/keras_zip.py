"""`.keras` zip archives (Keras 3, and tf.keras 2.13+).

Members are checked before anything is inflated: a member whose declared size is absurd is
refused, and the weights member, usually stored uncompressed, is read in place through a window
on the file (12 times faster than through `ZipFile.open`). The `.npz` weights variant is read
from array headers only; an object array (a pickle) is reported, never unpickled.
"""

from __future__ import annotations

import io
import lzma
import re
import struct
import tempfile
import zipfile
import zlib
from pathlib import Path

from inspector.errors import LoadError
from inspector.graph import ModelGraph, Payload, Source, Weight
from inspector.loaders.hdf5 import FileWindow, HDF5Index, open_metadata
from inspector.loaders.keras_config import LayerKey, parse_model
from inspector.loaders.limits import MAX_INFLATED_IN_MEMORY, parse_json
from inspector.security.npz import read_npz
from inspector.security.zip_members import duplicate_members

MAX_JSON_BYTES = 256 * 1024 * 1024
MAX_RATIO = 1000  # a Keras member never compresses a thousandfold; a zip bomb does
# What inflating a damaged member raises: zipfile's own errors, and each decompressor's
# (zlib.error for deflate, LZMAError for a member whose method says LZMA, OSError for bzip2).
MEMBER_READ_ERRORS = (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError, ValueError,
                      zlib.error, lzma.LZMAError)
LAYER_GROUPS = ("layers", "_layer_checkpoint_dependencies")


def load_keras_zip(path: Path) -> ModelGraph:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise LoadError(path, f"not a readable zip archive (truncated or corrupt): {exc}") from None
    with archive, open(path, "rb") as raw:
        members = {info.filename: info for info in archive.infolist()}  # the last of a name, as Keras reads
        payloads = duplicate_members(archive.infolist())
        if "config.json" not in members:
            listed = ", ".join(sorted(members)[:5]) or "no members"
            raise LoadError(path, f"zip archive has no config.json, so it is not a .keras model (it holds {listed})")
        config = _read_json(path, archive, members["config.json"])
        metadata = _read_json(path, archive, members["metadata.json"]) if "metadata.json" in members else {}
        npz = None
        if "model.weights.npz" in members:  # scanned even beside model.weights.h5, which Keras prefers
            npz = NpzWeights(path, [_member_bytes(path, archive, info) for info in archive.infolist()
                                    if info.filename == "model.weights.npz"])
            payloads += npz.payloads
        source = Source(
            path=str(path),
            format="keras",
            keras_version=str(metadata.get("keras_version")) if metadata.get("keras_version") else None,
            backend=None,
            payloads=tuple(payloads),
        )
        training = config.get("compile_config") if isinstance(config.get("compile_config"), dict) else None
        if "model.weights.h5" in members:
            fileobj = _member_file(path, archive, raw, members["model.weights.h5"])
            with open_metadata(path, fileobj) as h5:
                return parse_model(config, source, ZipWeights(path, h5), training)
        return parse_model(config, source, npz, training)


def _check_member(path: Path, info: zipfile.ZipInfo, limit: int | None = None) -> None:
    compressed = max(info.compress_size, 1)
    if info.file_size > compressed * MAX_RATIO and info.file_size > 1024 * 1024:
        raise LoadError(
            path,
            f"zip member {info.filename} declares {info.file_size:,} bytes from {info.compress_size:,} "
            "compressed: an absurd ratio, not inflated",
        )
    if limit is not None and info.file_size > limit:
        raise LoadError(path, f"zip member {info.filename} declares {info.file_size:,} bytes; not read")
    if info.compress_type == zipfile.ZIP_STORED and info.file_size != info.compress_size:
        raise LoadError(path, f"zip member {info.filename} is stored but declares two different sizes")


def _member_bytes(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int | None = None) -> bytes:
    _check_member(path, info, limit)
    if info.compress_type != zipfile.ZIP_STORED and info.file_size > MAX_INFLATED_IN_MEMORY:
        raise LoadError(path, f"zip member {info.filename} inflates to {info.file_size:,} bytes, over the "
                              f"{MAX_INFLATED_IN_MEMORY // 2**20} MiB read into memory from compressed members; not read")
    try:
        with archive.open(info) as member:
            data = member.read(info.file_size + 1)
    except MEMBER_READ_ERRORS as exc:
        raise LoadError(path, f"zip member {info.filename} cannot be read: {exc}") from None
    if len(data) != info.file_size:
        raise LoadError(path, f"zip member {info.filename} is not the size it declares")
    return data


def _read_json(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> dict:
    data = _member_bytes(path, archive, info, MAX_JSON_BYTES)
    value = parse_json(data, path, info.filename)
    if not isinstance(value, dict):
        raise LoadError(path, f"{info.filename} is not a JSON object")
    return value


def _member_file(path: Path, archive: zipfile.ZipFile, raw, info: zipfile.ZipInfo):
    """A seekable read-only view of one member: in place when stored (a FileWindow, which the
    h5py child, if needed, reads by path and offsets), else inflated (the child then gets a
    temporary copy)."""
    _check_member(path, info)
    if info.compress_type != zipfile.ZIP_STORED:
        return _inflated(path, archive, info)
    raw.seek(info.header_offset)
    header = raw.read(30)
    if len(header) != 30 or header[:4] != b"PK\x03\x04":
        raise LoadError(path, f"zip member {info.filename} has a corrupt local header")
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    start = info.header_offset + 30 + name_len + extra_len
    raw.seek(0, io.SEEK_END)
    if start + info.file_size > raw.tell():
        raise LoadError(path, f"zip member {info.filename} runs past the end of the file (truncated)")
    return FileWindow(raw, start, info.file_size, path)


def _inflated(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo):
    """A compressed member inflated in chunks: into memory up to MAX_INFLATED_IN_MEMORY, then
    into a temporary file, so a member inflating to gigabytes under the ratio guard costs disk
    (bounded by that guard), never memory."""
    out = tempfile.SpooledTemporaryFile(max_size=MAX_INFLATED_IN_MEMORY, prefix="inspect-")  # noqa: SIM115 - the caller reads it
    try:
        with archive.open(info) as member:
            while chunk := member.read(1 << 20):
                if out.tell() + len(chunk) > info.file_size:
                    break
                out.write(chunk)
    except MEMBER_READ_ERRORS as exc:
        out.close()
        raise LoadError(path, f"zip member {info.filename} cannot be read: {exc}") from None
    if chunk or out.tell() != info.file_size:
        out.close()
        raise LoadError(path, f"zip member {info.filename} is not the size it declares")
    out.seek(0)
    return out


class ZipWeights:
    """`model.weights.h5` inside a `.keras`: `layers/<name>/vars/<i>`, nested models nesting
    `layers/` again (tf.keras 2.13 says `_layer_checkpoint_dependencies` instead)."""

    def __init__(self, path: Path, h5):
        """`h5`: what open_metadata returned (lite reader or h5py)."""
        self.path = path
        self.index = HDF5Index(path, h5, backslash_separates=True)  # saved on Windows by tf.keras 2.13-2.15

    def layer_weights(self, path: tuple[LayerKey, ...]) -> list[Weight] | None:
        group = ""
        for key in path:
            parent = next((g for g in LAYER_GROUPS if self.index.is_group(_join(group, g))), None)
            if parent is None:
                return []
            group = self._layer_group(_join(group, parent), parent, key)
            if group is None:
                return []
        prefix = "/".join(key.name for key in path) + "/"
        return [w for w in self.index.walk(group, prefix) if not _under_nested(w.name, prefix)]

    def _layer_group(self, container: str, parent: str, key: LayerKey) -> str | None:
        """Keras 3 names a layer's group by its slot. tf.keras 2.13 to 2.15 numbered the class
        once per dependency, and a layer with weights is two dependencies (`layer-N` and
        `layer_with_weights-M`), so its convolutions sit at `conv2d`, `conv2d_2`, `conv2d_4`.
        Every layer has a group, so the n-th layer of a class takes the n-th group of that class."""
        names = self.index.children.get(container, [])
        if parent == "layers":
            chosen = key.slot
        else:
            pattern = re.compile(re.escape(key.base or key.slot) + r"(?:_(\d+))?")
            numbered = sorted((int(m.group(1) or 0), name) for name in names if (m := pattern.fullmatch(name)))
            chosen = numbered[key.rank][1] if key.rank < len(numbered) else key.name
        group = _join(container, chosen)
        return group if self.index.is_group(group) else None


def _join(group: str, name: str) -> str:
    return f"{group}/{name}" if group else name


def _under_nested(name: str, prefix: str) -> bool:
    """Weights of a nested model's own layers belong to those layers, not to the model."""
    rest = name[len(prefix):]
    return any(rest.startswith(g + "/") for g in LAYER_GROUPS)


class NpzWeights:
    """`model.weights.npz`: arrays named `<layer path>/vars/<i>`, read from their headers; every
    member of that name is scanned for pickles (inspector.security.npz), the last one is read."""

    def __init__(self, path: Path, members: list[bytes]):
        self.path = path
        self.payloads: list[Payload] = []
        for i, data in enumerate(members, 1):
            place = "zip member model.weights.npz" + (f" ({i} of {len(members)})" if len(members) > 1 else "")
            contents = read_npz(path, data, place, lambda info: _check_member(path, info))
            self.payloads += contents.payloads
        self.arrays = contents.arrays
        self.readable = contents.readable

    def layer_weights(self, path: tuple[LayerKey, ...]) -> list[Weight] | None:
        if not self.readable:
            return None
        prefix = "".join(f"layers/{key.slot}/" for key in path)
        found = [w for key, w in sorted(self.arrays.items()) if w is not None and key.startswith(prefix)
                 and not _under_nested(key, prefix)]
        if not found and None in self.arrays.values():
            return None  # Keras' own layout: each layer's variables pickled as one object array
        return found
