"""Diagrams of a ModelGraph: DOT/SVG/PNG/PDF through Graphviz, Mermaid for docs sites.

This package is behind `inspect render`; it is named `diagram` so that `inspector.render()` can be
the public function (a subpackage of the same name would replace it on import).

The format is the output file's suffix. DOT and Mermaid are plain text written here, so they need
nothing installed; the picture formats pipe the DOT text through the `dot` program.
"""

from __future__ import annotations

import re
from pathlib import Path

from inspector.diagram.model import Diagram, DiagramTooLarge, RenderOptions, build_diagram
from inspector.errors import InspectorError, UsageError
from inspector.graph import ModelGraph
from inspector.text import utf8

__all__ = ["FORMATS", "Diagram", "DiagramTooLarge", "GraphvizMissing", "RenderOptions", "build_diagram", "render",
           "render_bytes"]

TEXT_FORMATS = ("dot", "mmd", "md")
GRAPHVIZ_FORMATS = ("svg", "png", "pdf")
PAGE_FORMATS = ("html",)  # the interactive page (inspector/diagram/html.py); needs Graphviz too
FORMATS = TEXT_FORMATS + GRAPHVIZ_FORMATS + PAGE_FORMATS

INSTALL_HINT = (
    "the Graphviz `dot` program is not installed (needed for .svg, .png, .pdf and .html; .dot, .mmd and "
    ".md work without it): install it with `apt-get install graphviz`, `brew install graphviz` or "
    "`conda install graphviz`"
)


class GraphvizMissing(InspectorError):
    """The `dot` program is not installed: `render` to a picture fails, `docs` falls back to Mermaid."""


def format_of(out: str | Path) -> str:
    suffix = Path(out).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise UsageError(str(out), f"cannot tell the format from the suffix {suffix!r}: use one of "
                         + ", ".join("." + f for f in FORMATS))
    return suffix


def render_bytes(diagram: Diagram, fmt: str, path: str | Path | None = None, model: str | None = None) -> bytes:
    """The file contents for `fmt`; raises GraphvizMissing naming `path` (the file that would be
    written) when a picture format needs the `dot` program and it is not installed, and an
    InspectorError naming `model` (the file drawn) when Graphviz fails or runs past its bounds."""
    from inspector.diagram.dot import to_dot

    if fmt == "dot":
        return utf8(to_dot(diagram))
    if fmt in ("mmd", "md"):
        from inspector.diagram.mermaid import to_markdown, to_mermaid

        return utf8(to_mermaid(diagram) if fmt == "mmd" else to_markdown(diagram))
    return run_dot(to_dot(diagram), fmt, path, model)


_SVG_COMMENT = re.compile(rb"<!--.*?-->\n?", re.DOTALL)
_PDF_DATE = re.compile(rb"/CreationDate \(D:\d{14}Z\)")


GRAPHVIZ_SECONDS = 120  # a drawing under MAX_NODES takes seconds; past this, Graphviz is stopped
GRAPHVIZ_MEMORY = 2 * 2**30  # bytes of address space the `dot` process may map (RLIMIT_AS)


def run_dot(dot_text: str, fmt: str, path: str | Path | None = None, model: str | None = None) -> bytes:
    """`dot -T<fmt>` on `dot_text`, bounded in time (GRAPHVIZ_SECONDS) and memory (GRAPHVIZ_MEMORY):
    Graphviz is an external program whose layout can take hours on some graphs. Its failures
    name `model` (the file drawn), else `path` (the file that would be written)."""
    import os
    import shutil
    import subprocess

    program = shutil.which("dot")
    if program is None:
        raise GraphvizMissing(path, INSTALL_HINT)
    env = {**os.environ, "SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH", "0")}  # fixed PDF dates
    where = model or path
    try:
        # one write of the whole input: with several graphs in it (the HTML page's views) dot
        # writes while reading, and line-wise input deadlocks
        done = subprocess.run([program, f"-T{fmt}"], input=utf8(dot_text), capture_output=True, env=env,
                              check=False, timeout=GRAPHVIZ_SECONDS, preexec_fn=_bound_memory,
                              start_new_session=True)
    except subprocess.TimeoutExpired:  # subprocess.run has killed it
        raise InspectorError(where, f"Graphviz did not finish laying out the diagram in {GRAPHVIZ_SECONDS} s: "
                                    "draw part of it (render --from/--to LAYER) or collapse repeated blocks "
                                    "(--collapse auto)") from None
    except OSError as exc:
        raise InspectorError(where, f"Graphviz could not be started: {exc}") from None
    if done.returncode != 0:
        detail = done.stderr.decode(errors="replace").strip().splitlines()
        last = detail[-1] if detail else f"exit status {done.returncode}"
        if done.returncode < 0 or "memory" in last.lower():  # what hitting the rlimit looks like
            how = f"signal {-done.returncode}" if done.returncode < 0 else last
            raise InspectorError(where, f"Graphviz failed drawing the diagram ({how}) within its "
                                        f"{GRAPHVIZ_MEMORY // 2**20:,} MiB of memory: draw part of it (render "
                                        "--from/--to LAYER) or collapse repeated blocks (--collapse auto)")
        raise InspectorError(where, f"Graphviz failed: {last}")
    data = done.stdout
    if fmt == "svg":
        # Graphviz's comments carry its version ("Generated by graphviz version 2.43.0") and repeat
        # what <title> already says: without them, docs checked on another machine are not stale.
        data = _SVG_COMMENT.sub(b"", data)
    elif fmt == "pdf":
        # cairo 1.16 writes the clock into the PDF whatever SOURCE_DATE_EPOCH says: the same model
        # drawn a second later would be another file (and a stale docs page). The epoch's date has
        # the same length, so the cross-reference offsets stay right.
        data = _PDF_DATE.sub(b"/CreationDate (D:19700101000000Z)", data)
    return data


def _bound_memory() -> None:
    """In the `dot` child, before it starts: its address space capped at GRAPHVIZ_MEMORY."""
    try:
        import resource
    except ImportError:  # not a POSIX system: the time bound still holds
        return
    resource.setrlimit(resource.RLIMIT_AS, (GRAPHVIZ_MEMORY, GRAPHVIZ_MEMORY))


def render(graph: ModelGraph, out: str | Path, options: RenderOptions | None = None,
           linted: bool = False) -> Diagram:
    """Draw `graph` into `out` (format from the suffix); returns the drawn Diagram. `linted` tells
    the HTML page that `options.findings` are a lint run's (so none means a clean model)."""
    fmt = format_of(out)
    path = Path(out)
    if not path.parent.is_dir():  # like `export`: a typo in the folder must not create a tree
        raise UsageError(str(out), f"the folder {path.parent} does not exist")
    diagram = build_diagram(graph, options)
    if fmt == "html":
        from inspector.diagram.html import to_html

        data = to_html(graph, options, str(out), linted)
    else:
        data = render_bytes(diagram, fmt, out, graph.source.path)
    path.write_bytes(data)
    return diagram
