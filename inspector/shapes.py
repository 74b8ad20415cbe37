"""Shape and weight inference from stored layer configs, for files that store no shapes.

Keras 1/2 configs record only input shapes and no file records the shapes of a model's final
outputs, so the loader infers output shapes from each layer's config; architecture JSON holds no
weights, so parameters are computed from configs as well. Everything here is pure Python: reading
a model never imports TensorFlow or Keras (design invariant 1).

Configs come from every Keras era (Keras 1 ``output_dim``/``nb_filter``/``border_mode``/
``dim_ordering``, Keras 2, Keras 3) and are untrusted data: the public functions never raise and
answer None when a class is unknown or a shape cannot be inferred.

Input shapes are the shapes of one call's input tensors in call order: positional arguments
flattened, then tensor keyword arguments. For ``MultiHeadAttention`` that is
``[query, value, key?, masks...]``; for ``Attention`` ``[query, value, key?]``; for RNNs
``[sequences, initial_state..., mask?]``. Attention scores are an output only when the config
says ``return_attention_scores`` (old tf.keras configs do; for Keras 3 the loader may copy the
call keyword into the config it passes here).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

Shape = tuple[int | None, ...]  # full shape including the batch dimension; None = unknown dim

__all__ = ["Shape", "WeightSpec", "known_classes", "output_shapes", "weight_specs"]


@dataclass(frozen=True)
class WeightSpec:
    """One weight Keras creates when it builds a layer."""

    name: str
    shape: tuple[int, ...]
    trainable: bool


class _Unknown(Exception):
    """Raised inside this module when a shape cannot be inferred; never escapes it."""


_Outputs = list[Shape | None]
_Weights = list[WeightSpec]
_OutFn = Callable[[Mapping, list[Shape | None]], _Outputs]
_WeightFn = Callable[[Mapping, list[Shape | None]], _Weights]


@dataclass(frozen=True)
class _Family:
    outputs: _OutFn
    weights: _WeightFn | None = None  # None: the layer owns no weights


# --------------------------------------------------------------------------- public API


def output_shapes(
    class_name: str, config: Mapping, input_shapes: Sequence[Shape | None]
) -> list[Shape | None] | None:
    """Shapes of every output tensor of ONE call of a layer, given that call's input shapes.

    None when the class is unknown or the shapes cannot be inferred. Never raises.
    """
    try:
        family = _REGISTRY.get(class_name) if isinstance(class_name, str) else None
        if family is None or not isinstance(config, Mapping):
            return None
        result = family.outputs(config, _normalize_inputs(input_shapes))
        return _validated_outputs(result)
    except Exception:  # noqa: BLE001 - untrusted config: any failure means "cannot infer"
        return None


def weight_specs(
    class_name: str, config: Mapping, input_shapes: Sequence[Shape | None]
) -> list[WeightSpec] | None:
    """The weights Keras would create for this layer on these input shapes, in Keras 3's order.

    That order is ``layer.weights``: weights created trainable first, then non-trainable, then
    those of sub-layers; it is the order of ``vars/0, vars/1...`` in a ``.keras`` file.
    None when the class is unknown or a weight shape depends on an unknown dimension.
    """
    try:
        family = _REGISTRY.get(class_name) if isinstance(class_name, str) else None
        if family is None or not isinstance(config, Mapping):
            return None
        if family.weights is None:
            return []
        if _quantized(config):
            return None  # quantized layers store int kernels plus scales: not modelled
        specs = family.weights(config, _normalize_inputs(input_shapes))
        return _validated_weights(config, specs)
    except Exception:  # noqa: BLE001 - untrusted config: any failure means "cannot infer"
        return None


def known_classes() -> frozenset[str]:
    """Class names this module understands (for reporting what falls back to None)."""
    return frozenset(_REGISTRY)


# --------------------------------------------------------------------------- validation


def _normalize_inputs(input_shapes: Sequence[Shape | None] | None) -> list[Shape | None]:
    if input_shapes is None:
        return []
    if isinstance(input_shapes, (str, bytes, Mapping)) or not isinstance(input_shapes, Sequence):
        raise _Unknown("input shapes must be a sequence")
    return [_as_shape(s) for s in input_shapes]


def _as_shape(value: object) -> Shape | None:
    """A shape as a tuple of non-negative ints and Nones, or None when it is not one."""
    if value is None or isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        return None
    dims: list[int | None] = []
    for d in value:
        if d is None:
            dims.append(None)
        elif (_is_int(d) or (isinstance(d, float) and d.is_integer())) and d >= 0:
            dims.append(int(d))
        else:
            return None
    return tuple(dims)


def _validated_outputs(result: _Outputs | None) -> list[Shape | None] | None:
    if not result:
        return None
    out: list[Shape | None] = []
    for shape in result:
        if shape is None:
            out.append(None)
            continue
        if any(d is not None and (not _is_int(d) or d < 0) for d in shape):
            return None
        out.append(tuple(shape))
    return out


def _validated_weights(config: Mapping, specs: _Weights | None) -> list[WeightSpec] | None:
    if specs is None:
        return None
    for spec in specs:
        if any(not _is_int(d) or d < 0 for d in spec.shape):
            return None
    if config.get("trainable") is False:
        # Keras keeps the creation order but marks every variable of a frozen layer untrainable.
        specs = [WeightSpec(s.name, s.shape, False) for s in specs]
    return list(specs)


def _quantized(config: Mapping) -> bool:
    dtype = config.get("dtype")
    if isinstance(dtype, Mapping):
        if "Quantized" in str(dtype.get("class_name", "")):
            return True
        dtype = (dtype.get("config") or {}).get("name")
    return isinstance(dtype, str) and any(q in dtype for q in ("int8", "int4", "float8", "gptq"))


# --------------------------------------------------------------------------- small helpers


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _int(v: object) -> int:
    if isinstance(v, int) and not isinstance(v, bool):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    raise _Unknown(f"not an integer: {v!r}")


def _int_list(value: object) -> list[int]:
    """An int or a sequence of ints (axes, dims, shared_axes...) as a list."""
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return [_int(v) for v in value]
    return [_int(value)]


def _need(d: int | None) -> int:
    """A dimension a weight shape depends on: unknown means the weights are unknown."""
    if d is None:
        raise _Unknown("a weight shape depends on an unknown dimension")
    return d


def _both(inputs: list[Shape | None]) -> tuple[Shape, Shape]:
    if len(inputs) < 2 or inputs[0] is None or inputs[1] is None:
        raise _Unknown("two input shapes needed")
    return inputs[0], inputs[1]


def _all(inputs: list[Shape | None], minimum: int = 1) -> list[Shape]:
    shapes = [s for s in inputs if s is not None]
    if len(shapes) != len(inputs) or len(shapes) < minimum:
        raise _Unknown("unknown input shape")
    return shapes


def _ints(value: object, n: int) -> tuple[int, ...]:
    """Keras' normalize_tuple: an int, or a sequence of n ints."""
    if value is None:
        raise _Unknown("missing")
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        vals = tuple(_int(v) for v in value)
        if len(vals) == n:
            return vals
        if len(vals) == 1:
            return vals * n
        raise _Unknown(f"expected {n} values, got {value!r}")
    return (_int(value),) * n


