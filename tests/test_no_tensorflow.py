"""Reading is not running: `inspect summary` on model files imports neither TensorFlow nor
Keras, and h5py is imported only for the rare HDF5 files its pure-Python reader declines. Checked in a fresh interpreter, through
the real click entry point, by looking at sys.modules when the command has finished."""

from __future__ import annotations

import pytest
from cli_probe import run_inspect

HEAVY = ("tensorflow", "keras", "tf_keras", "h5py", "numpy", "onnx", "onnxruntime", "tf2onnx", "torch", "jax")


def run(*args: str) -> dict:
    return run_inspect(args, HEAVY, timeout=120)[0]


@pytest.mark.parametrize("name", ["siamese_shared_lstm.keras", "nested_submodel.h5", "qa_two_inputs_k2.h5",
                                  "dense_functional.json", "savedmodel_k2", "lambda_layer.keras"])
def test_summary_imports_no_framework(fixtures_dir, name):
    result = run("summary", str(fixtures_dir / name))
    assert result["code"] in (0, None)
    assert result["loaded"] == [], "files h5py is not needed for are read without it (or numpy)"


def test_json_summary_imports_no_framework(fixtures_dir):
    result = run("summary", "--format", "json", str(fixtures_dir / "three_outputs_weighted.keras"))
    assert result["code"] in (0, None)
    assert result["loaded"] == []


def test_help_imports_nothing_heavy():
    for args in (["--help"], ["summary", "--help"]):
        result = run(*args)
        assert result["code"] == 0
        assert result["loaded"] == []
