"""`inspect render`: every fixture and keras.applications model drawn to every format, checked
structurally (SVG parsed as XML, one node per layer call, Mermaid edges only between declared
nodes), plus shared layers, nested clusters, collapsing, ranges, lint outlines and missing Graphviz."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import inspector
from inspector.diagram import (
    FORMATS,
    GraphvizMissing,
    RenderOptions,
    build_diagram,
    render,
    render_bytes,
)
from inspector.diagram.theme import FAMILIES, SEVERITY, TEXT, THEMES, contrast
from inspector.errors import InspectorError, UsageError

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures"
SVG = "{http://www.w3.org/2000/svg}"
FIXTURE_FILES = sorted(
    p for ext in ("*.keras", "*.h5", "*.json") for p in FIXTURES.glob(ext) if p.name != "manifest.json"
)


# -- structural checks ---------------------------------------------------------------------------
def svg_nodes(data: bytes) -> dict[str, str]:
    """{node id: all text inside the node} for the layer/block nodes of a Graphviz SVG."""
    root = ET.fromstring(data)
    nodes = {}
    for g in root.iter(f"{SVG}g"):
        gid = g.get("id", "")
        if g.get("class") == "node" and gid.startswith("node:"):
            nodes[gid[len("node:"):]] = " ".join(t.text or "" for t in g.iter(f"{SVG}text"))
    return nodes


_DECL = re.compile(r'^\s*(n\d+)(\(\[|\[\[|\{\{|\[)"')
_EDGE = re.compile(r'^\s*(n\d+) (-->|-\.-)(\|"[^"]*"\|)? (n\d+)$')


def parse_mermaid(text: str) -> tuple[dict[str, str], list[tuple[str, str, str]]]:
    """Declared nodes {id: label} and edges (src, kind, dst); fails on duplicates or dangling edges."""
    lines = text.splitlines()
    assert lines[1].startswith("flowchart "), lines[:2]
    nodes: dict[str, str] = {}
    edges = []
    depth = 0
    for line in lines[2:]:
        s = line.strip()
        if s.startswith("subgraph "):
            depth += 1
        elif s == "end":
            depth -= 1
        elif m := _DECL.match(line):
            assert m.group(1) not in nodes, f"node id {m.group(1)} declared twice"
            nodes[m.group(1)] = s
        elif m := _EDGE.match(line):
            edges.append((m.group(1), m.group(2), m.group(4)))
        else:
            assert s.startswith(("classDef ", "class ", "style ", "linkStyle ", "%%")), line
    assert depth == 0, "unbalanced subgraph/end"
    for src, _, dst in edges:
        assert src in nodes and dst in nodes, f"edge {src} -> {dst} refers to an undeclared node"
    return nodes, edges


def check_svg(graph, data: bytes, options: RenderOptions | None = None) -> dict[str, str]:
    diagram = build_diagram(graph, options)
    nodes = svg_nodes(data)
    assert set(nodes) == {n.id for n in diagram.nodes}
    for n in diagram.nodes:
        assert n.name in nodes[n.id]
    return nodes


def top_level_call_ids(graph) -> set[str]:
    return {c.id for c in graph.calls}


# -- every fixture, every format -------------------------------------------------------------------
@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.name)
def test_fixture_renders_to_every_format(path: Path, tmp_path: Path) -> None:
    graph = inspector.load(path)
    for fmt in FORMATS:
        out = tmp_path / f"model.{fmt}"
        render(graph, out)
        data = out.read_bytes()
        assert data, fmt
        if fmt == "svg":
            nodes = check_svg(graph, data)
            assert set(nodes) == top_level_call_ids(graph)  # one node per layer call
            for call in graph.calls:
                assert call.layer in nodes[call.id]
        elif fmt == "mmd":
            declared, edges = parse_mermaid(data.decode())
            assert len(declared) == len(graph.calls)
            assert sum(1 for e in edges if e[1] == "-->") == len({(graph.tensors[t].producer, c.id)
                                                                  for c in graph.calls for t in c.inputs})
        elif fmt == "md":
            text = data.decode()
            assert text.startswith("```mermaid\n") and "\n```\n" in text
            parse_mermaid(text.split("```mermaid\n", 1)[1].split("```", 1)[0])
        elif fmt == "png":
            assert data.startswith(b"\x89PNG")
        elif fmt == "pdf":
            assert data.startswith(b"%PDF")
        elif fmt == "dot":
            assert data.decode().startswith("digraph ")
        elif fmt == "html":  # the interactive page (tests/test_html_page.py loads it in a browser)
            assert data.startswith(b"<!DOCTYPE html>") and data.count(b'class="node') >= len(graph.calls)


@pytest.mark.parametrize("name", ["savedmodel_k2"])
def test_savedmodel_renders(name: str, tmp_path: Path) -> None:
    if not (FIXTURES / name).is_dir():
        pytest.skip("fixture missing")
    graph = inspector.load(FIXTURES / name)
    render(graph, tmp_path / "m.svg")
    check_svg(graph, (tmp_path / "m.svg").read_bytes())


def test_output_is_deterministic(tmp_path: Path) -> None:
    graph = inspector.load(FIXTURES / "inception_module.keras")
    again = inspector.load(FIXTURES / "inception_module.keras")
    for fmt in ("dot", "mmd", "md", "svg", "pdf"):
        first = render_bytes(build_diagram(graph), fmt)
        if fmt == "pdf":
            time.sleep(1.1)  # cairo writes the clock's second into a PDF: the second draw is in another
        assert first == render_bytes(build_diagram(again), fmt), fmt


# -- what the drawing says -------------------------------------------------------------------------
def test_siamese_shared_lstm_is_one_layer_called_twice(tmp_path: Path) -> None:
    graph = inspector.load(FIXTURES / "siamese_shared_lstm.keras")
    render(graph, tmp_path / "s.svg")
    nodes = svg_nodes((tmp_path / "s.svg").read_bytes())
    lstm = {k: v for k, v in nodes.items() if k.startswith("shared_lstm")}
    assert set(lstm) == {"shared_lstm[0]", "shared_lstm[1]"}
    assert all("shared ×2" in text for text in lstm.values())
    assert "call 1" in lstm["shared_lstm[0]"] and "call 2" in lstm["shared_lstm[1]"]
    dot = render_bytes(build_diagram(graph), "dot").decode()
    assert re.search(r'"shared_lstm\[0\]" -> "shared_lstm\[1\]" \[dir=none style=dashed.*same weights', dot)
    declared, edges = parse_mermaid(render_bytes(build_diagram(graph), "mmd").decode())
    dashed = [(a, b) for a, kind, b in edges if kind == "-.-"]
    assert len(dashed) == 1
    assert all("shared_lstm" in declared[x] for x in dashed[0])
    # the unshared twin has no such link
    unshared = build_diagram(inspector.load(FIXTURES / "siamese_unshared_lstm.keras"))
    assert unshared.shared == () and all(n.call_count == 1 for n in unshared.nodes)


def test_inputs_and_outputs_set_apart() -> None:
    graph = inspector.load(FIXTURES / "qa_two_inputs.keras")
    d = build_diagram(graph)
    assert {n.name for n in d.nodes if n.kind == "input"} == {"text", "question"}
    assert [n.name for n in d.nodes if n.is_output] == ["answer"]
    dot = render_bytes(d, "dot").decode()
    assert '{ rank=source; "text[0]" "question[0]" }' in dot or '{ rank=source; "question[0]" "text[0]" }' in dot


def test_shapes_and_params_can_be_hidden() -> None:
    graph = inspector.load(FIXTURES / "dense_functional.keras")
    full = render_bytes(build_diagram(graph), "dot").decode()
    assert "(None, 32)" in full and "params" in full
    bare = render_bytes(build_diagram(graph, RenderOptions(show_shapes=False, show_params=False)), "dot").decode()
    assert "(None, 32)" not in bare and "params" not in bare


def test_nested_model_collapsed_or_expanded(tmp_path: Path) -> None:
    graph = inspector.load(FIXTURES / "nested_submodel.keras")
    flat = build_diagram(graph)
    assert [n.kind for n in flat.nodes if n.name == "encoder"] == ["model"] and not flat.clusters
    deep = build_diagram(graph, RenderOptions(depth=-1))
    assert [c.id for c in deep.clusters] == ["encoder", "encoder/projector"]
    inner = {n.name: n.cluster for n in deep.nodes}
    assert inner == {"pixels": None, "encoder_dense": "encoder", "projector_dense": "encoder/projector",
                     "digit": None}
    one = build_diagram(graph, RenderOptions(depth=1))
    assert [c.id for c in one.clusters] == ["encoder"]
    assert {n.name: n.kind for n in one.nodes}["projector"] == "model"
    # edges go through the expanded model: pixels -> encoder_dense -> projector_dense -> digit
    assert {(e.src, e.dst) for e in deep.edges} == {
        ("pixels[0]", "encoder/encoder_dense[0]"),
        ("encoder/encoder_dense[0]", "encoder/projector/projector_dense[0]"),
        ("encoder/projector/projector_dense[0]", "digit[0]"),
    }
    render(graph, tmp_path / "n.svg", RenderOptions(depth=-1))
    check_svg(graph, (tmp_path / "n.svg").read_bytes(), RenderOptions(depth=-1))
    assert 'id="cluster_encoder"' in (tmp_path / "n.svg").read_text() or "cluster_encoder" in (
        tmp_path / "n.svg").read_text()


def test_dot_and_mermaid_nest_from_one_cluster_walk() -> None:
    """The cluster tree is built once (Diagram.nesting); both renderers open and close the same
    clusters around the same nodes, in the same order."""
    graph = inspector.load(FIXTURES / "nested_submodel.keras")
    d = build_diagram(graph, RenderOptions(depth=-1))
    events = [(kind, depth, item.id) for kind, depth, item in d.nesting()]
    assert events == [
        ("node", 0, "pixels[0]"), ("node", 0, "digit[0]"),
        ("open", 0, "encoder"), ("node", 1, "encoder/encoder_dense[0]"),
        ("open", 1, "encoder/projector"), ("node", 2, "encoder/projector/projector_dense[0]"),
        ("close", 1, "encoder/projector"), ("close", 0, "encoder"),
    ]
    ids = {n.id: f"n{i}" for i, n in enumerate(d.nodes)} | {c.id: f"c{i}" for i, c in enumerate(d.clusters)}
    dot_lines = render_bytes(d, "dot").decode().splitlines()
    dot_seq = [("open", x) if x.startswith("cluster_") else ("node", x) for line in dot_lines
               if (x := (re.match(r'\s*(?:subgraph )?"([^"]+)" [\[{]', line) or [None, None])[1])]
    mmd_seq = [("open", m.group(1)) if line.strip().startswith("subgraph") else ("node", m.group(1))
               for line in render_bytes(d, "mmd").decode().splitlines() if (m := _DECL.match(line))
               or (m := re.match(r"\s*subgraph (c\d+)\[", line))]
    walk = [(k, i) for k, _, i in events if k != "close"]
    assert dot_seq == [(k, "cluster_" + i if k == "open" else i) for k, i in walk]
    assert mmd_seq == [(k, ids[i]) for k, i in walk]
    # nothing but the walk nests: no renderer builds its own tree any more
    for module in ("dot", "mermaid"):
        source = (REPO / "inspector" / "diagram" / f"{module}.py").read_text()
        assert "d.nesting()" in source and "children" not in source


def test_lint_outlines_the_finding_layers(tmp_path: Path) -> None:
    from inspector.engine import all_rules, lint_graph

    graph = inspector.load(FIXTURES / "siamese_unshared_lstm.keras")
    findings = tuple(lint_graph(graph, all_rules()))
    assert findings, "the fixture's expected finding is missing"
    flagged = {layer for f in findings for layer in f.layers}
    d = build_diagram(graph, RenderOptions(findings=findings))
    marked = {n.name for n in d.nodes if n.findings}
    assert marked == flagged
    out = tmp_path / "l.svg"
    render(graph, out, RenderOptions(findings=findings))
    root = ET.fromstring(out.read_bytes())
    for g in root.iter(f"{SVG}g"):
        gid = g.get("id", "")
        if not gid.startswith("node:"):
            continue
        strokes = {p.get("stroke") for p in g.iter() if p.get("stroke")}
        name = gid[5:].split("[")[0]
        colour = SEVERITY[findings[0].severity]
        assert (colour in strokes) == (name in flagged), (gid, strokes)
        if name in flagged:
            assert findings[0].code in " ".join(t.text or "" for t in g.iter(f"{SVG}text"))
    legend = next(g for g in root.iter(f"{SVG}g") if g.get("id") == "legend:lint")
    assert findings[0].name in " ".join(t.text or "" for t in legend.iter(f"{SVG}text"))


def test_cli_render_lint_and_errors(tmp_path: Path) -> None:
    exe = [sys.executable, "-m", "inspector"]
    out = tmp_path / "b.mmd"
    r = subprocess.run(exe + ["render", str(FIXTURES / "bias_before_bn.keras"), "-o", str(out), "--lint"],
                       check=False, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.rstrip().endswith(", 1 finding") and "N102" in out.read_text()
    r = subprocess.run(exe + ["render", str(FIXTURES / "bias_before_bn.keras"), "-o", str(tmp_path / "x.gif")],
                       check=False, capture_output=True, text=True)
    assert r.returncode == 2 and "suffix" in r.stderr and "Traceback" not in r.stderr
    model = str(FIXTURES / "bias_before_bn.keras")
    r = subprocess.run(exe + ["render", model, "-o", str(tmp_path / "x.svg"), "--from", "no_such_layer"],
                       check=False, capture_output=True, text=True)
    assert r.returncode == 2
    assert r.stderr == f"inspect: error: {model}: --from no_such_layer: the model has no layer of that name\n"
    layers = inspector.load(model).layers
    first, last = layers[0].name, layers[-1].name
    r = subprocess.run(exe + ["render", model, "-o", str(tmp_path / "x.svg"), "--from", last, "--to", first],
                       check=False, capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.startswith(f"inspect: error: {model}: no path from {last} to {first}")


def test_render_refuses_a_missing_output_folder(tmp_path: Path) -> None:
    """Like `export`: a mistyped folder is an error, not a new folder tree."""
    model = str(FIXTURES / "dense_functional.keras")
    out = tmp_path / "new" / "deep" / "x.svg"
    r = subprocess.run([sys.executable, "-m", "inspector", "render", model, "-o", str(out)],
                       check=False, capture_output=True, text=True)
    assert r.returncode == 2
    assert r.stderr == f"inspect: error: {out}: the folder {out.parent} does not exist\n"
    assert not (tmp_path / "new").exists()
    with pytest.raises(UsageError, match="does not exist"):
        render(inspector.load(model), out)
    render(inspector.load(model), tmp_path / "here.dot")  # an existing folder still works
    assert (tmp_path / "here.dot").read_text().startswith("digraph")


# -- no Graphviz -----------------------------------------------------------------------------------
def test_missing_dot_program(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    graph = inspector.load(FIXTURES / "siamese_shared_lstm.keras")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    for fmt in ("dot", "mmd", "md"):
        render(graph, tmp_path / f"ok.{fmt}")
        assert (tmp_path / f"ok.{fmt}").stat().st_size > 0
    for fmt in ("svg", "png", "pdf"):
        with pytest.raises(GraphvizMissing, match="apt-get install graphviz") as caught:
            render(graph, tmp_path / f"no.{fmt}")
        assert caught.value.path == str(tmp_path / f"no.{fmt}")
        assert not (tmp_path / f"no.{fmt}").exists()


def test_missing_dot_program_cli(tmp_path: Path) -> None:
    env = dict(os.environ, PATH=str(tmp_path / "empty"))
    cmd = [sys.executable, "-m", "inspector", "render", str(FIXTURES / "dense_functional.keras"), "-o"]
    r = subprocess.run(cmd + [str(tmp_path / "m.svg")], check=False, capture_output=True, text=True, env=env)
    assert r.returncode == 2
    assert r.stderr.startswith(f"inspect: error: {tmp_path / 'm.svg'}: the Graphviz `dot` program is not installed")
    assert "brew install graphviz" in r.stderr and len(r.stderr.splitlines()) == 1
    r = subprocess.run(cmd + [str(tmp_path / "m.dot")], check=False, capture_output=True, text=True, env=env)
    assert r.returncode == 0 and (tmp_path / "m.dot").read_text().startswith("digraph")


# -- colours ---------------------------------------------------------------------------------------
def test_palette_is_legible_on_light_and_dark_pages() -> None:
    for fam in FAMILIES.values():
        assert contrast(TEXT, fam.fill) >= 7, fam  # label text on its node
        assert contrast(fam.fill, THEMES["dark"].background) >= 7, fam  # node visible on a dark page
        assert contrast(fam.border, "#ffffff") >= 3, fam  # node outline visible on a white page
    for colour in SEVERITY.values():
        assert contrast(colour, "#ffffff") >= 3
    for theme in ("light", "dark"):
        assert contrast(THEMES[theme].edge, THEMES[theme].background) >= 4.5
    # `auto` (transparent) edges must stay readable on both
    assert contrast(THEMES["auto"].edge, "#ffffff") >= 3.5
    assert contrast(THEMES["auto"].edge, "#0d1117") >= 3.5


# -- keras.applications ----------------------------------------------------------------------------
@pytest.fixture()
def applications(keras_applications):
    """name -> .keras path of the session's shared keras.applications models (tests/conftest.py)."""
    return lambda name: keras_applications(name).keras


