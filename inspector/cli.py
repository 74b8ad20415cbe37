"""The `inspect` command line: parse options, call the library, print, exit.

Exit codes follow linters: 0 clean, 1 findings, 2 usage or load error. Errors a user can cause
print one line, `inspect: error: PATH: reason`; no traceback.
"""

from __future__ import annotations

import functools
import json
import sys

import click

from inspector import __version__
from inspector.errors import InspectorError


def report_errors(command):
    """Turn an InspectorError (and, as a last resort, any bug) into one line and exit 2."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except InspectorError as exc:
            click.echo(f"inspect: error: {exc}", err=True)
            sys.exit(2)
        except (KeyboardInterrupt, SystemExit, click.exceptions.Exit, click.ClickException):
            raise
        except Exception as exc:  # a bug; still one line, never a traceback for a user
            where = kwargs.get("path") or kwargs.get("paths") or ""
            click.echo(
                f"inspect: error: {where}: internal error {type(exc).__name__}: {exc} "
                "(a bug in keras-inspector: please report it)",
                err=True,
            )
            sys.exit(2)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="keras-inspector")
def main() -> None:
    """Lint, inspect, render and export Keras and ONNX models, without loading TensorFlow."""


@main.command()
@click.argument("path", type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text",
              show_default=True, help="Output format; json follows the documented schema.")
@click.option("--expand-nested", is_flag=True, help="Show the layers inside nested models.")
@report_errors
def summary(path: str, fmt: str, expand_nested: bool) -> None:
    """Layers, calls of shared layers, shapes, parameters and losses of a model file."""
    from inspector.loaders import load_path
    from inspector.summary import format_markdown, format_text, summary_dict

    graph = load_path(path)
    if fmt == "json":
        click.echo(json.dumps(summary_dict(graph, expand_nested), indent=2))
    elif fmt == "markdown":
        click.echo(format_markdown(graph, expand_nested), nl=False)
    else:
        click.echo(format_text(graph, expand_nested), nl=False)


@main.command()
@click.argument("path", type=str)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The ONNX file to write (.onnx).")
@click.option("--opset", type=click.IntRange(7, 21), default=None,
              help="ONNX opset; tf2onnx's default when not given.")
@click.option("--verify/--no-verify", default=True, show_default=True,
              help="Check the file and compare onnxruntime with Keras on random inputs.")
@click.option("--tolerance", type=click.FloatRange(min=0), default=1e-4, show_default=True,
              help="Largest absolute difference per output accepted by --verify.")
@click.option("--custom-objects", "custom_objects", metavar="MODULE", default=None,
              help="Python module (dotted name or .py file) defining the model's custom layers.")
@report_errors
def export(path: str, output: str, opset: int | None, verify: bool, tolerance: float,
           custom_objects: str | None) -> None:
    """Export a .keras/.h5 model or a `module:function` builder to ONNX, verified against Keras.

    Exit 1 when verification finds an output differing by more than the tolerance."""
    from inspector.export import export_onnx
    from inspector.export.report import format_report

    result = export_onnx(path, output, opset=opset, verify=verify, tolerance=tolerance,
                         custom_objects=custom_objects)
    click.echo(format_report(result), nl=False)
    if result.verification is not None and not result.verification.passed:
        for failure in result.verification.failures:
            click.echo(f"inspect: export: {path}: {failure}", err=True)
        sys.exit(1)


def _render_options(no_shapes: bool, no_params: bool, rankdir: str, expand_nested: bool, depth: int | None,
                    collapse: tuple[str, ...], start: str | None, stop: str | None, theme: str, findings=()):
    from inspector.render import RenderOptions

    levels = -1 if expand_nested and depth is None else (depth or 0)
    return RenderOptions(show_shapes=not no_shapes, show_params=not no_params, rankdir=rankdir.upper(),
                         depth=levels, collapse=tuple(collapse), start=start, stop=stop,
                         findings=tuple(findings), theme=theme)


def _diagram_options(command):
    """The drawing options `inspect render` and `inspect docs` share."""
    options = [
        click.option("--no-shapes", is_flag=True, help="Hide tensor shapes on the edges."),
        click.option("--no-params", is_flag=True, help="Hide parameter counts in the nodes."),
        click.option("--rankdir", type=click.Choice(["TB", "LR", "tb", "lr"]), default="TB", show_default=True,
                     help="Top-to-bottom or left-to-right."),
        click.option("--expand-nested", is_flag=True, help="Draw the layers of nested models as clusters."),
        click.option("--depth", type=click.IntRange(min=0), default=None,
                     help="Expand nested models this many levels deep (0: none)."),
        click.option("--collapse", multiple=True, metavar="PREFIX|auto",
                     help="Draw the layers named PREFIX_* as one block node (repeatable); "
                          "`auto` detects repeated blocks such as conv2_block1_* or NASNet cells."),
        click.option("--theme", type=click.Choice(["auto", "light", "dark"]), default="auto", show_default=True,
                     help="Page colours: auto (transparent) works on light and dark pages."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@main.command()
@click.argument("path", type=str)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The file to write; the suffix picks the format: .svg .png .pdf .dot .mmd .md")
@_diagram_options
@click.option("--from", "start", metavar="LAYER", default=None, help="Draw from this layer on.")
@click.option("--to", "stop", metavar="LAYER", default=None, help="Draw up to this layer.")
@click.option("--lint", "with_lint", is_flag=True, help="Run every rule and outline the findings' layers.")
@report_errors
def render(path: str, output: str, no_shapes: bool, no_params: bool, rankdir: str, expand_nested: bool,
           depth: int | None, collapse: tuple[str, ...], theme: str, start: str | None, stop: str | None,
           with_lint: bool) -> None:
    """Draw a model: one node per layer call, shapes on edges, shared layers tied together."""
    from inspector import load
    from inspector.render import render as draw

    graph = load(path)
    findings = ()
    if with_lint:
        from inspector.engine import all_rules, lint_graph

        findings = tuple(lint_graph(graph, all_rules()))
    options = _render_options(no_shapes, no_params, rankdir, expand_nested, depth, collapse, start, stop,
                              theme, findings)
    diagram = draw(graph, output, options)
    blocks = sum(1 for n in diagram.nodes if n.kind == "block")
    click.echo(f"{output}: {len(diagram.nodes)} nodes" + (f" ({blocks} collapsed blocks)" if blocks else "")
               + f", {len(diagram.edges)} edges" + (f", {len(findings)} findings" if with_lint else ""))


@main.command()
@click.argument("paths", nargs=-1, required=True, type=str)
@click.option("-o", "--output", "folder", required=True, type=click.Path(file_okay=False),
              help="The docs folder: one PAGE.md and PAGE.svg per model (and index.md for several).")
@_diagram_options
@click.option("--lint/--no-lint", "with_lint", default=True, show_default=True,
              help="Run every rule: findings on the diagram and in a section of the page.")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 listing the files that are stale or missing.")
@report_errors
def docs(paths: tuple[str, ...], folder: str, no_shapes: bool, no_params: bool, rankdir: str,
         expand_nested: bool, depth: int | None, collapse: tuple[str, ...], theme: str, with_lint: bool,
         check: bool) -> None:
    """One Markdown page per model (diagram, summary, inputs/outputs, training, findings).

    Reruns on unchanged models write byte-identical files, so `--check` can guard docs in CI."""
    from pathlib import Path

    from inspector.docs_page import build_docs, stale_files, write_docs

    options = _render_options(no_shapes, no_params, rankdir, expand_nested, depth, collapse, None, None, theme)
    files = build_docs(list(paths), options, with_lint)
    target = Path(folder)
    if check:
        stale = stale_files(files, target)
        for name in stale:
            state = "missing" if not (target / name).exists() else "stale"
            click.echo(f"{target / name}: {state}")
        if stale:
            click.echo(f"inspect docs: {len(stale)} of {len(files)} files out of date; "
                       "rerun `inspect docs` without --check", err=True)
            sys.exit(1)
        click.echo(f"{len(files)} files up to date in {target}")
        return
    written = write_docs(files, target)
    click.echo(f"{len(written)} of {len(files)} files written to {target}")
