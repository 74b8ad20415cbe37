"""The `inspect` command line: parse options, call the library, print, exit.

Exit codes follow linters: 0 clean, 1 findings (at or above `--fail-on`), 2 usage or load
error. Errors a user can cause print one line, `inspect: error: PATH: reason`; no traceback.
"""

from __future__ import annotations

import functools
import json
import os
import sys

import click

from inspector import __version__
from inspector.errors import InspectorError, UsageError, internal_error
from inspector.report import FORMATS


def report_errors(command):
    """Turn an InspectorError, a missing optional dependency (and, as a last resort, any bug)
    into one line and exit 2."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except InspectorError as exc:
            click.echo(f"inspect: error: {exc}", err=True)
            sys.exit(2)
        except (KeyboardInterrupt, SystemExit, click.exceptions.Exit, click.ClickException, BrokenPipeError):
            raise
        except Exception as exc:  # noqa: BLE001  (a bug; still one line, never a traceback)
            from inspector.extras import missing_dependency

            where = _arguments(kwargs)
            missing = missing_dependency(exc, where or None)  # the user's set-up, not a bug
            reason = missing if missing is not None else f"{where + ': ' if where else ''}{internal_error(exc)}"
            click.echo(f"inspect: error: {reason}", err=True)
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


class _OneLineErrors(click.Group):
    """Click's usage errors (a bad option value, a missing argument, an unknown option) are three
    lines (usage, hint, error); here, as every other user error, one `inspect: error:` line
    naming where the full usage is, with exit 2."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except click.exceptions.NoArgsIsHelpError as exc:  # `inspect` alone: the help
            exc.show()
            sys.exit(exc.exit_code)
        except click.UsageError as exc:
            command = exc.ctx.command_path if exc.ctx is not None else "inspect"
            click.echo(f"inspect: error: {exc.format_message()} (`{command} --help` shows the usage)", err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        except BrokenPipeError:
            # The reader went away (`inspect rules | head -5`): stop quietly, exit 1 as click's own
            # standalone mode and Python's documentation do (a truncated `lint` never reads as a
            # pass), with stdout on /dev/null so the interpreter's last flush cannot complain.
            _quiet_stdout()
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


def _quiet_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no file descriptor behind stdout (a test's capture): nothing to flush
        pass


@click.group(cls=_OneLineErrors, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="keras-inspector")
def main() -> None:
    """Lint, inspect, render and export Keras and ONNX models, without loading TensorFlow."""


def entry() -> None:
    """The `inspect` program: the command, then an exit that leaves the heap to the system.
    Python's last full collection walks every object first; after a diagnosis of EfficientNetB0
    it took 0.5 s in one run and 16 s in the next (pages the machine had reclaimed meanwhile),
    pushing the process past its budget. Frozen objects are not walked."""
    import gc

    try:
        main()
    finally:
        gc.freeze()


@main.command()
@click.argument("path", metavar="PATH_OR_BUILDER", type=str)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text",
              show_default=True, help="Output format; json follows the documented schema.")
@click.option("--expand-nested", is_flag=True, help="Show the layers inside nested models.")
@click.option("--textconv", is_flag=True,
              help="A stable one-fact-a-line form for git's diff.<driver>.textconv (see the README).")
@report_errors
def summary(path: str, fmt: str, expand_nested: bool, textconv: bool) -> None:
    """Layers, calls of shared layers, shapes, parameters and losses of a model file or builder."""
    from inspector import load
    from inspector.summary import format_markdown, format_text, summary_dict

    if textconv:
        from inspector.diff.textconv import textconv_of

        click.echo(textconv_of(path), nl=False)
        return
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
              help="ONNX opset: native writes 13 to 17 (default 17), tf2onnx 1.17 writes 9 to 18 "
                   "(default 15); auto uses tf2onnx for an opset native does not write.")
@click.option("--verify/--no-verify", default=True, show_default=True,
              help="Check the file and compare onnxruntime with Keras on random inputs.")
@click.option("--tolerance", type=click.FloatRange(min=0), default=1e-4, show_default=True,
              help="Largest absolute difference per output accepted by --verify.")
@click.option("--custom-objects", "custom_objects", metavar="MODULE", default=None,
              help="Python module (dotted name or .py file) defining the model's custom layers.")
@click.option("--converter", type=click.Choice(["auto", "native", "tf2onnx"]), default="auto", show_default=True,
              help="native: from the file, without TensorFlow; tf2onnx: through Keras; auto: native when "
                   "every layer class is supported, else tf2onnx.")