def _get(config: Mapping, *names: str, default: object = None) -> object:
    """The first of several era-specific names that is present and not None."""
    for name in names:
        value = config.get(name)
        if value is not None:
            return value
    return default


def _first(inputs: list[Shape | None], ndim: int | None = None, min_ndim: int = 1) -> Shape:
    if not inputs or inputs[0] is None:
        raise _Unknown("no input shape")
    x = inputs[0]
    if (ndim is not None and len(x) != ndim) or len(x) < min_ndim:
        raise _Unknown(f"unexpected rank {len(x)}")
    return x


def _channels_first(config: Mapping) -> bool:
    fmt = _get(config, "data_format", "dim_ordering")
    return fmt in ("channels_first", "th")


def _axis(axis: object, ndim: int) -> int:
    a = _int(axis)
    if not -ndim <= a < ndim:
        raise _Unknown(f"axis {a} out of range for rank {ndim}")
    return a % ndim


def _prod(dims: Sequence[int | None]) -> int | None:
    if any(d is None for d in dims):
        return None
    return math.prod(d for d in dims if d is not None)


def _layer_ref(value: object) -> tuple[str, Mapping]:
    """The (class_name, config) of a nested layer entry such as a wrapper's ``layer``."""
    if not isinstance(value, Mapping):
        raise _Unknown("nested layer missing")
    cls, cfg = value.get("class_name"), value.get("config")
    if not isinstance(cls, str) or not isinstance(cfg, Mapping):
        raise _Unknown("nested layer malformed")
    return cls, cfg


def _w(name: str, *shape: int | None, trainable: bool = True) -> WeightSpec:
    return WeightSpec(name, tuple(_need(d) for d in shape), trainable)


def _keras1(config: Mapping) -> bool:
    """Keras 1 configs name initializers ``init`` and regularizers ``W_regularizer``."""
    return any(k in config for k in ("init", "W_regularizer", "nb_filter", "border_mode"))


def _bias(config: Mapping) -> bool:
    return bool(_get(config, "use_bias", "bias", default=True))


# --------------------------------------------------------------------------- length arithmetic


def _conv_len(size: int | None, k: int, padding: str, stride: int, dilation: int = 1) -> int | None:
    """Output length of a convolution or pooling window along one axis (Keras' rule)."""
    if size is None:
        return None
    dk = (k - 1) * dilation + 1
    if padding in ("same", "causal"):
        length = size
    elif padding == "valid":
        length = size - dk + 1
    elif padding == "full":  # Keras 1/2 Theano-era mode
        length = size + dk - 1
    else:
        raise _Unknown(f"padding {padding!r}")
    if stride <= 0:
        raise _Unknown("stride")
    out = (length + stride - 1) // stride
    if out <= 0:
        raise _Unknown("output size would be zero or negative")
    return out


