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
