"""Convolutions of every rank and kind: plain, transposed, depthwise, separable, locally
connected, and Keras 1 deconvolution."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from inspector.shapes.common import (
    Shape,
    _as_shape,
    _bias,
    _channels_first,
    _first,
    _get,
    _int,
    _ints,
    _need,
    _OutFn,
    _Outputs,
    _Unknown,
    _w,
    _WeightFn,
    _Weights,
)
from inspector.shapes.lengths import _conv_len, _deconv_len, _join, _split

_K1_KERNEL_KEYS = {
    1: ("filter_length",),
    2: ("nb_row", "nb_col"),
    3: ("kernel_dim1", "kernel_dim2", "kernel_dim3"),
}


@dataclass(frozen=True)
class _ConvParams:
    kernel: tuple[int, ...]
    strides: tuple[int, ...]
    padding: str
    dilation: tuple[int, ...]


def _conv_params(config: Mapping, rank: int) -> _ConvParams:
    """Kernel, strides, padding and dilation under Keras 3/2 or Keras 1 names."""
    if config.get("kernel_size") is not None:
        kernel = _ints(config.get("kernel_size"), rank)
    else:
        kernel = tuple(_int(config.get(k)) for k in _K1_KERNEL_KEYS[rank])
    strides = _ints(_get(config, "strides", "subsample_length", "subsample", default=1), rank)
    padding = str(_get(config, "padding", "border_mode", default="valid")).lower()
    dilation = _ints(_get(config, "dilation_rate", "atrous_rate", default=1), rank)
    return _ConvParams(kernel, strides, padding, dilation)


def _filters(config: Mapping) -> int:
    return _int(_get(config, "filters", "nb_filter"))


def _conv_spatial(config: Mapping, spatial: Shape, rank: int) -> list[int | None]:
    p = _conv_params(config, rank)
    return [
        _conv_len(s, k, p.padding, st, d)
        for s, k, st, d in zip(spatial, p.kernel, p.strides, p.dilation)
    ]


def _conv_out(rank: int, depthwise: bool = False) -> _OutFn:
    def outputs(config: Mapping, inputs: list[Shape | None]) -> _Outputs:
        x = _first(inputs)
        if config.get("output_shape") is not None and "nb_filter" in config:
            return _keras1_deconv_out(config, x)
        spatial, channels, cf = _split(config, x, rank)
        if depthwise:
            mult = _int(config.get("depth_multiplier", 1))
            filters = None if channels is None else channels * mult
        else:
            filters = _filters(config)
        return [_join(x[0], _conv_spatial(config, spatial, rank), filters, cf)]

    return outputs


def _keras1_deconv_out(config: Mapping, x: Shape) -> _Outputs:
    """Keras 1 Deconvolution2D stores its whole output shape."""
    stored = _as_shape(config.get("output_shape"))
    if stored is None or len(stored) != 4:
        raise _Unknown("output_shape")
    cf = _channels_first(config)
    spatial = stored[2:] if cf else stored[1:3]
    return [_join(x[0], spatial, _filters(config), cf)]


def _conv_weights(rank: int) -> _WeightFn:
    def weights(config: Mapping, inputs: list[Shape | None]) -> _Weights:
        _, in_channels, cf = _split(config, _first(inputs), rank)
        channels = _need(in_channels)
        p = _conv_params(config, rank)
        filters = _filters(config)
        if "nb_filter" in config:  # Keras 1 layouts
            if rank == 1:
                kernel: tuple[int, ...] = (p.kernel[0], 1, channels, filters)
            elif cf:
                kernel = (filters, channels, *p.kernel)
            else:
                kernel = (*p.kernel, channels, filters)
            specs = [_w("W", *kernel)]
            return specs + ([_w("b", filters)] if _bias(config) else [])
        groups = _int(config.get("groups", 1) or 1)
        if groups <= 0 or channels % groups:
            raise _Unknown("groups")
        specs = [_w("kernel", *p.kernel, channels // groups, filters)]
        return specs + ([_w("bias", filters)] if _bias(config) else [])

    return weights


def _conv_transpose_out(rank: int) -> _OutFn:
    def outputs(config: Mapping, inputs: list[Shape | None]) -> _Outputs:
        x = _first(inputs)
        spatial, _, cf = _split(config, x, rank)
        p = _conv_params(config, rank)
        op = config.get("output_padding")
        pads = [None] * rank if op is None else list(_ints(op, rank))
        out = [
            _deconv_len(s, k, p.padding, st, o, d)
            for s, k, st, o, d in zip(spatial, p.kernel, p.strides, pads, p.dilation)
        ]
        return [_join(x[0], out, _filters(config), cf)]

    return outputs


def _conv_transpose_weights(rank: int) -> _WeightFn:
    def weights(config: Mapping, inputs: list[Shape | None]) -> _Weights:
        _, channels, _ = _split(config, _first(inputs), rank)
        p = _conv_params(config, rank)
        filters = _filters(config)
        specs = [_w("kernel", *p.kernel, filters, channels)]
        return specs + ([_w("bias", filters)] if _bias(config) else [])

    return weights


def _depthwise_weights(rank: int) -> _WeightFn:
    def weights(config: Mapping, inputs: list[Shape | None]) -> _Weights:
        channels = _need(_split(config, _first(inputs), rank)[1])
        p = _conv_params(config, rank)
        mult = _int(config.get("depth_multiplier", 1))
        specs = [_w("kernel", *p.kernel, channels, mult)]
        if _bias(config):
            specs.append(_w("bias", channels * mult))
        return specs

    return weights


def _separable_weights(rank: int) -> _WeightFn:
    def weights(config: Mapping, inputs: list[Shape | None]) -> _Weights:
        _, in_channels, cf = _split(config, _first(inputs), rank)
        channels = _need(in_channels)
        p = _conv_params(config, rank)
        mult = _int(config.get("depth_multiplier", 1))
        filters = _filters(config)
        if "nb_filter" in config and cf:  # Keras 1, Theano ordering
            specs = [
                _w("depthwise_kernel", mult, channels, *p.kernel),
                _w("pointwise_kernel", filters, channels * mult, *([1] * rank)),
            ]
        else:
            specs = [
                _w("depthwise_kernel", *p.kernel, channels, mult),
                _w("pointwise_kernel", *([1] * rank), channels * mult, filters),
            ]
        if _bias(config):
            specs.append(_w("b" if "nb_filter" in config else "bias", filters))
        return specs

    return weights


def _locally_connected_out(rank: int) -> _OutFn:
    def outputs(config: Mapping, inputs: list[Shape | None]) -> _Outputs:
        x = _first(inputs)
        spatial, _, cf = _split(config, x, rank)
        return [_join(x[0], _conv_spatial(config, spatial, rank), _filters(config), cf)]

    return outputs


def _locally_connected_weights(rank: int) -> _WeightFn:
    """Implementation 1 only (the default); other implementations store other layouts."""

    def weights(config: Mapping, inputs: list[Shape | None]) -> _Weights:
        if _int(config.get("implementation", 1) or 1) != 1:
            raise _Unknown("implementation")
        spatial, channels, _ = _split(config, _first(inputs), rank)
        p = _conv_params(config, rank)
        out = [_need(d) for d in _conv_spatial(config, spatial, rank)]
        filters = _filters(config)
        k1 = "nb_filter" in config
        kernel = (math.prod(out), math.prod(p.kernel) * _need(channels), filters)
        specs = [_w("W" if k1 else "kernel", *kernel)]
        if _bias(config):
            specs.append(_w("b" if k1 else "bias", *out, filters))
        return specs

    return weights