def _deconv_len(
    size: int | None, k: int, padding: str, stride: int, output_padding: int | None, dilation: int
) -> int | None:
    """Output length of a transposed convolution along one axis (Keras' rule)."""
    if size is None:
        return None
    dk = (k - 1) * dilation + 1
    if output_padding is None:
        if padding == "valid":
            return size * stride + max(dk - stride, 0)
        if padding == "same":
            return size * stride
        if padding == "full":
            return size * stride - (stride + dk - 2)
        raise _Unknown(f"padding {padding!r}")
    pad = {"same": dk // 2, "valid": 0, "full": dk - 1}.get(padding)
    if pad is None:
        raise _Unknown(f"padding {padding!r}")
    return (size - 1) * stride + dk - 2 * pad + output_padding


def _split(config: Mapping, x: Shape, rank: int) -> tuple[Shape, int | None, bool]:
    """(spatial dims, channels, channels_first) of an input of a spatial layer."""
    if len(x) != rank + 2:
        raise _Unknown(f"expected rank {rank + 2}, got {len(x)}")
    cf = _channels_first(config)
    return (x[2:], x[1], cf) if cf else (x[1:-1], x[-1], cf)


def _join(
    batch: int | None, spatial: Sequence[int | None], channels: int | None, cf: bool
) -> Shape:
    return (batch, channels, *spatial) if cf else (batch, *spatial, channels)


# --------------------------------------------------------------------------- simple families


def _same_shape(config: Mapping, inputs: list[Shape | None]) -> _Outputs:
    """Elementwise layers: activations, dropout and noise, normalization, masking."""
    return [_first(inputs)]


def _input_layer(config: Mapping, inputs: list[Shape | None]) -> _Outputs:
    shape = _get(config, "batch_shape", "batch_input_shape")
    if shape is not None:
        out = _as_shape(shape)
    elif config.get("shape") is not None:  # Keras 3 InputLayer(shape=...)
        inner = _as_shape(config.get("shape"))
        out = None if inner is None else (None, *inner)
    else:
        out = None
    if out is None:
        raise _Unknown("InputLayer without a shape")
    return [out]


def _lambda(config: Mapping, inputs: list[Shape | None]) -> _Outputs:
    """A Lambda's function is never run: only a stored literal ``output_shape`` is usable."""
    stored = config.get("output_shape")
    if config.get("output_shape_type", "raw") != "raw" or not isinstance(stored, (list, tuple)):
        raise _Unknown("Lambda output shape is computed by code")
    batch = inputs[0][0] if inputs and inputs[0] else None
    if all(d is None or _is_int(d) for d in stored):
        inner = _as_shape(stored)
        if inner is None:
            raise _Unknown("bad output_shape")
        return [(batch, *inner)]
    outs: _Outputs = []
    for item in stored:  # several outputs, each without the batch dimension
        inner = _as_shape(item)
        if inner is None:
            raise _Unknown("bad output_shape")
        outs.append((batch, *inner))
    return outs


# --------------------------------------------------------------------------- core layers


def _dense_units(config: Mapping) -> int:
    return _int(_get(config, "units", "output_dim"))


def _dense_out(config: Mapping, inputs: list[Shape | None]) -> _Outputs:
    """Dense acts on the last axis of an input of any rank."""
    x = _first(inputs, min_ndim=2)
    return [(*x[:-1], _dense_units(config))]


def _dense_weights(config: Mapping, inputs: list[Shape | None]) -> _Weights:
    x = _first(inputs, min_ndim=2)
    units = _dense_units(config)
    k1 = "units" not in config and "output_dim" in config
    specs = [_w("W" if k1 else "kernel", x[-1], units)]
    if _bias(config):
        specs.append(_w("b" if k1 else "bias", units))
    return specs


def _maxout_out(config: Mapping, inputs: list[Shape | None]) -> _Outputs:
    x = _first(inputs, ndim=2)
    return [(x[0], _int(config.get("output_dim")))]


def _maxout_weights(config: Mapping, inputs: list[Shape | None]) -> _Weights:
    x = _first(inputs, ndim=2)
    out, n = _int(config.get("output_dim")), _int(config.get("nb_feature", 4))
    specs = [_w("W", n, x[-1], out)]
    if _bias(config):
        specs.append(_w("b", n, out))
    return specs


def _highway_weights(config: Mapping, inputs: list[Shape | None]) -> _Weights:
    d = _first(inputs, ndim=2)[-1]
    specs = [_w("W", d, d), _w("W_carry", d, d)]
    if _bias(config):
        specs += [_w("b", d), _w("b_carry", d)]
    return specs


def _einsum_analysis(
    config: Mapping, x: Shape
) -> tuple[list[int | None], list[int | None] | None, list[int | None]]:
    """Port of Keras' ``_analyze_einsum_string``: (kernel shape, bias shape, output shape)."""
    equation = config.get("equation")
    if not isinstance(equation, str):
        raise _Unknown("equation")
    eq = equation.replace("...", "0")
    left_elided = False
    if "->" not in eq or "," not in eq:
        raise _Unknown("equation")
    lhs, out_spec = eq.split("->")
    in_spec, weight_spec = lhs.split(",")
    if in_spec.startswith("0") and out_spec.startswith("0") and "0" not in weight_spec:
        left_elided = True
        in_spec, out_spec = in_spec[1:], out_spec[1:]
    elif in_spec.endswith("0") and out_spec.endswith("0") and len(in_spec) > 2:
        in_spec, out_spec = in_spec[:-1], out_spec[:-1]
    for spec in (in_spec, weight_spec, out_spec):
        if not spec.isalpha():
            raise _Unknown("equation")
    elided = len(x) - len(in_spec)
    partial = config.get("output_shape")
    out_shape: list[int | None]
    if isinstance(partial, (list, tuple)):
        out_shape = [None if d is None else _int(d) for d in partial]
    else:
        out_shape = [_int(partial)]
    out_shape.insert(0, x[0])
    if elided > 0 and left_elided:
        for i in range(1, elided):
            out_shape.insert(1, x[i])
    elif elided > 0:
        out_shape.extend(x[len(x) - elided :])
    if left_elided:
        in_map = {d: (i + elided) - len(x) for i, d in enumerate(in_spec)}
        out_map = {d: i + elided for i, d in enumerate(out_spec)}
    else:
        in_map = {d: i for i, d in enumerate(in_spec)}
        out_map = {d: i for i, d in enumerate(out_spec)}
    kernel: list[int | None] = []
    for d in weight_spec:
        if d in out_map:
            kernel.append(out_shape[out_map[d]])
        elif d in in_map:
            kernel.append(x[in_map[d]])
        else:
            raise _Unknown("weight dimension without a match")
    bias_axes = config.get("bias_axes")
    bias: list[int | None] | None = None
    if isinstance(bias_axes, str) and bias_axes:
        n_left = elided if left_elided else 0
        idx = {c: out_shape[i + n_left] for i, c in enumerate(out_spec)}
        first = min(out_spec.index(c) for c in bias_axes)
        bias = [idx[c] if c in bias_axes else 1 for c in out_spec[first:]]
        if not left_elided:
            bias.extend([1] * max(elided, 0))
    return kernel, bias, out_shape


def _einsum_out(config: Mapping, inputs: list[Shape | None]) -> _Outputs:
    return [tuple(_einsum_analysis(config, _first(inputs))[2])]


def _einsum_weights(config: Mapping, inputs: list[Shape | None]) -> _Weights:
    kernel, bias, _ = _einsum_analysis(config, _first(inputs))
    specs = [_w("kernel", *kernel)]
    if bias is not None:
        specs.append(_w("bias", *bias))
    return specs


def _embedding_out(config: Mapping, inputs: list[Shape | None]) -> _Outputs:
    """Embedding appends a dimension; a stored ``input_length`` fills unknown lengths."""
    x = _first(inputs)
    out = [*x, _int(config.get("output_dim"))]
    length = config.get("input_length")
    if length is not None:
        lengths = list(length) if isinstance(length, (list, tuple)) else [length]
        for i, n in enumerate(lengths):
            if n is not None and 1 + i < len(x) and out[1 + i] is None:
                out[1 + i] = _int(n)
    return [tuple(out)]


def _embedding_weights(config: Mapping, inputs: list[Shape | None]) -> _Weights:
    name = "W" if _keras1(config) else "embeddings"
    return [_w(name, _int(config.get("input_dim")), _int(config.get("output_dim")))]


def _prelu_weights(config: Mapping, inputs: list[Shape | None]) -> _Weights:
    """PReLU has one alpha per input element, shared along ``shared_axes`` (1-based)."""
    x = _first(inputs, min_ndim=2)
    param = list(x[1:])
    shared = config.get("shared_axes")
    if shared is not None:
        for a in _int_list(shared):
            param[a - 1] = 1
    name = "alphas" if _keras1(config) else "alpha"
    return [_w(name, *param)]


def _elementwise_params(*names: str) -> _WeightFn:
    """Keras 1 SReLU / ParametricSoftplus: one parameter tensor per name, like PReLU's."""

    def weights(config: Mapping, inputs: list[Shape | None]) -> _Weights:
        x = _first(inputs, min_ndim=2)
        param = list(x[1:])
        shared = config.get("shared_axes")
        for a in [] if shared is None else _int_list(shared):
            param[a - 1] = 1
        return [_w(n, *param) for n in names]

    return weights


# --------------------------------------------------------------------------- convolutions

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


# --------------------------------------------------------------------------- pooling


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


# --------------------------------------------------------------------------- reshaping


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


# --------------------------------------------------------------------------- merging


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


# --------------------------------------------------------------------------- normalization


def _batchnorm_weights(config: Mapping, inputs: list[Shape | None]) -> _Weights:
    x = _first(inputs)
    axis = config.get("axis", -1)
    axes = (
        [_axis(a, len(x)) for a in axis]
        if isinstance(axis, (list, tuple))
        else [_axis(axis, len(x))]
    )
    if len(axes) == 1:
        shape: tuple[int | None, ...] = (x[axes[0]],)
    else:  # tf.keras 2 with several axes keeps a broadcastable full-rank parameter
        shape = tuple(x[i] if i in axes else 1 for i in range(len(x)))
    if "mode" in config and "center" not in config:  # Keras 1
        return [
            _w("gamma", *shape),
            _w("beta", *shape),
            _w("running_mean", *shape, trainable=False),
            _w("running_std", *shape, trainable=False),
        ]
    specs = []
    if config.get("scale", True):
        specs.append(_w("gamma", *shape))
    if config.get("center", True):
        specs.append(_w("beta", *shape))
    specs += [
        _w("moving_mean", *shape, trainable=False),
        _w("moving_variance", *shape, trainable=False),
    ]
    if config.get("renorm"):
        specs += [
            _w(n, *shape, trainable=False)
            for n in ("moving_stddev", "renorm_mean", "renorm_stddev")
        ]
    return specs


def _norm_param_shape(config: Mapping, x: Shape) -> tuple[int | None, ...]:
    axis = config.get("axis", -1)
    if isinstance(axis, (list, tuple)):
        return tuple(x[_axis(a, len(x))] for a in sorted(axis, key=lambda a: _axis(a, len(x))))
    return (x[_axis(axis, len(x))],)


def _layernorm_weights(config: Mapping, inputs: list[Shape | None]) -> _Weights:
    shape = _norm_param_shape(config, _first(inputs))
    rms = bool(config.get("rms_scaling"))
    specs = []
    if config.get("scale", True) or rms:
        specs.append(_w("gamma", *shape))
    if config.get("center", True) and not rms:
        specs.append(_w("beta", *shape))
    return specs


def _rmsnorm_weights(config: Mapping, inputs: list[Shape | None]) -> _Weights:
    return [_w("scale", *_norm_param_shape(config, _first(inputs)))]


def _groupnorm_weights(config: Mapping, inputs: list[Shape | None]) -> _Weights:
    x = _first(inputs)
    dim = x[_axis(config.get("axis", -1), len(x))]
    specs = []
    if config.get("scale", True):
        specs.append(_w("gamma", dim))
    if config.get("center", True):
        specs.append(_w("beta", dim))
    return specs


def _normalization_weights(config: Mapping, inputs: list[Shape | None]) -> _Weights:
    """Normalization adapts mean/variance (plus a count) unless they were given as arguments."""
    if config.get("mean") is not None:
        return []
    x = _first(inputs)
    axis = config.get("axis", -1)
    keep = sorted(_axis(a, len(x)) for a in ([] if axis is None else _int_list(axis)))
    shape = tuple(x[d] for d in keep)
    return [
        _w("mean", *shape, trainable=False),
        _w("variance", *shape, trainable=False),
        _w("count", trainable=False),
    ]


# --------------------------------------------------------------------------- recurrent

_GATES = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3, "CuDNNLSTM": 4, "CuDNNGRU": 3}
_STATES = {"SimpleRNN": 1, "LSTM": 2, "GRU": 1, "CuDNNLSTM": 2, "CuDNNGRU": 1}
_CELL_KIND = {"SimpleRNNCell": "SimpleRNN", "LSTMCell": "LSTM", "GRUCell": "GRU"}


