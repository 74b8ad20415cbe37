"""The h5py fallback runs in a child process: a file that makes the HDF5 C library crash or hang
is a one-line error with exit 2, not a dead `inspect`; files only h5py reads still load the same
through the child; and Keras 2's chunked attributes (`weight_names0`, ...) read back whole.
"""

from __future__ import annotations

import dataclasses
import io
import json
import random
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest

import inspector
from inspector.errors import LoadError
from inspector.loaders import hdf5 as hdf5_loader
from inspector.loaders.hdf5 import WANTED_ATTRS, open_metadata, read_in_child
from inspector.loaders.hdf5_lite import Corrupt, Unsupported, read_metadata

# The five bytes a reviewer changed in three_outputs_unweighted_k2.h5: the first one turns the
# datatype of the `training_config` attribute into a variable-length type of reserved kind 5,
# and h5py segfaulted (exit 139) in attrs.get.
CRASH_BYTES = {1089: 0o325, 3903: 0o211, 6607: 0o77, 35795: 0o104, 84503: 0o327}


def crash_file(fixtures_dir: Path, tmp_path: Path) -> Path:
    data = bytearray((fixtures_dir / "three_outputs_unweighted_k2.h5").read_bytes())
    for offset, value in CRASH_BYTES.items():
        data[offset] = value
    path = tmp_path / "crash.h5"
    path.write_bytes(bytes(data))
    return path


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "inspector", *args], capture_output=True, text=True,
                          timeout=300, check=False)


def test_crash_file_is_one_line_and_exit_2(fixtures_dir, tmp_path):
    path = crash_file(fixtures_dir, tmp_path)
    done = cli("summary", str(path))
    assert done.returncode == 2, done
    assert done.stderr.splitlines() == [
        (f"inspect: error: {path}: not a readable HDF5 file (truncated or corrupt): "
         "variable-length datatype of reserved kind 5")
    ]
    assert done.stdout == ""


def test_crash_file_through_h5py_crashes_only_the_child(fixtures_dir, tmp_path):
    """The lite reader now knows the file is corrupt; h5py, asked anyway, still segfaults, and
    only its child process dies."""
    path = crash_file(fixtures_dir, tmp_path)
    with pytest.raises(LoadError) as caught:
        read_in_child(path)
    assert caught.value.reason == ("not a readable HDF5 file (h5py crashed reading it: signal 11, SIGSEGV): "
                                   "the file is corrupt")


