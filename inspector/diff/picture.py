"""`inspect diff -o`: the new model drawn with what the change did marked on it.

Added and changed calls get a coloured border and a badge naming what changed; a removed layer
is drawn as a dashed ghost wired to where it used to be (its old neighbours, under their new
names); a legend says what the colours mean. Layers that only changed shape because of another
change are left plain, as in the text report.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from inspector.diagram import PAGE_FORMATS, RenderOptions, build_diagram, format_of, render_bytes
from inspector.diagram.model import Diagram, Edge, Node, check_size
from inspector.diagram.theme import family_of
from inspector.diff.compare import ModelDiff
from inspector.diff.report import DERIVED, is_derived
from inspector.errors import UsageError


def _what(changes) -> str:
    """The badge: the changed config keys and kinds of change, the first three of them; shapes and
    counts only when nothing else changed (they follow from the rest)."""
    own = [c for c in changes if not c.what.startswith(DERIVED)]
    keys = []
    for c in own or changes:
        if c.what == "calls":
            keys.append("now shared" if c.new > c.old else "un-shared")
        else:
            keys.append(c.what.split("[")[0].removeprefix("config."))
    keys = list(dict.fromkeys(keys))
    return ", ".join(keys[:3]) + (" …" if len(keys) > 3 else "")


def diff_diagram(d: ModelDiff, options: RenderOptions | None = None) -> Diagram:
    """The drawing of `d.new` with `change` set on the nodes a change touched, plus ghosts."""
    diagram = build_diagram(d.new, options or RenderOptions(findings=tuple(d.introduced)))
    marks: dict[str, tuple[str, str]] = {}
    for x in d.layers:
        if x.status == "added":
            marks[x.name] = ("added", x.note or "")
        elif x.status == "changed" and x.changes and not is_derived(x):
            marks[x.name] = ("changed", _what(x.changes))
    nodes = []
    for n in diagram.nodes:
        mark = next((marks[p] for p in n.layers if p in marks), None)
        nodes.append(replace(n, change=mark[0], change_note=mark[1]) if mark else n)
    node_of: dict[str, str] = {}
    for n in nodes:
        for p in n.layers:
            node_of.setdefault(p, n.id)
    edges = list(diagram.edges)
    to_new = d.matching.old_to_new()
    old = d.old
    for x in d.of_status("removed"):
        if "/" in x.name:
            continue  # a nested model's inner layer: drawn only if that model is expanded
        layer = old.layer(x.name)
        ghost = f"removed:{x.name}"
        nodes.append(Node(id=ghost, name=x.name, class_name=layer.class_name, kind="layer",
                          family=family_of(layer.class_name, layer.subgraph is not None), params=layer.params,
                          layers=(x.name,), change="removed", change_note=x.note or ""))
        for cid in layer.calls[:1]:
            for pred in old.predecessors(cid):
                src = node_of.get(to_new.get(old.call(pred).layer, ""))
                if src:
                    edges.append(Edge(src, ghost))
            for succ in old.successors(cid):
                dst = node_of.get(to_new.get(old.call(succ).layer, ""))
                if dst:
                    edges.append(Edge(ghost, dst))
    check_size(d.new.source.path, len(nodes), diagram.options.max_nodes, "the diff picture")  # with the ghosts
    return replace(diagram, nodes=tuple(nodes), edges=tuple(edges))


def draw_diff(d: ModelDiff, out: str | Path, options: RenderOptions | None = None) -> Diagram:
    """Write the diff picture to `out` (format from the suffix, as `inspect render`)."""
    fmt = format_of(out)
    if fmt in PAGE_FORMATS:  # the interactive page is drawn from one model's graph, not from a diff
        raise UsageError(str(out), "the diff picture is written as .svg, .png, .pdf, .dot, .mmd or .md; the "
                                   "interactive .html page is `inspect render NEW -o PAGE.html`")
    path = Path(out)
    if not path.parent.is_dir():
        raise UsageError(str(out), f"the folder {path.parent} does not exist")
    diagram = diff_diagram(d, options)
    path.write_bytes(render_bytes(diagram, fmt, out, d.new.source.path))
    return diagram