def _units(config: Mapping) -> int:
    return _int(_get(config, "units", "output_dim"))


def _sequence_outputs(config: Mapping, x: Shape, step: Shape, n_states: int) -> _Outputs:
    """Outputs of a recurrent layer whose per-step output is ``(batch, *step)``."""
    time_major = bool(config.get("time_major"))
    batch, steps = (x[1], x[0]) if time_major else (x[0], x[1])
    if config.get("return_sequences"):
        main: Shape = (steps, batch, *step) if time_major else (batch, steps, *step)
    else:
        main = (batch, *step)
    outs: _Outputs = [main]
    if config.get("return_state"):
        outs += [(batch, *step)] * n_states
    return outs


def _rnn_out(kind: str) -> _OutFn:
    def outputs(config: Mapping, inputs: list[Shape | None]) -> _Outputs:
        x = _first(inputs, ndim=3)
        return _sequence_outputs(config, x, (_units(config),), _STATES[kind])

    return outputs


def _rnn_cell_weights(kind: str, config: Mapping, input_dim: int | None) -> _Weights:
    units = _units(config)
    if "units" not in config and "output_dim" in config:  # Keras 1
        if kind == "SimpleRNN":
            return [_w("W", input_dim, units), _w("U", units, units), _w("b", units)]
        gates = _GATES[kind]
        if config.get("consume_less") == "gpu":
            return [
                _w("W", input_dim, gates * units),
                _w("U", units, gates * units),
                _w("b", gates * units),
            ]
        order = "icfo" if kind == "LSTM" else "zrh"
        specs = []
        for g in order:
            specs += [
                _w(f"W_{g}", input_dim, units),
                _w(f"U_{g}", units, units),
                _w(f"b_{g}", units),
            ]
        return specs
    gates = _GATES[kind]
    specs = [_w("kernel", input_dim, gates * units), _w("recurrent_kernel", units, gates * units)]
    if kind == "CuDNNLSTM":
        specs.append(_w("bias", 8 * units))
    elif kind == "CuDNNGRU":
        specs.append(_w("bias", 6 * units))
    elif config.get("use_bias", True):
        if kind == "GRU" and config.get("reset_after", False):
            specs.append(_w("bias", 2, 3 * units))
        else:
            specs.append(_w("bias", gates * units))
    return specs


