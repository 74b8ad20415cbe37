"""What a model file carries that another tool would run: found while reading, never run.

The loaders call these scanners and record what they find as `Payload`s on the graph's
`Source`; the security rules (S103-S199, in `inspector.rules`) report them. Nothing here
imports TensorFlow, unpickles or executes anything from a file.
"""

from __future__ import annotations

from pathlib import Path

from inspector.errors import LoadError
from inspector.graph import ModelGraph, Payload, Source


def warning_line(graph: ModelGraph) -> str | None:
    """The one-line warning `summary`, `render` and `docs` print for a file that carries a
    payload (None when it carries none); `inspect scan` names each one."""
    payloads = graph.source.payloads
    if not payloads:
        return None
    what = "; ".join(dict.fromkeys(p.detail.split(":")[0] for p in payloads))
    return (f"{_count(payloads)} ({what}): `inspect scan {graph.source.path}` explains; "
            "do not load it with Keras")


def _count(payloads) -> str:
    return f"carries {len(payloads)} security finding{'s' if len(payloads) != 1 else ''}"


class CarriesPayload(LoadError):
    """A file that cannot be read as a model but carries payloads: `lint` and `scan` report them
    as findings on `graph` (a graph with no layers, only its source); other commands show the error."""

    def __init__(self, path, reason: str, payloads: tuple[Payload, ...], format: str):
        super().__init__(path, f"{reason}; it {_count(payloads)}: `inspect scan` explains")
        self.graph = ModelGraph(name=Path(str(path)).name, class_name="(unreadable)",
                                source=Source(str(path), format, payloads=payloads), layers=(), calls=(),
                                tensors={}, inputs=(), outputs=())
