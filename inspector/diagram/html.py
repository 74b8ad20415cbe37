"""The interactive HTML page: Graphviz's drawing plus every call's details, in one offline file.

A model is drawn as a tree of *views*: the top-level drawing (repeated blocks collapsed, nested
models as one node) and, for each block or nested model, the drawing of what it holds. Graphviz
lays every view out in one `dot` run; the page's script (page/page.js) opens a view in place by
stretching its parent's layout around it, so nothing is laid out in the browser. The calls'
config, shapes, weights and findings ride along as one JSON blob. Same model, same bytes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from html import escape
from importlib.resources import files
from typing import Any

from inspector.diagram.dot import to_dot
from inspector.diagram.model import (
    Cluster,
    Diagram,
    Edge,
    Node,
    RenderOptions,
    build_diagram,
    check_size,
)
from inspector.graph import ModelGraph
from inspector.summary import format_shape
from inspector.text import utf8

ROOT = "root"


@dataclass(frozen=True)
class View:
    """One drawing: `host` is the node (in the parent view) it opens from; ids are page-global."""

    id: str
    parent: str | None
    host: str | None
    label: str
    diagram: Diagram
    opened: bool = False  # shown open when the page loads (nested models within --depth)


def to_html(graph: ModelGraph, options: RenderOptions | None = None, path: str | None = None,
            linted: bool | None = None) -> bytes:
    """The page for `graph`: `options.collapse` decides which blocks start closed and
    `options.depth` which nested models start open (all of them open and close in the page);
    `options.findings` are shown and outlined, and
    `linted` (default: whether there are findings) says the list is complete."""
    from inspector.diagram import run_dot

    options = replace(options or RenderOptions(), theme="auto")
    views = list(_views(graph, options))
    check_size(graph.source.path, sum(len(v.diagram.nodes) for v in views), options.max_nodes,
               f"the page's {len(views)} view{'s' if len(views) != 1 else ''}")
    dot_text = "".join(to_dot(v.diagram) for v in views)
    svgs = _split_svgs(run_dot(dot_text, "svg", path, graph.source.path).decode())
    data = _page_data(graph, views, options.findings, bool(options.findings) if linted is None else linted)
    nested: dict[str | None, list[int]] = {}
    for i, v in enumerate(views):
        nested.setdefault(v.parent, []).append(i)

    def view_markup(i: int) -> str:
        v = views[i]
        inner = "".join(view_markup(j) for j in nested.get(v.id, ()))
        hidden = "" if v.parent is None else ' style="display:none"'
        frame = "" if v.parent is None else (
            f'<rect class="frame"/><text class="frame-label">\u25be {escape(v.label)}</text>')
        body, box = _svg_body(svgs[i], i)
        return (f'<g class="view" id="view-{i}" data-view="{escape(v.id)}" data-bounds="{box}"{hidden}>'
                f'{frame}<g class="content">{body}</g>{inner}</g>')

    return utf8(_assemble(graph, view_markup(0), data))


# -- views -----------------------------------------------------------------------------------------
def _views(graph: ModelGraph, options: RenderOptions) -> Iterator[View]:
    top = build_diagram(graph, replace(options, depth=0))
    yield from _level(graph, top, options, ROOT, None, None, graph.name, "", "", 0, False)


def _level(graph: ModelGraph, drawn: Diagram, options: RenderOptions, view_id: str, parent: str | None,
           host: str | None, label: str, ids: str, names: str, level: int, opened: bool) -> Iterator[View]:
    """`drawn` (a drawing of `graph` or part of it) as view `view_id`, then the views its block and
    nested-model nodes open. `ids`/`names` prefix node ids and layer paths to make them global;
    `level` counts the nested models around `graph`, for `options.depth`."""
    yield View(view_id, parent, host, label, _prefixed(drawn, ids, names), opened)
    flat = None
    for node in drawn.nodes:
        gid = ids + node.id
        if node.kind == "block":
            if flat is None:
                flat = build_diagram(graph, replace(options, depth=0, collapse=(), findings=drawn.options.findings,
                                                    max_nodes=None))  # cut into views, each counted
            inner = _members(flat, node)
            yield from _level(graph, inner, options, gid, view_id, gid,
                              f"{node.name} · block of {node.layer_count} layers", ids, names, level, False)
        elif node.kind == "model":
            layer = graph.layer(node.name)
            sub = layer.subgraph
            assert sub is not None
            prefix = names + layer.name + "/"
            findings = tuple(
                replace(f, layers=tuple(p[len(prefix):] for p in f.layers if p.startswith(prefix)))
                for f in options.findings if any(p.startswith(prefix) for p in f.layers))
            sub_opts = replace(options, start=None, stop=None, findings=findings)
            inner = build_diagram(sub, replace(sub_opts, depth=0))
            yield from _level(sub, inner, sub_opts, gid, view_id, gid, f"{layer.name} · {layer.class_name}",
                              gid + "/", prefix, level + 1, options.depth < 0 or level < options.depth)


def _members(flat: Diagram, block: Node) -> Diagram:
    """The drawing of a collapsed block's member calls, cut from the uncollapsed drawing."""
    paths = set(block.layers)
    keep = {n.id for n in flat.nodes if n.kind != "input" and n.cluster == block.cluster
            and set(n.layers) <= paths}
    return Diagram(
        name=block.name,
        nodes=tuple(n for n in flat.nodes if n.id in keep),
        edges=tuple(e for e in flat.edges if e.src in keep and e.dst in keep),
        clusters=(),
        shared=tuple((k, tuple(i for i in ids if i in keep)) for k, ids in flat.shared
                     if sum(i in keep for i in ids) > 1),
        legend=(),
        options=flat.options,
    )