def _rnn_weights(kind: str) -> _WeightFn:
    def weights(config: Mapping, inputs: list[Shape | None]) -> _Weights:
        x = _first(inputs, ndim=3)
        return _rnn_cell_weights(kind, config, x[-1])

    return weights


def _generic_cells(config: Mapping) -> list[tuple[str, Mapping]]:
    cell = config.get("cell")
    if isinstance(cell, list):
        refs = [_layer_ref(c) for c in cell]
    else:
        cls, cfg = _layer_ref(cell)
        refs = (
            [_layer_ref(c) for c in cfg.get("cells", [])]
            if cls == "StackedRNNCells"
            else [(cls, cfg)]
        )
    if not refs or any(cls not in _CELL_KIND for cls, _ in refs):
        raise _Unknown("RNN cell")
    return refs


def _generic_rnn_out(config: Mapping, inputs: list[Shape | None]) -> _Outputs:
    """``keras.layers.RNN`` over built-in cells: output of the last cell, states of all."""
    x = _first(inputs, ndim=3)
    cells = _generic_cells(config)
    outs = _sequence_outputs({**config, "return_state": False}, x, (_units(cells[-1][1]),), 0)
    if config.get("return_state"):
        for cls, cfg in cells:
            outs += [(x[0], _units(cfg))] * _STATES[_CELL_KIND[cls]]
    return outs


