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
from inspector.errors import InspectorError, one_line
from inspector.report import FORMATS


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
        except Exception as exc:  # noqa: BLE001  (a bug; still one line, never a traceback)
            where = _arguments(kwargs)
            click.echo(
                f"inspect: error: {where + ': ' if where else ''}internal error {type(exc).__name__}: "
                f"{one_line(exc)} (a bug in keras-inspector: please report it)",
                err=True,
            )
            sys.exit(2)

    return wrapper


def _arguments(kwargs: dict) -> str:
    """What the command was run on, for an error line: the values of its positional arguments
    (`path`, `paths`, `targets`, a rule name...), read from the command's own declaration."""
    ctx = click.get_current_context(silent=True)
    names = [p.name for p in ctx.command.params if isinstance(p, click.Argument)] if ctx else []
    values: list[str] = []
    for name in names or ("targets", "paths", "path"):
        value = kwargs.get(name)
        if isinstance(value, (list, tuple)):
            values.extend(str(v) for v in value)
        elif value is not None:
            values.append(str(value))
    return ", ".join(values)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="keras-inspector")
def main() -> None:
    """Lint, inspect, render and export Keras and ONNX models, without loading TensorFlow."""


@main.command()
@click.argument("path", metavar="PATH_OR_BUILDER", type=str)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text",
              show_default=True, help="Output format; json follows the documented schema.")
@click.option("--expand-nested", is_flag=True, help="Show the layers inside nested models.")
@report_errors
def summary(path: str, fmt: str, expand_nested: bool) -> None:
    """Layers, calls of shared layers, shapes, parameters and losses of a model file or builder."""
    from inspector import load
    from inspector.summary import format_markdown, format_text, summary_dict

    graph = load(path)  # files, SavedModel folders and `module:function` builders, like lint and render
    _warn_payloads(graph)
    if fmt == "json":
        from inspector.report.strict_json import dumps

        click.echo(dumps(summary_dict(graph, expand_nested), indent=2))
    elif fmt == "markdown":
        click.echo(format_markdown(graph, expand_nested), nl=False)
    else:
        click.echo(format_text(graph, expand_nested), nl=False)


@main.command()
@click.argument("path", type=str)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The ONNX file to write (.onnx).")
@click.option("--opset", type=click.IntRange(9, 18), default=None,
              help="ONNX opset (tf2onnx 1.17 writes 9 to 18); its default, 15, when not given.")
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
        # the report above lists each failure; stderr only says the export is not to be trusted
        count = len(result.verification.failures)
        click.echo(f"inspect: export: {path}: verification FAILED ({count} problem{'s' if count != 1 else ''}, "
                   "listed in the report)", err=True)
        sys.exit(1)


def _render_options(no_shapes: bool, no_params: bool, rankdir: str, expand_nested: bool, depth: int | None,
                    collapse: tuple[str, ...], start: str | None, stop: str | None, theme: str):
    from inspector.diagram import RenderOptions

    levels = -1 if expand_nested and depth is None else (depth or 0)
    return RenderOptions(show_shapes=not no_shapes, show_params=not no_params, rankdir=rankdir.upper(),
                         depth=levels, collapse=tuple(collapse), start=start, stop=stop,
                         theme=theme)


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
    from inspector.api import draw

    options = _render_options(no_shapes, no_params, rankdir, expand_nested, depth, collapse, start, stop, theme)
    diagram, findings = draw(path, output, options, with_lint, warn=_warn_payloads)
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
@click.option("--fail-on-change", is_flag=True,
              help="Write the pages, then exit 1 if any file changed (how a formatter fails a pre-commit hook).")
@report_errors
def docs(paths: tuple[str, ...], folder: str, no_shapes: bool, no_params: bool, rankdir: str,
         expand_nested: bool, depth: int | None, collapse: tuple[str, ...], theme: str, with_lint: bool,
         check: bool, fail_on_change: bool) -> None:
    """One Markdown page per model (diagram, summary, inputs/outputs, training, findings).

    Reruns on unchanged models write byte-identical files, so `--check` can guard docs in CI."""
    from pathlib import Path

    from inspector.docs_page import build_docs, stale_files, write_docs

    options = _render_options(no_shapes, no_params, rankdir, expand_nested, depth, collapse, None, None, theme)
    target = Path(folder)
    files = build_docs(list(paths), options, with_lint,
                       warn=lambda message: click.echo(f"inspect: warning: {target}: {message}", err=True),
                       folder=target, warn_payloads=_warn_payloads)
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
    if fail_on_change and written:
        for name in written:
            click.echo(f"{target / name}: rewritten")
        sys.exit(1)


def _warn_payloads(graph) -> None:
    """One line on stderr when the file carries a security finding (`inspect scan` lists them)."""
    from inspector.security import warning_line

    line = warning_line(graph)
    if line:
        click.echo(f"inspect: warning: {graph.source.path}: {line}", err=True)


