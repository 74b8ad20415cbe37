"""The pure-Python HDF5 metadata reader against h5py, the reference it replaces.

For every HDF5 file we have (fixtures, the weights inside each .keras, the corpus, and files
written here with h5py in every layout it produces) the lite reader's view (link tree with link
kinds, every dataset's shape and dtype, the attributes the loaders read) must equal h5py's; the
graphs loaded either way must be equal; anything the reader does not support must fall back to
h5py unnoticed; and damaged files must end in `Unsupported`, never in a crash or a hang.
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
from inspector.errors import InspectorError, LoadError
from inspector.loaders import hdf5 as hdf5_loader
from inspector.loaders import hdf5_lite
from inspector.loaders.hdf5 import WANTED_ATTRS, open_metadata
from inspector.loaders.hdf5_lite import EXTERNAL, HARD, SOFT, Unsupported, is_wanted, read_metadata

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures"
CORPUS = REPO.parent / "shared" / "corpus"
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"


def _model_files() -> list[Path]:
    files = sorted(FIXTURES.glob("*.h5")) + sorted(FIXTURES.glob("*.keras"))
    if CORPUS.is_dir():
        files += sorted(p for p in CORPUS.iterdir() if p.suffix in (".h5", ".hdf5", ".keras"))
    return files


def _hdf5_bytes(path: Path) -> bytes | None:
    """The HDF5 content of a model file: the file itself, or a .keras zip's model.weights.h5."""
    data = path.read_bytes()
    if data.startswith(HDF5_MAGIC):
        return data
    with zipfile.ZipFile(path) as archive:
        if "model.weights.h5" in archive.namelist():
            return archive.read("model.weights.h5")
    return None


def _plain(value):
    """An h5py attribute value as the lite reader gives it: bytes, str, numbers, lists."""
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        return value.item()
    return value


def h5py_view(fileobj) -> dict:
    with h5py.File(fileobj, "r") as f:
        links: list[tuple[str, int]] = []
        f.id.links.visit(lambda name, info: links.append((name.decode("utf-8", "replace"), info.type)), info=True)
        datasets, groups, externals = {}, {"": f}, {}
        for name, kind in links:
            if kind == h5py.h5l.TYPE_EXTERNAL:
                target = f.get(name, getlink=True)
                externals[name] = (target.filename, target.path)
            elif kind == h5py.h5l.TYPE_HARD:
                obj = f[name]
                if isinstance(obj, h5py.Dataset):
                    datasets[name] = (tuple(obj.shape), str(obj.dtype))
                elif isinstance(obj, h5py.Group):
                    groups[name] = obj
        attrs = {path: {k: _plain(g.attrs[k]) for k in g.attrs if is_wanted(k, WANTED_ATTRS)}
                 for path, g in groups.items()}
        names = {path: sorted(g.attrs) for path, g in groups.items()}
        return {"links": links, "datasets": datasets, "externals": externals, "attrs": attrs, "attr_names": names}


def lite_view(fileobj) -> dict:
    meta = read_metadata(fileobj, WANTED_ATTRS)
    return {
        "links": [(link.name, link.kind) for link in meta.links],
        "datasets": {link.name: (link.dataset.shape, link.dataset.dtype) for link in meta.links if link.dataset},
        "externals": {link.name: link.external for link in meta.links if link.kind == EXTERNAL},
        "attrs": meta.attrs,
        "attr_names": {path: sorted(names) for path, names in meta.attr_names.items()},
    }


def assert_same_view(data: bytes) -> dict:
    mine = lite_view(io.BytesIO(data))
    reference = h5py_view(io.BytesIO(data))
    for key in reference:
        assert mine[key] == reference[key], key
    return mine


@pytest.mark.parametrize("path", _model_files(), ids=lambda p: p.name)
def test_model_files_read_as_h5py_reads_them(path):
    data = _hdf5_bytes(path)
    if data is None:
        pytest.skip("no HDF5 content")
    view = assert_same_view(data)
    assert view["datasets"], "a model file with weights has arrays"


