"""Shapes of file that real users' Keras wrote and the loaders once misread, on files written by
the installed tf_keras and Keras (`fixtures/wild/build.py`): every tensor a call reads becomes an
input of that call, whatever shape of `inbound_nodes` stored it, and weights are found wherever
a Keras on any system put them."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

import inspector
from inspector.loaders import hdf5

WILD = Path(__file__).resolve().parent.parent / "fixtures" / "wild"
PARAMS = json.loads((WILD / "params.json").read_text())


def _inputs(graph, layer: str, call: int = 0) -> list[str]:
    """The producing layers of one call's inputs, in order."""
    found = graph.call(graph.layer(layer).calls[call])
    return [graph.tensors[t].producer.rsplit("[", 1)[0] for t in found.inputs]


def _findings(path: Path) -> list[str]:
    return [f"{f.name} {f.message}" for f in inspector.lint(path)]


@pytest.mark.parametrize("suffix", [".h5", ".keras"])
def test_tf_keras_op_layers_read_every_tensor_they_are_called_on(suffix):
    """tf.keras 2.4+ writes an op layer's single call flat, its second operand a keyword tensor
    (`["up", 0, 0, {"y": ["down", 0, 0], "name": null}]`); read as no input at all, the U-Net
    skip and the transformer residual looked disconnected (disconnected-graph, unused-input)."""
    path = WILD / f"tfkeras_op_layers{suffix}"
    graph = inspector.load(path)
    assert _findings(path) == []
    assert _inputs(graph, "tf.__operators__.add") == ["up", "down"]  # x + y, y by keyword
    assert _inputs(graph, "tf.concat") == ["tf.__operators__.add", "down"]  # a list
    assert _inputs(graph, "tf.math.subtract") == ["tf.concat"]  # 1.0 - x: a constant first argument
    assert graph.call(graph.layer("tf.math.subtract").calls[0]).arguments == {"_CONSTANT_VALUE": 1.0, "name": None}
    assert _inputs(graph, "tf.where") == ["tf.math.greater", "tf.concat", "tf.math.subtract"]  # all by keyword
    assert _inputs(graph, "tf.__operators__.getitem") == ["padding"]  # SlicingOpLambda
    assert _inputs(graph, "attention") == ["tokens", "tokens", "tokens", "tf.__operators__.getitem"]
    assert _inputs(graph, "tf.__operators__.add_1") == ["tokens", "attention"]  # the residual
    assert _inputs(graph, "tf.__operators__.getitem_1") == ["norm"]
    # every layer reaches an output: the edges join the model up
    ends = [graph.tensors[t].producer for t in graph.outputs]
    reached = {graph.call(c).layer for end in ends for c in graph.ancestors(end) | {end}}
    assert reached == {layer.name for layer in graph.layers}
    # the constants an op layer reads stay arguments
    slicing = graph.call(graph.layer("tf.__operators__.getitem_1").calls[0]).arguments
    assert slicing["slice_spec"][1] == 0


def test_a_nested_model_called_on_a_dict_reads_its_tensors():
    """tf.keras writes the call of a model taking a dict as that dict of tensors
    (`{"left": ["a", 0, 0, {}], "right": ["b", 0, 0, {}]}`); it was read as a call on nothing."""
    path = WILD / "tfkeras_dict_call.h5"
    graph = inspector.load(path)
    assert _findings(path) == []
    assert _inputs(graph, "pair") == ["a", "b"]
    assert _inputs(graph, "tf.math.maximum") == ["ids"]  # maximum(0, ids): a constant first argument
    assert graph.total_params == 49


@pytest.mark.parametrize("suffix", [".h5", ".keras"])
def test_keras3_tensor_keywords_are_inputs(suffix):
    """Keras 3 writes `MultiHeadAttention(query=..., value=..., key=...)` with no positional
    argument, and `mask=` tensors among the kwargs."""
    path = WILD / f"keras3_tensor_kwargs{suffix}"
    graph = inspector.load(path)
    assert _inputs(graph, "attention") == ["embed", "context", "context"]
    assert _inputs(graph, "lstm") == ["concatenate", "not_equal_1"]
    assert _inputs(graph, "concatenate") == ["add", "context"]
    assert not [f for f in _findings(path) if f.startswith(("disconnected-graph", "unused-input"))]


@pytest.mark.parametrize("lite", [True, False], ids=["lite-reader", "h5py-child"])
def test_windows_dot_keras_weights_are_read(lite, monkeypatch):
    """tf.keras 2.13-2.15 on Windows names weight groups `layers\\dense` (one group at the root):
    the file was read as holding no weights (`Total params: 0`) and export found none. The
    fixture is what tf_keras writes on Windows: build.py saves with `ntpath.join` as its path
    join, as tf.io.gfile.join is there."""
    path = WILD / "tfkeras_windows.keras"
    with zipfile.ZipFile(path) as archive:
        import h5py

        with h5py.File(io.BytesIO(archive.read("model.weights.h5"))) as h5:
            assert "layers\\dense" in h5 and "layers" not in h5  # the Windows layout, really
    monkeypatch.setattr(hdf5, "LITE", lite)
    graph = inspector.load(path)
    assert graph.total_params == PARAMS["tfkeras_windows.keras"] == 59
    inner = graph.layer("inner").subgraph.layer("inner_dense")
    assert [w.shape for w in inner.weights] == [(6, 5), (5,)]
    assert inner.params_from == "weights"


def test_windows_dot_keras_exports_its_real_weights(tmp_path):
    onnxruntime = pytest.importorskip("onnxruntime")
    import h5py

    path = WILD / "tfkeras_windows.keras"
    out = tmp_path / "windows.onnx"
    inspector.export_onnx(path, out, verify=False, converter="native")
    with zipfile.ZipFile(path) as archive, h5py.File(io.BytesIO(archive.read("model.weights.h5"))) as h5:
        k1, b1 = (h5[f"layers\\sequential\\layers\\dense/vars/{i}"][()] for i in (0, 1))
        k2, b2 = (h5[f"layers\\dense/vars/{i}"][()] for i in (0, 1))
    x = np.random.default_rng(0).normal(size=(3, 6)).astype("float32")
    session = onnxruntime.InferenceSession(str(out))
    (y,) = session.run(None, {"features": x})
    np.testing.assert_allclose(y, (x @ k1 + b1) @ k2 + b2, rtol=1e-5, atol=1e-6)


def test_the_wild_files_give_exactly_their_true_findings():
    """Every finding on these files is true: Keras 3 cannot load its own `.h5` holding op layers
    (`Unknown layer: 'NotEqual'`), and the marker module's pickle calls into os."""
    files = sorted(p for p in WILD.iterdir() if p.suffix in (".h5", ".keras", ".onnx"))
    assert len(files) == 13
    found = sorted((path.name, f.name) for path in files for f in inspector.lint(path))
    assert found == [("keras3_ops.h5", "unknown-layer"), ("keras3_tensor_kwargs.h5", "unknown-layer"),
                     ("torch_wrapper_marker.keras", "pickle-payload")]
