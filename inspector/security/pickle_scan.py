"""Pickles disassembled, never unpickled: which globals (callables) a pickle would import and call.

A pickle runs code through its globals: `GLOBAL`/`STACK_GLOBAL`/`INST` name a module attribute
that unpickling imports and then calls. `pickletools.genops` walks the opcodes without executing
any of them; the module and name strings of `STACK_GLOBAL` are tracked through the stack and the
memo the way the unpickler would push them. NumPy writes object arrays as pickles whose only
globals rebuild arrays: those are data, not payloads.
"""

from __future__ import annotations

import pickletools
import warnings
from dataclasses import dataclass

# What numpy's own array pickles import (np.save of an object array; Keras' NpzIOStore writes
# each layer's variables that way): reconstruction only, nothing that reaches the system.
NUMPY_RECONSTRUCTION = frozenset({
    "numpy.core.multiarray._reconstruct", "numpy._core.multiarray._reconstruct",
    "numpy.core.multiarray.scalar", "numpy._core.multiarray.scalar",
    "numpy.ndarray", "numpy.dtype", "numpy.core.numeric._frombuffer", "numpy._core.numeric._frombuffer",
    "_codecs.encode", "collections.OrderedDict",
})

_STRINGS = {"SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE", "STRING", "BINSTRING",
            "SHORT_BINSTRING"}
_PUTS = {"PUT", "BINPUT", "LONG_BINPUT"}
_GETS = {"GET", "BINGET", "LONG_BINGET"}


@dataclass(frozen=True)
class PickleReport:
    """The globals a pickle imports, in order of first use, and whether the opcodes could all be read."""

    globals: tuple[str, ...]
    error: str | None = None
    end: int = 0  # the offset just past its STOP opcode (0 when it has none)

    @property
    def unsafe(self) -> tuple[str, ...]:
        """Globals beyond numpy array reconstruction: what makes the pickle a payload."""
        return tuple(g for g in self.globals if g not in NUMPY_RECONSTRUCTION)

    @property
    def is_payload(self) -> bool:
        """Unpickling it would call something: even a truncated pickle calls what precedes the cut."""
        return bool(self.unsafe)

    def describe(self) -> str:
        """`a pickle calling os.system`."""
        return "a pickle calling " + ", ".join(self.unsafe)


def scan_pickle(data: bytes) -> PickleReport:
    """Disassemble `data` (one pickle, starting at its first opcode) and name its globals."""
    found: dict[str, None] = {}
    strings: list[str | None] = []  # what string-ish values the stack holds, most recent last
    memo: dict[int, str | None] = {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pickletools warns on odd string escapes: data, not our bug
            for op, arg, pos in pickletools.genops(data):
                name = op.name
                if name in _STRINGS:
                    strings.append(arg if isinstance(arg, str) else str(arg))
                elif name == "MEMOIZE":
                    memo[len(memo)] = strings[-1] if strings else None
                elif name in _PUTS:
                    memo[int(arg)] = strings[-1] if strings else None
                elif name in _GETS:
                    strings.append(memo.get(int(arg)))
                elif name in ("GLOBAL", "INST"):
                    module, _, attr = str(arg).partition(" ")
                    found[_global(module, attr)] = None
                elif name == "STACK_GLOBAL":
                    module, attr = (strings[-2], strings[-1]) if len(strings) >= 2 else (None, None)
                    found[_global(module, attr) if module and attr else "<a global built at run time>"] = None
                elif name == "STOP":
                    return PickleReport(tuple(found), end=pos + 1)
    except (ValueError, EOFError, KeyError, TypeError, IndexError) as exc:
        return PickleReport(tuple(found), str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    return PickleReport(tuple(found))


MAX_PICKLES = 16  # a legacy torch.save stream holds five; more is not a file anyone wrote


def scan_pickle_stream(data: bytes) -> PickleReport:
    """Pickles written one after another (what `torch.save` wrote before its zip format: a
    magic number, a protocol version, system info, the object, its storage keys), read as one:
    their globals together, the first error, and the end of the last one read."""
    found: dict[str, None] = {}
    offset = 0
    for _ in range(MAX_PICKLES):
        report = scan_pickle(data[offset:])
        found.update(dict.fromkeys(report.globals))
        if report.error or not report.end:
            return PickleReport(tuple(found), report.error, offset)
        offset += report.end
        if offset >= len(data) or data[offset] != PROTO:
            break
    return PickleReport(tuple(found), end=offset)


PROTO = 0x80  # the first opcode of every pickle of protocol 2 and later


def _global(module: str, attr: str) -> str:
    """`os.system` for `posix.system` (what os.system pickles as on Linux; `nt` on Windows)."""
    return f"{'os' if module in ('posix', 'nt') else module}.{attr}"
