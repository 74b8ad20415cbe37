"""Pooling: windowed, global and adaptive."""

from __future__ import annotations

from collections.abc import Mapping

from inspector.shapes.common import Shape, _first, _get, _ints, _OutFn, _Outputs
from inspector.shapes.lengths import _conv_len, _join, _split


def _pool_params(config: Mapping, rank: int) -> tuple[tuple[int, ...], tuple[int, ...], str]:
    pool = _ints(_get(config, "pool_size", "pool_length", default=2), rank)
    strides_v = _get(config, "strides", "stride")
    strides = pool if strides_v is None else _ints(strides_v, rank)
    padding = str(_get(config, "padding", "border_mode", default="valid")).lower()
    return pool, strides, padding


def _pool_out(rank: int) -> _OutFn:
    def outputs(config: Mapping, inputs: list[Shape | None]) -> _Outputs:
        x = _first(inputs)
        spatial, channels, cf = _split(config, x, rank)
        pool, strides, padding = _pool_params(config, rank)
        out = [_conv_len(s, k, padding, st) for s, k, st in zip(spatial, pool, strides)]
        return [_join(x[0], out, channels, cf)]

    return outputs


def _global_pool_out(rank: int) -> _OutFn:
    def outputs(config: Mapping, inputs: list[Shape | None]) -> _Outputs:
        x = _first(inputs)
        _, channels, cf = _split(config, x, rank)
        if config.get("keepdims"):
            return [_join(x[0], [1] * rank, channels, cf)]
        return [(x[0], channels)]

    return outputs


def _adaptive_pool_out(rank: int) -> _OutFn:
    def outputs(config: Mapping, inputs: list[Shape | None]) -> _Outputs:
        x = _first(inputs)
        _, channels, cf = _split(config, x, rank)
        return [_join(x[0], _ints(config.get("output_size"), rank), channels, cf)]

    return outputs