def test_crashing_child_is_a_load_error(fixtures_dir, monkeypatch):
    monkeypatch.setattr(hdf5_loader, "child_command",
                        lambda: [sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGABRT)"])
    with pytest.raises(LoadError) as caught:
        read_in_child(fixtures_dir / "dense_functional.h5")
    assert caught.value.reason == ("not a readable HDF5 file (h5py crashed reading it: signal 6, SIGABRT): "
                                   "the file is corrupt")


def test_hanging_child_is_a_load_error(fixtures_dir, monkeypatch):
    monkeypatch.setattr(hdf5_loader, "child_command", lambda: [sys.executable, "-c", "import time; time.sleep(60)"])
    monkeypatch.setattr(hdf5_loader, "CHILD_TIMEOUT", 0.5)
    with pytest.raises(LoadError) as caught:
        read_in_child(fixtures_dir / "dense_functional.h5")
    assert caught.value.reason == ("not a readable HDF5 file (h5py did not finish reading it within 0.5 s): "
                                   "the file is corrupt or hostile")


def test_failing_child_names_its_last_words(fixtures_dir, monkeypatch):
    monkeypatch.setattr(hdf5_loader, "child_command",
                        lambda: [sys.executable, "-c", "raise MemoryError('out of memory')"])
    with pytest.raises(LoadError) as caught:
        read_in_child(fixtures_dir / "dense_functional.h5")
    assert caught.value.reason == "not a readable HDF5 file (h5py failed reading it: MemoryError: out of memory)"


@pytest.mark.parametrize("name", ["dense_functional.h5", "nested_submodel_k2.h5", "siamese_shared_lstm.keras"])
def test_child_reads_what_the_lite_reader_reads(fixtures_dir, name):
    """Same links, shapes, dtypes and attribute values (bytes stay bytes through the JSON)."""
    path = fixtures_dir / name
    if path.suffix == ".keras":
        from inspector.loaders.keras_zip import _member_file

        with zipfile.ZipFile(path) as archive, open(path, "rb") as raw:
            window = _member_file(path, archive, raw, archive.getinfo("model.weights.h5"))
            lite = read_metadata(window, WANTED_ATTRS)
            child = read_in_child(path, window)
    else:
        with open(path, "rb") as raw:
            lite = read_metadata(raw, WANTED_ATTRS)
        child = read_in_child(path)
    assert child.links == lite.links and child.attrs == lite.attrs
    assert _sorted(child.attr_names) == _sorted(lite.attr_names)  # the order is each reader's own
    assert any(link.dataset for link in child.links)


def _sorted(names: dict[str, tuple[str, ...]]) -> dict[str, list[str]]:
    return {group: sorted(listed) for group, listed in names.items()}


def _with_big_endian(data: bytes) -> bytes:
    """A copy of an HDF5 file with one big-endian array: beyond the lite reader, not corrupt."""
    buffer = io.BytesIO(data)
    with h5py.File(buffer, "r+") as f:
        f.create_dataset("extra/big_endian", shape=(2,), dtype=">f4")
    with pytest.raises(Unsupported) as caught:
        read_metadata(io.BytesIO(buffer.getvalue()), WANTED_ATTRS)
    assert not isinstance(caught.value, Corrupt)
    return buffer.getvalue()


def _same_graph(path: Path, reference: Path) -> None:
    loaded = inspector.load(path)
    expected = inspector.load(reference)
    assert dataclasses.replace(loaded, source=expected.source) == expected


def test_fallback_h5_loads_identically_through_the_child(fixtures_dir, tmp_path, monkeypatch):
    path = tmp_path / "model.h5"
    path.write_bytes(_with_big_endian((fixtures_dir / "dense_functional.h5").read_bytes()))
    with open_metadata(path) as meta:
        assert meta.reader == "h5py"
    _same_graph(path, fixtures_dir / "dense_functional.h5")


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_fallback_keras_loads_identically_through_the_child(fixtures_dir, tmp_path, compression, monkeypatch):
    """A stored weights member goes to the child as path + offset + size; a deflated one as a
    temporary copy, removed afterwards."""
    source = fixtures_dir / "residual_projection.keras"
    path = tmp_path / "model.keras"
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(path, "w") as new:
        for info in old.infolist():
            data = old.read(info)
            if info.filename == "model.weights.h5":
                data = _with_big_endian(data)
            new.writestr(info.filename, data, compress_type=compression)
    calls = []
    original = hdf5_loader._run_child
    monkeypatch.setattr(hdf5_loader, "_run_child", lambda args, p: calls.append(args) or original(args, p))
    _same_graph(path, source)
    (args,) = calls
    if compression == zipfile.ZIP_STORED:
        assert args[1:] == [str(path.resolve()), args[2], args[3]] and int(args[3]) > 0
    else:
        assert len(args) == 2 and not Path(args[1]).exists()


def test_child_reports_loader_errors_word_for_word(fixtures_dir, tmp_path, monkeypatch):
    """External links are refused with the message the lite path gives; h5py's own refusal of a
    truncated file keeps its wording."""
    linked = tmp_path / "linked.h5"
    shutil.copy(fixtures_dir / "dense_functional.h5", linked)
    with h5py.File(linked, "r+") as f:
        del f["model_weights/hidden_1"]
        f["model_weights/hidden_1"] = h5py.ExternalLink("o.h5", "/x")
    truncated = tmp_path / "truncated.h5"
    truncated.write_bytes((fixtures_dir / "dense_functional.h5").read_bytes()[:5000])
    for path in (linked, truncated):
        lite = _reason(path)
        monkeypatch.setattr(hdf5_loader, "LITE", False)
        child = _reason(path)
        monkeypatch.setattr(hdf5_loader, "LITE", True)
        if path is linked:
            assert child == lite
            assert lite.startswith("HDF5 external link /model_weights/hidden_1 -> o.h5:/x; not followed; it carries")
        else:
            assert lite.startswith("not a readable HDF5 file (truncated or corrupt): truncated: 5,000 bytes")
            assert child.startswith("not a readable HDF5 file (truncated or corrupt): Unable to ")
            assert "truncated file" in child


def _reason(path: Path) -> str:
    with pytest.raises(LoadError) as caught:
        inspector.load(path)
    return caught.value.reason


def _chunk_attribute(group, name: str) -> int:
    """Rewrite one list attribute as tf_keras' save_attributes_to_hdf5_group does when it would
    pass the 64 KiB object header limit: np.array_split into `name0`, `name1`, ..."""
    data = np.asarray(group.attrs[name])
    del group.attrs[name]
    chunks = np.array_split(data, 2)
    for i, chunk in enumerate(chunks):
        group.attrs[f"{name}{i}"] = chunk
    return len(chunks)


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def test_keras2_chunked_attributes(fixtures_dir, tmp_path, monkeypatch):
    reference = fixtures_dir / "dense_functional_k2.h5"
    path = tmp_path / "chunked.h5"
    shutil.copy(reference, path)
    with h5py.File(path, "r+") as f:
        _chunk_attribute(f["model_weights"], "layer_names")
        layer_names = [_text(n) for i in (0, 1) for n in f["model_weights"].attrs[f"layer_names{i}"]]
        chunked = [name for name, group in f["model_weights"].items()
                   if len(group.attrs.get("weight_names", [])) >= 2 and _chunk_attribute(group, "weight_names")]
    assert chunked, "some layer has two or more weights to split"
    readers = {}
    for lite in (True, False):
        monkeypatch.setattr(hdf5_loader, "LITE", lite)
        with open_metadata(path) as meta:
            readers[meta.reader] = meta
            assert "weight_names" in meta.group_attrs(f"model_weights/{chunked[0]}")
            assert [_text(n) for n in meta.group_attrs("model_weights").get("layer_names")] == layer_names
        _same_graph(path, reference)
    assert set(readers) == {"lite", "h5py"}
    lite, child = readers["lite"].meta, readers["h5py"].meta
    assert lite.links == child.links and lite.attrs == child.attrs
    assert _sorted(lite.attr_names) == _sorted(child.attr_names)


def test_a_weight_list_too_long_for_one_attribute(tmp_path):
    """1,000 weight names of 100 bytes cannot be one attribute in h5py's default file format;
    chunked as Keras 2 chunks them, they read back whole, in order, through both readers."""
    path = tmp_path / "long.h5"
    names = [f"layer/{i:04d}_{'w' * 90}:0".encode() for i in range(1000)]
    with h5py.File(path, "w") as f:
        group = f.create_group("model_weights/layer")
        with pytest.raises(OSError, match="object header message is too large"):
            group.attrs["weight_names"] = np.array(names)
        for i, chunk in enumerate(np.array_split(np.array(names), 3)):
            group.attrs[f"weight_names{i}"] = chunk
    with open(path, "rb") as raw:
        meta = hdf5_loader.HDF5Metadata(read_metadata(raw, WANTED_ATTRS), "lite")
    assert meta.group_attrs("model_weights/layer").get("weight_names") == names
    child = hdf5_loader.HDF5Metadata(read_in_child(path), "h5py")
    assert child.group_attrs("model_weights/layer").get("weight_names") == names


MUTATION_DRIVER = r"""
import contextlib, io, json, random, sys
from pathlib import Path
from inspector.cli import main

sources, count, seed, folder = json.loads(sys.argv[1])
rng = random.Random(seed)
results = []
for n in range(count):
    source = Path(sources[n % len(sources)])
    data = bytearray(source.read_bytes())
    for _ in range(rng.randint(1, 8)):  # mostly in the metadata near the start, as damage that matters is
        pos = rng.randrange(min(len(data), 8192) if rng.random() < 0.7 else len(data))
        data[pos] = rng.randrange(256)
    path = Path(folder) / f"m{n}{source.suffix}"
    path.write_bytes(bytes(data))
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            main(["summary", str(path)], standalone_mode=False)
            code = 0
        except SystemExit as exc:
            code = exc.code
    results.append([n, code, err.getvalue()])
print(json.dumps({"results": results, "h5py_imported": "h5py" in sys.modules}))
"""


def test_mutated_files_never_crash_inspect(fixtures_dir, tmp_path):
    """Seeded byte mutations of two fixtures through the CLI entry point, in one process that
    would die (and fail the test) if anything in it crashed: every run exits 0 or 2 with one
    line, and h5py, needed by some of them, is never imported into that process."""
    sources = [str(fixtures_dir / "three_outputs_unweighted_k2.h5"), str(fixtures_dir / "dense_functional.h5")]
    done = subprocess.run([sys.executable, "-c", MUTATION_DRIVER, json.dumps([sources, 120, 7, str(tmp_path)])],
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert not report["h5py_imported"]
    codes = {code for _, code, _ in report["results"]}
    assert codes <= {0, 2} and 2 in codes, codes
    for n, code, err in report["results"]:
        if code == 2:
            lines = err.splitlines()
            assert len(lines) == 1 and lines[0].startswith(f"inspect: error: {tmp_path}/m{n}."), err
            assert "internal error" not in err, err


def test_a_few_mutated_files_through_the_installed_command(fixtures_dir, tmp_path):
    """The same through `inspect summary` processes, a handful of them (a process each)."""
    data = (fixtures_dir / "three_outputs_unweighted_k2.h5").read_bytes()
    rng = random.Random(11)
    for n in range(6):
        damaged = bytearray(data)
        for _ in range(5):
            damaged[rng.randrange(8192)] = rng.randrange(256)
        path = tmp_path / f"m{n}.h5"
        path.write_bytes(bytes(damaged))
        done = cli("summary", str(path))
        assert done.returncode in (0, 2), (n, done.returncode, done.stderr)
        if done.returncode == 2:
            assert len(done.stderr.splitlines()) == 1, done.stderr
