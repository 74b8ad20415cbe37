"""Notebooks: the interactive page inline in a cell, and results as HTML tables.

`inspector.show(model)` puts the page `inspect render -o x.html` writes into the cell output,
inside an `<iframe srcdoc>` sandboxed to scripts only: each display is its own document (two
pages in one notebook share no element ids, styles or keys, and cannot reach the notebook's own
page), and the page travels inside the notebook, so a saved notebook or its HTML export shows it
with nothing else to fetch. Lint results, summaries and diffs get `_repr_html_` from here, and
keep their plain text for terminals.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

SEVERITY_COLORS = {"error": "#d1242f", "warning": "#bf8700", "info": "#0969da"}
# colors that read on a light and a dark notebook theme alike; text keeps the theme's color
_TABLE = ('style="border-collapse:collapse;font-size:12px;text-align:left;margin:4px 0;'
          'font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace"')
_CELL = 'style="padding:2px 8px;border-bottom:1px solid rgba(127,127,127,.25);vertical-align:top"'
_HEAD = 'style="padding:2px 8px;border-bottom:1px solid rgba(127,127,127,.6);text-align:left"'


@dataclass(frozen=True)
class Page:
    """The interactive page of one model, shown inline by Jupyter, JupyterLab, VS Code, Colab and
    nbconvert's HTML export; `save(path)` writes the same page as `inspect render -o path.html`."""

    html: str
    graph: Any = field(repr=False)
    findings: tuple = ()
    linted: bool = False
    height: int = 600

    def _repr_html_(self) -> str:
        title = escape(f"keras-inspector: {self.graph.name}", quote=True)
        return (f'<iframe class="keras-inspector-page" title="{title}" sandbox="allow-scripts" '
                f'srcdoc="{escape(self.html, quote=True)}" '
                f'style="width:100%;height:{int(self.height)}px;border:1px solid rgba(127,127,127,.4);'
                f'border-radius:4px"></iframe>')

    def __repr__(self) -> str:
        from inspector.summary import format_text

        text = format_text(self.graph)
        if self.linted:
            text += findings_text(self.findings)
        return text.rstrip("\n")

    def save(self, path: str | Path) -> Path:
        Path(path).write_text(self.html, encoding="utf-8")
        return Path(path)


def page(target: Any, lint: bool = True, height: int = 600, **options: Any) -> Page:
    """The interactive page of `target` (a file, a builder reference, a live keras.Model or a
    ModelGraph) as a displayable object; `options` are `inspector.render`'s (collapse, depth,
    rankdir, show_shapes, show_params, start, stop), e.g. `collapse="auto"` for a ResNet."""
    from dataclasses import replace

    from inspector import load
    from inspector.diagram import RenderOptions
    from inspector.diagram.html import to_html
    from inspector.engine import default_rules, lint_graph

    if isinstance(options.get("collapse"), str):
        options["collapse"] = (options["collapse"],)
    graph = load(target)
    findings = tuple(lint_graph(graph, default_rules())) if lint else ()
    html = to_html(graph, replace(RenderOptions(**options), findings=findings), graph.source.path, lint)
    return Page(html.decode("utf-8"), graph, findings, lint, height)


def show(target: Any, lint: bool = True, height: int = 600, **options: Any) -> None:
    """Display the interactive page of `target` in the current notebook cell (in a terminal,
    print its summary and findings instead). Returns nothing, so the cell shows it once;
    `inspector.page()` returns the object to display or save yourself."""
    shown = page(target, lint, height, **options)
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        print(repr(shown))
        return
    if get_ipython() is None:
        print(repr(shown))
    else:
        display(shown)


# -- lint results ------------------------------------------------------------------------------
class Findings(list):
    """What `inspector.lint()` returns: a list of Findings that a notebook shows as a table."""

    def _repr_html_(self) -> str:
        return findings_html(self)

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        printer.text(findings_text(self).rstrip("\n"))


def _counts(findings: Iterable[Any]) -> str:
    by = Counter(f.severity for f in findings)
    parts = [f"{by[s]} {s}" + ("" if s == "info" or by[s] == 1 else "s")
             for s in ("error", "warning", "info") if by[s]]
    n = sum(by.values())
    return f"{n} finding{'' if n == 1 else 's'} ({', '.join(parts)})" if n else "no findings"


def findings_text(findings: Iterable[Any]) -> str:
    findings = list(findings)
    return "".join(f"{f}\n" for f in findings) + _counts(findings).capitalize() + ".\n"


def _badge(severity: str) -> str:
    color = SEVERITY_COLORS.get(severity, "#6e7781")
    return (f'<span style="background:{color};color:#fff;border-radius:3px;padding:0 5px;'
            f'font-size:11px">{escape(severity)}</span>')


