"""Graphviz DOT text for a Diagram, written by hand so the same model always gives the same bytes.

HTML-like labels stack the layer name, its class and parameters, and the badges (shared ×N,
output, lint codes) inside the node, so nothing floats free and overlaps neighbouring nodes.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from html import escape

from inspector.diagram.model import Diagram, Node
from inspector.diagram.theme import CHANGE, FAMILIES, SEVERITY, SHARED, TEXT, THEMES

FONT = "Helvetica"
MAX_LABEL = 120  # characters of a label row (the node id stays whole): Graphviz refuses a label over 16 KiB


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _params(n: Node) -> str:
    if n.params is None:
        return "? params"
    return f"{n.params:,} params"


def label_lines(n: Node, show_params: bool) -> list[tuple[str, str]]:
    """(text, style) rows of a node's label; style is "title", "text" or a badge colour."""
    rows: list[tuple[str, str]] = [(n.name, "title")]
    if n.kind == "block":
        detail = f"block · {n.layer_count} layers"
    elif n.kind == "model":
        detail = f"{n.class_name} · {n.layer_count} layers"
    else:
        detail = n.class_name
    if show_params and n.kind != "input":
        detail += f" · {_params(n)}"
    rows.append((detail, "text"))
    if n.call_count > 1:
        rows.append((f"shared ×{n.call_count} · call {n.call_number}", "shared"))
    if n.is_output:
        rows.append(("output", "text"))
    if n.findings:
        rows.append((" ".join(dict.fromkeys(code for code, _ in n.findings)), n.findings[0][1]))
    if n.change:
        rows.append((n.change + (f": {n.change_note}" if n.change_note else ""), "change"))
    return [(text if len(text) <= MAX_LABEL else text[:MAX_LABEL - 1] + "…", style) for text, style in rows]


def to_dot(d: Diagram) -> str:
    opts = d.options
    theme = THEMES[opts.theme]
    shared_colour = {key: SHARED[i % len(SHARED)] for i, (key, _) in enumerate(d.shared)}
    out = [
        f"digraph {quote(d.name)} {{",
        (f'  graph [rankdir={opts.rankdir} bgcolor="{theme.background}" fontname="{FONT}" '
        f'nodesep=0.3 ranksep=0.35 pad=0.2 fontcolor="{theme.cluster_text}"];'),
        (f'  node [shape=box style="rounded,filled" fontname="{FONT}" fontsize=11 margin="0.12,0.05" '
        f'penwidth=1.2 fontcolor="{TEXT}"];'),
        f'  edge [color="{theme.edge}" fontcolor="{theme.edge}" fontname="{FONT}" fontsize=9 arrowsize=0.7];',
    ]
    for event, depth, item in d.nesting():
        indent = "  " * (depth + 1)
        if event == "node":
            out.append(indent + _node(item, opts.show_params, shared_colour))
        elif event == "open":
            out.append(f"{indent}subgraph {quote('cluster_' + item.id)} {{")
            out.append(
                f'{indent}  label={quote(item.label)}; style="rounded,dashed"; '
                f'color="{theme.cluster_border}"; fontsize=10; labeljust=l;'
            )
        else:
            out.append(f"{indent}}}")
    inputs = [n.id for n in d.nodes if n.kind == "input" and n.cluster is None]
    outputs = [n.id for n in d.nodes if n.is_output and n.cluster is None]
    if len(inputs) > 1:
        out.append("  { rank=source; " + " ".join(quote(i) for i in inputs) + " }")
    if len(outputs) > 1:
        out.append("  { rank=sink; " + " ".join(quote(o) for o in outputs) + " }")
    removed = {n.id for n in d.nodes if n.change == "removed"}
    for e in d.edges:
        attrs = f"label={quote(' ' + e.label + ' ')}" if e.label else ""
        if e.src in removed or e.dst in removed:
            attrs = (attrs + f' style=dashed color="{CHANGE["removed"]}"').strip()
        out.append(f"  {quote(e.src)} -> {quote(e.dst)}{' [' + attrs + ']' if attrs else ''};")
    for key, ids in d.shared:
        colour = shared_colour[key]
        for a, b in itertools.pairwise(ids):
            out.append(
                f'  {quote(a)} -> {quote(b)} [dir=none style=dashed color="{colour}" penwidth=1.6 '
                f'constraint=false label=" same weights " fontcolor="{colour}"];'
            )
    if d.legend:
        out.append(_legend(d))
    if any(n.change for n in d.nodes):
        out.append(_change_legend())
    out.append("}")
    return "\n".join(out) + "\n"


