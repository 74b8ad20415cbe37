"""Output shapes of tensor operations stored as layers (tf.keras 2 `TFOpLambda`/`SlicingOpLambda`,
Keras 3 operations), compared layer by layer with the shapes tf_keras and Keras compute when they
load the same wild files (`fixtures/wild/build.py`): a shape the summary states is Keras' own;
one it cannot know from the file stays unknown."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import inspector
from inspector.cli import main
from inspector.shapes import output_shapes

WILD = Path(__file__).resolve().parent.parent / "fixtures" / "wild"
LIVE = Path(__file__).resolve().parent / "live_shapes.py"
# which Keras loads each file, and which file it loads (Keras 3 cannot load its own .h5 holding
# operations, so those are compared with the live model of their .keras twin)
TF_KERAS = ["tfkeras_op_layers.h5", "tfkeras_op_layers.keras", "tfkeras_dict_call.h5",
            "tfkeras_tensor_ops.h5", "tfkeras_nested_refs.h5"]  # tf_keras on Linux reads no weights from the Windows file
KERAS = {"keras3_tensor_kwargs.keras": "keras3_tensor_kwargs.keras",
         "keras3_tensor_kwargs.h5": "keras3_tensor_kwargs.keras",
         "keras3_ops.keras": "keras3_ops.keras", "keras3_ops.h5": "keras3_ops.keras"}
# `ops.maximum(v, 0.0)`: Keras 3 stores a constant operand nowhere the loader reads, and these
# outputs' shapes are stored nowhere either, so the summary says `?` rather than guess (`Where`
# has no rule for that reason, though this call has three tensors)
UNKNOWABLE = {(name, op) for name in ("keras3_ops.keras", "keras3_ops.h5") for op in ("maximum", "where")}


def _live(kind: str, env: dict[str, str], files: list[str]) -> dict:
    result = subprocess.run(
        [sys.executable, str(LIVE), kind, *files], cwd=WILD, env={**os.environ, **env},
        capture_output=True, text=True, check=True,
    )
    return json.loads(result.stdout.splitlines()[-1])


@pytest.fixture(scope="module")
def live() -> dict:
    pytest.importorskip("tf_keras")
    pytest.importorskip("keras")
    found = _live("tf_keras", {"TF_USE_LEGACY_KERAS": "1"}, TF_KERAS)
    keras3 = _live("keras", {"KERAS_BACKEND": "tensorflow"}, sorted(set(KERAS.values())))
    found.update({name: keras3[twin] for name, twin in KERAS.items()})
    return found


@pytest.mark.parametrize("name", TF_KERAS + list(KERAS))
def test_every_layer_has_the_shape_keras_computes(name, live):
    graph = inspector.load(WILD / name)
    expected = live[name]
    assert set(expected) == {layer.name for layer in graph.layers}
    for layer in graph.layers:
        call = graph.call(layer.calls[-1])
        ours = [graph.tensors[t].shape for t in call.outputs]
        theirs = [tuple(shape) for shape in expected[layer.name]]
        if (name, layer.name) in UNKNOWABLE:
            assert ours == [None], layer.name
        else:
            assert ours == theirs, f"{layer.name} ({layer.class_name})"


def test_the_summary_shows_the_op_layer_shapes():
    result = CliRunner().invoke(main, ["summary", str(WILD / "tfkeras_op_layers.h5")])
    rows = {line.split()[0]: line for line in result.output.splitlines() if "OpLambda)" in line}
    assert len(rows) == 8
    assert "(None, 16, 16, 16)" in rows["tf.where"]
    assert "(None, 16)" in rows["tf.__operators__.getitem_1"]
    assert not [row for row in rows.values() if " ? " in row]
    assert "Outputs: mask_head (None, 16, 16, 1)" in result.output


@pytest.mark.parametrize(
    ("function", "inputs", "arguments"),
    [
        ("__operators__.getitem", [(None, 4)], {"slice_spec": [{"class_name": "__ellipsis__"}] * 2}),
        ("__operators__.getitem", [(None, 4)], {"slice_spec": [{"start": None, "stop": None, "step": None}, 7]}),
        ("__operators__.getitem", [(None, 4)], {"slice_spec": [{"start": 0, "stop": 2, "step": 0}]}),
        ("__operators__.getitem", [(None, 4)], {"slice_spec": [0, 0, 0]}),
        ("math.add", [(None, 4)], {"y": [1.0, 2.0]}),  # a constant that cannot broadcast
        ("math.add", [(None, 4)], {"name": None}),  # the other operand is stored nowhere
        ("reshape", [(None, 4)], {"shape": [-1, -1]}),
        ("reshape", [(None, 4)], {"shape": ["t", 0, 0]}),  # a shape held in a tensor
        ("squeeze", [(None, 4)], {}),  # is the unknown batch dimension 1?
        ("squeeze", [(None, 4)], {"axis": 1}),
        ("transpose", [(None, 4)], {"perm": [0, 0]}),
        ("concat", [(None, 4), (None, 4, 2)], {"axis": -1}),
        ("matmul", [(None, 4, 3), (None, 4, 3)], {}),
        ("tile", [(None, 4)], {"multiples": [1, 2]}),  # no rule: unknown, not a guess
        ("math.reduce_sum", [(None, 4)], {"axis": [1, -1]}),
        ("concat", [(None, 4)], {"axis": 0, "_CONSTANT_VALUE": [[1.0]]}),
    ],
)
def test_an_op_whose_shape_the_file_does_not_fix_stays_unknown(function, inputs, arguments):
    """Every malformed or unmodelled call answers None (`?`), never a shape and never an error."""
    assert output_shapes("TFOpLambda", {"function": function}, inputs, arguments) is None


def test_broadcasting_follows_tensorflow_for_unknown_dimensions():
    """An unknown dimension against a known one above 1 is that one (TF and Keras 3 agree), and
    against 1 stays unknown: `(None, 1, 5) * (3, 1)` is `(None, 3, 5)`."""
    multiply = {"function": "math.multiply"}
    assert output_shapes("TFOpLambda", multiply, [(None, 1, 5), (3, 1)], {}) == [(None, 3, 5)]
    assert output_shapes("TFOpLambda", multiply, [(None, 1), (None, 1)], {}) == [(None, 1)]


def test_without_the_call_arguments_an_op_layer_shape_is_unknown():
    """`tf.concat`'s axis lives in the call: a caller that has no call knows no shape."""
    assert output_shapes("TFOpLambda", {"function": "concat"}, [(None, 4), (None, 4)], {"axis": -1}) == [(None, 8)]
    assert output_shapes("TFOpLambda", {"function": "concat"}, [(None, 4), (None, 4)]) is None
