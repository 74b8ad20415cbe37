"""Dense, Embedding, activations (as layers and as every layer's `activation=`), the layers
that are the identity at inference (Dropout and its kin), Rescaling, Normalization, Masking."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from inspector.export.native.emitter import Emitter, Value, identity
from inspector.export.native.registry import LayerCall, converts


def activation_name(spec: Any) -> str:
    """`"relu"`, `{"class_name": "relu"}` or a Keras 2 `{"config": {"name": ...}}` as one name."""
    if isinstance(spec, Mapping):
        inner = spec.get("config")
        if isinstance(inner, Mapping) and isinstance(inner.get("name"), str):
            return inner["name"]
        spec = spec.get("class_name") or spec.get("config")
    return str(spec or "linear").lower()


def _softmax_like(op: str):
    def emit(em: Emitter, value: Value, hint: str) -> str:
        return em.op(op, [value.name], hint, axis=value.onnx_axis(-1))
    return emit


def _unary(op: str, **attrs: Any):
    def emit(em: Emitter, value: Value, hint: str) -> str:
        return em.op(op, [value.name], hint, **attrs)
    return emit


def _times(inner):
    """x * f(x): swish / silu, hard_silu, mish."""
    def emit(em: Emitter, value: Value, hint: str) -> str:
        return em.op("Mul", [value.name, inner(em, value.name, hint)], hint)
    return emit


def _gelu(em: Emitter, value: Value, hint: str) -> str:
    x = value.name
    erf = em.op("Erf", [em.op("Mul", [x, em.const(1 / math.sqrt(2), "inv_sqrt2")], f"{hint}_s")], f"{hint}_erf")
    one_plus = em.op("Add", [erf, em.const(1.0, "one")], f"{hint}_1p")
    return em.op("Mul", [em.op("Mul", [x, one_plus], f"{hint}_m"), em.const(0.5, "half")], hint)


def _relu6(em: Emitter, value: Value, hint: str) -> str:
    return em.op("Clip", [value.name, em.const(0.0, "zero"), em.const(6.0, "six")], hint)


ACTIVATIONS = {
    "relu": _unary("Relu"),
    "sigmoid": _unary("Sigmoid"),
    "tanh": _unary("Tanh"),
    "softmax": _softmax_like("Softmax"),
    "log_softmax": _softmax_like("LogSoftmax"),
    "elu": _unary("Elu", alpha=1.0),
    "selu": _unary("Selu", alpha=1.6732632423543772, gamma=1.0507009873554805),
    "softplus": _unary("Softplus"),
    "softsign": _unary("Softsign"),
    "exponential": _unary("Exp"),
    "relu6": _relu6,
    "hard_sigmoid": _unary("HardSigmoid", alpha=1 / 6, beta=0.5),
    "leaky_relu": _unary("LeakyRelu", alpha=0.2),
    "gelu": _gelu,
    "swish": _times(lambda em, x, h: em.op("Sigmoid", [x], f"{h}_sig")),
    "silu": _times(lambda em, x, h: em.op("Sigmoid", [x], f"{h}_sig")),
    "hard_silu": _times(lambda em, x, h: em.op("HardSigmoid", [x], f"{h}_hs", alpha=1 / 6, beta=0.5)),
    "hard_swish": _times(lambda em, x, h: em.op("HardSigmoid", [x], f"{h}_hs", alpha=1 / 6, beta=0.5)),
    "mish": _times(lambda em, x, h: em.op("Tanh", [em.op("Softplus", [x], f"{h}_sp")], f"{h}_tanh")),
}
IDENTITY_ACTIVATIONS = {"linear", "none"}


def apply_activation(call: LayerCall, value: Value, spec: Any, hint: str | None = None) -> Value:
    """`value` through the named Keras activation, in whatever layout it is stored."""
    name = activation_name(spec)
    if name in IDENTITY_ACTIVATIONS:
        return value
    if name not in ACTIVATIONS:
        raise call.refuse(f"activation {name!r} is not supported by the native converter")
    out = ACTIVATIONS[name](call.em, value, hint or f"{call.name}_{name}")
    return Value(out, value.perm, value.dtype, value.mask)


@converts("Activation")
def activation_layer(call: LayerCall) -> list[Value]:
    return [apply_activation(call, call.inputs[0], call.config.get("activation"), call.name)]


@converts("ReLU")
def relu(call: LayerCall) -> list[Value]:
    x = call.inputs[0]
    em = call.em
    max_value = call.config.get("max_value")
    slope = float(call.get("negative_slope", 0.0))
    threshold = float(call.get("threshold", 0.0))
    if slope == 0.0 and threshold == 0.0:
        out = em.op("Relu", [x.name], call.name) if max_value is None else em.op(
            "Clip", [x.name, em.const(0.0, "zero"), em.const(float(max_value), f"{call.name}_max")], call.name)
        return [Value(out, x.perm, x.dtype, x.mask)]
    # Keras: x >= max -> max; threshold <= x < max -> x; x < threshold -> slope * (x - threshold)
    below = em.op("Mul", [em.op("Sub", [x.name, em.const(threshold, "thr")], f"{call.name}_sub"),
                          em.const(slope, "slope")], f"{call.name}_neg")
    out = em.op("Where", [em.op("Less", [x.name, em.const(threshold, "thr")], f"{call.name}_lt"), below, x.name],
                call.name)
    if max_value is not None:
        out = em.op("Min", [out, em.const(float(max_value), "max")], f"{call.name}_min")
    return [Value(out, x.perm, x.dtype, x.mask)]


@converts("LeakyReLU")
def leaky_relu(call: LayerCall) -> list[Value]:
    x = call.inputs[0]
    slope = call.config.get("negative_slope", call.config.get("alpha", 0.3))
    return [Value(call.em.op("LeakyRelu", [x.name], call.name, alpha=float(slope)), x.perm, x.dtype, x.mask)]


@converts("ELU")
def elu(call: LayerCall) -> list[Value]:
    x = call.inputs[0]
    return [Value(call.em.op("Elu", [x.name], call.name, alpha=float(call.get("alpha", 1.0))), x.perm, x.dtype,
                  x.mask)]


@converts("Softmax")
def softmax(call: LayerCall) -> list[Value]:
    x = call.inputs[0]
    axis = call.get("axis", -1)
    if isinstance(axis, (list, tuple)):
        if len(axis) != 1:
            raise call.refuse("a softmax over several axes is not supported")
        axis = axis[0]
    return [Value(call.em.op("Softmax", [x.name], call.name, axis=x.onnx_axis(int(axis))), x.perm, x.dtype, x.mask)]


@converts("Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise",
          "GaussianDropout", "AlphaDropout", "ActivityRegularization")
def inference_identity(call: LayerCall) -> list[Value]:
    """Only active in training: at inference the output is the input."""
    return [call.inputs[0]]


@converts("Dense")
def dense(call: LayerCall) -> list[Value]:
    x = call.inputs[0]
    em = call.em
    kernel, *rest = call.weights
    out = em.op("MatMul", [em.keras(x), em.const(kernel, f"{call.name}_kernel")], f"{call.name}_matmul")
    if call.get("use_bias", True) and rest:
        out = em.op("Add", [out, em.const(rest[0], f"{call.name}_bias")], f"{call.name}_bias_add")
    value = Value(out, identity(x.rank), "float32", x.mask)
    return [apply_activation(call, value, call.config.get("activation"))]


@converts("Embedding")
def embedding(call: LayerCall) -> list[Value]:
    x = call.inputs[0]
    em = call.em
    ids = em.keras(x)
    if np.dtype(x.dtype).kind not in "iu":
        ids = em.cast(ids, "int32", f"{call.name}_ids")
    out = em.op("Gather", [em.const(call.weights[0], f"{call.name}_embeddings"), ids], call.name)
    mask = None
    if call.get("mask_zero", False):
        zero = em.const(np.zeros((), np.dtype(x.dtype if np.dtype(x.dtype).kind in "iu" else "int32")), "id_zero", None)
        mask = em.op("Not", [em.op("Equal", [ids, zero], f"{call.name}_is_pad")], f"{call.name}_mask")
    return [Value(out, identity(x.rank + 1), "float32", mask)]


@converts("Masking")
def masking(call: LayerCall) -> list[Value]:
    """Keras zeroes the time steps whose features all equal mask_value, and masks them."""
    x = call.inputs[0]
    em = call.em
    data = em.keras(x)
    differs = em.op("Not", [em.op("Equal", [data, em.const(float(call.get("mask_value", 0.0)), "mask_value")],
                                  f"{call.name}_eq")], f"{call.name}_ne")
    keep = em.op("Cast", [differs], f"{call.name}_keepf", to=1)
    step = em.op("ReduceMax", [keep], f"{call.name}_any", axes=[-1], keepdims=1)
    out = em.op("Mul", [data, step], call.name)
    mask = em.op("Cast", [em.op("Squeeze", [step, em.ints([-1], "last_axis")], f"{call.name}_sq")],
                 f"{call.name}_mask", to=9)
    return [Value(out, identity(x.rank), x.dtype, mask)]


def per_feature(array: np.ndarray, value: Value, axes: list[int]) -> np.ndarray:
    """A per-feature array (over Keras `axes` of `value`) reshaped to broadcast in its layout."""
    shape = [1] * value.rank
    order = sorted(axes, key=lambda a: value.onnx_axis(a))
    data = np.asarray(array)
    if data.ndim == len(axes) and len(axes) > 1:
        data = np.transpose(data, [sorted(axes).index(a) for a in order])
    for a, size in zip(order, data.shape if data.ndim == len(axes) else [data.size]):
        shape[value.onnx_axis(a)] = size
    return data.reshape(shape)


def feature_axes(call: LayerCall, value: Value, default: int = -1) -> list[int]:
    axis = call.config.get("axis", default)
    axes = list(axis) if isinstance(axis, (list, tuple)) else [axis]
    return [int(a) % value.rank for a in axes]


@converts("Rescaling")
def rescaling(call: LayerCall) -> list[Value]:
    x = call.inputs[0]
    em = call.em
    scale, offset = np.asarray(call.get("scale", 1.0), np.float32), np.asarray(call.get("offset", 0.0), np.float32)
    data = x.name if np.dtype(x.dtype).kind == "f" else em.cast(x.name, "float32", f"{call.name}_cast")
    if scale.ndim:  # a per-channel list applies to the last axis
        scale = per_feature(scale, x, [x.rank - 1])
    if offset.ndim:
        offset = per_feature(offset, x, [x.rank - 1])
    out = em.op("Add", [em.op("Mul", [data, em.const(scale, f"{call.name}_scale")], f"{call.name}_mul"),
                        em.const(offset, f"{call.name}_offset")], call.name)
    return [Value(out, x.perm, "float32", x.mask)]


@converts("Normalization")
def normalization(call: LayerCall) -> list[Value]:
    """(x - mean) / max(sqrt(variance), epsilon), or its inverse; mean and variance come from the
    config when given there, else from the adapted weights (mean, variance, count)."""
    x = call.inputs[0]
    em = call.em
    if call.config.get("mean") is not None:
        mean, var = np.asarray(call.config["mean"], np.float64), np.asarray(call.config["variance"], np.float64)
    else:
        mean, var = (np.asarray(w, np.float64) for w in call.weights[:2])
    axes = feature_axes(call, x)
    std = np.maximum(np.sqrt(var), 1e-7)
    if mean.size > 1:
        mean, std = per_feature(mean.reshape(-1) if len(axes) == 1 else mean, x, axes), \
            per_feature(std.reshape(-1) if len(axes) == 1 else std, x, axes)
    if call.get("invert", False):
        out = em.op("Add", [em.op("Mul", [x.name, em.const(std, f"{call.name}_std")], f"{call.name}_mul"),
                            em.const(mean, f"{call.name}_mean")], call.name)
    else:
        out = em.op("Div", [em.op("Sub", [x.name, em.const(mean, f"{call.name}_mean")], f"{call.name}_sub"),
                            em.const(std, f"{call.name}_std")], call.name)
    return [Value(out, x.perm, "float32", x.mask)]


@converts("NotEqual")
def not_equal(call: LayerCall) -> list[Value]:
    """The mask Keras 3 writes into a functional model after Embedding(mask_zero=True):
    `ops.not_equal(ids, 0)`. The layer graph keeps tensor operands only, so any other use,
    whose second operand is not recorded, is refused rather than guessed."""
    if len(call.inputs) != 1 or not call.embedding_mask:
        raise call.refuse("a keras.ops not_equal other than Embedding(mask_zero=True)'s mask is not supported")
    x = call.inputs[0]
    em = call.em
    ids = em.keras(x)
    zero = em.const(np.zeros((), np.dtype(x.dtype)), f"{call.name}_zero", None)
    out = em.op("Not", [em.op("Equal", [ids, zero], f"{call.name}_eq")], call.name)
    return [Value(out, identity(x.rank), "bool")]
