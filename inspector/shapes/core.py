"""Core layers: input, elementwise, Lambda, dense, einsum, embedding, learned activations."""

from __future__ import annotations

from collections.abc import Mapping

from inspector.shapes.common import (
    Shape,
    _as_shape,
    _bias,
    _first,
    _get,
    _int,
    _int_list,
    _is_int,
    _keras1,
    _Outputs,
    _Unknown,
    _w,
    _WeightFn,
    _Weights,
)


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
