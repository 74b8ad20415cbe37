"""LSTM, GRU, SimpleRNN and Bidirectional as the ONNX recurrent operators.

Gate orders: Keras packs an LSTM kernel as [i, f, c, o], ONNX as [i, o, f, c]; a GRU is [z, r, h]
in both, and Keras' `reset_after=True` (its default) is ONNX's `linear_before_reset=1` with the
second bias row as the recurrent bias. ONNX runs time-major, so the input is read in the
(time, batch, features) permutation and the sequence output is left in it for the next consumer.
A Keras mask (mask_zero=True, Masking) becomes `sequence_lens`: exact for sequences padded at the
end, which is what Keras' own cuDNN kernels require too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from inspector.export.native.core import activation_name
from inspector.export.native.emitter import Value, identity
from inspector.export.native.registry import LayerCall, converts

ONNX_ACTIVATIONS = {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "Relu", "hard_sigmoid": "HardSigmoid"}
HARD_SIGMOID = (1 / 6, 0.5)  # Keras 3: relu6(x + 3) / 6, as Keras 3 runs every file (Keras 2's was 0.2x + 0.5)
TIME_MAJOR = (1, 0, 2)


def _reorder_lstm(matrix: np.ndarray, units: int) -> np.ndarray:
    i, f, c, o = (matrix[..., k * units:(k + 1) * units] for k in range(4))
    return np.concatenate([i, o, f, c], axis=-1)


def _direction_weights(kind: str, cfg: Mapping[str, Any], arrays: list[np.ndarray]) -> tuple:
    """(W, R, B) for one direction, ONNX-shaped: [gates*H, in], [gates*H, H], [2*gates*H]."""
    kernel, recurrent, *rest = (np.asarray(a, np.float32) for a in arrays)
    units = recurrent.shape[0]
    gates = {"LSTM": 4, "GRU": 3, "SimpleRNN": 1}[kind]
    if rest and cfg.get("use_bias", True):
        bias = rest[0]
        if bias.ndim == 2:  # GRU reset_after: [input bias, recurrent bias]
            wb, rb = bias[0], bias[1]
        else:
            wb, rb = bias, np.zeros_like(bias)
    else:
        wb = rb = np.zeros(gates * units, np.float32)
    if kind == "LSTM":
        kernel, recurrent = _reorder_lstm(kernel, units), _reorder_lstm(recurrent, units)
        wb, rb = _reorder_lstm(wb, units), _reorder_lstm(rb, units)
    return kernel.T, recurrent.T, np.concatenate([wb, rb])


def _activations(call: LayerCall, kind: str, cfg: Mapping[str, Any]) -> list[str]:
    """ONNX's f, g (and h for LSTM): the gate activation, then the cell/output activation."""
    names = [activation_name(cfg.get("activation", "tanh"))]
    if kind != "SimpleRNN":
        names = [activation_name(cfg.get("recurrent_activation", "sigmoid"))] + names * (2 if kind == "LSTM" else 1)
    unsupported = [n for n in names if n not in ONNX_ACTIVATIONS]
    if unsupported:
        raise call.refuse(f"recurrent activation {unsupported[0]!r} is not supported by the native converter")
    return [ONNX_ACTIVATIONS[n] for n in names]


def _run(call: LayerCall, kind: str, cfg: Mapping[str, Any], weights: list[list[np.ndarray]],
         direction: str, hint: str) -> tuple[str, str, str | None]:
    """One ONNX recurrent node: (Y [T, dirs, B, H], Y_h [dirs, B, H], Y_c or None)."""
    em = call.em
    x, mask, states = call.inputs[0], _mask(call), _states(call, kind, len(weights))
    per_dir = [_direction_weights(kind, cfg, w) for w in weights]
    w, r, b = (np.stack([d[i] for d in per_dir]) for i in range(3))
    units = r.shape[-1]
    seq_lens = ""
    if mask is not None:
        seq_lens = em.reduce("ReduceSum", em.cast(mask, "int32", f"{hint}_mask_i"), [1], f"{hint}_lens",
                             keepdims=False)
    acts = _activations(call, kind, cfg) * len(weights)
    op = {"LSTM": "LSTM", "GRU": "GRU", "SimpleRNN": "RNN"}[kind]
    attrs: dict[str, Any] = {"hidden_size": units, "direction": direction, "activations": acts}
    if "HardSigmoid" in acts:  # onnxruntime reads one alpha and beta per activation that takes them
        attrs["activation_alpha"] = [HARD_SIGMOID[0] for a in acts if a == "HardSigmoid"]
        attrs["activation_beta"] = [HARD_SIGMOID[1] for a in acts if a == "HardSigmoid"]
    if kind == "GRU":
        attrs["linear_before_reset"] = int(bool(cfg.get("reset_after", True)))
    inputs = [em.layout(x, TIME_MAJOR), em.const(w, f"{hint}_W"), em.const(r, f"{hint}_R"), em.const(b, f"{hint}_B"),
              seq_lens]
    for i, per_direction in enumerate(states):  # initial_h (and initial_c): [directions, batch, units]
        stacked = [em.op("Unsqueeze", [em.keras(v), em.ints([0], "axis0")], f"{hint}_init{i}") for v in per_direction]
        inputs.append(stacked[0] if len(stacked) == 1 else em.op("Concat", stacked, f"{hint}_init{i}", axis=0))
    outs = em.op(op, inputs, hint, outputs=3 if kind == "LSTM" else 2, **attrs)
    return outs[0], outs[1], outs[2] if kind == "LSTM" else None