def _generic_rnn_weights(config: Mapping, inputs: list[Shape | None]) -> _Weights:
    dim = _first(inputs, ndim=3)[-1]
    specs: _Weights = []
    for cls, cfg in _generic_cells(config):
        specs += _rnn_cell_weights(_CELL_KIND[cls], cfg, dim)
        dim = _units(cfg)
    return specs


def _conv_lstm_out(rank: int) -> _OutFn:
    def outputs(config: Mapping, inputs: list[Shape | None]) -> _Outputs:
        x = _first(inputs, ndim=rank + 3)
        step = (x[0], *x[2:])
        spatial, _, cf = _split(config, step, rank)
        state = _join(None, _conv_spatial(config, spatial, rank), _filters(config), cf)[1:]
        return _sequence_outputs(config, x, state, 2)

    return outputs


def _conv_lstm_weights(rank: int) -> _WeightFn:
    def weights(config: Mapping, inputs: list[Shape | None]) -> _Weights:
        if "nb_filter" in config:
            raise _Unknown("Keras 1 ConvLSTM2D weights")
        x = _first(inputs, ndim=rank + 3)
        _, channels, _ = _split(config, (x[0], *x[2:]), rank)
        p = _conv_params(config, rank)
        f = _filters(config)
        specs = [
            _w("kernel", *p.kernel, channels, 4 * f),
            _w("recurrent_kernel", *p.kernel, f, 4 * f),
        ]
        return specs + ([_w("bias", 4 * f)] if _bias(config) else [])

    return weights


# --------------------------------------------------------------------------- wrappers


def _nested(cls: str, cfg: Mapping, inputs: list[Shape | None]) -> _Outputs:
    out = output_shapes(cls, cfg, inputs)
    if out is None:
        raise _Unknown(f"cannot infer nested {cls}")
    return out


def _nested_weights(cls: str, cfg: Mapping, inputs: list[Shape | None]) -> _Weights:
    specs = weight_specs(cls, cfg, inputs)
    if specs is None:
        raise _Unknown(f"cannot infer nested {cls} weights")
    return specs


def _bidirectional_layers(config: Mapping) -> tuple[tuple[str, Mapping], tuple[str, Mapping]]:
    forward = _layer_ref(config.get("layer"))
    backward = forward
    if config.get("backward_layer") is not None:
        backward = _layer_ref(config.get("backward_layer"))
    return forward, backward


def _bidirectional_out(config: Mapping, inputs: list[Shape | None]) -> _Outputs:
    (fc, fcfg), (bc, bcfg) = _bidirectional_layers(config)
    seq = inputs[:1]  # initial states and masks do not change the outputs
    fwd, bwd = _nested(fc, fcfg, seq), _nested(bc, bcfg, seq)
    states = bool(fcfg.get("return_state"))
    f_main, f_states = fwd[0], fwd[1:] if states else []
    b_main, b_states = bwd[0], bwd[1:] if states else []
    mode = config.get("merge_mode", "concat")
    if mode == "concat":
        if f_main is None or b_main is None:
            raise _Unknown("unknown output")
        last = None if f_main[-1] is None or b_main[-1] is None else f_main[-1] + b_main[-1]
        main: _Outputs = [(*f_main[:-1], last)]
    elif mode in ("sum", "mul", "ave"):
        main = [f_main]
    elif mode is None:
        main = [f_main, b_main]
    else:
        raise _Unknown(f"merge_mode {mode!r}")
    return main + f_states + b_states


