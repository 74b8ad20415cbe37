"""Diagrams of a ModelGraph: DOT/SVG/PNG/PDF through Graphviz, Mermaid for docs sites.

This package is behind `inspect render`; it is named `diagram` so that `inspector.render()` can be
the public function (a subpackage of the same name would replace it on import).

The format is the output file's suffix. DOT and Mermaid are plain text written here, so they need
nothing installed; the picture formats pipe the DOT text through the `dot` program.
"""

from __future__ import annotations

from pathlib import Path

from inspector.diagram.model import Diagram, RenderOptions, build_diagram
from inspector.errors import InspectorError, UsageError
from inspector.graph import ModelGraph

__all__ = ["FORMATS", "Diagram", "RenderOptions", "build_diagram", "render", "render_bytes"]

TEXT_FORMATS = ("dot", "mmd", "md")
GRAPHVIZ_FORMATS = ("svg", "png", "pdf")
FORMATS = TEXT_FORMATS + GRAPHVIZ_FORMATS

INSTALL_HINT = (
    "the Graphviz `dot` program is not installed (needed for .svg, .png and .pdf; .dot, .mmd and "
    ".md work without it): install it with `apt-get install graphviz`, `brew install graphviz` or "
    "`conda install graphviz`"
)


def format_of(out: str | Path) -> str:
    suffix = Path(out).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise UsageError(str(out), f"cannot tell the format from the suffix {suffix!r}: use one of "
                         + ", ".join("." + f for f in FORMATS))
    return suffix


def render_bytes(diagram: Diagram, fmt: str) -> bytes:
    """The file contents for `fmt`; raises InspectorError when Graphviz is missing."""
    from inspector.diagram.dot import to_dot

    if fmt == "dot":
        return to_dot(diagram).encode()
    if fmt in ("mmd", "md"):
        from inspector.diagram.mermaid import to_markdown, to_mermaid

        return (to_mermaid(diagram) if fmt == "mmd" else to_markdown(diagram)).encode()
    return run_dot(to_dot(diagram), fmt)


def run_dot(dot_text: str, fmt: str) -> bytes:
    import os

    import graphviz

    env_epoch = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = env_epoch or "0"  # PDF creation dates stay fixed
    try:
        return graphviz.Source(dot_text).pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        raise InspectorError(None, INSTALL_HINT) from None
    except graphviz.CalledProcessError as exc:
        detail = (exc.stderr or b"").decode(errors="replace").strip().splitlines()
        raise InspectorError(None, f"Graphviz failed: {detail[-1] if detail else exc}") from None
    finally:
        if env_epoch is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)


def render(graph: ModelGraph, out: str | Path, options: RenderOptions | None = None) -> Diagram:
    """Draw `graph` into `out` (format from the suffix); returns the drawn Diagram."""
    fmt = format_of(out)
    diagram = build_diagram(graph, options)
    data = render_bytes(diagram, fmt)
    path = Path(out)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return diagram
