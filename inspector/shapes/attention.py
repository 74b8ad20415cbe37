"""Attention layers: dot-product, additive and multi-head."""

from __future__ import annotations

from collections.abc import Mapping

from inspector.shapes.common import Shape, _both, _first, _int, _int_list, _Outputs, _w, _Weights


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