def _write_synthetic(path: Path, libver, userblock: int) -> None:
    """Every layout and type h5py writes into Keras files, and a few it might."""
    with h5py.File(path, "w", libver=libver, userblock_size=userblock) as f:
        f.attrs["model_config"] = json.dumps({"pad": "x" * 100_000})  # vlen, > 64 KiB: a global heap of its own
        f.attrs["keras_version"] = "2.4.0"
        f.attrs["backend"] = np.bytes_(b"tensorflow")  # fixed-length scalar
        f.attrs["training_config"] = "é ünïcode ✓"
        f.attrs["not_wanted"] = np.arange(3)
        many = f.create_group("model_weights")
        for i in range(300):  # dense link storage for the new format
            g = many.create_group(f"layer_{i}")
            g.attrs["weight_names"] = np.array([f"layer_{i}/kernel:0".encode(), f"layer_{i}/bias:0".encode()])
            g.create_dataset(f"layer_{i}/kernel:0", data=np.zeros((3, i % 5 + 1), "float32"))
            g.create_dataset(f"layer_{i}/bias:0", shape=(i % 5 + 1,), dtype="float16")
        many["layer_3"].attrs["weight_names"] = ["vlen/a", "vlen/b"]  # a vlen string array
        f.attrs["layer_names"] = np.array([f"layer_{i}".encode() for i in range(300)])
        kinds = f.create_group("kinds")
        for dtype in ("int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64",
                      "float16", "float32", "float64", "bool", "S7"):
            kinds.create_dataset(dtype, shape=(2, 3), dtype=dtype)
        kinds.create_dataset("vlen", shape=(2,), dtype=h5py.string_dtype())
        kinds.create_dataset("chunked", data=np.ones((100, 50), "float32"), chunks=(10, 10), compression="gzip")
        kinds.create_dataset("empty", shape=(0, 4), dtype="float32")
        kinds.create_dataset("scalar", data=3.0)
        kinds.create_dataset("resizable", shape=(2, 3), maxshape=(None, 3), dtype="float32")
        kinds.attrs["scalar_int"] = 7
        f["soft"] = h5py.SoftLink("/model_weights/layer_1")
        f["dangling"] = h5py.SoftLink("/nowhere")
        f["kinds/external"] = h5py.ExternalLink("other.h5", "/somewhere")
        f["hard_again"] = f["model_weights/layer_2"]  # a second hard link: visited once
        if libver != "earliest":  # the old format caps an attribute at 64 KiB
            f.attrs["huge_fixed"] = np.bytes_(b"y" * 200_000)
            kinds.attrs["model_config"] = np.bytes_(b"z" * 150_000)
            kinds.attrs["weight_names"] = np.array([b"w" * 100] * 1000)


@pytest.mark.parametrize("libver", ["earliest", "v108", "latest"])
@pytest.mark.parametrize("userblock", [0, 512, 1024])
def test_synthetic_layouts(tmp_path, libver, userblock, monkeypatch):
    path = tmp_path / "synthetic.h5"
    _write_synthetic(path, libver, userblock)
    used: set[str] = set()
    for cls, name in ((hdf5_lite._File, "_old_style"), (hdf5_lite._File, "_dense_links"),
                      (hdf5_lite._FractalHeap, "_huge"), (hdf5_lite._FractalHeap, "_indirect")):
        original = getattr(cls, name)
        monkeypatch.setattr(cls, name, lambda *a, _o=original, _n=name, **k: used.add(_n) or _o(*a, **k))
    view = assert_same_view(path.read_bytes())
    kinds = dict(view["links"])
    assert kinds["soft"] == SOFT and kinds["dangling"] == SOFT and kinds["kinds/external"] == EXTERNAL
    assert kinds["hard_again"] == HARD
    assert view["externals"]["kinds/external"] == ("other.h5", "/somewhere")
    assert view["datasets"]["kinds/bool"] == ((2, 3), "bool")
    assert view["datasets"]["kinds/vlen"] == ((2,), "object")
    assert view["datasets"]["kinds/empty"] == ((0, 4), "float32")
    assert view["attrs"][""]["training_config"] == "é ünïcode ✓"
    assert len(view["attrs"][""]["model_config"]) > 100_000
    assert "not_wanted" in view["attr_names"][""] and "not_wanted" not in view["attrs"][""]
    # The structures each format really uses were exercised, not just the easy ones.
    if libver == "earliest":
        assert "_old_style" in used
    else:
        assert {"_dense_links", "_huge", "_indirect"} <= used
        assert len(view["attrs"]["kinds"]["model_config"]) == 150_000