def _prefixed(d: Diagram, ids: str, names: str) -> Diagram:
    """`d` with page-global node ids and layer paths, and without the legend (the page lists
    findings itself)."""
    def node(n: Node) -> Node:
        return replace(n, id=ids + n.id, cluster=None if n.cluster is None else ids + n.cluster,
                       layers=tuple(names + p for p in n.layers),
                       shared_key=None if n.shared_key is None else names + n.shared_key)

    return replace(
        d,
        nodes=tuple(node(n) for n in d.nodes),
        edges=tuple(Edge(ids + e.src, ids + e.dst, e.label) for e in d.edges),
        clusters=tuple(Cluster(ids + c.id, c.label, None if c.parent is None else ids + c.parent)
                       for c in d.clusters),
        shared=tuple((names + k, tuple(ids + i for i in v)) for k, v in d.shared),
        legend=(),
    )


# -- SVG -------------------------------------------------------------------------------------------
_GRAPH_G = re.compile(r'<g id="[^"]*graph0" class="graph"[^>]*>(.*)</g>\s*</svg>', re.DOTALL)
_VIEWBOX = re.compile(r'viewBox="([-\d.]+) ([-\d.]+) ([-\d.]+) ([-\d.]+)"')
_TRANSLATE = re.compile(r'<g id="[^"]*graph0" class="graph" transform="[^"]*translate\(([-\d.]+) ([-\d.]+)\)"')
# a tenth of a large page: the font is set once by the page's CSS, `start` is SVG's default
# anchor, and the <title>s (node ids; edges' become data-src/data-dst) repeat the side panel
_REDUNDANT = re.compile(r' font-family="Helvetica,sans-Serif"| text-anchor="start"|<title>[^<]*</title>\n?')
_EDGE_TITLE = re.compile(r'(<g id="[^"]*" class="edge")>\n<title>(.*?)&#45;&gt;(.*?)</title>\n?')
_CALL_NUMBER = re.compile(r"\[\d+\]$")
_AUTO_ID = re.compile(r' id="(?:page[\d,]+_)?((?:graph|edge|clust)\d+|a_[^"]*)"')  # a later graph's are page0,N_


def _split_svgs(text: str) -> list[str]:
    return [part for part in text.split("<?xml") if "<svg" in part]


def _svg_body(svg: str, index: int) -> tuple[str, str]:
    """The drawing's elements without Graphviz's outer transform (the page positions each view),
    Graphviz's numbered ids made unique across views, and the drawing's extent in its own units
    ("x0 y0 x1 y1")."""
    match = _GRAPH_G.search(svg)
    box = _VIEWBOX.search(svg)
    shift = _TRANSLATE.search(svg)
    if match is None or box is None or shift is None:
        raise ValueError("Graphviz wrote an SVG of an unexpected form")
    width, height = float(box.group(3)), float(box.group(4))
    tx, ty = float(shift.group(1)), float(shift.group(2))
    body = _AUTO_ID.sub(lambda m: f' id="v{index}-{m.group(1)}"', match.group(1))
    body = _EDGE_TITLE.sub(r'\1 data-src="\2" data-dst="\3">', body)  # the page highlights a node's edges
    body = _REDUNDANT.sub("", body).strip()
    return body, f"{-tx:g} {-ty:g} {width - tx:g} {height - ty:g}"


