"""Hostile shapes of model files that once hung, crashed or blew up memory, each now refused in
one line at a documented limit (inspector/loaders/limits.py) or read within bounds."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from inspector.cli import main
from inspector.loaders import keras_zip


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def _strict(text: str):
    """Parse as RFC 8259 JSON: NaN and Infinity are not JSON."""
    return json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard JSON constant {c}"))


def _error(path: Path) -> str:
    code, out, err = _run("summary", str(path))
    assert code == 2 and out == "", (code, out, err)
    assert len(err.splitlines()) == 1 and "internal error" not in err, err
    return err.strip().removeprefix(f"inspect: error: {path}: ")


def _config(fixtures_dir: Path) -> dict:
    return json.loads((fixtures_dir / "dense_functional.json").read_text())


def test_config_nested_thousands_deep_is_refused_at_the_limit(fixtures_dir, tmp_path):
    deep_list = tmp_path / "deep_list.json"
    text = json.dumps(_config(fixtures_dir))
    deep_list.write_text(text[:-1] + ', "junk": ' + "[" * 5000 + "]" * 5000 + "}")
    assert _error(deep_list) == "the JSON is nested deeper than 100 levels; not read"

    model = _config(fixtures_dir)
    for i in range(200):  # a model nested in 200 Sequentials
        model = {"class_name": "Sequential", "config": {"name": f"s{i}", "layers": [model]}}
    nested = tmp_path / "nested.json"
    nested.write_text(json.dumps(model))
    assert _error(nested) == "the JSON is nested deeper than 100 levels; not read"


def test_a_model_nested_a_few_times_is_still_read(fixtures_dir, tmp_path):
    model = _config(fixtures_dir)
    for i in range(10):
        model = {"class_name": "Sequential", "config": {"name": f"s{i}", "layers": [model]}}
    path = tmp_path / "nested.json"
    path.write_text(json.dumps(model))
    code, out, err = _run("summary", "--format", "json", str(path))
    assert code == 0, err
    assert _strict(out)["total_params"] == _strict(_run("summary", "--format", "json",
                                                        str(fixtures_dir / "dense_functional.json"))[1])["total_params"]


def test_huge_integer_in_a_keras_zip_config(fixtures_dir, tmp_path):
    path = tmp_path / "huge.keras"
    with zipfile.ZipFile(fixtures_dir / "dense_functional.keras") as src, zipfile.ZipFile(path, "w") as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "config.json":
                data = data.replace(b'"units": 32', b'"units": ' + b"9" * 5001)
                assert b"9" * 5001 in data
            out.writestr(info.filename, data)
    assert _error(path) == "config.json holds a 5,001-digit integer; the limit is 100 digits"


def test_huge_tensor_index_allocates_nothing(fixtures_dir, tmp_path):
    """output_layers reading tensor 10,000,000 of a one-output layer allocated 5.6 GiB."""
    config = _config(fixtures_dir)
    config["config"]["output_layers"] = [["digit", 0, 10_000_000]]
    path = tmp_path / "index.json"
    path.write_text(json.dumps(config))
    assert _error(path) == ("a call reads output 10,000,000 of 'digit' call 0, which has 1 output(s): "
                            "more than the file references")


def test_nan_and_infinity_in_a_config_are_written_as_strict_json(fixtures_dir, tmp_path):
    config = _config(fixtures_dir)
    config["compile_config"]["loss_weights"] = [float("nan")]
    config["config"]["layers"][1]["config"]["units"] = float("inf")
    path = tmp_path / "nan.json"
    path.write_text(json.dumps(config))  # Python writes NaN and Infinity, as a careless tool would
    assert "NaN" in path.read_text() and "Infinity" in path.read_text()
    code, out, err = _run("summary", "--format", "json", str(path))
    assert code == 0, err
    assert _strict(out)["training"]["loss_weights"] == {"digit": "NaN"}
    for fmt in ("json", "sarif"):
        code, out, err = _run("lint", "--output-format", fmt, str(path))
        assert code in (0, 1), err
        _strict(out)


def test_compressed_weights_past_the_memory_bound_spill_to_disk(fixtures_dir, tmp_path, monkeypatch):
    """A deflated model.weights.h5 is inflated to a temporary file past the in-memory bound, and
    reads exactly as the stored original."""
    src = fixtures_dir / "residual_projection.keras"
    path = tmp_path / "deflated.keras"
    with zipfile.ZipFile(src) as z, zipfile.ZipFile(path, "w") as out:
        for info in z.infolist():
            method = zipfile.ZIP_DEFLATED if info.filename == "model.weights.h5" else zipfile.ZIP_STORED
            out.writestr(info.filename, z.read(info), compress_type=method)
    weights_size = zipfile.ZipFile(path).getinfo("model.weights.h5").file_size
    monkeypatch.setattr(keras_zip, "MAX_INFLATED_IN_MEMORY", 4096)
    assert weights_size > 4096
    spilled = []
    real = keras_zip._inflated

    def watched(*args):
        member = real(*args)
        spilled.append(member._rolled)  # SpooledTemporaryFile: True once written to disk
        return member

    monkeypatch.setattr(keras_zip, "_inflated", watched)
    code, out, err = _run("summary", "--format", "json", str(path))
    assert code == 0, err
    assert spilled == [True]
    expected = _strict(_run("summary", "--format", "json", str(src))[1])
    got = _strict(out)
    assert [(x["name"], x["params"], x["params_from"]) for x in got["layers"]] == \
           [(x["name"], x["params"], x["params_from"]) for x in expected["layers"]]
    assert got["total_params"] == expected["total_params"]


def _onnx_slice(path: Path, dims: list[int], init_dims: list[int] | None = None) -> Path:
    onnx = pytest.importorskip("onnx")
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    ints = [numpy_helper.from_array(np.array([v], np.int64), n) for n, v in (("starts", 0), ("ends", 2), ("axes", 1))]
    if init_dims is not None:
        ints[0].dims[:] = init_dims
    graph = helper.make_graph(
        [helper.make_node("Slice", ["X", "starts", "ends", "axes"], ["Y"], name="crop")], "g",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, dims)],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)], ints)
    onnx.save(helper.make_model(graph), str(path))
    return path


def test_onnx_negative_dims_never_reach_shape_inference(tmp_path):
    """onnx 1.23's Slice inference asserts on a negative dim and aborts the process (onnx#8481):
    run as a real process, which that abort would kill."""
    path = _onnx_slice(tmp_path / "neg.onnx", [3, -1])
    done = subprocess.run([sys.executable, "-m", "inspector", "summary", "--format", "json", str(path)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, (done.returncode, done.stderr)
    summary = _strict(done.stdout)
    assert summary["inputs"][0]["shape"] == [3, None]
    assert "negative dimensions read as unknown in 1 value(s): X" in summary["notes"]


def test_onnx_initializer_with_a_negative_dim_is_refused(tmp_path):
    path = _onnx_slice(tmp_path / "neginit.onnx", [3, 4], init_dims=[-1])
    assert _error(path) == "initializer 'starts' has a negative dimension [-1]: the file is invalid"


def test_onnx_shape_inference_that_aborts_leaves_shapes_unknown(tmp_path):
    """A consistent file can still drive inference into a negative dim: a 5x5 kernel on a 2x2
    image, then a Slice. onnx aborts; the forked child takes the abort, inspect says so."""
    onnx = pytest.importorskip("onnx")
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    ints = [numpy_helper.from_array(np.array([v], np.int64), n) for n, v in (("starts", 0), ("ends", 4), ("axes", 2))]
    graph = helper.make_graph(
        [helper.make_node("Conv", ["img", "k"], ["c"], name="conv"),
         helper.make_node("Slice", ["c", "starts", "ends", "axes"], ["y"], name="crop")], "g",
        [helper.make_tensor_value_info("img", TensorProto.FLOAT, [1, 2, 2, 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [numpy_helper.from_array(np.ones((4, 2, 5, 5), np.float32), "k"), *ints])
    path = tmp_path / "conv.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    done = subprocess.run([sys.executable, "-m", "inspector", "summary", "--format", "json", str(path)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert (done.returncode, done.stderr) == (0, "")
    summary = _strict(done.stdout)
    assert ("ONNX shape inference failed on this file, so shapes it does not store are unknown: "
            "it crashed (signal 6, SIGABRT)") in summary["notes"]
    assert summary["layers"][1]["params"] == 200  # the kernel is still counted, exactly


def test_a_module_that_is_no_string_is_no_internal_error(fixtures_dir, tmp_path):
    """Found by the fuzz benchmark: a layer's stored `module` of 7 reached a rule as an int."""
    config = _config(fixtures_dir)
    config["config"]["layers"][1]["module"] = 7
    path = tmp_path / "module.json"
    path.write_text(json.dumps(config))
    code, out, err = _run("lint", "--output-format", "json", str(path))
    assert code in (0, 1) and err == "", (code, err)
    _strict(out)


