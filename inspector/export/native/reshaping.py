"""Reshape, Flatten, Permute, RepeatVector, ZeroPadding, Cropping and UpSampling."""

from __future__ import annotations

import numpy as np

from inspector.export.native.emitter import Value, channels_first, identity
from inspector.export.native.registry import LayerCall, converts

INT64_MAX = np.iinfo(np.int64).max


@converts("Reshape")
def reshape(call: LayerCall) -> list[Value]:
    x = call.inputs[0]
    target = [int(d) for d in call.config["target_shape"]]
    if x.rank == 2 and len(target) > 1 and all(d == 1 for d in target[:-1]):
        # (batch, C) -> (batch, 1, .., 1, C), as squeeze-and-excitation blocks do before a Conv:
        # written channels-first at no cost, since only unit dimensions move
        shape = [0, target[-1], *target[:-1]]
        out = call.em.op("Reshape", [call.em.keras(x), call.em.ints(shape, f"{call.name}_shape")], call.name)
        return [Value(out, channels_first(len(target) + 1), x.dtype)]
    out = call.em.op("Reshape", [call.em.keras(x), call.em.ints([0, *target], f"{call.name}_shape")], call.name)
    return [Value(out, identity(len(target) + 1), x.dtype)]


@converts("Flatten")
def flatten(call: LayerCall) -> list[Value]:
    x = call.inputs[0]
    if call.config.get("data_format") == "channels_first" and x.rank > 2:
        source = call.em.layout(x, (0, x.rank - 1, *range(1, x.rank - 1)))  # Keras flattens channels first
    else:
        source = call.em.keras(x)
    return [Value(call.em.op("Flatten", [source], call.name, axis=1), identity(2), x.dtype)]


@converts("Permute")
def permute(call: LayerCall) -> list[Value]:
    """No node: the output is the input stored in another permutation (folded with what follows)."""
    x = call.inputs[0]
    dims = (0, *(int(d) for d in call.config["dims"]))  # output axis i is input axis dims[i]
    # onnx = transpose(input, p) and output = transpose(input, dims): onnx = transpose(output, q)
    q = tuple(dims.index(a) for a in x.perm)
    return [Value(x.name, q, x.dtype, x.mask)]


@converts("RepeatVector")
def repeat_vector(call: LayerCall) -> list[Value]:
    x = call.inputs[0]
    em = call.em
    n = int(call.config["n"])
    expanded = em.op("Unsqueeze", [em.keras(x), em.ints([1], "axis1")], f"{call.name}_unsq")
    out = em.op("Tile", [expanded, em.ints([1, n, 1], f"{call.name}_reps")], call.name)
    return [Value(out, identity(3), x.dtype)]


def _spatial_axes(call: LayerCall, x: Value) -> list[int]:
    if call.config.get("data_format") == "channels_first":
        return list(range(2, x.rank))
    return list(range(1, x.rank - 1))


def _pairs(call: LayerCall, key: str, n: int) -> list[tuple[int, int]]:
    value = call.config.get(key)
    if isinstance(value, int):
        return [(value, value)] * n
    pairs = []
    for item in value:
        pairs.append((int(item), int(item)) if isinstance(item, int) else (int(item[0]), int(item[1])))
    if n == 1 and len(pairs) == 2 and all(a == b for a, b in pairs) and isinstance(value[0], int):
        pairs = [(int(value[0]), int(value[1]))]  # ZeroPadding1D / Cropping1D: (before, after)
    return pairs


@converts("ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D")
def zero_padding(call: LayerCall) -> list[Value]:
    x = call.inputs[0]
    axes = _spatial_axes(call, x)
    pairs = _pairs(call, "padding", len(axes))
    begins, ends = [0] * x.rank, [0] * x.rank
    for a, (before, after) in zip(axes, pairs):
        begins[x.onnx_axis(a)], ends[x.onnx_axis(a)] = before, after
    out = call.em.op("Pad", [x.name, call.em.ints(begins + ends, f"{call.name}_pads")], call.name)
    return [Value(out, x.perm, x.dtype)]


@converts("Cropping1D", "Cropping2D", "Cropping3D")
def cropping(call: LayerCall) -> list[Value]:
    x = call.inputs[0]
    axes = _spatial_axes(call, x)
    pairs = _pairs(call, "cropping", len(axes))
    onnx_axes = [x.onnx_axis(a) for a in axes]
    starts = [before for before, _ in pairs]
    ends = [-after if after else INT64_MAX for _, after in pairs]
    em = call.em
    out = em.op("Slice", [x.name, em.ints(starts, f"{call.name}_starts"), em.ints(ends, f"{call.name}_ends"),
                          em.ints(onnx_axes, f"{call.name}_axes")], call.name)
    return [Value(out, x.perm, x.dtype)]


@converts("UpSampling1D", "UpSampling2D", "UpSampling3D")
def upsampling(call: LayerCall) -> list[Value]:
    x = call.inputs[0]
    axes = _spatial_axes(call, x)
    size = call.config.get("size", 2)
    sizes = list(size) if isinstance(size, (list, tuple)) else [size] * len(axes)
    scales = [1.0] * x.rank
    for a, s in zip(axes, sizes):
        scales[x.onnx_axis(a)] = float(s)
    interpolation = str(call.get("interpolation", "nearest"))
    if interpolation == "nearest":
        attrs = {"mode": "nearest", "coordinate_transformation_mode": "asymmetric", "nearest_mode": "floor"}
    elif interpolation == "bilinear":
        attrs = {"mode": "linear", "coordinate_transformation_mode": "half_pixel"}
    else:
        raise call.refuse(f"interpolation {interpolation!r} is not supported")
    em = call.em
    out = em.op("Resize", [x.name, "", em.const(np.array(scales), f"{call.name}_scales")], call.name, **attrs)
    return [Value(out, x.perm, x.dtype)]