# -- data ------------------------------------------------------------------------------------------
def _plain(value: Any) -> Any:
    """A stored config as JSON-ready values (mappings and tuples, possibly read-only, made plain)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def _tensor(graph: ModelGraph, tid: str) -> list[str | None]:
    t = graph.tensors[tid]
    return [tid, format_shape(t.shape), t.dtype]


def _layers(graph: ModelGraph, names: str, out: dict[str, Any]) -> None:
    for layer in graph.layers:
        path = names + layer.name
        out[path] = {
            "class": layer.class_name,
            "module": layer.module,
            "params": layer.params,
            "trainable_params": layer.trainable_params,
            "trainable": layer.trainable,
            "config": _plain(layer.config),
            "weights": [[w.name, format_shape(w.shape), w.dtype, w.trainable] for w in layer.weights],
            "calls": [{"id": c, "inputs": [_tensor(graph, t) for t in graph.call(c).inputs],
                       "outputs": [_tensor(graph, t) for t in graph.call(c).outputs]} for c in layer.calls],
        }
        if layer.subgraph is not None:
            _layers(layer.subgraph, path + "/", out)


def _page_data(graph: ModelGraph, views: Sequence[View], findings: Sequence[Any], linted: bool) -> dict[str, Any]:
    from inspector.engine import all_rules

    layers: dict[str, Any] = {}
    _layers(graph, "", layers)
    nodes: dict[str, Any] = {}
    opens = {v.host: v.id for v in views if v.host is not None}
    for v in views:
        for n in v.diagram.nodes:
            entry: dict[str, Any] = {"view": v.id, "kind": n.kind, "name": n.name, "class": n.class_name,
                                     "params": n.params, "layers": list(n.layers)}
            if n.kind != "block":
                calls = layers[n.layers[0]]["calls"]
                number = _CALL_NUMBER.search(n.id)
                entry["call"] = next((i for i, c in enumerate(calls) if number and c["id"].endswith(number.group())), 0)
                entry["calls"] = len(calls)
            if n.id in opens:
                entry["opens"] = opens[n.id]
            nodes[n.id] = entry
    registered = {r.code: r for r in all_rules()}
    rules = {f.code: {"name": r.name, "severity": r.severity, "doc": r.doc}
             for f in findings if (r := registered.get(f.code)) is not None}
    return {
        "name": graph.name,
        "class": graph.class_name,
        "source": {"path": graph.source.path, "format": graph.source.format,
                   "keras_version": graph.source.keras_version},
        "params": graph.total_params,
        "trainable_params": graph.trainable_params,
        "inputs": [_tensor(graph, t) for t in graph.inputs],
        "outputs": [_tensor(graph, t) for t in graph.outputs],
        "views": {v.id: {"parent": v.parent, "host": v.host, "label": v.label} for v in views},
        "nodes": nodes,
        "layers": layers,
        "findings": [{"code": f.code, "name": f.name, "severity": f.severity, "message": f.message,
                      "layers": list(f.layers)} for f in findings],
        "linted": linted,
        "open": [v.id for v in views if v.opened],
        "order": {v.id: [n.id for n in v.diagram.nodes] for v in views},
        "rules": rules,
    }


def _asset(name: str) -> str:
    return files("inspector.diagram").joinpath("page", name).read_text(encoding="utf-8")


def _assemble(graph: ModelGraph, scene: str, data: dict[str, Any]) -> str:
    blob = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    blob = blob.replace("</", "<\\/").replace("<!--", "<\\u0021--")
    template = _asset("page.html")
    parts = {
        "TITLE": escape(graph.name),
        "CSS": _asset("page.css"),
        "SCENE": scene,
        "DATA": blob,
        "JS": _asset("layout.js") + _asset("page.js"),
    }
    return re.sub(r"/\*\{(\w+)\}\*/", lambda m: parts[m.group(1)], template)