# -- render, docs, diff and export: the same contract as lint ----------------------------------------
def _one_line(code: int, err: str, path: Path) -> str:
    assert code == 2, (code, err)
    lines = [line for line in err.splitlines() if not line.startswith("inspect: warning: ")]
    assert len(lines) == 1 and lines[0].startswith(f"inspect: error: {path}: ") and "internal error" not in err, err
    return lines[0].removeprefix(f"inspect: error: {path}: ")


def _long_sequential(fixtures_dir: Path, tmp_path: Path, layers: int) -> Path:
    """dense_sequential's config with `layers` Dense layers after its input: what a grown
    config (the fuzzer's `grow`) looks like, drawn as a chain of that many nodes."""
    with zipfile.ZipFile(fixtures_dir / "dense_sequential.keras") as archive:
        config = json.loads(archive.read("config.json"))
    first, dense = config["config"]["layers"][0], config["config"]["layers"][1]
    grown = [json.loads(json.dumps(dense).replace(json.dumps(dense["config"]["name"]), json.dumps(f"d{i}")))
             for i in range(layers)]
    config["config"]["layers"] = [first, *grown]
    path = tmp_path / f"chain{layers}.json"
    path.write_text(json.dumps(config))
    return path


def test_a_diagram_over_the_node_limit_is_refused_in_one_line(fixtures_dir, tmp_path):
    """Graphviz took over an hour on a damaged file of tens of thousands of layers: every format
    refuses past MAX_NODES, naming the limit and the ways to draw the model; --max-nodes raises it."""
    from inspector.diagram.model import MAX_NODES

    model = _long_sequential(fixtures_dir, tmp_path, MAX_NODES + 500)
    for fmt in ("svg", "png", "pdf", "dot", "mmd", "html"):
        code, _, err = _run("render", str(model), "-o", str(tmp_path / f"m.{fmt}"))
        reason = _one_line(code, err, model)
        assert reason.startswith(f"the diagram has {MAX_NODES + 501:,} nodes, over the {MAX_NODES:,} drawn at most")
        assert "--from/--to" in reason and "--collapse auto" in reason and "--max-nodes" in reason
        assert not (tmp_path / f"m.{fmt}").exists()
    code, _, err = _run("render", str(model), "-o", str(tmp_path / "m.dot"), "--max-nodes", "0")
    assert code == 0 and (tmp_path / "m.dot").read_text().count(" [id=") == MAX_NODES + 501, err

    # docs: the model it cannot draw is one error line; the other model's page is still written
    small = fixtures_dir / "dense_functional.keras"
    code, _, err = _run("docs", str(model), str(small), "-o", str(tmp_path / "docs"), "--no-lint")
    assert _one_line(code, err, model).startswith("the diagram has")
    assert (tmp_path / "docs" / "dense_functional.md").is_file() and not (tmp_path / "docs" / f"{model.stem}.md").exists()


