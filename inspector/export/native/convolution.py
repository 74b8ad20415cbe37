"""Conv1D/2D/3D, DepthwiseConv1D/2D and SeparableConv1D/2D as ONNX Conv, channels-first.

Keras stores a kernel as (spatial..., in / groups, out); ONNX wants (out, in / groups, spatial...).
TensorFlow's `same` padding puts the odd pixel at the end, which is ONNX's SAME_UPPER; `causal`
pads (kernel - 1) * dilation steps at the start only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from inspector.export.native.core import apply_activation
from inspector.export.native.emitter import Value, channels_first, identity
from inspector.export.native.registry import LayerCall, converts


def spatial_tuple(call: LayerCall, key: str, n: int, default: Any) -> list[int]:
    value = call.config.get(key, default)
    if value is None:
        value = default
    values = list(value) if isinstance(value, (list, tuple)) else [value] * n
    return [int(v) for v in values]


def conv_layout(call: LayerCall, value: Value) -> tuple[int, ...]:
    """The permutation an ONNX Conv reads the input in: channels-first, as Keras data_format says."""
    if call.config.get("data_format") == "channels_first":
        return identity(value.rank)
    return channels_first(value.rank)


def padding_attrs(call: LayerCall, kernel: list[int], dilation: list[int], strides: list[int]) -> dict[str, Any]:
    """Explicit pads where they do not depend on the input size (stride 1, where onnxruntime
    also refuses SAME_UPPER with dilation); SAME_UPPER otherwise (TensorFlow forbids dilation there)."""
    padding = str(call.get("padding", "valid")).lower()
    if padding == "same" and all(s == 1 for s in strides):
        total = [(k - 1) * d for k, d in zip(kernel, dilation)]
        return {"pads": [t // 2 for t in total] + [t - t // 2 for t in total]}
    if padding == "same":
        return {"auto_pad": "SAME_UPPER"}
    if padding == "causal":
        return {"pads": [(kernel[0] - 1) * dilation[0], 0]}
    if padding == "valid":
        return {"pads": [0] * (2 * len(kernel))}
    raise call.refuse(f"padding {padding!r} is not supported")


def _onnx_kernel(kernel: np.ndarray) -> np.ndarray:
    """(spatial..., in, out) -> (out, in, spatial...)."""
    n = kernel.ndim
    return np.transpose(kernel, (n - 1, n - 2, *range(n - 2)))


def _depthwise_kernel(kernel: np.ndarray) -> np.ndarray:
    """(spatial..., in, multiplier) -> (in * multiplier, 1, spatial...), Keras' channel order."""
    n = kernel.ndim
    moved = np.transpose(kernel, (n - 2, n - 1, *range(n - 2)))
    return moved.reshape(moved.shape[0] * moved.shape[1], 1, *moved.shape[2:])


def _conv(call: LayerCall, x_name: str, kernel: np.ndarray, bias: np.ndarray | None, group: int,
          strides: list[int], dilation: list[int], hint: str, pads: dict[str, Any] | None = None) -> str:
    em = call.em
    spatial = list(kernel.shape[2:])
    inputs = [x_name, em.const(kernel, f"{hint}_kernel")]
    if bias is not None:
        inputs.append(em.const(bias, f"{hint}_bias"))
    attrs = pads if pads is not None else padding_attrs(call, spatial, dilation, strides)
    return em.op("Conv", inputs, hint, kernel_shape=spatial, strides=strides, dilations=dilation, group=group,
                 **attrs)


@converts("Conv1D", "Conv2D", "Conv3D")
def conv(call: LayerCall) -> list[Value]:
    return _single_conv(call, _onnx_kernel, lambda kernel: int(call.get("groups", 1)))


@converts("DepthwiseConv1D", "DepthwiseConv2D")
def depthwise(call: LayerCall) -> list[Value]:
    return _single_conv(call, _depthwise_kernel, lambda kernel: kernel.shape[-2])  # a group per channel


def _single_conv(call: LayerCall, onnx_kernel: Callable[[np.ndarray], np.ndarray],
                 group: Callable[[np.ndarray], int]) -> list[Value]:
    """A layer that is one ONNX Conv (kernel converted by `onnx_kernel`), bias and activation."""
    x = call.inputs[0]
    n = x.rank - 2
    kernel, *rest = call.weights
    bias = rest[0] if call.get("use_bias", True) and rest else None
    perm = conv_layout(call, x)
    out = _conv(call, call.em.layout(x, perm), onnx_kernel(kernel), bias, group(kernel),
                spatial_tuple(call, "strides", n, 1), spatial_tuple(call, "dilation_rate", n, 1), call.name)
    return [apply_activation(call, Value(out, perm), call.config.get("activation"))]


@converts("SeparableConv1D", "SeparableConv2D")
def separable(call: LayerCall) -> list[Value]:
    """A depthwise Conv (strides, padding, dilation) then a 1x1 pointwise Conv with the bias."""
    x = call.inputs[0]
    n = x.rank - 2
    depth, point, *rest = call.weights
    bias = rest[0] if call.get("use_bias", True) and rest else None
    perm = conv_layout(call, x)
    mid = _conv(call, call.em.layout(x, perm), _depthwise_kernel(depth), None, depth.shape[-2],
                spatial_tuple(call, "strides", n, 1), spatial_tuple(call, "dilation_rate", n, 1),
                f"{call.name}_depthwise")
    out = _conv(call, mid, _onnx_kernel(point), bias, 1, [1] * n, [1] * n, call.name, {"pads": [0] * (2 * n)})
    return [apply_activation(call, Value(out, perm), call.config.get("activation"))]
