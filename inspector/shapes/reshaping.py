"""Layers that move dimensions around: flatten, reshape, permute, repeat, pad, crop, resize."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from inspector.shapes.common import (
    Shape,
    _channels_first,
    _first,
    _get,
    _int,
    _int_list,
    _ints,
    _is_int,
    _OutFn,
    _Outputs,
    _prod,
    _Unknown,
)
from inspector.shapes.lengths import _join, _split


def _flatten(config: Mapping, inputs: list[Shape | None]) -> _Outputs:
    x = _first(inputs)
    rest = x[1:]
    return [(x[0], 1 if not rest else _prod(rest))]


def _reshape(config: Mapping, inputs: list[Shape | None]) -> _Outputs:
    x = _first(inputs)
    target = _int_list(config.get("target_shape"))
    if target.count(-1) > 1 or any(d < -1 for d in target):
        raise _Unknown("target_shape")
    size = _prod(x[1:])
    if -1 not in target:
        if size is not None and size != math.prod(target):
            raise _Unknown("size changes")
        return [(x[0], *target)]
    if size is None:
        return [(x[0], *[None if d == -1 else d for d in target])]
    known = math.prod(d for d in target if d != -1)
    if known == 0 or size % known:
        raise _Unknown("size does not divide")
    return [(x[0], *[size // known if d == -1 else d for d in target])]


def _permute(config: Mapping, inputs: list[Shape | None]) -> _Outputs:
    x = _first(inputs)
    dims = _int_list(config.get("dims"))
    if sorted(dims) != list(range(1, len(x))):
        raise _Unknown("dims")
    return [(x[0], *[x[d] for d in dims])]


def _repeat_vector(config: Mapping, inputs: list[Shape | None]) -> _Outputs:
    x = _first(inputs, ndim=2)
    return [(x[0], _int(config.get("n")), x[1])]


def _pairs(value: object, rank: int) -> list[tuple[int, int]]:
    """Padding/cropping amounts as (before, after) per spatial axis, from any era's format."""
    if isinstance(value, Mapping):  # Keras 1 dict form
        if rank == 1:
            return [(_int(value.get("left_pad", 0)), _int(value.get("right_pad", 0)))]
        return [
            (_int(value.get("top_pad", 0)), _int(value.get("bottom_pad", 0))),
            (_int(value.get("left_pad", 0)), _int(value.get("right_pad", 0))),
        ]
    if not isinstance(value, Sequence) or isinstance(value, (str, bytes)):
        n = _int(value)
        return [(n, n)] * rank
    if all(_is_int(v) for v in value):
        items = _int_list(value)
        if rank == 1 and len(items) == 2:
            return [(items[0], items[1])]
        if len(items) == rank:
            return [(v, v) for v in items]
        if rank == 2 and len(items) == 4:  # Keras 1 (top, bottom, left, right)
            return [(items[0], items[1]), (items[2], items[3])]
        raise _Unknown("padding")
    if len(value) == rank:
        pairs = []
        for item in value:
            a, b = (item, item) if _is_int(item) else item
            pairs.append((_int(a), _int(b)))
        return pairs
    raise _Unknown("padding")


def _pad_or_crop(rank: int, key: str, sign: int) -> _OutFn:
    def outputs(config: Mapping, inputs: list[Shape | None]) -> _Outputs:
        x = _first(inputs)
        spatial, channels, cf = _split(config, x, rank)
        default = 1 if key == "padding" else 0
        pairs = _pairs(config.get(key, default), rank)
        out = []
        for s, (a, b) in zip(spatial, pairs):
            if s is None:
                out.append(None)
                continue
            n = s + sign * (a + b)
            if n <= 0:
                raise _Unknown("cropped away")
            out.append(n)
        return [_join(x[0], out, channels, cf)]

    return outputs


def _upsampling(rank: int) -> _OutFn:
    def outputs(config: Mapping, inputs: list[Shape | None]) -> _Outputs:
        x = _first(inputs)
        spatial, channels, cf = _split(config, x, rank)
        size = _ints(_get(config, "size", "length", default=2), rank)
        out = [None if s is None else s * f for s, f in zip(spatial, size)]
        return [_join(x[0], out, channels, cf)]

    return outputs


def _resize_like(config: Mapping, inputs: list[Shape | None]) -> _Outputs:
    """Resizing, CenterCrop, RandomCrop: a fixed (height, width) output."""
    x = _first(inputs)
    rank = len(x) - 2
    if rank != 2:
        if len(x) != 3:
            raise _Unknown("rank")
        cf = _channels_first(config)
        h, w = _int(config.get("height")), _int(config.get("width"))
        return [(x[0], h, w) if cf else (h, w, x[-1])]  # unbatched image
    _, channels, cf = _split(config, x, 2)
    return [_join(x[0], [_int(config.get("height")), _int(config.get("width"))], channels, cf)]


def _category_encoding(config: Mapping, inputs: list[Shape | None]) -> _Outputs:
    x = _first(inputs)
    n = _int(config.get("num_tokens"))
    if len(x) == 0:
        return [(n,)]
    if config.get("output_mode") == "one_hot" and (x[-1] != 1 or len(x) == 1):
        return [(*x, n)]
    return [(*x[:-1], n)]
