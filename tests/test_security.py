"""Security findings on malicious samples of every kind and their benign twins.

The samples (benchmarks/security_samples.py) are built from the real fixtures in a temporary
folder; every payload would only create MARKER there. `inspect lint` runs once over the folder in
a fresh interpreter: each malicious file is an error naming its payload and place, each twin has
no security finding, the marker is never written and TensorFlow/Keras are never imported."""

from __future__ import annotations

import base64
import importlib
import io
import json
import os
import pickle
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from cli_probe import run_inspect

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))  # a folder of scripts, not a package
samples = importlib.import_module("security_samples")

import inspector
from inspector.engine import all_rules
from inspector.report import LintRun
from inspector.report.sarif import sarif_dict
from inspector.run import lint_target
from inspector.security.pickle_scan import scan_pickle, scan_pickle_stream

FRAMEWORKS = ("tensorflow", "keras", "tf_keras", "torch", "jax")

# what each malicious file's message must name: the payload, then its place
NAMED = {
    "npz_pickle_poc.keras": ("os.system", "model.weights.npz (2 of 2)"),
    "npz_object_array.keras": ("os.system", "array layers/dense.npy"),
    "compile_lambda.keras": ("__lambda__", "compile_config.loss"),
    "compile_system.keras": ("os.system", "compile_config.loss"),
    "config_import.keras": ("builtins.exec", "layer 'hidden_1' config.activation"),
    "duplicate_config.keras": ("2 members named config.json", "zip member config.json"),
    "lambda_k2.h5": ("Keras 2 base64 marshal", "tf_keras (tf.keras 2) runs when loading the file with default"),
    "legacy_keras_model.keras": ("import of tensorflow.python.keras.engine.sequential.Sequential",
                                 "the model: "),
    "legacy_keras_function.keras": ("running the Lambda bytecode inside (at layer 'run' config.function)",
                                    "layer 'run' config.function: "),
    "legacy_keras_compile.keras": ("import of tensorflow.python.keras.engine.sequential.Sequential",
                                   "compile_config.loss: "),
    "savedmodel_writefile": ("WriteFile", "node 'write_marker'"),
    "external_link.h5": ("an HDF5 external link to", "/model_weights/hidden_1"),
}


@pytest.fixture(scope="module")
def folder(tmp_path_factory, fixtures_dir) -> Path:
    out = tmp_path_factory.mktemp("samples")
    samples.build(out)
    return out


def _run(*args: str) -> tuple[dict, str]:
    return run_inspect(args, FRAMEWORKS, timeout=300)


@pytest.fixture(scope="module")
def scanned(folder):
    """One `inspect lint` over the whole folder, in a fresh interpreter."""
    result, output = _run("lint", "--output-format", "json", str(folder))
    findings = json.loads(output)
    return result, findings


def test_lint_never_imports_a_framework_nor_runs_a_payload(scanned, folder):
    result, _ = scanned
    assert result["loaded"] == []
    assert result["code"] == 1
    assert not (folder / samples.MARKER).exists()


@pytest.mark.parametrize("sample", [s for s in samples.SAMPLES if s.code], ids=lambda s: s.name)
def test_each_payload_is_an_error_naming_it_and_its_place(scanned, folder, sample):
    _, findings = scanned
    mine = [f for f in findings if Path(f["path"]).name == sample.name and f["code"] == sample.code]
    assert mine, f"{sample.name}: no {sample.code} finding"
    payload, place = NAMED[sample.name]
    assert any(payload in f["message"] and place in f["message"] for f in mine), mine
    assert all(f["severity"] == "error" for f in mine)


@pytest.mark.parametrize("sample", [s for s in samples.SAMPLES if not s.code], ids=lambda s: s.name)
def test_benign_twins_give_no_security_finding(scanned, sample):
    _, findings = scanned
    assert [f for f in findings if Path(f["path"]).name == sample.name and f["code"].startswith("S")] == []