def test_application_renders(application_name: str, applications, tmp_path: Path) -> None:
    name = application_name
    graph = inspector.load(applications(name))
    for fmt in FORMATS:  # every format, uncollapsed: png and pdf add about 15 s for the eight
        out = tmp_path / f"m.{fmt}"
        render(graph, out)
        data = out.read_bytes()
        if fmt == "svg":
            nodes = check_svg(graph, data)
            assert len(nodes) == len(graph.calls)
        elif fmt in ("mmd", "md"):
            declared, _ = parse_mermaid(data.decode().removeprefix("```mermaid\n").split("```", 1)[0])
            assert len(declared) == len(graph.calls)
        elif fmt == "png":
            assert data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR"
            width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
            assert width > 100 and height > 100
        elif fmt == "pdf":
            assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
        elif fmt == "html":
            assert data.startswith(b"<!DOCTYPE html>") and data.count(b'class="node') == len(graph.calls)
        else:
            assert data.decode().startswith("digraph ") and data.decode().count(" [id=") == len(graph.calls)
    collapsed = build_diagram(graph, RenderOptions(collapse=("auto",)))
    assert len(collapsed.nodes) < len(graph.calls) / 3 or name in ("VGG16", "InceptionV3")


@pytest.mark.slow
def test_collapsed_resnet50_has_one_node_per_block(applications, tmp_path: Path) -> None:
    graph = inspector.load(applications("ResNet50"))
    blocks = {m.group(0) for layer in graph.layers if (m := re.match(r"conv\d_block\d+", layer.name))}
    assert len(blocks) == 16
    options = RenderOptions(collapse=("auto",), rankdir="LR")
    d = build_diagram(graph, options)
    block_nodes = {n.name for n in d.nodes if n.kind == "block"}
    assert blocks <= block_nodes
    assert block_nodes - blocks <= {"conv1"}  # the stem may fold into one block too
    for n in d.nodes:
        if n.name in blocks:
            members = [layer for layer in graph.layers if layer.name.startswith(n.name + "_")]
            assert n.layer_count == len(members)
            assert n.params == sum(layer.params for layer in members)
    out = tmp_path / "r.svg"
    render(graph, out, options)
    nodes = svg_nodes(out.read_bytes())
    assert {k for k in nodes if k.startswith("block:conv") and "_block" in k} == {f"block:{b}" for b in blocks}
    declared, _ = parse_mermaid(render_bytes(d, "mmd").decode())
    assert len(declared) == len(d.nodes)
    # by prefix: only the named block collapses
    one = build_diagram(graph, RenderOptions(collapse=("conv3_block2",)))
    assert [n.name for n in one.nodes if n.kind == "block"] == ["conv3_block2"]
    assert len(one.nodes) == len(graph.calls) - 10 + 1


