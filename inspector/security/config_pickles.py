"""Pickles a Keras config carries as text: base64 strings that a layer's `from_config` unpickles.

Keras' `TorchModuleWrapper` stores its `torch.nn.Module` as `base64(torch.save(module))` in
`config.module`, and Keras on the torch backend runs `torch.load(..., weights_only=False)` on it
when the file is loaded with `safe_mode=False` (keras/src/utils/torch_utils.py), and with the
default safe mode too in releases before keras-team/keras#21575 (August 2025). A grep of Keras
3.15 and tf_keras 2.21 for `torch.load`, `pickle.loads`, `marshal.loads` and `b64decode` finds
no other config value deserialized as code but Lambda bytecode (marshal, S101's). A custom
layer can do the same, so every long base64 string of the config is decoded far enough to see
whether it is a pickle or a `torch.save` archive, and those are disassembled
(inspector.security.pickle_scan), never unpickled.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import zipfile
from collections.abc import Iterator, Mapping
from typing import Any

from inspector.graph import Payload
from inspector.security.config_scan import config_objects, config_values, dangerous_target, place_of
from inspector.security.pickle_scan import (
    NUMPY_RECONSTRUCTION,
    PROTO,
    PickleReport,
    scan_pickle_stream,
)

MIN_LENGTH = 64  # shorter base64 holds no pickle worth the name (an empty torch.save is ~1 KB)
MAX_MEMBER = 64 * 2**20  # bytes of pickle members inflated from one torch.save archive, at most
MAX_NAMED = 6  # globals named in a message; the rest are counted
_TORCH_LOAD = ("Keras on the torch backend runs torch.load on it (TorchModuleWrapper) when the file is "
               "loaded with safe_mode=False, and by default in releases before keras-team/keras#21575 "
               "(August 2025)")
_UNPICKLED = "whatever deserializes this value unpickles it"
# What torch.save writes for a module of torch's own layers, and nothing else: tensor and storage
# rebuilding (torch's weights_only allowlist), torch.nn layer classes, plain containers. A module
# built only from these is what Keras' TorchModuleWrapper is for, not a payload; anything else
# (os.system, a class from the user's code, torch.load or cpp_extension again) is named.
TORCH_RECONSTRUCTION = re.compile(
    r"torch\._utils\._rebuild_(tensor|tensor_v2|parameter|parameter_with_state|qtensor)"
    r"|torch\._tensor\._rebuild_from_type_v2|torch\.[A-Z][A-Za-z]*Storage|torch\.(Size|device|dtype)"
    r"|torch\.(float|bfloat|int|uint|bool|complex)\w*"
    r"|torch\.nn\.modules\.[a-z_.]+\.[A-Z]\w*|torch\.nn\.parameter\.(Parameter|Buffer)"
    r"|(__builtin__|builtins)\.(set|frozenset|dict|list|tuple|object)|copyreg\._reconstructor"
    r"|collections\.OrderedDict"
)


def config_pickles(config: Any, place: str = "") -> list[Payload]:
    """A `pickle` payload for every base64 string value in `config` that decodes to a pickle
    (or a torch.save archive of pickles) calling more than numpy's or torch's own rebuilding.
    One walk, and a value's place is spelt out only for a payload: a config of 100,000 layers
    is read in linear time with no string built per key."""
    found = []
    wrappers: set[int] | None = None  # the config objects of TorchModuleWrapper layers, once needed
    for where, holder, _, _ in config_objects(config, place):
        for key, value in holder.items():
            data = _decoded(value) if isinstance(value, str) and len(value) >= MIN_LENGTH else None
            if data is None:
                continue
            for what, report in _pickles(data):
                if _payload(report):
                    if wrappers is None:
                        wrappers = {id(v) for _, v, h in config_values(config, place)
                                    if h.get("class_name") == "TorchModuleWrapper" and isinstance(v, Mapping)}
                    torch_load = id(holder) in wrappers or what.startswith("a torch.save")  # torch.load reads both
                    detail = f"{_calls(report)} ({what}, base64 in the config): "
                    found.append(Payload("pickle", place_of(where, str(key)),
                                         detail + (_TORCH_LOAD if torch_load else _UNPICKLED)))
    return found


def _decoded(text: str) -> bytes | None:
    """The bytes of base64 `text` when they start as a pickle or a zip does; else None. Only the
    first few characters are decoded until the magic matches."""
    try:
        head = base64.b64decode(text[:8], validate=True)
    except (binascii.Error, ValueError):
        return None
    if not (head[:1] == bytes([PROTO]) or head[:4] == b"PK\x03\x04"):
        return None
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def _pickles(data: bytes) -> Iterator[tuple[str, PickleReport]]:
    """(what it is, its disassembly) for a pickle stream, or each pickle of a torch.save zip."""
    if data[:1] == bytes([PROTO]):
        yield "a pickle", scan_pickle_stream(data)
        return
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [info for info in archive.infolist() if info.filename.endswith(".pkl")]
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        yield "a zip archive", PickleReport((), "not a readable zip archive")
        return
    torch = any(info.filename.endswith("data.pkl") for info in members)
    what = "a torch.save archive" if torch else "a zip archive"
    budget = MAX_MEMBER  # inflated bytes for the whole archive: a zip bomb costs no more
    for info in members:
        if info.file_size > budget:
            yield f"{what}, member {info.filename}", PickleReport((), f"{info.file_size:,} bytes; not read")
            break
        try:
            with archive.open(info) as member:
                pickled = member.read(info.file_size)
            budget -= len(pickled)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError) as exc:
            yield f"{what}, member {info.filename}", PickleReport((), f"cannot be read: {exc}")
            continue
        yield f"{what}, member {info.filename}", scan_pickle_stream(pickled)


def _payload(report: PickleReport) -> bool:
    """Unpickling it calls more than numpy's or torch's own rebuilding, or it cannot be read whole
    (what precedes the cut still runs, and what follows is unknown)."""
    return bool(report.error) or any(not TORCH_RECONSTRUCTION.fullmatch(g) for g in report.unsafe)


def _calls(report: PickleReport) -> str:
    """`a pickle calling os.getcwd, torch.nn.modules.linear.Linear`: what reaches the system
    first, then the rest; an unreadable one says so, since unpickling runs what precedes the cut."""
    unsafe = [g for g in report.globals if g not in NUMPY_RECONSTRUCTION]
    unsafe.sort(key=lambda g: (dangerous_target(*g.rsplit(".", 1)) is None if "." in g else True,
                               bool(TORCH_RECONSTRUCTION.fullmatch(g))))
    named = ", ".join(unsafe[:MAX_NAMED]) + (f" and {len(unsafe) - MAX_NAMED} more" if len(unsafe) > MAX_NAMED else "")
    if not unsafe:
        return f"a pickle that cannot be read ({report.error})"
    return f"a pickle calling {named}" + (f" (then unreadable: {report.error})" if report.error else "")
