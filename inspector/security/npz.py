"""`model.weights.npz` read from its array headers, with every pickle in it disassembled.

np.load with allow_pickle=True (what Keras' NpzIOStore did before 3.9) unpickles an object array,
and unpickles a member that is not an npz archive at all, so both are payload carriers. Keras
itself writes each layer's variables as a 0-d object array holding a dict of arrays: its pickle
only rebuilds numpy arrays, so it is read as data (its shapes stay unknown: learning them would
mean unpickling) and not reported.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field

from inspector.errors import LoadError
from inspector.graph import Payload, Weight
from inspector.security.pickle_scan import scan_pickle

_RUNS_IT = "Keras before 3.9 runs it on load (np.load with allow_pickle=True); 3.9 and later refuse the file"


@dataclass
class NpzContents:
    """Arrays by member name (None: an object array whose shapes only unpickling would tell),
    and the payloads found."""

    arrays: dict[str, Weight | None] = field(default_factory=dict)
    payloads: list[Payload] = field(default_factory=list)
    readable: bool = True  # False when the member is no npz archive at all


def read_npz(path, data: bytes, place: str, check_member) -> NpzContents:
    """`data`: one `model.weights.npz` member of the file at `path`; `place`: how to name it;
    `check_member(info)`: the caller's guard against absurd declared sizes (raises LoadError)."""
    import numpy as np

    contents = NpzContents()
    try:
        npz = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        contents.readable = False
        report = scan_pickle(data)
        what = report.describe() if report.is_payload else "a pickle of numpy arrays only"
        if report.is_payload or report.globals:
            contents.payloads.append(Payload("pickle", place, f"{what}: the member is not an npz archive "
                                             f"but a bare pickle, which np.load unpickles; {_RUNS_IT}"))
        return contents
    with npz:
        for info in npz.infolist():
            check_member(info)
            name = info.filename.removesuffix(".npy")
            with npz.open(info) as f:
                try:
                    version = np.lib.format.read_magic(f)
                    reader = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                              else np.lib.format.read_array_header_2_0)
                    shape, _, dtype = reader(f)
                except ValueError as exc:
                    report = scan_pickle(data_of(npz, info))
                    if report.globals:  # np.load unpickles a member with no .npy header too
                        contents.payloads.append(Payload("pickle", f"{place}, array {info.filename}",
                                                         f"{report.describe()}; {_RUNS_IT}"))
                        contents.arrays[name] = None
                        continue
                    raise LoadError(path, f"{place} member {info.filename}: {exc}") from None
                if dtype.hasobject:
                    report = scan_pickle(f.read(info.file_size))
                    if report.is_payload:
                        contents.payloads.append(Payload("pickle", f"{place}, array {info.filename}",
                                                         f"{report.describe()}; {_RUNS_IT}"))
                    contents.arrays[name] = None
                    continue
            contents.arrays[name] = Weight(name, tuple(int(d) for d in shape), str(dtype))
    return contents


def data_of(npz: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    with npz.open(info) as f:
        return f.read(info.file_size)
