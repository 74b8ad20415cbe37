"""Export's Keras 2 -> Keras 3 translation renumbers a nested model's calls wherever a call
references them, reading the stored calls exactly as the graph loader does (flat op-layer calls,
keyword tensors, dict calls), on a file tf_keras wrote (`fixtures/wild/build.py`). Keras 3 loads
none of these call shapes from a legacy config (it has no TFOpLambda, and its legacy reader takes
no dict call), so the translation is tested directly rather than through the tf2onnx fallback."""

from __future__ import annotations

import json
from pathlib import Path

import h5py

from inspector.export.legacy import translate_config
from inspector.graph import Source
from inspector.loaders.keras_config import _inbound_calls, parse_model, stored_k2_references

WILD = Path(__file__).resolve().parent.parent / "fixtures" / "wild"


def _stored(name: str) -> dict:
    with h5py.File(WILD / name) as f:
        return json.loads(f.attrs["model_config"])


def _references(config: dict) -> list[tuple]:
    return [tuple(ref[:3]) for layer in config["config"]["layers"]
            for ref in stored_k2_references(layer["inbound_nodes"])]


def _edges(config: dict) -> dict[str, list[str]]:
    graph = parse_model(config, Source("m.h5", "h5"))
    return {layer.name: [graph.tensors[t].producer for c in layer.calls for t in graph.call(c).inputs]
            for layer in graph.layers}


def test_nested_model_references_in_every_call_shape_are_renumbered():
    config = _stored("tfkeras_nested_refs.h5")
    assert sorted(r for r in _references(config) if r[0] in ("inner", "pair")) == [
        ("inner", 1, 0), ("inner", 1, 0), ("inner", 1, 0), ("pair", 1, 0)]  # y=, flat first, dict, list

    translated, notes = translate_config(config, "tfkeras_nested_refs.h5")

    assert sorted(r for r in _references(translated) if r[0] in ("inner", "pair")) == [
        ("inner", 0, 0), ("inner", 0, 0), ("inner", 0, 0), ("pair", 0, 0)]
    assert translated["config"]["output_layers"] == [["join", 0, 0], ["inner", 0, 0]]
    assert sorted(n for n in notes if "nested model" in n) == [
        "inner (nested model): call indices renumbered from 1 (Keras 2) to 0 (Keras 3)",
        "pair (nested model): call indices renumbered from 1 (Keras 2) to 0 (Keras 3)",
    ]
    # the translated config describes the same graph as the stored one
    assert _edges(translated) == _edges(config)
    assert _references(config)[0] == ("features", 0, 0)  # the stored config is left as it was


def test_the_walk_finds_every_tensor_the_loader_reads():
    """One reading of the stored calls: the references export rewrites are the loader's inputs."""
    for name in ("tfkeras_op_layers.h5", "tfkeras_dict_call.h5", "tfkeras_nested_refs.h5", "tfkeras_tensor_ops.h5"):
        for layer in _stored(name)["config"]["layers"]:
            read = {ref for refs, _ in _inbound_calls(layer["inbound_nodes"], {}) for ref in refs}
            assert {tuple(ref[:3]) for ref in stored_k2_references(layer["inbound_nodes"])} == read
