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
from tokenize import TokenError

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
    contents = NpzContents()
    try:
        npz = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        contents.readable = False
        report = scan_pickle(data)
        if report.is_payload:
            contents.payloads.append(Payload("pickle", place, f"{report.describe()}: the member is not an npz "
                                             f"archive but a bare pickle, which np.load unpickles; {_RUNS_IT}"))
        elif report.error is not None:
            raise LoadError(path, f"{place} is neither an npz archive nor a pickle ({report.error})")
        return contents
    except (ValueError, NotImplementedError, OSError, EOFError) as exc:  # a zip, but damaged
        raise LoadError(path, f"{place} is not a readable npz archive: {exc}") from None
    with npz:
        for info in npz.infolist():
            check_member(info)
            try:
                _read_member(npz, info, place, contents)
            except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError, ValueError) as exc:
                raise LoadError(path, f"{place} member {info.filename} cannot be read: {exc}") from None
            except _Unreadable as exc:
                raise LoadError(path, f"{place} member {info.filename}: {exc}") from None
    return contents


class _Unreadable(Exception):
    """A member that is neither an array nor a pickle."""


def _read_member(npz: zipfile.ZipFile, info: zipfile.ZipInfo, place: str, contents: NpzContents) -> None:
    import numpy as np

    name = info.filename.removesuffix(".npy")
    with npz.open(info) as f:
        try:
            version = np.lib.format.read_magic(f)
            reader = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                      else np.lib.format.read_array_header_2_0)
            shape, _, dtype = reader(f)
        except (ValueError, SyntaxError, TypeError, TokenError) as exc:  # numpy parses the header as Python
            f.close()
            with npz.open(info) as again:  # np.load unpickles a member without an .npy header too
                report = scan_pickle(again.read(info.file_size))
            if not report.is_payload and (not report.globals or report.error is not None):
                raise _Unreadable(str(exc)) from None
        else:
            if not dtype.hasobject:
                contents.arrays[name] = Weight(name, tuple(int(d) for d in shape), str(dtype))
                return
            report = scan_pickle(f.read(info.file_size))
    if report.is_payload:
        contents.payloads.append(Payload("pickle", f"{place}, array {info.filename}",
                                         f"{report.describe()}; {_RUNS_IT}"))
    contents.arrays[name] = None