def _bidirectional_weights(config: Mapping, inputs: list[Shape | None]) -> _Weights:
    (fc, fcfg), (bc, bcfg) = _bidirectional_layers(config)
    seq = inputs[:1]
    fname = "forward_" + str(fcfg.get("name", fc.lower())).removeprefix("forward_")
    if config.get("backward_layer") is not None:
        bname = str(bcfg.get("name", bc.lower()))
    else:
        bname = "backward_" + str(bcfg.get("name", bc.lower())).removeprefix("forward_")
    return [
        WeightSpec(f"{fname}/{s.name}", s.shape, s.trainable)
        for s in _nested_weights(fc, fcfg, seq)
    ] + [
        WeightSpec(f"{bname}/{s.name}", s.shape, s.trainable)
        for s in _nested_weights(bc, bcfg, seq)
    ]


def _time_distributed_out(config: Mapping, inputs: list[Shape | None]) -> _Outputs:
    x = _first(inputs, min_ndim=3)
    cls, cfg = _layer_ref(config.get("layer"))
    inner = _nested(cls, cfg, [(x[0], *x[2:])])
    return [None if s is None else (s[0], x[1], *s[1:]) for s in inner]


def _time_distributed_weights(config: Mapping, inputs: list[Shape | None]) -> _Weights:
    x = _first(inputs, min_ndim=3)
    cls, cfg = _layer_ref(config.get("layer"))
    return _nested_weights(cls, cfg, [(x[0], *x[2:])])


# --------------------------------------------------------------------------- attention


def _attention_key(inputs: list[Shape | None]) -> Shape:
    """The key: a third input of the value's rank (masks have other ranks), else the value."""
    _, v = _both(inputs)
    k = inputs[2] if len(inputs) > 2 else None
    return k if k is not None and len(k) == len(v) else v


def _attention_out(config: Mapping, inputs: list[Shape | None]) -> _Outputs:
    """Attention/AdditiveAttention on ``[query, value, key?]``: query rows, value features."""
    q, v = _both(inputs)
    k = _attention_key(inputs)
    outs: _Outputs = [(*q[:-1], v[-1])]
    if config.get("return_attention_scores"):
        outs.append((*q[:-1], k[-2]))
    return outs


def _attention_weights(config: Mapping, inputs: list[Shape | None]) -> _Weights:
    specs = []
    if config.get("use_scale"):
        specs.append(_w("scale"))
    if config.get("score_mode") == "concat":
        specs.append(_w("concat_score_weight"))
    return specs


def _additive_attention_weights(config: Mapping, inputs: list[Shape | None]) -> _Weights:
    if not config.get("use_scale", True):
        return []
    return [_w("scale", _first(inputs)[-1])]


def _mha_output_shape(config: Mapping) -> tuple[int, ...] | None:
    out = config.get("output_shape")
    if out is None or out == [] or out == ():
        return None
    return tuple(_int_list(out))


def _mha_out(config: Mapping, inputs: list[Shape | None]) -> _Outputs:
    """MultiHeadAttention on ``[query, value, key?]``; scores are ``(B, heads, Tq, Tv)``."""
    q, v = _both(inputs)
    out_shape = _mha_output_shape(config)
    outs: _Outputs = [(*q[:-1], *out_shape) if out_shape else q]
    if config.get("return_attention_scores"):
        rank = len(q) + 1  # rank of the projected (batch, *positions, heads, channels) tensors
        axes_cfg = config.get("attention_axes")
        if axes_cfg is None:
            axes = tuple(range(1, rank - 2))
        else:
            axes = tuple(a if a >= 0 else rank - 1 + a for a in _int_list(axes_cfg))
        heads = _int(config.get("num_heads"))
        q_proj = (*q[:-1], heads, None)
        v_proj = (*v[:-1], heads, None)
        batch_dims = [i for i in range(rank) if i not in axes and i != rank - 1]
        outs.append(
            tuple(q_proj[i] for i in batch_dims)
            + tuple(q_proj[i] for i in axes)
            + tuple(v_proj[i] for i in axes)
        )
    return outs


def _mha_weights(config: Mapping, inputs: list[Shape | None]) -> _Weights:
    q, v = _both(inputs)
    k = _attention_key(inputs)
    heads, key_dim = _int(config.get("num_heads")), _int(config.get("key_dim"))
    value_dim = _int(config.get("value_dim") or key_dim)
    bias = config.get("use_bias", True)
    out_shape = _mha_output_shape(config) or (q[-1],)

    def dense(name: str, kernel: tuple[int | None, ...], b: tuple[int | None, ...]) -> _Weights:
        return [_w(f"{name}/kernel", *kernel)] + ([_w(f"{name}/bias", *b)] if bias else [])

    specs = dense("query", (q[-1], heads, key_dim), (heads, key_dim))
    specs += dense("key", (k[-1], heads, key_dim), (heads, key_dim))
    if config.get("use_gate"):
        specs += dense("gate", (q[-1], heads, value_dim), (heads, value_dim))
    specs += dense("value", (v[-1], heads, value_dim), (heads, value_dim))
    specs += dense("attention_output", (heads, value_dim, *out_shape), out_shape)
    return specs


