"""Input shapes to verify an export on, chosen from shape inference instead of guessed.

A fixed probe length (7) fails on a text model whose Conv1D and pooling stack needs a few hundred
steps, with Keras' own error, although the export is fine. So every dynamic dimension gets the
smallest length for which every inferred dimension in the graph stays positive, and a typical
one (four times that, at least 32); or the user's own (`--input-shape posts=3,500`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from inspector.errors import UsageError
from inspector.graph import ModelGraph, Shape
from inspector.shapes import known_classes, output_shapes

BATCH_SIZES = (1, 3, 8)
MAX_LENGTH = 1 << 16
FALLBACK_LENGTHS = (7, 19)  # when inference cannot judge the graph


@dataclass(frozen=True)
class Probe:
    """One verification run: a concrete shape per input (batch first)."""

    batch: int
    shapes: Mapping[str, tuple[int, ...]]


def parse_input_shapes(values: tuple[str, ...] | list[str], path: str | None = None) -> dict[str, tuple[int, ...]]:
    """`name=3,500` options as {name: (3, 500)} (the full shape, batch first)."""
    shapes = {}
    for text in values:
        name, sep, dims = text.partition("=")
        try:
            shape = tuple(int(d) for d in dims.split(","))
        except ValueError:
            shape = ()
        if not sep or not name or not shape or any(d <= 0 for d in shape):
            raise UsageError(path, f"--input-shape {text!r}: expected NAME=D1,D2,... with positive integers, "
                                   "batch first (e.g. posts=3,500)")
        shapes[name] = shape
    return shapes


def probes(graph: ModelGraph, input_names: list[str], given: Mapping[str, tuple[int, ...]] | None = None,
           source: str | None = None) -> list[Probe]:
    """Runs on batches 1, 3 and 8 at the smallest valid length, and batch 3 at a typical length
    when some dimension is dynamic; with `given` shapes, batches 1, the given one and 8."""
    stored = [graph.tensor(t).shape for t in graph.inputs]
    given = dict(given or {})
    unknown = set(given) - set(input_names)
    if unknown:
        raise UsageError(source, f"--input-shape names no input {min(unknown)!r} "
                                 f"(the model's inputs: {', '.join(input_names)})")
    for name, shape in zip(input_names, stored):
        if name in given and shape is not None and len(given[name]) != len(shape):
            raise UsageError(source, f"--input-shape {name}: the input has {len(shape)} dimensions (batch first), "
                                     f"{len(given[name])} given")
        if name in given and shape is not None and any(
                d is not None and d != g for d, g in zip(shape[1:], given[name][1:])):
            raise UsageError(source, f"--input-shape {name}: the model fixes its shape to {_text(shape)}")
    dynamic = any(d is None for s in stored if s is not None for d in s[1:])
    if given:
        batches = sorted({1, *(s[0] for s in given.values()), 8})
        lengths = [None]
    elif dynamic:
        smallest = smallest_length(graph)
        if smallest is None:
            lengths = list(FALLBACK_LENGTHS)
        else:
            typical = max(4 * smallest, 32)
            lengths = [smallest] + ([typical] if _valid(graph, typical) else [])
        batches = list(BATCH_SIZES)
    else:
        batches, lengths = list(BATCH_SIZES), [None]
    plans = []
    for i, length in enumerate(lengths):
        for batch in (batches if i == 0 else [BATCH_SIZES[1]]):
            shapes = {}
            for name, shape in zip(input_names, stored):
                if name in given:
                    shapes[name] = (batch, *given[name][1:])
                else:
                    shape = shape or (None,)
                    shapes[name] = tuple(batch if k == 0 else (length or 1 if d is None else int(d))
                                         for k, d in enumerate(shape))
            plans.append(Probe(batch, shapes))
    return plans


def smallest_length(graph: ModelGraph) -> int | None:
    """The smallest length for every dynamic dimension that keeps every inferred dimension
    positive (doubling, then bisecting), or None when inference cannot tell."""
    high = 1
    while not _valid(graph, high):
        high *= 2
        if high > MAX_LENGTH:
            return None
    low = high // 2  # invalid (or 0)
    while high - low > 1:
        mid = (low + high) // 2
        if _valid(graph, mid):
            high = mid
        else:
            low = mid
    return high


def _valid(graph: ModelGraph, length: int) -> bool:
    shapes = {}
    for t in graph.inputs:
        shape = graph.tensor(t).shape
        shapes[t] = None if shape is None else tuple(
            None if k == 0 else (length if d is None else d) for k, d in enumerate(shape))
    return _propagate(graph, shapes)


def _propagate(graph: ModelGraph, shapes: dict[str, Shape | None]) -> bool:
    """Infer every call's output shapes from concrete inputs; False as soon as a layer Keras
    knows cannot take its input (inference gives up, or a dimension is not positive)."""
    known = known_classes()
    for call in graph.calls:
        layer = graph.layer_of(call)
        if layer.is_input:
            continue
        ins = [shapes.get(t) for t in call.inputs]
        if layer.subgraph is not None:
            sub = layer.subgraph
            inner = dict(zip(sub.inputs, ins))
            if not _propagate(sub, inner):
                return False
            outs = [inner.get(t) for t in sub.outputs]
        else:
            outs = output_shapes(layer.class_name, layer.config, ins, call.arguments)
            if outs is None or len(outs) != len(call.outputs):
                if layer.class_name in known and all(s is not None for s in ins):
                    return False
                outs = [graph.tensor(t).shape for t in call.outputs]
            if any(d is not None and d <= 0 for s in outs if s is not None for d in s):
                return False
        shapes.update(zip(call.outputs, outs))
    return True


def _text(shape: Shape) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"