def test_scan_reports_only_the_security_family(folder):
    result, output = _run("scan", str(folder / "npz_pickle_poc.keras"), str(folder / "dense_functional.keras"))
    assert result["code"] == 1 and result["loaded"] == []
    lines = output.splitlines()
    assert [line.split(": ")[1].split()[0] for line in lines[:-1]] == ["S103", "S107"]
    assert lines[-1] == "Found 2 findings (2 errors) in 1 of 2 files."


def test_summary_warns_in_one_line_and_reads_keras_written_npz(folder):
    evil = subprocess.run([sys.executable, "-m", "inspector", "summary", str(folder / "npz_pickle_poc.keras")],
                          capture_output=True, text=True, check=False)
    assert evil.returncode == 0
    assert evil.stderr.count("\n") == 1
    assert evil.stderr.startswith(f"inspect: warning: {folder / 'npz_pickle_poc.keras'}: carries 2 security findings")
    assert "os.system" in evil.stderr and "inspect scan" in evil.stderr
    benign = subprocess.run([sys.executable, "-m", "inspector", "summary", str(folder / "npz_keras_written.keras")],
                            capture_output=True, text=True, check=False)
    assert benign.returncode == 0 and benign.stderr == ""
    assert "Total params: 3,466" in benign.stdout  # computed from the config: the npz pickles hold the arrays
    assert not (folder / samples.MARKER).exists()


def test_render_and_docs_warn_too(folder, tmp_path):
    evil = str(folder / "config_import.keras")
    for args in (["render", evil, "-o", str(tmp_path / "model.mmd")],
                 ["docs", evil, "-o", str(tmp_path / "docs"), "--no-lint"]):
        done = subprocess.run([sys.executable, "-m", "inspector", *args], capture_output=True, text=True,
                              check=False)
        assert done.returncode == 0, done.stderr
        warnings = [line for line in done.stderr.splitlines() if "security finding" in line]
        assert warnings == [(f"inspect: warning: {evil}: carries 1 security finding (config-driven import of "
                            f"builtins.exec): `inspect scan {evil}` explains; do not load it with Keras")]


def test_a_savedmodel_without_keras_metadata_still_reports_its_ops(folder, tmp_path):
    bare = tmp_path / "bare_savedmodel"
    shutil.copytree(folder / "savedmodel_writefile", bare)
    (bare / "keras_metadata.pb").unlink()
    findings = lint_target(str(bare), all_rules())
    assert [f.code for f in findings] == ["S106"] and "WriteFile" in findings[0].message
    summary = subprocess.run([sys.executable, "-m", "inspector", "summary", str(bare)], capture_output=True,
                             text=True, check=False)
    assert summary.returncode == 2
    assert "no Keras architecture" in summary.stderr and "carries 1 security finding" in summary.stderr
    (bare / "saved_model.pb").write_bytes((folder / "savedmodel_k2" / "saved_model.pb").read_bytes())
    with pytest.raises(Exception, match="no Keras architecture"):
        lint_target(str(bare), all_rules())


def test_config_payloads_are_found_in_json_and_h5_too(fixtures_dir, tmp_path):
    import h5py

    config = json.loads((fixtures_dir / "dense_functional.json").read_text())
    config["config"]["layers"][1]["config"]["kernel_initializer"] = {
        "module": "importlib", "class_name": "import_module", "config": {"name": "os"}}
    (tmp_path / "model.json").write_text(json.dumps(config))
    shutil.copy(fixtures_dir / "dense_functional_k2.h5", tmp_path / "model.h5")
    with h5py.File(tmp_path / "model.h5", "r+") as f:
        training = json.loads(f.attrs["training_config"])
        training["loss"] = {"module": "subprocess", "class_name": "function", "config": "run"}
        f.attrs["training_config"] = json.dumps(training)
    findings = {Path(f.path).name: f for f in lint_target(str(tmp_path / "model.json"), all_rules())
                + lint_target(str(tmp_path / "model.h5"), all_rules()) if f.code.startswith("S")}
    assert findings["model.json"].code == "S104"
    assert findings["model.json"].message.startswith(
        "layer 'hidden_1' config.kernel_initializer: config-driven import of importlib.import_module")
    assert findings["model.h5"].code == "S105"
    assert findings["model.h5"].message.startswith("training_config.loss: config-driven import of subprocess.run")