def findings_html(findings: Iterable[Any]) -> str:
    findings = list(findings)
    head = f'<div style="font-weight:600;margin:4px 0">{escape(_counts(findings).capitalize())}</div>'
    if not findings:
        return head
    rows = "".join(
        f"<tr><td {_CELL}>{_badge(f.severity)}</td><td {_CELL}>{escape(f.code)}&nbsp;{escape(f.name)}</td>"
        f"<td {_CELL}>{escape(', '.join(f.layers) or '(model)')}</td>"
        f"<td {_CELL} title=\"{escape(f.path, quote=True)}\">{escape(f.message)}</td></tr>"
        for f in findings)
    return (f'{head}<table class="keras-inspector-findings" {_TABLE}><thead><tr>'
            + "".join(f"<th {_HEAD}>{h}</th>" for h in ("severity", "rule", "layers", "message"))
            + f"</tr></thead><tbody>{rows}</tbody></table>")


# -- summaries ---------------------------------------------------------------------------------
class Summary(dict):
    """What `inspector.summarize()` returns: the `keras-inspector/summary/v1` document (a plain
    dict to code and json.dumps), shown as model.summary()'s table in a notebook."""

    def __init__(self, document: Mapping[str, Any], text: str = ""):
        super().__init__(document)
        self.text = text

    def _repr_html_(self) -> str:
        return summary_html(self)

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        printer.text(self.text.rstrip("\n") if self.text else dict.__repr__(self))


def _shape(shape: Any) -> str:
    if shape is None:
        return "?"
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _number(value: Any) -> str:
    return "?" if value is None else f"{value:,}"


def summary_html(doc: Mapping[str, Any]) -> str:
    """model.summary()'s table from the summary document: one row per call, shared calls marked."""
    rows = []
    for layer in doc.get("layers", ()):
        calls = layer.get("calls") or [None]
        for i, call in enumerate(calls):
            label = call["id"] if layer.get("shared") and call else layer["name"]
            shapes = ", ".join(_shape(s) for s in call["output_shapes"]) if call else "not called"
            params = _number(layer.get("params")) if i == 0 else f"shared with {calls[0]['id']}"
            inputs = ", ".join(call["inputs"]) if call and call["inputs"] else "-"
            rows.append(f"<tr><td {_CELL}>{escape(label)} <span style=\"opacity:.7\">"
                        f"({escape(layer['class_name'])})</span></td><td {_CELL}>{escape(shapes)}</td>"
                        f"<td {_CELL} align=\"right\">{escape(params)}</td><td {_CELL}>{escape(inputs)}</td></tr>")
    origin = ", ".join(str(x) for x in (doc.get("format"), doc.get("keras_version") and
                                         f"Keras {doc['keras_version']}") if x)
    io = "".join(f"<div>{kind} <b>{escape(t['name'])}</b> {escape(_shape(t['shape']))} {escape(t['dtype'] or '')}</div>"
                 for kind, key in (("input", "inputs"), ("output", "outputs")) for t in doc.get(key, ()))
    training = doc.get("training")
    if training:
        weights = training.get("loss_weights") or {}
        io += "".join(f"<div>loss <b>{escape(str(out))}</b>: {escape(str(loss))}"
                      + (f" × {weights[out]:g}" if isinstance(weights.get(out), (int, float)) else "") + "</div>"
                      for out, loss in training["loss"].items())
        io += f"<div>optimizer {escape(str(training.get('optimizer') or '?'))}</div>"
    else:
        io += "<div>not compiled (no loss stored)</div>"
    notes = "".join(f"<div style=\"opacity:.7\">Note: {escape(n)}</div>" for n in doc.get("notes", ()))
    return (f'<div class="keras-inspector-summary"><div style="font-weight:600;margin:4px 0">Model '
            f'"{escape(doc["name"])}" ({escape(doc["class_name"])}) <span style="font-weight:400;opacity:.7">'
            f'{escape(str(doc.get("path") or ""))} [{escape(origin)}]</span></div>'
            f'<table {_TABLE}><thead><tr>'
            + "".join(f"<th {_HEAD}>{h}</th>" for h in ("Layer (type)", "Output Shape", "Param #", "Connected to"))
            + f'</tr></thead><tbody>{"".join(rows)}</tbody></table>'
            f'<div style="font-size:12px">Total params: {_number(doc.get("total_params"))} '
            f'(trainable {_number(doc.get("trainable_params"))}, '
            f'non-trainable {_number(doc.get("non_trainable_params"))})</div>'
            f'<div style="font-size:12px;margin-top:4px">{io}{notes}</div></div>')


# -- diffs -------------------------------------------------------------------------------------
_DIFF_COLORS = {"+": "#1a7f37", "-": "#d1242f", "~": "#8250df"}


def diff_html(d: Any) -> str:
    """The text report of a ModelDiff, its layer lines colored as in a code review."""
    from inspector.diff.report import format_text

    lines = []
    for line in format_text(d).splitlines():
        color = _DIFF_COLORS.get(line[:1]) if line[:2] in ("+ ", "- ", "~ ") or line[:4] in ("--- ", "+++ ") else None
        if line.startswith(("  + ", "  - ")):  # findings introduced and fixed
            color = _DIFF_COLORS[line[2]]
        lines.append(f'<span style="color:{color}">{escape(line)}</span>' if color else escape(line))
    return ('<pre class="keras-inspector-diff" style="font-size:12px;line-height:1.35">'
            + "\n".join(lines) + "</pre>")
