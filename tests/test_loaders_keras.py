"""The loaders against Keras itself: every layer, parameter count, call, output shape and
connection that `inspector.load` reads from a file must be what Keras sees in the same model.

Keras 3 models (keras.applications, the fixtures) are compared in this process; Keras 2 files
written by tf_keras are compared against tf_keras in a subprocess (one process for all of them).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

import inspector
from inspector.graph import ModelGraph

# -- the facts compared: one dict per model, built the same way from Keras and from the graph --


def graph_facts(graph: ModelGraph) -> dict:
    """Layers in order, each with params and its calls (producer layers read, output shapes)."""
    layers = []
    for layer in graph.layers:
        calls = []
        for cid in layer.calls:
            call = graph.call(cid)
            calls.append({
                "inputs": [graph.tensors[t].producer.rsplit("[", 1)[0] for t in call.inputs],
                "output_shapes": [_plain(graph.tensors[t].shape) for t in call.outputs],
            })
        layers.append({
            "name": layer.name,
            "class_name": layer.class_name,
            "params": layer.params,
            "trainable_params": layer.trainable_params,
            "calls": calls,
        })
    return {
        "layers": layers,
        "total_params": graph.total_params,
        "trainable_params": graph.trainable_params,
        "inputs": [graph.tensors[t].producer.rsplit("[", 1)[0] for t in graph.inputs],
        "outputs": [graph.tensors[t].producer.rsplit("[", 1)[0] for t in graph.outputs],
    }


def keras_facts(model) -> dict:
    """The same facts from a live Keras 3 model, keeping only the calls (nodes) that belong to
    this model, as Keras' own Functional.get_config does."""
    from keras.src.ops.function import make_node_key

    functional = model._functional if type(model).__name__ == "Sequential" else model
    layers = []
    for op in functional.operations:
        calls = []
        for index, node in enumerate(op._inbound_nodes):
            if make_node_key(op, index) not in functional._nodes:
                continue
            calls.append({
                "inputs": [t._keras_history[0].name for t in node.input_tensors],
                "output_shapes": [_plain(t.shape) for t in node.outputs],
            })
        layers.append({
            "name": op.name,
            "class_name": type(op).__name__,
            "params": op.count_params(),
            "trainable_params": sum(math.prod(w.shape) for w in op.trainable_weights),
            "calls": calls,
        })
    return {
        "layers": layers,
        "total_params": model.count_params(),
        "trainable_params": sum(math.prod(w.shape) for w in model.trainable_weights),
        "inputs": [t._keras_history[0].name for t in functional.inputs],
        "outputs": [t._keras_history[0].name for t in functional.outputs],
    }


def _plain(shape):
    return None if shape is None else [None if d is None else int(d) for d in shape]


def assert_same(got: dict, expected: dict) -> None:
    """Compare layer by layer first, so a failure names the first layer that differs."""
    assert [la["name"] for la in got["layers"]] == [la["name"] for la in expected["layers"]]
    for mine, theirs in zip(got["layers"], expected["layers"]):
        assert mine == theirs, f"layer {theirs['name']!r} differs"
    assert got == expected


# -- keras.applications, built once per session by conftest.keras_applications ---------------


@pytest.fixture(scope="module")
def application_facts(keras_applications):
    """name -> Keras facts of the live model, computed once per module."""
    cache: dict[str, dict] = {}

    def get(name: str) -> dict:
        if name not in cache:
            cache[name] = keras_facts(keras_applications(name).model)
        return cache[name]

    return get


@pytest.mark.parametrize("fmt", ["keras", "h5"])
def test_application_matches_keras(keras_applications, application_facts, application_name, fmt):
    graph = inspector.load(keras_applications(application_name).path(fmt))
    assert graph.source.format == fmt
    assert_same(graph_facts(graph), application_facts(application_name))
    assert all(layer.params_from == "weights" for layer in graph.layers)


# -- the fixtures written by Keras 3 ----------------------------------------------------------


def _keras3_stems(manifest) -> list[str]:
    return sorted({e["model"] for e in manifest["fixtures"] if e["keras"] == "3" and e["format"] == "keras"})


@pytest.fixture(scope="module")
def fixture_models(keras, fixtures_dir):
    """stem -> Keras facts of the model in `<stem>.keras` (our own fixtures: trusted, so the
    Lambda fixture may be deserialized here; the inspector itself never does)."""
    cache: dict[str, dict] = {}

    def get(stem: str) -> dict:
        if stem not in cache:
            model = keras.models.load_model(fixtures_dir / f"{stem}.keras", compile=False, safe_mode=False)
            cache[stem] = keras_facts(model)
        return cache[stem]

    return get


def _manifest_entries(fmt_filter):
    path = Path(__file__).resolve().parents[1] / "fixtures" / "manifest.json"
    if not path.is_file():
        return []
    entries = json.loads(path.read_text())["fixtures"]
    return [pytest.param(e, id=e["file"]) for e in entries if fmt_filter(e)]