def test_graphviz_runs_within_a_time_and_a_memory_bound(fixtures_dir, tmp_path, monkeypatch):
    """Graphviz is an external program: past its bounds it is stopped and the drawing refused in
    one line naming the model, for every command that runs it."""
    from inspector import diagram

    model = fixtures_dir / "inception_module.keras"
    monkeypatch.setattr(diagram, "GRAPHVIZ_SECONDS", 0.001)
    for args in (("render", str(model), "-o", str(tmp_path / "m.svg")),
                 ("render", str(model), "-o", str(tmp_path / "m.html")),
                 ("docs", str(model), "-o", str(tmp_path / "docs"))):
        reason = _one_line(*_run(*args)[::2], model)
        assert reason.startswith("Graphviz did not finish laying out the diagram in 0.001 s: draw part of it"), reason
    code, _, err = _run("diff", str(fixtures_dir / "residual_identity.keras"), str(model), "-o", str(tmp_path / "d.svg"))
    assert _one_line(code, err, model).startswith("Graphviz did not finish")
    monkeypatch.setattr(diagram, "GRAPHVIZ_SECONDS", 120)
    monkeypatch.setattr(diagram, "GRAPHVIZ_MEMORY", 30 * 2**20)  # dot maps more than that to start
    reason = _one_line(*_run("render", str(model), "-o", str(tmp_path / "m.png"))[::2], model)
    assert reason.startswith("Graphviz failed drawing the diagram (") and "within its 30 MiB of memory" in reason
    assert not (tmp_path / "m.png").exists()