def test_fractal_heap_with_child_indirect_blocks(monkeypatch):
    """20,000 links outgrow the heap's root indirect block: objects sit two levels down."""
    buffer = io.BytesIO()
    with h5py.File(buffer, "w", libver="latest") as f:
        group = f.create_group("g")
        for i in range(20_000):
            group[f"link_with_a_longish_name_{i:06d}"] = h5py.SoftLink("/x")
    blocks: set[int] = set()
    original = hdf5_lite._FractalHeap._indirect
    monkeypatch.setattr(hdf5_lite._FractalHeap, "_indirect",
                        lambda self, addr, rows: blocks.add(addr) or original(self, addr, rows))
    view = assert_same_view(buffer.getvalue())
    assert len(view["links"]) == 20_001
    assert len(blocks) > 1


def test_weights_inside_keras_read_through_the_zip_window(fixtures_dir):
    """The .keras loader hands the reader a window on the zip, not a file of its own."""
    from inspector.loaders.keras_zip import _member_file

    path = fixtures_dir / "residual_projection.keras"
    with zipfile.ZipFile(path) as archive, open(path, "rb") as raw:
        window = _member_file(path, archive, raw, archive.getinfo("model.weights.h5"))
        mine = lite_view(window)
        assert mine == lite_view(io.BytesIO(archive.read("model.weights.h5")))
    assert mine["datasets"]


@pytest.mark.parametrize("path", _model_files(), ids=lambda p: p.name)
def test_graph_equal_with_and_without_lite_reader(path, monkeypatch):
    """The same graph, or the same refusal (a subclassed model in the corpus is refused)."""
    lite = _outcome(path)
    monkeypatch.setattr(hdf5_loader, "LITE", False)
    assert _outcome(path) == lite


def _outcome(path: Path):
    try:
        return inspector.load(path)
    except InspectorError as exc:
        return type(exc), exc.reason


def test_unsupported_content_falls_back_to_h5py(fixtures_dir, tmp_path, monkeypatch):
    """A big-endian array is beyond the lite reader: the load goes through h5py (in a child
    process, tests/test_hdf5_fallback.py), same graph."""
    path = tmp_path / "model.h5"
    shutil.copy(fixtures_dir / "dense_functional.h5", path)
    with h5py.File(path, "r+") as f:
        f.create_dataset("extra/big_endian", shape=(2,), dtype=">f4")
    with pytest.raises(Unsupported):
        read_metadata(io.BytesIO(path.read_bytes()), WANTED_ATTRS)
    with open_metadata(path) as meta:
        assert meta.reader == "h5py"
    readers = []
    original = hdf5_loader.read_in_child
    monkeypatch.setattr(hdf5_loader, "read_in_child", lambda *a: readers.append("h5py") or original(*a))
    fallback = inspector.load(path)
    assert readers == ["h5py"]
    reference = inspector.load(fixtures_dir / "dense_functional.h5")
    assert readers == ["h5py"], "the untouched file is read without h5py"
    assert dataclasses.replace(fallback, source=reference.source) == reference


