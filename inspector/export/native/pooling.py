"""Max and average pooling (1D to 3D) as ONNX pools, global pooling as reductions over the
spatial axes in whatever layout the input already has."""

from __future__ import annotations

from inspector.export.native.convolution import conv_layout, spatial_tuple
from inspector.export.native.emitter import Value, identity
from inspector.export.native.registry import LayerCall, converts


@converts("MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D",
          "AveragePooling3D", "MaxPool1D", "MaxPool2D", "MaxPool3D", "AvgPool1D", "AvgPool2D", "AvgPool3D")
def pool(call: LayerCall) -> list[Value]:
    x = call.inputs[0]
    n = x.rank - 2
    size = spatial_tuple(call, "pool_size", n, 2)
    strides = spatial_tuple(call, "strides", n, size) if call.config.get("strides") is not None else size
    padding = str(call.get("padding", "valid")).lower()
    attrs = {"auto_pad": "SAME_UPPER"} if padding == "same" else {"pads": [0] * (2 * n)}
    is_max = call.layer.class_name.startswith("Max")
    if not is_max:
        attrs["count_include_pad"] = 0  # TensorFlow averages over the real pixels only
    perm = conv_layout(call, x)
    out = call.em.op("MaxPool" if is_max else "AveragePool", [call.em.layout(x, perm)], call.name,
                     kernel_shape=size, strides=strides, **attrs)
    return [Value(out, perm)]


def drop_axes(perm: tuple[int, ...], dropped: set[int]) -> tuple[int, ...]:
    """The permutation left when the Keras axes `dropped` are reduced away."""
    kept = [a for a in perm if a not in dropped]
    return tuple(a - sum(d < a for d in dropped) for a in kept)


@converts("GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
          "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D",
          "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalAvgPool3D", "GlobalMaxPool1D", "GlobalMaxPool2D",
          "GlobalMaxPool3D", inputs=2)
def global_pool(call: LayerCall) -> list[Value]:
    x = call.inputs[0]
    if len(call.inputs) > 1 and call.inputs[1].dtype != "bool":
        raise call.refuse("a second input that is not a mask is not supported")
    # Keras 3 passes the mask as a call input; Keras 2 files leave it implicit (x.mask)
    mask = call.em.keras(call.inputs[1]) if len(call.inputs) > 1 else x.mask
    if mask is not None and call.layer.class_name in ("GlobalAveragePooling1D", "GlobalAvgPool1D"):
        return [_masked_average(call, x, mask)]
    first = call.config.get("data_format") == "channels_first"
    spatial = set(range(2, x.rank)) if first else set(range(1, x.rank - 1))
    keepdims = bool(call.get("keepdims", False))
    op = "ReduceMax" if "Max" in call.layer.class_name else "ReduceMean"
    axes = sorted(x.onnx_axis(a) for a in spatial)
    out = call.em.op(op, [x.name], call.name, axes=axes, keepdims=int(keepdims))
    return [Value(out, x.perm if keepdims else drop_axes(x.perm, spatial))]


def _masked_average(call: LayerCall, x: Value, mask: str) -> Value:
    """Keras averages over the unmasked steps only: sum(x * mask) / sum(mask) over time."""
    em = call.em
    weights = em.op("Unsqueeze", [em.cast(mask, "float32", f"{call.name}_maskf"),
                                  em.ints([-1], "last_axis")], f"{call.name}_w")
    total = em.reduce("ReduceSum", em.op("Mul", [em.keras(x), weights], f"{call.name}_masked"), [1],
                      f"{call.name}_sum", keepdims=bool(call.get("keepdims", False)))
    count = em.reduce("ReduceSum", weights, [1], f"{call.name}_count", keepdims=bool(call.get("keepdims", False)))
    return Value(em.op("Div", [total, count], call.name), identity(2 if not call.get("keepdims", False) else 3))
