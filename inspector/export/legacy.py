"""Translate a stored Keras 2 (tf_keras) model config into one Keras 3 accepts, saying what changed.

Keras 3 loads most Keras 2 `.h5` files, but not all: an LSTM saved by tf_keras carries
`time_major`, which Keras 3 rejects, and a nested model's calls are numbered from 1 in Keras 2
(its node 0 is the one that built it) while Keras 3 numbers them from 0. Rather than patch Keras,
we rewrite the config (pure data: nothing here imports Keras or runs code from the file) and list
every change, so the export report can say exactly what was translated.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

from inspector.errors import UnsupportedError
from inspector.loaders.keras_config import (
    _inbound_calls,
    _nested_node_shift,
    _refs,
    is_model_config,
    stored_k2_references,
)

RNN_CLASSES = {"LSTM", "GRU", "SimpleRNN", "RNN", "CuDNNLSTM", "CuDNNGRU", "ConvLSTM1D", "ConvLSTM2D",
               "ConvLSTM3D"}
DEPTHWISE_CLASSES = {"DepthwiseConv1D", "DepthwiseConv2D"}


def translate_config(config: Mapping[str, Any], path: str) -> tuple[dict[str, Any], list[str]]:
    """(a deep copy of `config` that Keras 3 accepts, one line per change made)."""
    out = copy.deepcopy(dict(config))
    notes: list[str] = []
    _translate_model(out, path, notes)
    return out, notes


def _translate_model(entry: dict[str, Any], path: str, notes: list[str]) -> None:
    config = entry.get("config")
    layers = config.get("layers") if isinstance(config, dict) else config
    if not isinstance(layers, list):
        return
    for layer in layers:
        if isinstance(layer, dict):
            _translate_layer(layer, path, notes)
    if isinstance(config, dict) and entry.get("class_name") != "Sequential":
        _shift_nested_nodes(config, layers, notes)


def _translate_layer(entry: dict[str, Any], path: str, notes: list[str]) -> None:
    cls = entry.get("class_name")
    cfg = entry.get("config")
    if not isinstance(cfg, dict):
        return
    name = cfg.get("name") or entry.get("name") or "?"
    if is_model_config(entry):
        _translate_model(entry, path, notes)
        return
    if cls in RNN_CLASSES and "time_major" in cfg:
        if cfg["time_major"]:
            raise UnsupportedError(
                path,
                f"layer {name!r} ({cls}) is time-major (time_major=True); Keras 3 has no time-major "
                "RNNs, so it cannot be exported without changing what the model computes",
            )
        del cfg["time_major"]
        notes.append(f"{name} ({cls}): dropped time_major=False (Keras 3 RNNs are always batch-major)")
    if cls in DEPTHWISE_CLASSES and cfg.get("groups") == 1:
        del cfg["groups"]
        notes.append(f"{name} ({cls}): dropped groups=1 (Keras 3 depthwise convolutions take no groups)")
    if cls == "InputLayer" and "batch_input_shape" in cfg and "batch_shape" not in cfg:
        cfg["batch_shape"] = cfg.pop("batch_input_shape")
        notes.append(f"{name} (InputLayer): renamed batch_input_shape to batch_shape")
    dtype = cfg.get("dtype")
    if isinstance(dtype, dict) and dtype.get("class_name") == "Policy":
        policy = (dtype.get("config") or {}).get("name", "float32")
        cfg["dtype"] = policy
        notes.append(f"{name} ({cls}): tf_keras dtype Policy {policy!r} written as the string Keras 3 reads")
    for key in ("layer", "backward_layer"):  # Bidirectional / TimeDistributed wrap a layer config
        inner = cfg.get(key)
        if isinstance(inner, dict):
            _translate_layer(inner, path, notes)


def _shift_nested_nodes(config: dict[str, Any], layers: list, notes: list[str]) -> None:
    """Renumber references to nested models' calls from 1 (Keras 2) to 0 (Keras 3).

    Which nested models need it is the graph loader's decision (`_nested_node_shift`), so export
    and inspection never disagree; here the stored references are rewritten in place.
    """
    entries = [layer for layer in layers if isinstance(layer, dict)]
    by_name = {_name(layer): layer for layer in entries}
    specs = {_name(layer): [SimpleNamespace(refs=refs) for refs, _ in _inbound_calls(layer.get("inbound_nodes") or [], {})]
             for layer in entries}
    shift = _nested_node_shift(by_name, specs, _refs(config.get("output_layers")))
    if not shift:
        return
    for ref in list(_legacy_refs(layers)) + _output_refs(config.get("output_layers")):
        ref[1] -= shift.get(ref[0], 0)
    for name in sorted(shift):
        notes.append(f"{name} (nested model): call indices renumbered from 1 (Keras 2) to 0 (Keras 3)")


def _name(layer: Mapping[str, Any]) -> str:
    cfg = layer.get("config")
    return layer.get("name") or (cfg.get("name") if isinstance(cfg, dict) else "") or ""


def _legacy_refs(layers: list):
    """The mutable `[layer, node, tensor...]` lists of Keras 2 inbound nodes: every tensor the
    loader reads, whatever shape of call holds it (flat, dict, keyword tensors)."""
    for layer in layers:
        if isinstance(layer, dict):
            yield from stored_k2_references(layer.get("inbound_nodes") or [])


def _output_refs(value) -> list[list]:
    if isinstance(value, list) and len(value) >= 3 and isinstance(value[0], str) and isinstance(value[1], int):
        return [value]
    if isinstance(value, list):
        return [r for v in value for r in _output_refs(v)]
    if isinstance(value, dict):
        return [r for v in value.values() for r in _output_refs(v)]
    return []
