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


def test_npz_with_object_array_is_refused_not_unpickled(fixtures_dir, tmp_path):
    marker = tmp_path / "unpickled"
    npz = io.BytesIO()
    np.savez(npz, **{"layers/dense/vars/0": np.array([_Trap(marker)], dtype=object)})
    path = tmp_path / "model.keras"
    with zipfile.ZipFile(fixtures_dir / "dense_functional.keras") as src, zipfile.ZipFile(path, "w") as z:
        z.writestr("config.json", src.read("config.json"))
        z.writestr("metadata.json", src.read("metadata.json"))
        z.writestr("model.weights.npz", npz.getvalue())
    assert_one_line_error(path, "object array", "pickle", "refused")
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