@click.option("--input-shape", "input_shapes", multiple=True, metavar="NAME=D1,D2,...",
              help="Verify on this shape of input NAME, batch first (repeatable), e.g. posts=3,500.")
@report_errors
def export(path: str, output: str, opset: int | None, verify: bool, tolerance: float,
           custom_objects: str | None, converter: str, input_shapes: tuple[str, ...]) -> None:
    """Export a .keras/.h5 model (natively, no TensorFlow needed) or a `module:function` builder
    to ONNX, checked with onnxruntime, against Keras when TensorFlow is installed.

    Exit 1 when verification finds an output differing by more than the tolerance."""
    from inspector.export import export_onnx
    from inspector.export.probe import parse_input_shapes
    from inspector.export.report import format_report

    result = export_onnx(path, output, opset=opset, verify=verify, tolerance=tolerance,
                         custom_objects=custom_objects, converter=converter,
                         input_shapes=parse_input_shapes(input_shapes, path))
    if result.warning:  # after the export: a refusal already says it in its one line
        click.echo(f"inspect: warning: {result.source}: {result.warning}", err=True)
    click.echo(format_report(result), nl=False)
    if result.verification is not None and not result.verification.passed:
        # the report above lists each failure; stderr only says the export is not to be trusted
        count = len(result.verification.failures)
        click.echo(f"inspect: export: {path}: verification FAILED ({count} problem{'s' if count != 1 else ''}, "
                   "listed in the report)", err=True)
        sys.exit(1)


def _render_options(no_shapes: bool, no_params: bool, rankdir: str, expand_nested: bool, depth: int | None,
                    collapse: tuple[str, ...], start: str | None, stop: str | None, theme: str, max_nodes: int):
    from inspector.diagram import RenderOptions

    levels = -1 if expand_nested and depth is None else (depth or 0)
    return RenderOptions(show_shapes=not no_shapes, show_params=not no_params, rankdir=rankdir.upper(),
                         depth=levels, collapse=tuple(collapse), start=start, stop=stop,
                         theme=theme, max_nodes=max_nodes or None)