def _mask(call: LayerCall) -> str | None:
    """The [batch, time] mask: a bool tensor passed with the sequence (Keras 3 records the mask
    as a call input), or the one carried along from Embedding(mask_zero=True) or Masking."""
    masks = [v for v in call.inputs[1:] if v.dtype == "bool"]
    return call.em.keras(masks[-1]) if masks else call.inputs[0].mask


def _states(call: LayerCall, kind: str, directions: int) -> list[list[Value]]:
    """The initial_state tensors passed after the sequence ((h, c) for an LSTM, h otherwise; the
    forward layer's then the backward one's for a Bidirectional), as [h per direction, c per direction]."""
    states = [v for v in call.inputs[1:] if v.dtype != "bool"]
    per = 2 if kind == "LSTM" else 1
    if not states:
        return []
    if len(states) != per * directions:
        raise call.refuse(f"{len(states)} initial states given, the native converter expects {per * directions}")
    return [[states[d * per + k] for d in range(directions)] for k in range(per)]


def _reverse_time(call: LayerCall, name: str, hint: str) -> str:
    em = call.em
    return em.op("Slice", [name, em.ints([-1], "minus1"), em.ints([np.iinfo(np.int64).min], "int64_min"),
                           em.ints([0], "axis0"), em.ints([-1], "minus1")], hint)


def _squeeze(call: LayerCall, name: str, axis: int, hint: str) -> str:
    return call.em.op("Squeeze", [name, call.em.ints([axis], f"axis{axis}")], hint)


def _mask_out(call: LayerCall, cfg: Mapping[str, Any]) -> str | None:
    return _mask(call) if cfg.get("return_sequences") else None


@converts("LSTM", "GRU", "SimpleRNN", inputs=None)
def recurrent(call: LayerCall) -> list[Value]:
    kind, cfg = call.layer.class_name, call.config
    backwards = bool(cfg.get("go_backwards", False))
    y, y_h, y_c = _run(call, kind, cfg, [call.weights], "reverse" if backwards else "forward", call.name)
    if cfg.get("return_sequences"):
        seq = _squeeze(call, y, 1, f"{call.name}_seq")
        if backwards:  # Keras returns the steps in the order it ran them
            seq = _reverse_time(call, seq, f"{call.name}_rev")
        out = Value(seq, TIME_MAJOR, "float32", _mask_out(call, cfg))
    else:
        out = Value(_squeeze(call, y_h, 0, f"{call.name}_last"), identity(2))
    outputs = [out]
    if cfg.get("return_state"):
        outputs.append(Value(_squeeze(call, y_h, 0, f"{call.name}_h"), identity(2)))
        if y_c is not None:
            outputs.append(Value(_squeeze(call, y_c, 0, f"{call.name}_c"), identity(2)))
    return outputs


def _forward_backward(call: LayerCall) -> list[list[np.ndarray]]:
    """The forward layer's arrays and the backward layer's, told apart by their names (a .keras
    file lists `backward_layer` first, Keras 2 files `forward_lstm` first)."""
    named = list(zip((w.name for w in call.layer.weights), call.weights))
    forward = [a for n, a in named if "/forward" in f"/{n}"]
    backward = [a for n, a in named if "/backward" in f"/{n}"]
    if len(forward) + len(backward) != len(named) or len(forward) != len(backward):
        half = len(named) // 2
        forward, backward = [a for _, a in named[:half]], [a for _, a in named[half:]]
    return [forward, backward]


@converts("Bidirectional", inputs=None)
def bidirectional(call: LayerCall) -> list[Value]:
    em = call.em
    inner = call.config["layer"]
    kind, cfg = inner["class_name"], dict(inner["config"])
    backward = call.config.get("backward_layer")
    if kind not in ("LSTM", "GRU", "SimpleRNN"):
        raise call.refuse(f"a Bidirectional {kind} is not supported by the native converter")
    if backward and backward.get("class_name") != kind:
        raise call.refuse("a Bidirectional with a backward layer of another class is not supported")
    if cfg.get("return_state"):
        raise call.refuse("a Bidirectional with return_state is not supported by the native converter")
    y, y_h, _ = _run(call, kind, cfg, _forward_backward(call), "bidirectional", call.name)
    mode = call.config.get("merge_mode", "concat")
    if cfg.get("return_sequences"):
        both = em.op("Transpose", [y], f"{call.name}_tbdh", perm=[0, 2, 1, 3])  # [T, B, 2, H]
        axis, perm, shape = 2, TIME_MAJOR, [0, 0, -1]
    else:
        both = em.op("Transpose", [y_h], f"{call.name}_bdh", perm=[1, 0, 2])  # [B, 2, H]
        axis, perm, shape = 1, identity(2), [0, -1]
    if mode == "concat":
        out = em.op("Reshape", [both, em.ints(shape, f"{call.name}_shape")], call.name)
    elif mode in ("sum", "ave"):
        out = em.reduce("ReduceSum" if mode == "sum" else "ReduceMean", both, [axis], call.name, keepdims=False)
    elif mode == "mul":
        out = em.reduce("ReduceProd", both, [axis], call.name, keepdims=False)
    else:
        raise call.refuse(f"merge_mode {mode!r} is not supported by the native converter")
    return [Value(out, perm, "float32", _mask_out(call, cfg))]