def test_lambdas_routed_through_tensorflows_legacy_keras_name_the_default_loader(folder):
    """S101 says tf_keras runs the bytecode by default only where the file routes it through
    tensorflow.python.keras where tf_keras honours the module; a layer of a `layers` list is
    looked up by class_name (tf_keras then refuses its Lambda), and S104 says so."""
    from inspector.engine import get_rule, lint_graph
    from inspector.graph import Source
    from inspector.loaders.keras_config import parse_model
    from inspector.rules import _examples as ex
    from inspector.rules._examples import LAMBDA_BYTECODE as _CODE

    for name in ("legacy_keras_model.keras", "legacy_keras_function.keras"):
        s101 = [f for f in lint_target(str(folder / name), all_rules()) if f.code == "S101"]
        assert len(s101) == 1 and "runs when loading the file with default arguments" in s101[0].message
        assert "tensorflow.python.keras" in s101[0].message
    lam = {"module": "tensorflow.python.keras.layers.core", "class_name": "Lambda", "registered_name": None,
           "name": "run", "config": {"name": "run", "function": [_CODE, None, None], "function_type": "lambda",
                                     "output_shape": None, "output_shape_type": "raw", "arguments": {}}}
    graph = parse_model(ex.sequential((None, 8), lam), Source("model.keras", "keras"))
    findings = {f.code: f.message for f in lint_graph(graph, [get_rule("S101"), get_rule("S104")])}
    assert "run when loading with safe_mode=False" in findings["S101"]
    assert "looks the layer up by class_name and ignores this module" in findings["S104"]