def _split_selectors(values: tuple[str, ...]) -> list[str]:
    """`--select N,G101 --select unsafe-lambda` -> ["N", "G101", "unsafe-lambda"]."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


@main.command()
@click.argument("targets", nargs=-1, required=True, metavar="PATH_OR_BUILDER...")
@click.option("--select", multiple=True, metavar="RULES",
              help="Only these rules: codes, names or family prefixes, comma-separated, repeatable.")
@click.option("--ignore", multiple=True, metavar="RULES", help="Skip these rules (same forms as --select).")
@click.option("--output-format", "output_format", type=click.Choice(FORMATS),
              default="text", show_default=True, help="How to print the findings.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings (load errors still exit 2).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), default=None,
              help="Configuration file (default: the nearest pyproject.toml with [tool.inspector]).")
@click.option("--data", type=click.Path(exists=True, dir_okay=False), default=None,
              help="An .npz of arrays named after the model's inputs and outputs: measure each "
                   "output's loss (runs the model with TensorFlow).")
@report_errors
def lint(targets: tuple[str, ...], select: tuple[str, ...], ignore: tuple[str, ...], output_format: str,
         exit_zero: bool, config_file: str | None, data: str | None) -> None:
    """Check model files, folders and `module:function` builders against the rules.

    Exit 0 when nothing is found, 1 when something is, 2 on a usage or load error (the other
    files are still checked)."""
    from inspector.config import load_config
    from inspector.engine import discover, lint_target, matches, select_rules
    from inspector.report import LintRun, formatter

    config = load_config(config_file).with_command_line(_split_selectors(select), _split_selectors(ignore))
    rules = select_rules(config.select, config.ignore)
    findings, files, errors = [], [], []
    for target in discover(targets):
        if isinstance(target, InspectorError):  # a folder or entry that could not be listed
            files.append(target.path)
            errors.append((target.path, target.reason))
            click.echo(f"inspect: error: {target}", err=True)
            continue
        files.append(target)
        per_file = config.ignored_for(target)
        off = {r.code for r in rules if any(matches(r, s) for s in per_file)}  # "ALL" too
        chosen = [r for r in rules if r.code not in off]
        try:
            findings.extend(lint_target(target, chosen, config.rule_options, data))
        except InspectorError as exc:  # the path it names: the model, or e.g. the --data file
            where = exc.path or target
            errors.append((where, exc.reason))
            click.echo(f"inspect: error: {where}: {exc.reason}", err=True)
        except Exception as exc:  # noqa: BLE001 - a bug, but one file must not stop the others
            reason = (f"internal error {type(exc).__name__}: {one_line(exc)} "
                      "(a bug in keras-inspector: please report it)")
            errors.append((target, reason))
            click.echo(f"inspect: error: {target}: {reason}", err=True)
    run = LintRun(tuple(findings), tuple(files), tuple(errors), tuple(rules))
    click.echo(formatter(output_format)(run), nl=False)
    if errors:
        sys.exit(2)
    if findings and not exit_zero:
        sys.exit(1)


@main.command()
@click.argument("targets", nargs=-1, required=True, metavar="PATH...")
@click.option("--output-format", "output_format", type=click.Choice(FORMATS),
              default="text", show_default=True, help="How to print the findings.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings (load errors still exit 2).")
@click.pass_context
def scan(ctx: click.Context, targets: tuple[str, ...], output_format: str, exit_zero: bool) -> None:
    """Check untrusted model files and folders for payloads: `lint --select S` (the security rules).

    Nothing in the files is run, unpickled or imported. Exit 0 when nothing is found, 1 when
    something is, 2 when a file cannot be read."""
    ctx.invoke(lint, targets=targets, select=("S",), ignore=(), output_format=output_format,
               exit_zero=exit_zero, config_file=None, data=None)


@main.command(name="rules")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@report_errors
def rules_command(fmt: str) -> None:
    """List every lint rule: code, name, default severity and what it checks."""
    from inspector.engine import all_rules

    rules = all_rules()
    if fmt == "json":
        from inspector.evidence import record

        click.echo(json.dumps([{"code": r.code, "name": r.name, "severity": r.severity,
                                "summary": r.summary, "options": dict(r.options), "default": r.default,
                                "evidence": record(r.name)} for r in rules], indent=2))
        return
    width = max(len(r.name) for r in rules)
    for r in rules:
        opt_in = "" if r.default else "(opt-in) "
        click.echo(f"{r.code}  {r.name:<{width}}  {r.severity:<7}  {opt_in}{r.summary}")


@main.command(name="rule")
@click.argument("name_or_code")
@report_errors
def rule_command(name_or_code: str) -> None:
    """Print one rule's documentation (what it does, why it matters, example, how to fix)."""
    from inspector.engine import get_rule

    r = get_rule(name_or_code)
    click.echo(f"# {r.code} {r.name}\n")
    click.echo(f"Default severity: {r.severity}.")
    if r.options:
        opts = ", ".join(f"`{k}` = {json.dumps(v)}" for k, v in r.options.items())
        click.echo(f"Options ([tool.inspector.rules.{r.name}]): {opts}.")
    if r.frameworks != frozenset({"keras", "onnx"}):
        click.echo(f"Applies to: {', '.join(sorted(r.frameworks))} models.")
    click.echo("")
    click.echo(r.doc)
    from inspector.evidence import as_markdown, record

    evidence = record(r.name)
    if evidence is not None:
        click.echo("")
        click.echo(as_markdown(evidence))