def _node(n: Node, show_params: bool, shared_colour: dict[str, str]) -> str:
    fam = FAMILIES[n.family]
    border, width = fam.border, "1.2"
    if n.shared_key is not None:
        border, width = shared_colour[n.shared_key], "2.6"
    if n.findings:
        border, width = SEVERITY.get(n.findings[0][1], SEVERITY["info"]), "3"
    if n.change:
        border, width = CHANGE[n.change], "3.2"
    rows = []
    for text, style in label_lines(n, show_params):
        t = escape(text)
        if style == "title":
            rows.append(f"<tr><td><b>{t}</b></td></tr>")
        elif style == "text":
            rows.append(f'<tr><td><font point-size="9">{t}</font></td></tr>')
        elif style == "change":
            rows.append(f'<tr><td><font point-size="10" color="{CHANGE[n.change or "changed"]}"><b>{t}</b></font></td></tr>')
        elif style == "shared":
            colour = shared_colour.get(n.shared_key or "", TEXT)
            rows.append(f'<tr><td><font point-size="9" color="{colour}"><b>{t}</b></font></td></tr>')
        else:
            colour = SEVERITY.get(style, TEXT)
            rows.append(f'<tr><td><font point-size="10" color="{colour}"><b>{t}</b></font></td></tr>')
    label = '<<table border="0" cellborder="0" cellspacing="0" cellpadding="1">' + "".join(rows) + "</table>>"
    shape = ""
    if n.kind == "input":
        shape = " shape=box style=\"rounded,filled,bold\""
    elif n.kind in ("block", "model"):
        shape = " shape=box3d style=filled" if n.kind == "block" else " peripheries=2"
    if n.is_output and n.kind != "model":
        shape += " peripheries=2"
    if n.change == "removed":
        shape += ' style="rounded,filled,dashed"'
        fam = replace(fam, fill="#ffffff")
    node_id = "node:" + n.id
    return (
        f'{quote(n.id)} [id={quote(node_id)} label={label} fillcolor="{fam.fill}" color="{border}" '
        f"penwidth={width}{shape}];"
    )


LEGEND_ROWS = 25  # findings listed in the legend, and layers named per finding: Graphviz refuses
LEGEND_LAYERS = 6  # an HTML label over 16 KiB, and `inspect lint` lists them all anyway


def _legend(d: Diagram) -> str:
    rows = ['<tr><td colspan="2" align="left"><b>lint findings</b></td></tr>']
    for entry in d.legend[:LEGEND_ROWS]:
        colour = SEVERITY.get(entry.severity, SEVERITY["info"])
        where = ", ".join(entry.layers[:LEGEND_LAYERS]) if entry.layers else "(model)"
        if len(entry.layers) > LEGEND_LAYERS:
            where += f" and {len(entry.layers) - LEGEND_LAYERS:,} more"
        rows.append(
            f'<tr><td align="left"><font color="{colour}"><b>{escape(entry.code)}</b></font></td>'
            f'<td align="left">{escape(entry.name)} ({escape(entry.severity)}): {escape(where)}</td></tr>'
        )
    if len(d.legend) > LEGEND_ROWS:
        rows.append(f'<tr><td colspan="2" align="left">and {len(d.legend) - LEGEND_ROWS:,} more findings '
                    "(`inspect lint` lists them)</td></tr>")
    table = '<<table border="0" cellborder="0" cellspacing="2" cellpadding="2">' + "".join(rows) + "</table>>"
    return (
        f'  "legend:lint" [id="legend:lint" shape=box style="rounded,filled" fillcolor="#ffffff" '
        f'color="#8c959f" fontsize=10 label={table}];'
    )


def _change_legend() -> str:
    rows = ['<tr><td colspan="2" align="left"><b>changes from the old model</b></td></tr>']
    for change, meaning in (("added", "new in this model"), ("changed", "configuration, wiring or sharing changed"),
                            ("removed", "only in the old model (dashed)")):
        rows.append(f'<tr><td align="left"><font color="{CHANGE[change]}"><b>{change}</b></font></td>'
                    f'<td align="left">{meaning}</td></tr>')
    table = '<<table border="0" cellborder="0" cellspacing="2" cellpadding="2">' + "".join(rows) + "</table>>"
    return (f'  "legend:diff" [id="legend:diff" shape=box style="rounded,filled" fillcolor="#ffffff" '
            f'color="#8c959f" fontsize=10 label={table}];')