def test_a_legend_of_thousands_of_layers_stays_within_graphviz_limits(fixtures_dir, tmp_path):
    """One finding over 3,000 layers made an HTML label over Graphviz's 16 KiB: it refused the file."""
    import inspector
    from inspector.diagram import RenderOptions, render
    from inspector.engine import Finding

    graph = inspector.load(fixtures_dir / "dense_functional.keras")
    finding = Finding(path=str(graph.source.path), code="A101", name="x", severity="warning", message="m",
                      layers=tuple(f"layer_{i}" for i in range(3000)))
    render(graph, tmp_path / "m.svg", RenderOptions(findings=(finding,) * 40))
    svg = (tmp_path / "m.svg").read_text()
    assert "layer_0, layer_1" in svg and "and 2,994 more" in svg and "and 15 more findings" in svg


def _export(path: Path, tmp_path: Path) -> str:
    out = tmp_path / "out.onnx"
    code, _, err = _run("export", str(path), "-o", str(out), "--no-verify", "--converter", "native")
    return _one_line(code, err, path)


def _rezip(src: Path, dst: Path, edit) -> Path:
    with zipfile.ZipFile(src) as archive:
        members = [(i.filename, archive.read(i)) for i in archive.infolist()]
    with zipfile.ZipFile(dst, "w") as out:
        for name, data in edit(members):
            out.writestr(name, data)
    return dst


def test_export_refuses_a_config_value_of_the_wrong_type(fixtures_dir, tmp_path):
    def edit(members):
        for name, data in members:
            if name == "config.json":
                config = json.loads(data)
                next(l for l in config["config"]["layers"] if l["config"]["name"] == "conv_2")["config"]["strides"] = "x"
                data = json.dumps(config).encode()
            yield name, data

    path = _rezip(fixtures_dir / "conv1d_classifier.keras", tmp_path / "strides.keras", edit)
    assert _export(path, tmp_path) == ("layer 'conv_2' (Conv1D): its config holds a value the native converter "
                                       "cannot read (ValueError: invalid literal for int() with base 10: 'x')")


def test_export_refuses_weights_removed_from_the_file(fixtures_dir, tmp_path):
    import h5py

    group_gone, dataset_gone = tmp_path / "group.h5", tmp_path / "dataset.h5"
    for path in (group_gone, dataset_gone):
        path.write_bytes((fixtures_dir / "dense_functional.h5").read_bytes())
    with h5py.File(group_gone, "r+") as f:
        del f["model_weights/hidden_2"]
    with h5py.File(dataset_gone, "r+") as f:
        del f["model_weights/hidden_2/hidden_2/kernel"]
    assert "'hidden_2'" in _export(group_gone, tmp_path)
    assert _export(dataset_gone, tmp_path).startswith("layer 'hidden_2'")