@pytest.mark.parametrize("entry", _manifest_entries(lambda e: e["keras"] == "3" and e["format"] in ("keras", "h5")))
def test_keras3_fixture_matches_keras(fixture_models, fixtures_dir, entry):
    graph = inspector.load(fixtures_dir / entry["file"])
    assert_same(graph_facts(graph), fixture_models(entry["model"]))
    assert graph.total_params == entry["total_params"]
    assert graph.trainable_params == entry["trainable_params"]


@pytest.mark.parametrize("entry", _manifest_entries(lambda e: True))
def test_every_fixture_has_the_manifest_totals(fixtures_dir, entry):
    """Every format, including JSON and SavedModel, whose parameters are computed from the config."""
    graph = inspector.load(fixtures_dir / entry["file"])
    assert graph.total_params == entry["total_params"]
    assert graph.trainable_params == entry["trainable_params"]
    assert all(graph.tensors[t].shape is not None for t in graph.inputs + graph.outputs)


# -- Keras 2 files against tf_keras -----------------------------------------------------------

TF_KERAS_FACTS = r"""
import json, math, sys
import tf_keras as keras

def plain(shape):
    return None if shape is None else [None if d is None else int(d) for d in shape]

def flat(x):
    return [t for item in x for t in flat(item)] if isinstance(x, (list, tuple)) else [x]

def facts(model):
    own = getattr(model, "_network_nodes", set())
    layers = []
    for layer in model.layers:
        calls = []
        for index, node in enumerate(layer._inbound_nodes):
            if own and f"{layer.name}_ib-{index}" not in own:
                continue
            calls.append({
                "inputs": [t._keras_history.layer.name for t in node.keras_inputs],
                "output_shapes": [plain(t.shape) for t in flat(node.outputs)],
            })
        layers.append({
            "name": layer.name,
            "class_name": type(layer).__name__,
            "params": layer.count_params(),
            "trainable_params": sum(math.prod(w.shape) for w in layer.trainable_weights),
            "calls": calls,
        })
    return {
        "layers": layers,
        "total_params": model.count_params(),
        "trainable_params": sum(math.prod(w.shape) for w in model.trainable_weights),
        "inputs": [t._keras_history.layer.name for t in model.inputs],
        "outputs": [t._keras_history.layer.name for t in model.outputs],
    }

out = {}
for path in sys.argv[1:]:
    out[path] = facts(keras.models.load_model(path, compile=False))
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def tf_keras_facts(fixtures_dir):
    pytest.importorskip("tf_keras")
    files = sorted(str(p) for p in fixtures_dir.glob("*_k2.h5"))
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    done = subprocess.run([sys.executable, "-c", TF_KERAS_FACTS, *files], check=False, capture_output=True,
                          text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("entry", _manifest_entries(lambda e: e["keras"] == "2" and e["format"] == "h5"))
def test_keras2_fixture_matches_tf_keras(tf_keras_facts, fixtures_dir, entry):
    path = fixtures_dir / entry["file"]
    graph = inspector.load(path)
    assert graph.source.keras_version.startswith("2.")
    assert_same(graph_facts(graph), tf_keras_facts[str(path)])


def test_savedmodel_k2_reads_the_keras_metadata(fixtures_dir, tf_keras_facts):
    """The SavedModel's layers and config-computed parameters are those of the same model saved
    as .h5 by tf_keras, and its compile() settings are there."""
    graph = inspector.load(fixtures_dir / "savedmodel_k2")
    assert graph.source.format == "savedmodel"
    assert graph.source.keras_version.startswith("2.")
    assert all(layer.params_from == "config" for layer in graph.layers if layer.params)
    assert_same(graph_facts(graph), tf_keras_facts[str(fixtures_dir / "dense_functional_k2.h5")])
    assert graph.training is not None
    assert graph.training.loss == {"digit": "sparse_categorical_crossentropy"}
    assert graph.training.optimizer == "Adam"
    assert graph.training.metrics == ("accuracy",)  # not its wrapper class, MeanMetricWrapper


def test_savedmodel_metadata_protobuf_fields(fixtures_dir):
    """keras_metadata.pb is a SavedMetadata: field 1 repeats SavedObject{node_id=2, node_path=3,
    identifier=4, metadata=5 (JSON), version=6}; the root object has node_path "root"."""
    from inspector.loaders.protobuf import fields

    data = (fixtures_dir / "savedmodel_k2" / "keras_metadata.pb").read_bytes()
    nodes = [dict(fields(value)) for field, value in fields(data) if field == 1]
    assert nodes[0][3] == b"root" and nodes[0][4] == b"_tf_keras_network"
    assert json.loads(nodes[0][5])["class_name"] == "Functional"
    paths = {node[3].decode(): node.get(2, 0) for node in nodes}
    assert paths["root"] == 0
    assert paths["root.layer-0"] == 1
    identifiers = {node[4] for node in nodes}
    assert b"_tf_keras_layer" in identifiers and b"_tf_keras_input_layer" in identifiers
    assert all(isinstance(dict(fields(node[6])).get(1), int) for node in nodes)  # VersionDef.producer