# --------------------------------------------------------------------------- dispatch table


def _build_registry() -> dict[str, _Family]:
    reg: dict[str, _Family] = {}

    def add(names: Sequence[str], outputs: _OutFn, weights: _WeightFn | None = None) -> None:
        for name in names:
            reg[name] = _Family(outputs, weights)

    add(["InputLayer"], _input_layer)
    add(
        [
            "Activation", "ReLU", "LeakyReLU", "ELU", "Softmax", "ThresholdedReLU",
            "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
            "GaussianNoise", "GaussianDropout", "AlphaDropout", "ActivityRegularization",
            "Masking", "Identity", "Rescaling", "UnitNormalization",
            "RandomFlip", "RandomRotation", "RandomZoom", "RandomContrast",
            "RandomTranslation", "RandomBrightness",
        ],
        _same_shape,
    )  # fmt: skip
    add(["PReLU"], _same_shape, _prelu_weights)
    add(["SReLU"], _same_shape, _elementwise_params("t_left", "a_left", "t_right", "a_right"))
    add(["ParametricSoftplus"], _same_shape, _elementwise_params("alphas", "betas"))
    add(["Lambda"], _lambda)

    add(["Dense", "TimeDistributedDense"], _dense_out, _dense_weights)
    add(["MaxoutDense"], _maxout_out, _maxout_weights)
    add(["Highway"], _same_shape, _highway_weights)
    add(["EinsumDense"], _einsum_out, _einsum_weights)
    add(["Embedding"], _embedding_out, _embedding_weights)
    add(["CategoryEncoding"], _category_encoding)

    for rank, k1_names in ((1, ["Convolution1D", "AtrousConvolution1D"]),
                           (2, ["Convolution2D", "AtrousConvolution2D", "Deconvolution2D"]),
                           (3, ["Convolution3D"])):  # fmt: skip
        add([f"Conv{rank}D", *k1_names], _conv_out(rank), _conv_weights(rank))
        add([f"Conv{rank}DTranspose"], _conv_transpose_out(rank), _conv_transpose_weights(rank))
        add([f"MaxPooling{rank}D", f"AveragePooling{rank}D"], _pool_out(rank))
        add([f"GlobalMaxPooling{rank}D", f"GlobalAveragePooling{rank}D"], _global_pool_out(rank))
        add(
            [f"AdaptiveMaxPooling{rank}D", f"AdaptiveAveragePooling{rank}D"],
            _adaptive_pool_out(rank),
        )
        add([f"ZeroPadding{rank}D"], _pad_or_crop(rank, "padding", +1))
        add([f"Cropping{rank}D"], _pad_or_crop(rank, "cropping", -1))
        add([f"UpSampling{rank}D"], _upsampling(rank))
        add([f"ConvLSTM{rank}D"], _conv_lstm_out(rank), _conv_lstm_weights(rank))
    for rank in (1, 2):
        add(
            [f"SeparableConv{rank}D", f"SeparableConvolution{rank}D"],
            _conv_out(rank),
            _separable_weights(rank),
        )
        add([f"DepthwiseConv{rank}D"], _conv_out(rank, depthwise=True), _depthwise_weights(rank))
        add(
            [f"LocallyConnected{rank}D"],
            _locally_connected_out(rank),
            _locally_connected_weights(rank),
        )
    add(["Resizing", "CenterCrop", "RandomCrop"], _resize_like)

    add(["Flatten"], _flatten)
    add(["Reshape"], _reshape)
    add(["Permute"], _permute)
    add(["RepeatVector"], _repeat_vector)

    add(["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"], _elementwise_merge)
    add(["Concatenate"], _concatenate)
    add(["Dot"], _dot)
    add(["Merge"], _keras1_merge)

    add(["BatchNormalization"], _same_shape, _batchnorm_weights)
    add(["LayerNormalization"], _same_shape, _layernorm_weights)
    add(["RMSNormalization"], _same_shape, _rmsnorm_weights)
    add(["GroupNormalization"], _same_shape, _groupnorm_weights)
    add(["Normalization"], _same_shape, _normalization_weights)

    for kind in _GATES:
        add([kind], _rnn_out(kind), _rnn_weights(kind))
    add(["RNN"], _generic_rnn_out, _generic_rnn_weights)
    add(["Bidirectional"], _bidirectional_out, _bidirectional_weights)
    add(["TimeDistributed"], _time_distributed_out, _time_distributed_weights)

    add(["Attention"], _attention_out, _attention_weights)
    add(["AdditiveAttention"], _attention_out, _additive_attention_weights)
    add(["MultiHeadAttention"], _mha_out, _mha_weights)
    return reg


_REGISTRY = _build_registry()