def test_sarif_ranks_security_rules(folder):
    findings = tuple(lint_target(str(folder / "config_import.keras"), all_rules()))
    rules = {r["id"]: r for r in sarif_dict(LintRun(findings, (str(folder),), (), tuple(all_rules())))
             ["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["S104"]["properties"]["security-severity"] == "9.8"
    assert "security" in rules["S104"]["properties"]["tags"]
    assert "security-severity" not in rules["N101"]["properties"]


class _Touch:
    def __reduce__(self):
        return (os.system, ("touch /nonexistent/marker",))


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_pickle_globals_are_named_in_every_protocol(protocol):
    report = scan_pickle(pickle.dumps(_Touch(), protocol=protocol))
    assert report.unsafe == ("os.system",) and report.is_payload


def test_numpy_reconstruction_alone_is_no_payload():
    import numpy as np

    cell = np.empty((), dtype=object)
    cell[()] = {"0": np.ones((2, 3), "float32"), "1": [1.5, 2]}
    buffer = io.BytesIO()
    np.save(buffer, cell, allow_pickle=True)
    data = buffer.getvalue()
    report = scan_pickle(data[data.index(b"\n", 10) + 1:])
    assert report.globals and not report.is_payload


def test_a_truncated_pickle_still_names_what_precedes_the_cut():
    data = pickle.dumps(_Touch(), protocol=4)
    report = scan_pickle(data[:data.index(pickle.STACK_GLOBAL) + 1])
    assert report.unsafe == ("os.system",) and report.error and report.is_payload
    assert scan_pickle(b"\x00garbage").error and not scan_pickle(b"\x00garbage").is_payload


LOADERS = r"""
import os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
folder, marker = sys.argv[1], os.path.join(sys.argv[1], "MARKER")
import numpy as np

def attempt(label, load):
    try:
        model = load()
        if label.startswith("keras3-compile"):
            model.evaluate(np.zeros((2, 64), "float32"), np.zeros((2,), "float32"), verbose=0)
        outcome = "loaded"
    except Exception as exc:
        outcome = "refused " + type(exc).__name__
    print(label, outcome, "ran" if os.path.exists(marker) else "did-not-run")
    if os.path.exists(marker):
        os.remove(marker)

import keras, tf_keras
attempt("tf_keras-h5", lambda: tf_keras.models.load_model(os.path.join(folder, "lambda_k2.h5")))
for name in ("legacy_keras_model", "legacy_keras_function", "legacy_keras_compile", "tf_keras_sequential"):
    path = os.path.join(folder, name + ".keras")
    attempt("tf_keras-" + name, lambda: tf_keras.models.load_model(path))
    attempt("keras3-" + name, lambda: keras.models.load_model(path))
attempt("keras3-h5", lambda: keras.models.load_model(os.path.join(folder, "lambda_k2.h5")))
attempt("keras3-compile-safe", lambda: keras.models.load_model(os.path.join(folder, "compile_lambda.keras")))
attempt("keras3-compile-unsafe", lambda: keras.models.load_model(os.path.join(folder, "compile_lambda.keras"),
                                                                  safe_mode=False))
"""


@pytest.mark.slow
def test_the_samples_are_live_and_the_messages_name_the_right_loaders(tmp_path, fixtures_dir):
    """What S101 and S105 say about Keras, checked against the installed tf_keras and Keras on a
    copy of the samples: the payloads really run where the messages say, and only there."""
    samples.build(tmp_path)
    done = subprocess.run([sys.executable, "-c", LOADERS, str(tmp_path)], capture_output=True, text=True,
                          check=False, timeout=600)
    outcomes = dict(line.split(" ", 1) for line in done.stdout.splitlines()
                    if line.split(" ")[0].startswith(("tf_keras-", "keras3-")))
    assert outcomes["tf_keras-h5"].endswith(" ran"), done.stdout + done.stderr[-2000:]
    # a real .keras zip, default arguments: tf_keras 2.21 builds what names tensorflow.python.keras
    # with that bundled legacy Keras, which never checks safe mode; Keras 3.15 refuses the module
    for name in ("legacy_keras_model", "legacy_keras_function", "legacy_keras_compile"):
        assert outcomes[f"tf_keras-{name}"] == "loaded ran", (name, done.stdout + done.stderr[-2000:])
        assert outcomes[f"keras3-{name}"].startswith("refused"), name
        assert outcomes[f"keras3-{name}"].endswith("did-not-run"), name
    assert outcomes["tf_keras-tf_keras_sequential"] == "loaded did-not-run"
    assert outcomes["keras3-h5"].startswith("refused") and outcomes["keras3-h5"].endswith("did-not-run")
    assert outcomes["keras3-compile-safe"].startswith("refused")
    assert outcomes["keras3-compile-safe"].endswith("did-not-run")
    assert outcomes["keras3-compile-unsafe"].endswith(" ran")


def _damaged(data: bytes, rng) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 20)):
        out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out[:rng.randrange(len(out))] if rng.random() < 0.3 else out)


def test_damaged_npz_and_savedmodel_graphs_end_in_a_load_error_or_a_result(folder):
    """Seeded byte damage to what the security readers parse themselves: a LoadError or a
    result, never another exception (the robustness fuzz test covers whole files)."""
    import random
    import zipfile

    from inspector.errors import LoadError
    from inspector.security.npz import read_npz
    from inspector.security.savedmodel_ops import savedmodel_payloads

    rng = random.Random(13)
    npz = [zipfile.ZipFile(folder / name).read("model.weights.npz")
           for name in ("npz_keras_written.keras", "npz_object_array.keras")]
    outcomes = {"read": 0, "refused": 0}
    for i in range(200):
        try:
            read_npz("model.keras", _damaged(npz[i % 2], rng), "model.weights.npz", lambda info: None)
            outcomes["read"] += 1
        except LoadError:
            outcomes["refused"] += 1
    graph = (folder / "savedmodel_writefile" / "saved_model.pb").read_bytes()
    for _ in range(30):
        try:
            savedmodel_payloads(_damaged(graph, rng))
            outcomes["read"] += 1
        except (ValueError, IndexError):  # what the SavedModel loader turns into "saved_model.pb is corrupt"
            outcomes["refused"] += 1
    assert outcomes["read"] and outcomes["refused"]


