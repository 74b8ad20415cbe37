"""A missing optional dependency is the user's set-up, not a bug: every command that reaches one
prints one line naming what to install and exits 2 (inspector.extras). Each path is run in a
fresh interpreter where the packages cannot be imported, as in an install without them."""

from __future__ import annotations

import pytest
from cli_probe import run_without

from inspector.errors import InspectorError
from inspector.extras import MissingDependency, install_line, missing_dependency

TENSORFLOW = ("tensorflow", "keras", "tf_keras", "tf2onnx")  # the light install
TF_LINE = "this needs TensorFlow, which is not installed: pip install 'keras-inspector[tf]'"
BUILDER = "tests/builders/counting.py:compiled_regressor"


def _one_error_line(done) -> str:
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2, done.stderr
    assert len(lines) == 1, done.stderr
    assert "internal error" not in lines[0] and "Traceback" not in done.stderr
    return lines[0]


def test_lint_of_a_builder_without_tensorflow_names_the_extra():
    done = run_without(TENSORFLOW, ["lint", BUILDER])
    assert _one_error_line(done) == f"inspect: error: {BUILDER}: {TF_LINE}"


def test_lint_with_data_without_tensorflow_names_the_extra(fixtures_dir, tmp_path):
    model = fixtures_dir / "three_outputs_unweighted.keras"
    done = run_without(TENSORFLOW, ["lint", str(model), "--data", str(fixtures_dir / "three_outputs_data.npz")])
    assert _one_error_line(done) == f"inspect: error: {model}: {TF_LINE}"


def test_the_other_targets_are_still_linted_and_the_report_printed(fixtures_dir):
    """A missing extra is one target's error, like a file that cannot be read: exit 2, the rest linted."""
    clean = fixtures_dir / "dense_functional.keras"
    done = run_without(TENSORFLOW, ["lint", BUILDER, str(clean)])
    assert _one_error_line(done) == f"inspect: error: {BUILDER}: {TF_LINE}"
    assert done.stdout == "No findings in 2 files (1 file could not be read).\n"


def test_render_needs_no_graphviz_python_package(fixtures_dir, tmp_path):
    """Diagrams run Graphviz's `dot` program directly (bounded in time and memory), so the
    graphviz Python package is no dependency: render works without it."""
    model = fixtures_dir / "dense_functional.keras"
    done = run_without(["graphviz"], ["render", str(model), "-o", str(tmp_path / "m.svg")])
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "m.svg").read_text().lstrip().startswith(("<?xml", "<svg"))


def test_export_of_an_hdf5_file_without_h5py(fixtures_dir, tmp_path):
    model = fixtures_dir / "dense_functional.h5"
    done = run_without(["h5py"], ["export", str(model), "-o", str(tmp_path / "m.onnx"), "--no-verify"])
    assert _one_error_line(done) == (f"inspect: error: {model}: this needs the h5py package, a dependency of "
                                     "keras-inspector, which is not installed: pip install h5py")


@pytest.mark.parametrize(("absent", "args", "says"), [
    (["onnx"], [], "export needs the onnx package, which is not installed: pip install 'keras-inspector[onnx]'"),
    (["onnxruntime"], [], ("export --verify needs the onnxruntime package, which is not installed: "
                           "pip install 'keras-inspector[onnx]', or pass --no-verify")),
    (["tf2onnx"], ["--converter", "tf2onnx", "--no-verify"],
     "export needs the tf2onnx package, which is not installed: pip install 'keras-inspector[tf,onnx]'"),
])
def test_export_without_an_onnx_package_names_the_extra(fixtures_dir, tmp_path, absent, args, says):
    model = fixtures_dir / "dense_functional.keras"
    done = run_without(absent, ["export", str(model), "-o", str(tmp_path / "m.onnx"), *args])
    assert _one_error_line(done) == f"inspect: error: {model}: {says}"


def test_the_table_tells_a_missing_package_of_ours_from_anything_else():
    error = missing_dependency(ModuleNotFoundError("No module named 'onnxruntime.capi'", name="onnxruntime.capi"),
                               "m.keras")
    assert isinstance(error, MissingDependency) and isinstance(error, InspectorError)
    assert str(error) == "m.keras: this needs the onnxruntime package, which is not installed: " + install_line("onnx")
    # a module of the user's, a plain ImportError or another error is not ours to explain
    assert missing_dependency(ModuleNotFoundError("No module named 'mylayers'", name="mylayers")) is None
    assert missing_dependency(ImportError("cannot import name 'x' from 'onnx'", name="onnx")) is None
    assert missing_dependency(ValueError("tensorflow")) is None