def test_export_refuses_an_npz_without_arrays_and_a_duplicated_weights_member(fixtures_dir, tmp_path):
    import io

    import numpy as np

    empty = io.BytesIO()
    np.savez(empty)
    npz = _rezip(fixtures_dir / "dense_functional.keras", tmp_path / "npz.keras",
                 lambda members: [(n, d) for n, d in members if n != "model.weights.h5"]
                 + [("model.weights.npz", empty.getvalue())])
    assert _export(npz, tmp_path) == "layer 'hidden_1' (Dense): the file stores no weights for it"
    duplicate = _rezip(fixtures_dir / "dense_functional.keras", tmp_path / "duplicate.keras",
                       lambda members: members + [(n, d[: len(d) // 2]) for n, d in members if n == "model.weights.h5"])
    reason = _export(duplicate, tmp_path)  # the last of a name is read, as Keras reads it: half a file
    assert "HDF5" in reason or "truncated" in reason or "cannot be read" in reason, reason


def test_export_of_a_zip_bomb_stays_in_bounded_memory(fixtures_dir, tmp_path):
    """A weights member deflated from 200 MiB (the fuzzer's `padded`): read into memory whole, it
    made an export run out of memory; inflated in bounded chunks now, as the loader reads it."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from common import measure

    original = fixtures_dir / "inception_module.keras"
    with zipfile.ZipFile(original) as archive:
        members = [(i.filename, archive.read(i)) for i in archive.infolist()]
    bomb = tmp_path / "bomb.keras"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as out:
        for name, data in members:
            out.writestr(name, data + bytes(200 * 2**20) if name == "model.weights.h5" else data)
    peaks = [measure([sys.executable, "-m", "inspector", "export", str(p), "-o", str(tmp_path / "m.onnx"),
                      "--no-verify", "--converter", "native"], runs=1, warmup=0, ok_codes=(0,)).peak_mib
             for p in (original, bomb)]
    assert peaks[1] < peaks[0] + 100, peaks  # at most the 64 MiB kept in memory before spilling to disk


def test_docs_on_an_onnx_graph_of_20000_nodes_is_one_line(tmp_path):
    """An ONNX graph grown by a chain of 20,000 Relu nodes past its output (the fuzzer's `grow`):
    one lint finding covers the dead chain, and marking it on the diagram searched every finding's
    layers for every node, for minutes; now the page is refused at the node limit in one line."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    nodes = [helper.make_node("Relu", ["x"], ["y"], name="out")]
    nodes += [helper.make_node("Relu", ["y" if i == 0 else f"r{i - 1}"], [f"r{i}"], name=f"relu_{i}")
              for i in range(20_000)]
    graph = helper.make_graph(nodes, "chain", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])])
    path = tmp_path / "chain.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    code, _, err = _run("docs", str(path), "-o", str(tmp_path / "docs"))
    assert _one_line(code, err, path).startswith("the diagram has 20,002 nodes, over the 2,000 drawn at most")
    code, out, err = _run("lint", str(path), "--output-format", "json")
    assert [len(f["layers"]) for f in json.loads(out)] == [20_000], err  # the finding marked on the nodes


@pytest.mark.parametrize("suffix", [".html", ".svg", ".dot", ".mmd"])
def test_a_layer_name_with_a_lone_surrogate_is_drawn_with_its_escape(fixtures_dir, tmp_path, suffix):
    """A damaged name (a JSON `\\udcf8` escape, or HDF5 bytes read with surrogateescape) is text
    that strict UTF-8 refuses: the page, the diagram and Graphviz get it as its escape."""
    text = (fixtures_dir / "dense_functional.json").read_text()
    assert '"hidden_1"' in text
    damaged = tmp_path / "damaged.json"
    damaged.write_text(text.replace('"hidden_1"', '"hid\\udcf8den"'))
    out = tmp_path / f"page{suffix}"
    result = CliRunner().invoke(main, ["render", str(damaged), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "hid\\udcf8den" in out.read_bytes().decode("utf-8")
    docs = CliRunner().invoke(main, ["docs", str(damaged), "-o", str(tmp_path / "docs")])
    assert docs.exit_code == 0, docs.output
    assert any("hid\\udcf8den" in p.read_text(encoding="utf-8") for p in (tmp_path / "docs").iterdir()
               if p.suffix == ".md")