@pytest.mark.slow
def test_collapsed_nasnet_has_one_node_per_cell(applications) -> None:
    graph = inspector.load(applications("NASNetMobile"))
    d = build_diagram(graph, RenderOptions(collapse=("auto",)))
    cells = sorted(n.name for n in d.nodes if n.kind == "block")
    assert [c for c in cells if c.startswith("normal_*_")] == sorted(f"normal_*_{i}" for i in (0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12))
    assert {"reduction_*_stem_1", "reduction_*_stem_2", "reduction_*_reduce_4", "reduction_*_reduce_8"} <= set(cells)
    assert len(d.nodes) < 40


@pytest.mark.slow
def test_from_to_draws_the_range(applications, tmp_path: Path) -> None:
    graph = inspector.load(applications("ResNet50"))
    options = RenderOptions(start="conv2_block3_out", stop="conv3_block1_out")
    d = build_diagram(graph, options)
    names = {n.name for n in d.nodes}
    expected = {"conv2_block3_out", "conv3_block1_out"} | {
        layer.name for layer in graph.layers if layer.name.startswith("conv3_block1_")}
    assert names == expected
    render(graph, tmp_path / "range.svg", options)
    assert set(svg_nodes((tmp_path / "range.svg").read_bytes())) == {n.id for n in d.nodes}
    with pytest.raises(InspectorError, match="no path"):
        build_diagram(graph, RenderOptions(start="conv3_block1_out", stop="conv2_block3_out"))