def _diagram_options(command):
    """The drawing options `inspect render` and `inspect docs` share."""
    from inspector.diagram.model import MAX_NODES

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
        click.option("--max-nodes", type=click.IntRange(min=0), default=MAX_NODES, show_default=True,
                     help="Refuse a drawing of more nodes than this (0: no limit); Graphviz is also "
                          "stopped after 120 s or 2 GiB of memory."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@main.command()
@click.argument("path", type=str)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The file to write; the suffix picks the format: .svg .png .pdf .dot .mmd .md .html")
@_diagram_options
@click.option("--from", "start", metavar="LAYER", default=None, help="Draw from this layer on.")
@click.option("--to", "stop", metavar="LAYER", default=None, help="Draw up to this layer.")
@click.option("--lint", "with_lint", is_flag=True, help="Run every rule and outline the findings' layers.")
@report_errors
def render(path: str, output: str, no_shapes: bool, no_params: bool, rankdir: str, expand_nested: bool,
           depth: int | None, collapse: tuple[str, ...], theme: str, max_nodes: int, start: str | None,
           stop: str | None, with_lint: bool) -> None:
    """Draw a model: one node per layer call, shapes on edges, shared layers tied together."""
    from inspector.api import draw

    options = _render_options(no_shapes, no_params, rankdir, expand_nested, depth, collapse, start, stop, theme,
                              max_nodes)
    diagram, findings = draw(path, output, options, with_lint, warn=_warn_payloads)
    blocks = sum(1 for n in diagram.nodes if n.kind == "block")
    click.echo(f"{output}: {len(diagram.nodes)} nodes" + (f" ({blocks} collapsed blocks)" if blocks else "")
               + f", {len(diagram.edges)} edges" + (f", {len(findings)} finding{'' if len(findings) == 1 else 's'}" if with_lint else ""))


@main.command()
@click.argument("paths", nargs=-1, required=True, type=str)
@click.option("-o", "--output", "folder", required=True, type=click.Path(file_okay=False),
              help="The docs folder: one PAGE.md and PAGE.svg per model, and index.md listing every page.")
@_diagram_options
@click.option("--lint/--no-lint", "with_lint", default=True, show_default=True,
              help="Run every rule: findings on the diagram and in a section of the page.")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 listing the files that are stale or missing.")
@click.option("--fail-on-change", is_flag=True,
              help="Write the pages, then exit 1 if any file changed (how a formatter fails a pre-commit hook).")
@report_errors
def docs(paths: tuple[str, ...], folder: str, no_shapes: bool, no_params: bool, rankdir: str,
         expand_nested: bool, depth: int | None, collapse: tuple[str, ...], theme: str, max_nodes: int,
         with_lint: bool, check: bool, fail_on_change: bool) -> None:
    """One Markdown page per model (diagram, summary, inputs/outputs, training, findings); a
    folder stands for the model files in it.

    Reruns on unchanged models write byte-identical files, so `--check` can guard docs in CI."""
    from pathlib import Path

    from inspector.docs_page import build_docs, stale_files, write_docs
    from inspector.targets import discover

    options = _render_options(no_shapes, no_params, rankdir, expand_nested, depth, collapse, None, None, theme,
                              max_nodes)
    target = Path(folder)
    models, errors = [], []

    def unreadable(exc: InspectorError) -> None:
        """One line for a model that cannot be read; the other models' pages are still written."""
        errors.append(exc)
        click.echo(f"inspect: error: {exc}", err=True)

    for found in discover(paths):  # a folder means the models in it, as for lint and scan
        if isinstance(found, InspectorError):
            unreadable(found)
        else:
            models.append(found)
    if not models and not errors:
        raise UsageError(", ".join(paths), "no model files found")
    files = build_docs(models, options, with_lint,
                       warn=lambda message: click.echo(f"inspect: warning: {target}: {message}", err=True),
                       folder=target, warn_payloads=_warn_payloads, on_error=unreadable)
    failed = 2 if errors else 0  # a model that could not be read fails the run, as in lint
    if check:
        stale = stale_files(files, target)
        for name in stale:
            state = "missing" if not (target / name).exists() else "stale"
            click.echo(f"{target / name}: {state}")
        if stale:
            click.echo(f"inspect docs: {len(stale)} of {len(files)} files out of date; "
                       "rerun `inspect docs` without --check", err=True)
            sys.exit(failed or 1)
        click.echo(f"{len(files)} files up to date in {target}")
        if failed:
            sys.exit(failed)
        return
    written = write_docs(files, target)
    click.echo(f"{len(written)} of {len(files)} files written to {target}")
    if fail_on_change and written:
        for name in written:
            click.echo(f"{target / name}: rewritten")
    if failed or (fail_on_change and written):
        sys.exit(failed or 1)


def _warn_payloads(graph) -> None:
    """One line on stderr when the file carries a security finding (`inspect scan` lists them)."""
    from inspector.security import warning_line

    line = warning_line(graph)
    if line:
        click.echo(f"inspect: warning: {graph.source.path}: {line}", err=True)


def _split_selectors(values: tuple[str, ...]) -> list[str]:
    """`--select N,G101 --select unsafe-lambda` -> ["N", "G101", "unsafe-lambda"]."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _lint_options(command):
    """The options of a command that lints (`inspect lint`, and any other that reports findings
    through inspector.run): rule selection, output format, the exit gate, baselines, config."""
    options = [
        click.option("--select", multiple=True, metavar="RULES",
                     help="Only these rules: codes, names or family prefixes, comma-separated, repeatable."),
        click.option("--ignore", multiple=True, metavar="RULES", help="Skip these rules (same forms as --select)."),
        click.option("--output-format", "output_format", type=click.Choice(FORMATS),
                     default="text", show_default=True, help="How to print the findings."),
        click.option("--exit-zero", is_flag=True,
                     help="Exit 0 even when there are findings (load errors still exit 2)."),
        click.option("--fail-on", "fail_on", type=click.Choice(["error", "warning", "info", "never"]), default=None,
                     help="The least severe finding that exits 1 [default: warning, or fail-on in the config]: "
                          "info notes are printed but do not fail the run."),
        click.option("--baseline", "baseline", type=click.Path(dir_okay=False), default=None,
                     help="Report and fail only on findings not in this baseline; list its entries now fixed."),
        click.option("--write-baseline", "write_baseline", type=click.Path(dir_okay=False), default=None,
                     help="Record every finding of this run in FILE (keyed by file, rule and layers) and exit 0."),
        click.option("--config", "config_file", type=click.Path(dir_okay=False), default=None,
                     help="Configuration file (default: the nearest pyproject.toml with [tool.inspector])."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def lint_and_exit(targets: tuple[str, ...], select: tuple[str, ...], ignore: tuple[str, ...], output_format: str,
                  exit_zero: bool, fail_on: str | None, baseline: str | None, write_baseline: str | None,
                  config_file: str | None, data: str | None = None, lint_one=None) -> None:
    """Run inspector.run on the targets (with `lint_one`, another way to lint one target, if
    given), print the errors as they come, the baseline's account and the findings, and exit as
    linters do: 0 clean, 1 a finding at or above --fail-on, 2 a target that could not be read."""
    from inspector.config import load_config
    from inspector.report import formatter
    from inspector.run import lint_target, run

    result = run(targets, config=load_config(config_file), select=_split_selectors(select),
                 ignore=_split_selectors(ignore), data=data, baseline=baseline, write_baseline=write_baseline,
                 fail_on=fail_on, lint_one=lint_one or lint_target,
                 on_error=lambda where, reason: click.echo(f"inspect: error: {where}: {reason}", err=True))
    if result.written is not None:
        click.echo(f"inspect: wrote {result.written} finding{'s' if result.written != 1 else ''} to the baseline "
                   f"{write_baseline}", err=True)
        sys.exit(0)
    if result.baseline is not None:
        known, fixed = len(result.baseline.known), len(result.baseline.fixed)
        click.echo(f"inspect: baseline {baseline}: {known} known finding{'s' if known != 1 else ''} not shown, "
                   f"{fixed} entr{'ies' if fixed != 1 else 'y'} fixed", err=True)
        for entry in result.baseline.fixed:
            click.echo(f"inspect: baseline {baseline}: fixed, can be dropped: {entry}", err=True)
    click.echo(formatter(output_format)(result), nl=False)
    code = result.exit_code(exit_zero)
    if code:
        sys.exit(code)


@main.command()
@click.argument("targets", nargs=-1, required=True, metavar="PATH_OR_BUILDER...")
@_lint_options
@click.option("--data", type=click.Path(exists=True, dir_okay=False), default=None,
              help="An .npz of arrays named after the model's inputs and outputs: measure each "
                   "output's loss (runs the model with TensorFlow).")
@report_errors
def lint(targets: tuple[str, ...], select: tuple[str, ...], ignore: tuple[str, ...], output_format: str,
         exit_zero: bool, fail_on: str | None, baseline: str | None, write_baseline: str | None,
         config_file: str | None, data: str | None) -> None:
    """Check model files, folders and `module:function` builders against the rules.

    Exit 0 when nothing fails the run, 1 on a finding at or above --fail-on (warning unless
    configured), 2 on a usage or load error (the other files are still checked)."""
    lint_and_exit(targets, select, ignore, output_format, exit_zero, fail_on, baseline, write_baseline,
                  config_file, data)


@main.command()
@click.argument("targets", nargs=-1, required=True, metavar="PATH_OR_BUILDER...")
@_lint_options
@click.option("--data", required=True, metavar="NPZ|MODULE:FUNCTION",
              help="A sample of the training data: an .npz of arrays named after the model's inputs and "
                   "outputs (or x and y), or a function returning (x, y), a dict, a tf.data.Dataset or a PyDataset.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of every probe run (same seed, same result).")
@click.option("--budget", type=click.FloatRange(min=1), default=60.0, show_default=True, metavar="SECONDS",
              help="Time for the probe of each model: what does not fit is skipped, and said.")
@report_errors
def diagnose(targets: tuple[str, ...], select: tuple[str, ...], ignore: tuple[str, ...], output_format: str,
             exit_zero: bool, fail_on: str | None, baseline: str | None, write_baseline: str | None,
             config_file: str | None, data: str, seed: int, budget: float) -> None:
    """Why doesn't my model learn? Train copies of the model briefly on a data sample and report
    the faults the data shows, each with the fix tried and both figures (runs TensorFlow).

    Exit codes as lint: 0 clean, 1 findings at or above --fail-on, 2 a usage, model or data error."""
    from inspector.diagnosis import diagnose_one

    def say(line: str) -> None:
        click.echo(f"inspect: diagnose: {line}", err=True)

    progress = say if sys.stderr.isatty() else None  # a terminal watches; a log keeps the notes only
    lint_and_exit(targets, select, ignore, output_format, exit_zero, fail_on, baseline, write_baseline,
                  config_file, data, lint_one=diagnose_one(seed, budget, note=say, progress=progress))


@main.command()
@click.argument("targets", nargs=-1, required=True, metavar="OLD NEW | --base REF PATH...")
@click.option("--base", metavar="REF", default=None,
              help="Compare each PATH with its version at git revision REF (e.g. origin/main).")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text",
              show_default=True, help="text for the terminal, markdown for a pull request, json for tools.")
@click.option("-o", "--output", default=None, type=click.Path(dir_okay=False),
              help="Also draw NEW with added, changed and removed layers marked (.svg .png .pdf .dot .mmd).")
@click.option("--exit-code", is_flag=True,
              help="Exit 1 when the models differ (layers, inputs, outputs or training; renames alone do not).")
@click.option("--lint/--no-lint", "with_lint", default=True, show_default=True,
              help="Say which lint findings the change introduces and which it fixes.")
@_diagram_options
@report_errors
def diff(targets: tuple[str, ...], base: str | None, fmt: str, output: str | None, exit_code: bool,
         with_lint: bool, no_shapes: bool, no_params: bool, rankdir: str, expand_nested: bool,
         depth: int | None, collapse: tuple[str, ...], theme: str, max_nodes: int) -> None:
    """What changed from OLD to NEW (files of any format or era, or `module:function` builders):
    layers added, removed, renamed and changed, connections, sharing, training, totals, findings.

    With --base REF, each PATH is compared with its committed version at REF (a file REF lacks
    is reported as new); --format json then prints a list, one diff per PATH that REF has."""
    from inspector.config import load_config
    from inspector.diff import diff as compare
    from inspector.diff.report import diff_dict, format_markdown, format_text
    from inspector.engine import select_rules

    if base is None and len(targets) != 2:
        raise UsageError(None, f"diff takes OLD and NEW (or --base REF and paths), not {len(targets)} argument"
                         + ("s" if len(targets) != 1 else ""))
    if output is not None and len(targets) != (1 if base else 2):
        raise UsageError(output, "-o draws one comparison: give one PATH with --base")
    config = load_config()  # the project's rule selection and options, as `inspect lint` uses them
    rules = select_rules(config.select, config.ignore) if with_lint else None
    if base is None:
        results, added = [compare(targets[0], targets[1], lint=with_lint, rules=rules, options=config.rule_options)], []
    else:
        from inspector.diff import diff_at

        results, added = diff_at(base, targets, lint=with_lint, rules=rules, options=config.rule_options)
    if output is not None and results:
        from dataclasses import replace

        from inspector.diff.picture import draw_diff

        options = _render_options(no_shapes, no_params, rankdir, expand_nested, depth, collapse, None, None, theme,
                                  max_nodes)
        draw_diff(results[0], output, replace(options, findings=tuple(results[0].introduced)))
    if fmt == "json":
        docs = [diff_dict(r) for r in results]
        click.echo(json.dumps(docs if base is not None else docs[0], indent=2))
    else:
        form = format_markdown if fmt == "markdown" else format_text
        reports = [form(r) for r in results]
        reports += [f"{path}: new file, not in {base}\n" for path in added]
        click.echo("\n".join(reports), nl=False)
    if exit_code and (added or any(r.differs for r in results)):
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
    from inspector.engine import SECURITY

    ctx.invoke(lint, targets=targets, select=(SECURITY,), ignore=(), output_format=output_format,
               exit_zero=exit_zero, config_file=None, data=None)


@main.command(name="rules")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@report_errors
def rules_command(fmt: str) -> None:
    """List every lint rule by family: code, name, default severity and what it checks."""
    from inspector.engine import FAMILIES, all_rules

    rules = all_rules()
    if fmt == "json":
        from inspector.evidence import record

        click.echo(json.dumps([{"code": r.code, "name": r.name, "family": r.family, "severity": r.severity,
                                "summary": r.summary, "options": dict(r.options), "default": r.default,
                                "frameworks": sorted(r.frameworks),
                                "evidence": record(r.name)} for r in rules], indent=2))
        return
    width = max(len(r.name) for r in rules)
    groups = [(f, [r for r in rules if r.family == f.letter]) for f in FAMILIES.values()]
    click.echo(f"code  {'name':<{width}}  severity  onnx  what it checks")
    for family, members in ((f, m) for f, m in groups if m):
        click.echo()
        click.echo(f"{family.letter}  {family.title}. {family.about[0].upper()}{family.about[1:]}.")
        for r in members:
            opt_in = "" if r.default else "(opt-in) "
            onnx = "yes" if "onnx" in r.frameworks else "-"  # ONNX files are inference graphs
            click.echo(f"{r.code}  {r.name:<{width}}  {r.severity:<8}  {onnx:<4}  {opt_in}{r.summary}")
    click.echo()
    click.echo("onnx: whether the rule runs on ONNX files (inference graphs: normalization folded "
               "into convolutions, no dropout, no loss).")


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
