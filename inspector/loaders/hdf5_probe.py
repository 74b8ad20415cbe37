"""The h5py fallback of the HDF5 loaders, run as a child process: `python -m
inspector.loaders.hdf5_probe PATH [OFFSET SIZE]` prints the file's metadata as one JSON object.

Why a child: the HDF5 C library can crash (segfault) on a damaged file, and a crash would take
the whole `inspect` process with it, with no message. In a child, a crash is an exit status the
parent turns into a one-line error. The child reads what the lite reader reads (the link tree
with link kinds, each dataset's shape and dtype, the wanted attributes of every group) and
reports its own errors as data: {"error": reason}, which the parent raises as a LoadError.

OFFSET and SIZE select a window of PATH (the stored `model.weights.h5` member of a `.keras` zip).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from inspector.errors import one_line

# The attributes the loaders read (inspector.loaders.hdf5.WANTED_ATTRS, passed by the parent).
ERROR_PREFIX = "not a readable HDF5 file (truncated or corrupt)"


def main(argv: list[str]) -> int:
    wanted = frozenset(json.loads(argv[0]))
    path = argv[1]
    window = (int(argv[2]), int(argv[3])) if len(argv) >= 4 else None
    try:
        result: dict[str, Any] = {"meta": probe(path, window, wanted)}
    except _Refused as exc:
        result = {"error": str(exc)}
    sys.stdout.write(json.dumps(result))
    sys.stdout.flush()
    return 0


class _Refused(Exception):
    """A reason the parent reports as a LoadError, word for word."""


def probe(path: str, window: tuple[int, int] | None, wanted: frozenset[str]) -> dict[str, Any]:
    try:
        import h5py
    except ImportError:
        raise _Refused("reading this HDF5 file needs h5py (pip install h5py): the built-in reader "
                       "does not support it") from None
    with open(path, "rb") as raw:
        if window is not None:
            from inspector.loaders.file_window import FileWindow

            target: Any = FileWindow(raw, window[0], window[1], path)
        else:
            target = raw
        try:
            h5 = h5py.File(target, "r")
        except (OSError, ValueError) as exc:
            raise _Refused(f"{ERROR_PREFIX}: {one_line(exc)}") from None
        try:
            with h5:
                return _read(h5, wanted)
        except _Refused:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure of h5py on a damaged file is reported as such
            raise _Refused(f"{ERROR_PREFIX}: {one_line(exc)}") from None


def _read(h5, wanted: frozenset[str]) -> dict[str, Any]:
    """Every link in one low-level visit, then a dataset open per array (a third of the cost of
    walking h5py's high-level objects), and the wanted attributes of every group."""
    from h5py import h5d, h5l, h5o

    from inspector.loaders.hdf5_lite import EXTERNAL, HARD, is_wanted

    found: list[tuple[str, int]] = []
    h5.id.links.visit(lambda name, info: found.append((name.decode("utf-8", "replace"), info.type)), info=True)
    links: list[dict[str, Any]] = []
    attrs: dict[str, dict[str, Any]] = {}
    names: dict[str, list[str]] = {}
    _group_attrs(h5, "", wanted, attrs, names, is_wanted)
    for name, kind in found:
        if kind == h5l.TYPE_EXTERNAL:
            target = h5.get(name, getlink=True)
            links.append({"name": name, "kind": EXTERNAL, "external": [target.filename, target.path]})
            continue
        if kind != h5l.TYPE_HARD:
            links.append({"name": name, "kind": int(kind)})
            continue
        obj_type = h5o.get_info(h5.id, name.encode()).type
        if obj_type == h5o.TYPE_DATASET:
            dataset = h5d.open(h5.id, name.encode())
            plist = dataset.get_create_plist()
            if plist.get_external_count() or plist.get_layout() == h5d.VIRTUAL:
                links.append({"name": name, "kind": HARD, "dataset": [[], "", True]})
            else:
                shape = [int(d) for d in dataset.shape]
                links.append({"name": name, "kind": HARD, "dataset": [shape, str(dataset.dtype), False]})
        else:
            links.append({"name": name, "kind": HARD, "group": True})
            if obj_type == h5o.TYPE_GROUP:
                _group_attrs(h5, name, wanted, attrs, names, is_wanted)
    return {"links": links, "attrs": attrs, "attr_names": names}


def _group_attrs(h5, path: str, wanted, attrs: dict, names: dict, is_wanted) -> None:
    group = h5[path] if path else h5
    listed = list(group.attrs)
    names[path] = listed
    attrs[path] = {key: encode(group.attrs[key]) for key in listed if is_wanted(key, wanted)}


def encode(value: Any) -> Any:
    """An attribute value in JSON, as the lite reader would give it: bytes tagged (decoded
    latin-1, so losslessly), arrays as lists, numpy scalars as Python numbers."""
    if isinstance(value, bytes):
        return {"bytes": value.decode("latin-1")}
    if isinstance(value, str | bool | int | float) or value is None:
        return value
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return encode_plain(value.tolist())
    return str(value)  # h5py.Empty, references: nothing the loaders can use


def encode_plain(value: Any) -> Any:
    if isinstance(value, list):
        return [encode_plain(v) for v in value]
    return encode(value) if not hasattr(value, "tolist") else str(value)


def decode(value: Any) -> Any:
    """The inverse of `encode`, in the parent."""
    if isinstance(value, dict):
        return value["bytes"].encode("latin-1")
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