def test_lite_path_reports_foreign_storage_itself(fixtures_dir, tmp_path, monkeypatch):
    """External links, external data files and virtual datasets are refused with the messages
    users know, without h5py being asked."""
    monkeypatch.setattr(hdf5_loader, "read_in_child", lambda *a: pytest.fail("fell back to h5py"))

    cases = {
        "external link": lambda f: f.__setitem__("model_weights/hidden_1", h5py.ExternalLink("o.h5", "/x")),
        "external file": lambda f: f.create_dataset("model_weights/hidden_1/ext", shape=(4,), dtype="f4",
                                                    external=[(str(tmp_path / "raw.bin"), 0, 16)]),
        "virtual": lambda f: f.create_virtual_dataset(
            "model_weights/hidden_1/virt", h5py.VirtualLayout(shape=(4,), dtype="f4")),
    }
    expected = {
        "external link": "HDF5 external link /model_weights/hidden_1 -> o.h5:/x; not followed",
        "external file": "dataset /model_weights/hidden_1/ext stores its data in another file; not followed",
        "virtual": "dataset /model_weights/hidden_1/virt stores its data in another file; not followed",
    }
    for case, edit in cases.items():
        path = tmp_path / f"{case.replace(' ', '_')}.h5"
        shutil.copy(fixtures_dir / "dense_functional.h5", path)
        with h5py.File(path, "r+") as f:
            if case == "external link":
                del f["model_weights/hidden_1"]
            edit(f)
        with pytest.raises(LoadError) as caught:
            inspector.load(path)
        # refused as before; the reason goes on to say S108 reports the reference
        assert caught.value.reason.startswith(expected[case] + "; it carries 1 security finding")


def _damaged(data: bytes, seed: int) -> bytes:
    rng = random.Random(seed)
    if seed % 3 == 0:
        return data[: rng.randrange(len(data))]
    damaged = bytearray(data)
    for _ in range(rng.randrange(1, 40)):
        i = rng.randrange(len(damaged))
        damaged[i] = rng.randrange(256) if seed % 3 == 1 else 0xFF
    return bytes(damaged)


@pytest.mark.parametrize("name", ["residual_projection.h5", "nested_submodel_k2.h5"])
def test_damaged_files_end_in_unsupported_or_a_result(fixtures_dir, name):
    """Truncated and corrupted copies: either a result or Unsupported (h5py then reports), never
    another exception, never a hang (every loop is bounded)."""
    data = (fixtures_dir / name).read_bytes()
    outcomes = set()
    for seed in range(300):
        try:
            read_metadata(io.BytesIO(_damaged(data, seed)), WANTED_ATTRS)
            outcomes.add("read")
        except Unsupported:
            outcomes.add("unsupported")
    assert "unsupported" in outcomes


def test_hostile_structures_are_refused(tmp_path):
    """Self-referencing continuation blocks and B-tree nodes pointing at themselves."""
    path = tmp_path / "loop.h5"
    with h5py.File(path, "w") as f:
        f.create_group("g")
    data = bytearray(path.read_bytes())
    tree = data.index(b"TREE")
    level = tree + 5
    data[level] = 1  # an internal node whose child is itself, as an old-style group's index
    child = tree + 8 + 2 * 8 + 8
    data[child:child + 8] = tree.to_bytes(8, "little")
    with pytest.raises(Unsupported):
        read_metadata(io.BytesIO(bytes(data)), WANTED_ATTRS)
    with pytest.raises(Unsupported, match="signature"):
        read_metadata(io.BytesIO(b"\x00" * 5000), WANTED_ATTRS)


IMPORT_PROBE = r"""
import json, sys
from inspector.cli import main
failed = []
for args in json.loads(sys.argv[1]):
    try:
        main(args, standalone_mode=False)
    except SystemExit as exc:
        if exc.code not in (0, None, 1):
            failed.append(args)
print(json.dumps({"failed": failed, "loaded": sorted(m for m in ("h5py", "numpy") if m in sys.modules)}))
"""


def test_summary_and_lint_import_neither_h5py_nor_numpy(fixtures_dir):
    files = sorted(fixtures_dir.glob("*.keras")) + sorted(fixtures_dir.glob("*.h5"))
    commands = [["summary", str(p)] for p in files] + [["lint", str(p)] for p in files]
    done = subprocess.run([sys.executable, "-c", IMPORT_PROBE, json.dumps(commands)], capture_output=True,
                          text=True, timeout=600, check=False)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"failed": [], "loaded": []}, done.stderr[-2000:]