def test_a_layer_importing_os_is_one_error_not_also_an_unknown_layer_warning():
    from inspector.engine import get_rule, lint_graph
    from inspector.graph import Source
    from inspector.loaders.keras_config import parse_model
    from inspector.rules import _examples as ex

    config = ex.sequential((None, 8), ex.layer("system", "boom", module="os", command="touch x"),
                           ex.layer("AttentionPooling", "pool", module="my_project.layers"))
    graph = parse_model(config, Source("model.keras", "keras"))
    findings = lint_graph(graph, [get_rule("S102"), get_rule("S104")])
    assert [(f.code, f.layers) for f in findings] == [("S102", ("pool",)), ("S104", ())]
    assert "config-driven import of os.system" in findings[1].message


@pytest.mark.parametrize("sample, reason", [
    ("npz_pickle_poc.keras", "model.weights.npz is not an npz archive but a pickle, which this tool never unpickles"),
    ("npz_object_array.keras", "layer 'hidden_1': model.weights.npz stores its weights as a pickled object array"),
    ("npz_keras_written.keras", "layer 'hidden_1': model.weights.npz stores its weights as a pickled object array"),
])
def test_export_refuses_pickled_npz_weights_in_one_line(folder, tmp_path, sample, reason):
    """The native converter reads npz weights with allow_pickle=False: numpy's refusal was an
    'internal error ValueError' (a bare pickle) or 'cannot find weight' (object arrays)."""
    pytest.importorskip("onnxruntime")
    path = folder / sample
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "without_tensorflow.py"), "export", str(path),
                           "-o", str(tmp_path / "m.onnx")], capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [line for line in done.stderr.splitlines() if line.startswith(
        f"inspect: error: {path}: {reason}")] and done.stderr.count("\n") == 1
    assert not (folder / samples.MARKER).exists()


def test_export_never_hands_a_file_with_payloads_to_keras(folder, tmp_path):
    """With TensorFlow installed, export verified against Keras by loading the file with it, and
    fell back to tf2onnx (Keras again) for what the native converter refused: for a file whose
    warning says 'do not load it with Keras'. Now neither, and the warning is printed."""
    import importlib.util

    if importlib.util.find_spec("tensorflow") is None or importlib.util.find_spec("onnxruntime") is None:
        pytest.skip("needs TensorFlow (the Keras reference) and onnxruntime")

    def export(sample):
        path = folder / sample
        done = subprocess.run([sys.executable, "-m", "inspector", "export", str(path), "-o", str(tmp_path / "m.onnx")],
                              capture_output=True, text=True, check=False, timeout=300)
        return path, done, [line for line in done.stderr.splitlines() if line.startswith("inspect:")]

    path, done, lines = export("compile_system.keras")
    assert done.returncode == 0, done.stderr
    assert lines == [(f"inspect: warning: {path}: carries 1 security finding (config-driven import of os.system): "
                     f"`inspect scan {path}` explains; do not load it with Keras")]
    assert ("no Keras reference was available: the file carries security findings (`inspect scan` lists them), "
            "so it is not loaded with Keras") in done.stdout
    path, done, lines = export("config_import.keras")
    assert done.returncode == 2
    assert lines == [(f"inspect: error: {path}: layer 'hidden_1' (Dense): activation 'function' is not supported by "
                     "the native converter, and the tf2onnx fallback would load the file with Keras, but it carries 1 "
                     "security finding (config-driven import of builtins.exec): "
                     f"`inspect scan {path}` explains; do not load it with Keras")]
    assert not (folder / samples.MARKER).exists()


# -- pickles inside the config: Keras' TorchModuleWrapper (fixtures/wild/build.py wrote these) --
WILD = Path(__file__).resolve().parent.parent / "fixtures" / "wild"


