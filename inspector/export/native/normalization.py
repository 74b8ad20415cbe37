"""BatchNormalization in inference form (one scale and one offset per feature, folded from the
moving statistics) and LayerNormalization, both applied in the input's current layout."""

from __future__ import annotations

import numpy as np

from inspector.export.native.core import feature_axes, per_feature
from inspector.export.native.emitter import Value
from inspector.export.native.registry import LayerCall, converts


@converts("BatchNormalization")
def batch_normalization(call: LayerCall) -> list[Value]:
    """y = (x - mean) / sqrt(var + eps) * gamma + beta = x * scale + offset."""
    x = call.inputs[0]
    arrays = [np.asarray(w, np.float64) for w in call.weights]
    gamma = arrays.pop(0) if call.get("scale", True) else 1.0
    beta = arrays.pop(0) if call.get("center", True) else 0.0
    mean, var = arrays[:2]
    scale = gamma / np.sqrt(var + float(call.get("epsilon", 1e-3)))
    offset = beta - mean * scale
    axes = feature_axes(call, x)
    em = call.em
    out = em.op("Mul", [x.name, em.const(per_feature(scale, x, axes), f"{call.name}_scale")], f"{call.name}_mul")
    out = em.op("Add", [out, em.const(per_feature(offset, x, axes), f"{call.name}_offset")], call.name)
    return [Value(out, x.perm, x.dtype, x.mask)]


@converts("LayerNormalization")
def layer_normalization(call: LayerCall) -> list[Value]:
    x = call.inputs[0]
    em = call.em
    axes = feature_axes(call, x)
    onnx_axes = sorted(x.onnx_axis(a) for a in axes)
    mean = em.op("ReduceMean", [x.name], f"{call.name}_mean", axes=onnx_axes, keepdims=1)
    centered = em.op("Sub", [x.name, mean], f"{call.name}_centered")
    var = em.op("ReduceMean", [em.op("Mul", [centered, centered], f"{call.name}_sq")], f"{call.name}_var",
                axes=onnx_axes, keepdims=1)
    eps = em.const(float(call.get("epsilon", 1e-3)), f"{call.name}_eps")
    out = em.op("Div", [centered, em.op("Sqrt", [em.op("Add", [var, eps], f"{call.name}_var_eps")],
                                        f"{call.name}_std")], f"{call.name}_normed")
    arrays = list(call.weights)
    if call.get("scale", True) and arrays:
        out = em.op("Mul", [out, em.const(per_feature(arrays.pop(0), x, axes), f"{call.name}_gamma")],
                    f"{call.name}_scaled")
    if call.get("center", True) and arrays:
        out = em.op("Add", [out, em.const(per_feature(arrays.pop(0), x, axes), f"{call.name}_beta")], call.name)
    return [Value(out, x.perm, x.dtype, x.mask)]
