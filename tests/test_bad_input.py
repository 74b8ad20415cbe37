"""Bad input through the real command line: exit code 2, one line on stderr naming the file and
the reason, never a traceback, never a file followed, inflated or unpickled on the way."""

from __future__ import annotations

import io
import json
import os
import shutil
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest
from click.testing import CliRunner

from inspector.cli import main


def run_summary(path: Path | str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["summary", str(path)])
    return result.exit_code, result.stdout, result.stderr


def assert_one_line_error(path: Path | str, *reasons: str) -> str:
    code, out, err = run_summary(path)
    assert code == 2, (code, out, err)
    lines = err.splitlines()
    assert len(lines) == 1, err
    prefix = f"inspect: error: {path}: "
    assert lines[0].startswith(prefix), lines[0]
    assert "Traceback" not in err and "internal error" not in err, err
    reason = lines[0][len(prefix):]
    for expected in reasons:
        assert expected in reason, reason
    return reason


def test_missing_path(tmp_path):
    assert_one_line_error(tmp_path / "nope.keras", "no such file or directory")


def test_directory_that_is_no_savedmodel(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    assert_one_line_error(tmp_path, "directory is not a SavedModel", "notes.txt")


def test_random_bytes(tmp_path):
    path = tmp_path / "model.h5"
    path.write_bytes(np.random.default_rng(0).bytes(4096))
    assert_one_line_error(path, "not a model file")


def test_empty_file(tmp_path):
    path = tmp_path / "model.keras"
    path.touch()
    assert_one_line_error(path, "file is empty")


def _half(src: Path, dst: Path) -> Path:
    data = src.read_bytes()
    dst.write_bytes(data[: len(data) // 2])
    return dst


def test_truncated_h5(fixtures_dir, tmp_path):
    path = _half(fixtures_dir / "residual_projection.h5", tmp_path / "cut.h5")
    assert_one_line_error(path, "truncated or corrupt")


def test_truncated_keras(fixtures_dir, tmp_path):
    path = _half(fixtures_dir / "residual_projection.keras", tmp_path / "cut.keras")
    assert_one_line_error(path, "truncated or corrupt")


def test_weights_only_h5(keras, tmp_path):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    path = tmp_path / "model.weights.h5"
    model.save_weights(path)
    assert_one_line_error(path, "weights only", "save_weights")


def test_zip_without_config(tmp_path):
    path = tmp_path / "model.keras"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("readme.txt", "not a model")
    assert_one_line_error(path, "no config.json", "readme.txt")


def test_h5_external_link_is_not_followed(fixtures_dir, tmp_path):
    """The link points at a file holding exactly the weights the layer needs: following it would
    load fine, so only refusing it gives the error."""
    other = tmp_path / "other.h5"
    shutil.copy(fixtures_dir / "dense_functional.h5", other)
    path = tmp_path / "linked.h5"
    shutil.copy(fixtures_dir / "dense_functional.h5", path)
    with h5py.File(path, "r+") as f:
        del f["model_weights/hidden_1"]
        f["model_weights/hidden_1"] = h5py.ExternalLink(str(other), "/model_weights/hidden_1")
    assert_one_line_error(path, "external link", "not followed")


def _bomb_zip(path: Path, declared: int) -> None:
    """A zip whose config.json inflates from a few bytes and claims `declared` bytes in both its
    local and central headers."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("config.json", "{}" + " " * 1000)
        z.writestr("metadata.json", json.dumps({"keras_version": "3.15.1"}))
    data = bytearray(buffer.getvalue())
    local = data.index(b"PK\x03\x04")
    central = data.index(b"PK\x01\x02")
    struct.pack_into("<I", data, local + 22, declared)
    struct.pack_into("<I", data, central + 24, declared)
    path.write_bytes(bytes(data))


def test_zip_member_with_absurd_declared_size(tmp_path):
    path = tmp_path / "bomb.keras"
    _bomb_zip(path, 4_000_000_000)
    assert zipfile.ZipFile(path).getinfo("config.json").file_size == 4_000_000_000
    assert_one_line_error(path, "config.json", "absurd ratio", "not inflated")


def test_invalid_json_in_keras_zip(tmp_path):
    path = tmp_path / "model.keras"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("config.json", '{"class_name": "Functional", "config": {')
    assert_one_line_error(path, "config.json is not valid JSON")


def test_invalid_json_in_h5_attribute(fixtures_dir, tmp_path):
    path = tmp_path / "model.h5"
    shutil.copy(fixtures_dir / "dense_functional.h5", path)
    with h5py.File(path, "r+") as f:
        f.attrs["model_config"] = '{"class_name": "Functional", "config": {'
    assert_one_line_error(path, "'model_config' is not valid JSON")


def test_invalid_json_file(tmp_path):
    path = tmp_path / "model.json"
    path.write_text('{"class_name": "Functional", "config": {')
    assert_one_line_error(path, "not valid JSON", "line 1")


def test_savedmodel_without_keras_metadata(keras, tmp_path):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    export = tmp_path / "exported"
    model.export(str(export), verbose=False)
    assert (export / "saved_model.pb").is_file() and not (export / "keras_metadata.pb").exists()
    assert_one_line_error(export, "no Keras architecture", "keras_metadata.pb")


class _Trap:
    """Unpickling this creates a file: proof that a pickle ran."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_npz_with_object_array_is_reported_not_unpickled(fixtures_dir, tmp_path):
    marker = tmp_path / "unpickled"
    npz = io.BytesIO()
    np.savez(npz, **{"layers/dense/vars/0": np.array([_Trap(marker)], dtype=object)})
    path = tmp_path / "model.keras"
    with zipfile.ZipFile(fixtures_dir / "dense_functional.keras") as src, zipfile.ZipFile(path, "w") as z:
        z.writestr("config.json", src.read("config.json"))
        z.writestr("metadata.json", src.read("metadata.json"))
        z.writestr("model.weights.npz", npz.getvalue())
    from inspector.engine import all_rules
    from inspector.run import lint_target

    findings = [f for f in lint_target(str(path), all_rules()) if f.code == "S103"]
    assert len(findings) == 1 and "a pickle calling pathlib.Path.touch" in findings[0].message
    assert not marker.exists()


def test_real_command_prints_one_line(tmp_path):
    """The installed entry point, not only click's runner."""
    path = tmp_path / "missing.h5"
    done = subprocess.run(
        [sys.executable, "-m", "inspector", "summary", str(path)],
        check=False, capture_output=True, text=True, env=dict(os.environ), timeout=120,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == f"inspect: error: {path}: no such file or directory\n"


# -- malformed configs: a LoadError naming what is wrong, never an internal error ---------------


def _config(fixtures_dir: Path, stem: str) -> dict:
    """A fixture's model config as stored (the JSON fixture, or config.json of a .keras one)."""
    json_file = fixtures_dir / f"{stem}.json"
    if json_file.is_file():
        return json.loads(json_file.read_text())
    with zipfile.ZipFile(fixtures_dir / f"{stem}.keras") as z:
        return json.loads(z.read("config.json"))


def _write(tmp_path: Path, config: dict) -> Path:
    path = tmp_path / "model.json"
    path.write_text(json.dumps(config))
    return path


def _layer(config: dict, name: str) -> dict:
    [entry] = [e for e in config["config"]["layers"] if e["name"] == name]
    return entry


@pytest.mark.parametrize("stem", ["dense_functional", "dense_sequential", "qa_two_inputs_k2"])
def test_two_layers_with_one_name(fixtures_dir, tmp_path, stem):
    config = _config(fixtures_dir, stem)
    layers = config["config"]["layers"]
    name = layers[1]["config"]["name"]
    layers[2]["config"]["name"] = name
    if "name" in layers[2]:
        layers[2]["name"] = name
    assert_one_line_error(_write(tmp_path, config), "inconsistent model config", f"two layers are named {name!r}")


def test_nested_model_whose_layers_are_no_list(fixtures_dir, tmp_path):
    config = _config(fixtures_dir, "nested_submodel")
    _layer(config, "encoder")["config"]["layers"] = {"dense": {}}
    assert_one_line_error(_write(tmp_path, config), "malformed model config", "layer 'encoder'",
                          "the nested model (Functional)", "'layers' is an object, not a list")


def test_model_without_layers(fixtures_dir, tmp_path):
    """A Functional config missing its layers is damaged, not a subclassed model."""
    config = _config(fixtures_dir, "dense_functional")
    del config["config"]["layers"]
    reason = assert_one_line_error(_write(tmp_path, config), "malformed model config", "no 'layers' list")
    assert "subclassed" not in reason


def test_call_kwargs_that_are_no_object(fixtures_dir, tmp_path):
    config = _config(fixtures_dir, "nested_submodel")
    _layer(config, "digit")["inbound_nodes"][0]["kwargs"] = ["mask", None]
    assert_one_line_error(_write(tmp_path, config), "malformed model config", "layer 'digit'",
                          "'kwargs' is a list, not an object")


def test_inbound_nodes_that_are_no_list(fixtures_dir, tmp_path):
    config = _config(fixtures_dir, "dense_functional")
    config["config"]["layers"][1]["inbound_nodes"] = 3
    name = config["config"]["layers"][1]["name"]
    assert_one_line_error(_write(tmp_path, config), f"layer {name!r}", "'inbound_nodes' is a number, not a list")


def test_keras_tensor_without_config(fixtures_dir, tmp_path):
    config = _config(fixtures_dir, "nested_submodel")
    _layer(config, "digit")["inbound_nodes"][0]["args"][0]["config"] = "pixels"
    assert_one_line_error(_write(tmp_path, config), "layer 'digit'", "tensor whose 'config' is a string")


def test_compile_config_that_is_no_object_is_a_note(fixtures_dir, tmp_path):
    """The architecture is intact, so it is still shown; the unreadable part is said plainly."""
    config = _config(fixtures_dir, "dense_functional")
    config["compile_config"] = ["adam", "mse"]
    code, out, err = run_summary(_write(tmp_path, config))
    assert code == 0, err
    assert "Note: the compile config is a list, not an object: not read" in out
    assert "Training: not compiled" in out


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _fields_bytes(fields: list[tuple[int, int | bytes]]) -> bytes:
    """One protobuf message from (field number, varint or bytes) pairs."""
    out = bytearray()
    for number, value in fields:
        if isinstance(value, int):
            out += _varint(number << 3) + _varint(value)
        else:
            out += _varint(number << 3 | 2) + _varint(len(value)) + value
    return bytes(out)


def test_savedmodel_root_without_metadata(fixtures_dir, tmp_path):
    """keras_metadata.pb whose root object lacks its metadata JSON (field 5)."""
    from inspector.loaders.protobuf import fields

    path = tmp_path / "savedmodel"
    shutil.copytree(fixtures_dir / "savedmodel_k2", path)
    meta = path / "keras_metadata.pb"
    nodes = []
    for number, value in fields(meta.read_bytes()):
        node = list(fields(value))
        if dict(node).get(3) == b"root":
            node = [(n, v) for n, v in node if n != 5]
        nodes.append((number, _fields_bytes(node)))
    meta.write_bytes(_fields_bytes(nodes))
    assert_one_line_error(path, "keras_metadata.pb has no model config for its root object")


# -- every malformed config found by mutating real ones ----------------------------------------

_SWAPS = ([], {}, "x", 7, None, -1, 1.5, True, [[1, 2]], ["a", 0, 0])


def _mutated(config, rng):
    """The config with one to three values deleted, truncated or swapped for another JSON type."""
    import copy

    config = copy.deepcopy(config)
    for _ in range(rng.choice((1, 1, 2, 3))):
        places = []
        stack = [config]
        while stack:
            node = stack.pop()
            keys = list(node) if isinstance(node, dict) else range(len(node)) if isinstance(node, list) else ()
            for key in keys:
                places.append((node, key))
                stack.append(node[key])
        parent, key = rng.choice(places)
        value, roll = parent[key], rng.random()
        if roll < 0.3 and isinstance(parent, dict):
            del parent[key]
        elif roll < 0.4 and isinstance(value, list) and value:
            parent[key] = value[: rng.randrange(len(value))]
        elif roll < 0.5 and isinstance(value, dict):
            parent[key] = list(value.values())
        elif roll < 0.55 and isinstance(value, list):
            parent[key] = {str(i): v for i, v in enumerate(value)}
        else:
            parent[key] = rng.choice(_SWAPS + ([value], {"a": value}))
    return config


def test_mutated_configs_raise_only_inspector_errors(fixtures_dir):
    """1500 seeded mutations of real configs of every era (keys deleted, lists truncated, values
    swapped for other JSON types): each either loads or raises an InspectorError."""
    import random

    from inspector.errors import InspectorError
    from inspector.graph import Source
    from inspector.loaders.keras_config import parse_model

    stems = ["dense_functional", "qa_two_inputs_k2", "nested_submodel", "siamese_shared_lstm",
             "inception_module", "dense_sequential", "three_outputs_weighted", "lambda_layer"]
    configs = [_config(fixtures_dir, stem) for stem in stems]
    rng = random.Random(20240611)
    crashes = []
    for i in range(1500):
        config = _mutated(rng.choice(configs), rng)
        try:
            parse_model(config, Source(f"case{i}.json", "json"), None, config.get("compile_config"))
        except InspectorError:
            pass
        except Exception as exc:  # noqa: BLE001 - any other type is the bug this test is for
            crashes.append(f"case {i}: {type(exc).__name__}: {exc}")
    assert not crashes, crashes[:5]