def _wrapper_config(path: Path) -> tuple[dict, dict]:
    """The model config of a TorchModuleWrapper .keras file and its wrapper layer's config."""
    with zipfile.ZipFile(path) as archive:
        config = json.loads(archive.read("config.json"))
    wrapper = next(layer for layer in config["config"]["layers"] if layer["class_name"] == "TorchModuleWrapper")
    return config, wrapper["config"]


def _with_module(tmp_path: Path, data: bytes) -> Path:
    """The linear wrapper file with `data` as its base64 module: what a tampered upload holds."""
    source = WILD / "torch_wrapper_linear.keras"
    config, wrapper = _wrapper_config(source)
    wrapper["module"] = base64.b64encode(data).decode("ascii")
    out = tmp_path / "tampered.keras"
    with zipfile.ZipFile(source) as archive, zipfile.ZipFile(out, "w") as copy:
        for info in archive.infolist():
            copy.writestr(info, json.dumps(config) if info.filename == "config.json" else archive.read(info))
    return out


def _pickle_findings(path: Path) -> list[str]:
    return [f.message for f in inspector.lint(path) if f.name == "pickle-payload"]


def test_a_torch_module_pickle_in_the_config_is_named_with_its_place():
    """Keras writes the wrapped module as base64(torch.save(module)) in `config.module` and runs
    torch.load on it; a module carrying a call into os was "No findings" before."""
    path = WILD / "torch_wrapper_marker.keras"
    assert base64.b64decode(_wrapper_config(path)[1]["module"])[:4] == b"PK\x03\x04"  # a torch.save zip
    (message,) = _pickle_findings(path)
    assert message.startswith("layer 'wrapped' config.module: a pickle calling os.getcwd, ")
    assert "a torch.save archive, member archive/data.pkl" in message and "safe_mode=False" in message


def test_a_module_of_torch_layers_alone_is_no_payload():
    """Rebuilding torch's own tensors and layer classes is what the wrapper is for."""
    assert _pickle_findings(WILD / "torch_wrapper_linear.keras") == []


def test_a_plain_pickle_or_a_pickle_stream_in_the_config_is_named(tmp_path):
    """Not only the torch.save zip: a bare pickle, and the legacy torch.save stream of several
    pickles one after another (the payload in the fourth)."""
    bare = _with_module(tmp_path, pickle.dumps(_Touch(), protocol=2))
    (message,) = _pickle_findings(bare)
    assert message.startswith("layer 'wrapped' config.module: a pickle calling os.system (a pickle, base64 in "
                              "the config): Keras on the torch backend runs torch.load on it")
    stream = b"".join(pickle.dumps(part, protocol=2) for part in (0x1950A86A20F9469CFC6C, 1001, {"little": True}))
    streamed = _with_module(tmp_path, stream + pickle.dumps(_Touch(), protocol=2) + pickle.dumps(["0"], protocol=2))
    (message,) = _pickle_findings(streamed)
    assert "a pickle calling os.system" in message
    assert scan_pickle_stream(stream + pickle.dumps(_Touch(), protocol=2)).end == len(stream) + len(
        pickle.dumps(_Touch(), protocol=2))


def test_a_pickle_any_layer_keeps_in_its_config_is_named(tmp_path, fixtures_dir):
    """A custom layer can store base64 pickle bytes under any key of its config, in any format."""
    config = json.loads((fixtures_dir / "dense_functional.json").read_text())
    layer = config["config"]["layers"][1]
    layer["config"]["state"] = {"blob": base64.b64encode(pickle.dumps(_Touch(), protocol=4)).decode("ascii")}
    path = tmp_path / "custom.json"
    path.write_text(json.dumps(config))
    expected = (f"layer {layer['name']!r} config.state.blob: a pickle calling os.system (a pickle, base64 in "
                "the config): whatever deserializes this value unpickles it")
    assert _pickle_findings(path) == [expected]
