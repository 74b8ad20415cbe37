"""Layers that merge several inputs: elementwise with broadcasting, concatenate, dot, Keras 1
Merge."""

from __future__ import annotations

from collections.abc import Mapping

from inspector.shapes.common import (
    Shape,
    _all,
    _as_shape,
    _axis,
    _both,
    _int_list,
    _Outputs,
    _Unknown,
)


def _broadcast(a: Shape | None, b: Shape | None) -> Shape | None:
    """Keras' elementwise-merge broadcasting of two shapes without batch dimension."""
    if a is None or b is None:
        return None
    if len(a) < len(b):
        a, b = b, a
    if not b:
        return a
    out = list(a[: -len(b)])
    for i, j in zip(a[-len(b) :], b):
        if i is None or j is None:
            out.append(None)
        elif i == 1:
            out.append(j)
        elif j == 1 or i == j:
            out.append(i)
        else:
            raise _Unknown("incompatible shapes")
    return tuple(out)


def _elementwise_merge(config: Mapping, inputs: list[Shape | None]) -> _Outputs:
    """Add, Subtract, Multiply, Average, Maximum, Minimum: broadcast like Keras does."""
    shapes = _all(inputs, minimum=2)
    if any(len(s) == 0 for s in shapes):
        raise _Unknown("scalar input")
    shape: Shape | None = shapes[0][1:]
    for s in shapes[1:]:
        shape = _broadcast(shape, s[1:])
    if shape is None:
        raise _Unknown("unknown input")
    batches = {s[0] for s in shapes} - {None}
    batch = next(iter(batches)) if len(batches) == 1 else None
    return [(batch, *shape)]


def _concat_shape(inputs: list[Shape | None], axis: object) -> Shape:
    """Keras' rule: the first input's shape, summed along ``axis`` (None if any is None)."""
    shapes = _all(inputs)
    first: list[int | None] = list(shapes[0])
    ax = _axis(axis, len(first))
    for s in shapes[1:]:
        if len(s) != len(first):
            raise _Unknown("ranks differ")
        current, extra = first[ax], s[ax]
        if current is None or extra is None:
            first[ax] = None
            break
        first[ax] = current + extra
    return tuple(first)


def _concatenate(config: Mapping, inputs: list[Shape | None]) -> _Outputs:
    return [_concat_shape(inputs, config.get("axis", -1))]


def _dot_shape(s1: Shape, s2: Shape, axes: object) -> Shape:
    """Keras' Dot / Keras 1 Merge(mode='dot') output shape (a batched dot product)."""
    a, b = list(s1), list(s2)
    pair = _int_list(axes)
    if len(pair) == 1:
        ax = pair[0]
        pair = [ax % len(a), ax % len(b)] if ax < 0 else [ax, ax]
    if len(pair) != 2:
        raise _Unknown("axes")
    d1, d2 = a.pop(pair[0]), b.pop(pair[1])
    if d1 is not None and d2 is not None and d1 != d2:
        raise _Unknown("dot dimensions differ")
    b.pop(0)
    out = a + b
    if len(out) == 1:
        out.append(1)
    return tuple(out)


def _dot(config: Mapping, inputs: list[Shape | None]) -> _Outputs:
    if len(inputs) != 2:
        raise _Unknown("Dot needs two inputs")
    return [_dot_shape(*_both(inputs), config.get("axes", -1))]


def _keras1_merge(config: Mapping, inputs: list[Shape | None]) -> _Outputs:
    """The Keras 1 ``Merge`` layer (still loadable by Keras 2.0/2.1) with a ``mode``."""
    mode = config.get("mode", "sum")
    if config.get("mode_type", "raw") != "raw":  # a Python function as mode: only a stored shape
        stored = _as_shape(config.get("output_shape"))
        if config.get("output_shape_type", "raw") != "raw" or stored is None:
            raise _Unknown("Merge with a function mode")
        return [(inputs[0][0] if inputs and inputs[0] else None, *stored)]
    shapes = _all(inputs, minimum=2)
    if mode in ("sum", "mul", "ave", "max"):
        return [shapes[0]]
    if mode == "concat":
        return [_concat_shape(inputs, config.get("concat_axis", -1))]
    if mode in ("dot", "cos"):
        return [_dot_shape(shapes[0], shapes[1], config.get("dot_axes", -1))]
    raise _Unknown(f"Merge mode {mode!r}")
