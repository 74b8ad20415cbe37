"""Real Keras files from public repositories (../shared/corpus): each loads with exactly the
parameters its file stores, or fails with a one-line reason; the facts SOURCES.tsv records
about each (Keras version, outputs, losses) are what the graph says."""

from __future__ import annotations

import csv
import io
import math
import re
import zipfile
from pathlib import Path

import h5py
import pytest

import inspector
from inspector.errors import InspectorError

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"

# Files that cannot be read as a layer graph, and the reason the error must give.
REFUSED = {
    "AlgoDM-Fall2023-Team2__Visual-Search-Using-Variational-Autoencoders__model.keras": (
        "custom class 'VAE' that stores no layer config (a subclassed model)"
    ),
}


def _sources() -> list[dict[str, str]]:
    table = CORPUS / "SOURCES.tsv"
    if not table.is_file():
        return []
    with table.open(newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def _params(rows):
    return [pytest.param(row, id=row["filename"][:60]) for row in rows]


def stored_weight_count(path: Path) -> int:
    """Every number the file stores for the model, counted with h5py directly: legacy HDF5 keeps
    them under `model_weights`; a `.keras` zip in `model.weights.h5`, beside the optimizer's
    state (its top-level `optimizer` group), which is not the model's."""
    total = 0

    def visit(name: str, obj) -> None:
        nonlocal total
        if isinstance(obj, h5py.Dataset) and not name.startswith("optimizer/"):
            total += math.prod(obj.shape)

    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z, h5py.File(io.BytesIO(z.read("model.weights.h5")), "r") as f:
            f.visititems(visit)
    else:
        with h5py.File(path, "r") as f:
            f["model_weights"].visititems(visit)
    return total


@pytest.mark.parametrize("row", _params(_sources()))
def test_corpus_file_loads_with_every_stored_weight(row):
    path = CORPUS / row["filename"]
    if row["filename"] in REFUSED:
        with pytest.raises(InspectorError) as info:
            inspector.load(path)
        assert info.value.path == str(path)
        assert REFUSED[row["filename"]] in info.value.reason
        assert "\n" not in str(info.value)
        return
    graph = inspector.load(path)
    assert graph.total_params == stored_weight_count(path)
    assert all(layer.params_from == "weights" for _, layer in graph.walk())
    assert graph.inputs and all(graph.tensors[t].shape is not None for t in graph.inputs)
    assert graph.outputs


@pytest.mark.parametrize("row", _params(r for r in _sources() if r["filename"] not in REFUSED))
def test_corpus_facts_match_sources_tsv(row):
    graph = inspector.load(CORPUS / row["filename"])
    # The format column names the content, not the extension (mario's model.keras is HDF5).
    assert graph.source.format == row["format"]
    assert graph.source.keras_version == row["keras_version"]
    assert graph.class_name == row["top_class"]
    assert len(graph.outputs) == int(row["n_outputs"])
    stored_classes = {layer.class_name for _, layer in graph.walk()} | {graph.class_name}
    expected = set(row["layer_classes"].split(",")) | {row["top_class"]}
    if any("is implied by the Sequential config" in note for note in graph.notes):
        expected.add("InputLayer")  # old Sequential files store only a batch_input_shape
    assert stored_classes == expected
    _assert_losses(graph, row)


def _assert_losses(graph, row) -> None:
    loss = row["loss"]
    if row["has_training_config"] == "no":
        assert graph.training is None
        return
    assert graph.training is not None
    if not loss.startswith("{"):
        assert set(graph.training.loss.values()) == {loss}
        return
    # `{out:loss,out:loss} lw={out:w}`; the table cuts long cells, so the last pair may be partial.
    losses, _, weights = loss.partition(" lw=")
    pairs = [p.split(":", 1) for p in losses.strip("{}").split(",")]
    complete, last = pairs[:-1], pairs[-1]
    for output, name in complete:
        assert graph.training.loss[output] == name
    if len(last) == 2:
        assert graph.training.loss[last[0]].startswith(last[1])
    assert len(graph.training.loss) == int(row["n_outputs"])
    if weights:
        expected = {k: float(v) for k, v in re.findall(r"(\w+):([\d.]+)", weights)}
        assert graph.training.loss_weights == expected


def test_corpus_specific_facts():
    """A few things each file is known for, read by hand from the files."""
    if not CORPUS.is_dir():
        pytest.skip("corpus folder is missing")
    # Keras 1: Convolution2D and the Merge layer, with one weight group per layer.
    carnd = inspector.load(CORPUS / "MichaelHopf__CarND-Behavioral-Cloning-P3__model.hdf5")
    assert carnd.source.keras_version == "1.2.1"
    assert any(layer.class_name == "Merge" for layer in carnd.layers)
    # A Sequential holding a Functional (Teachable Machine's MobileNet): params live inside it.
    tm = inspector.load(CORPUS / "2nithing__streamlit_teachable_machine__keras_model.h5")
    nested = [layer for layer in tm.layers if layer.subgraph is not None]
    assert nested and sum(layer.params for layer in nested) < tm.total_params + 1
    assert tm.trainable_params < tm.total_params  # BatchNorm moving statistics
    # The Siamese bird-song model calls one encoder on three inputs: one layer, three calls.
    bird = inspector.load(CORPUS / "AdityaDutt__Bird-Song-Classification__siamese.h5")
    shared = [layer for layer in bird.layers if layer.is_shared]
    assert [len(layer.calls) for layer in shared] == [3]
    assert shared[0].subgraph is not None
    # seq2seq: variable-length sequences keep None time dimensions.
    s2s = inspector.load(CORPUS / "udnet96__lstm_seq2seq__s2s.h5")
    assert [s2s.tensors[t].shape for t in s2s.inputs] == [(None, None, 74), (None, None, 101)]
    # QKeras custom layers in a Keras 3 zip keep their registered class names.
    q = inspector.load(CORPUS / "fastmachinelearning__example-models__keras_qkeras-v3_3layer.keras")
    assert {"QDense", "QActivation"} <= {layer.class_name for layer in q.layers}
