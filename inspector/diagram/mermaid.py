"""Mermaid flowchart text for a Diagram: GitHub and most docs sites draw it with no tool installed.

Node ids are `n0, n1, ...` in drawing order (layer names may hold characters Mermaid rejects);
the layer name is in the label. Colours come from the same palette as the DOT renderer.
"""

from __future__ import annotations

import itertools

from inspector.diagram.dot import label_lines
from inspector.diagram.model import Diagram, Node
from inspector.diagram.theme import CHANGE, FAMILIES, SEVERITY, SHARED, TEXT, THEMES


def _text(text: str) -> str:
    return (
        text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")
        .replace("|", "#124;")
    )


def _label(n: Node, show_params: bool) -> str:
    parts = []
    for text, style in label_lines(n, show_params):
        t = _text(text)
        parts.append(f"<b>{t}</b>" if style != "text" else t)
    return "<br/>".join(parts)


def _shape(n: Node, label: str) -> str:
    if n.kind == "input":
        return f'(["{label}"])'
    if n.kind == "block":
        return f'{{{{"{label}"}}}}'
    if n.kind == "model" or n.is_output:
        return f'[["{label}"]]'
    return f'["{label}"]'


def to_mermaid(d: Diagram) -> str:
    opts = d.options
    theme = THEMES[opts.theme]
    ids = {n.id: f"n{i}" for i, n in enumerate(d.nodes)}
    cluster_ids = {c.id: f"c{i}" for i, c in enumerate(d.clusters)}
    out = [f"%% {d.name}: drawn by keras-inspector", f"flowchart {opts.rankdir}"]
    for event, depth, item in d.nesting():
        indent = "  " * (depth + 1)
        if event == "node":
            out.append(f"{indent}{ids[item.id]}{_shape(item, _label(item, opts.show_params))}")
        elif event == "open":
            out.append(f'{indent}subgraph {cluster_ids[item.id]}["{_text(item.label)}"]')
        else:
            out.append(f"{indent}end")
    link = 0
    removed = {n.id for n in d.nodes if n.change == "removed"}
    for e in d.edges:
        arrow = f'-->|"{_text(e.label)}"|' if e.label else "-->"
        if e.src in removed or e.dst in removed:
            arrow = "-.->"  # to or from a layer only the old model has
        out.append(f"  {ids[e.src]} {arrow} {ids[e.dst]}")
        link += 1
    shared_colour = {key: SHARED[i % len(SHARED)] for i, (key, _) in enumerate(d.shared)}
    link_styles = []
    for key, node_ids in d.shared:
        for a, b in itertools.pairwise(node_ids):
            out.append(f'  {ids[a]} -.-|"same weights"| {ids[b]}')
            link_styles.append(f"  linkStyle {link} stroke:{shared_colour[key]},stroke-width:2px")
            link += 1
    used = sorted({n.family for n in d.nodes})
    for fam in used:
        f = FAMILIES[fam]
        out.append(f"  classDef {fam} fill:{f.fill},stroke:{f.border},color:{TEXT}")
    for fam in used:
        out.append(f"  class {','.join(ids[n.id] for n in d.nodes if n.family == fam)} {fam}")
    for n in d.nodes:
        if n.change:
            dash = ",stroke-dasharray:5 4" if n.change == "removed" else ""
            out.append(f"  style {ids[n.id]} stroke:{CHANGE[n.change]},stroke-width:3px{dash}")
        elif n.findings:
            out.append(f"  style {ids[n.id]} stroke:{SEVERITY.get(n.findings[0][1], SEVERITY['info'])},stroke-width:3px")
        elif n.shared_key is not None:
            out.append(f"  style {ids[n.id]} stroke:{shared_colour[n.shared_key]},stroke-width:3px")
    for c in d.clusters:
        out.append(f"  style {cluster_ids[c.id]} fill:none,stroke:{theme.cluster_border},stroke-dasharray:4 3")
    out += link_styles
    if any(n.change for n in d.nodes):
        out.append("%% changes: " + ", ".join(f"{c} = {colour} border" for c, colour in CHANGE.items()))
    if d.legend:
        out.append("%% lint findings:")
        out += [f"%%   {e.code} {e.name} ({e.severity}): {', '.join(e.layers) or '(model)'}" for e in d.legend]
    return "\n".join(out) + "\n"


def to_markdown(d: Diagram) -> str:
    """A Markdown file holding the Mermaid block, plus the lint legend as a list (Mermaid has none)."""
    out = [f"```mermaid\n{to_mermaid(d)}```"]
    if d.legend:
        out.append("")
        out.append("Lint findings:")
        out.append("")
        for e in d.legend:
            out.append(f"- **{e.code}** {e.name} ({e.severity}): {', '.join(f'`{x}`' for x in e.layers) or 'model'}")
    return "\n".join(out) + "\n"
