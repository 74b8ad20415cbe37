"""`inspect docs`: one Markdown page per model for a docs folder, byte-identical on reruns.

Each page holds the diagram (an SVG written beside it, the interactive HTML page linked from it,
and the same drawing as Mermaid inline),
the summary table from inspector.summary, inputs and outputs, the training configuration and
the lint findings. Everything written is computed first as {path: bytes}, so `--check` compares
exactly what a run would write with what is on disk: docs that drift from the model fail CI.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from inspector.diagram import GraphvizMissing, RenderOptions, build_diagram, render_bytes
from inspector.diagram.mermaid import to_mermaid
from inspector.errors import InspectorError, UsageError
from inspector.graph import ModelGraph
from inspector.summary import format_markdown, format_shape, summary_dict
from inspector.text import utf8

AUTO_COLLAPSE_CALLS = 150  # above this many calls a page collapses repeated blocks by default


def model_key(path: str) -> str:
    """What a page records to say which model it documents: the model's path relative to the
    current directory (POSIX separators), so the same file spelled `a/m.keras`, `./a/m.keras` or
    absolutely is one model. Targets that are not files (builder references) stay as given."""
    target = Path(path.rstrip("/") or path)
    if not target.exists():
        return path
    try:
        return Path(os.path.relpath(target.resolve(), Path.cwd().resolve())).as_posix()
    except ValueError:  # another drive on Windows: no relative path exists
        return target.resolve().as_posix()


def _row_key(row: dict[str, str]) -> str:
    """The model a marked page documents; pages written before markers had `path` use `file`."""
    return row.get("path") or model_key(row["file"])


def page_names(paths: Sequence[str], existing: dict[str, dict[str, str]] | None = None) -> list[str]:
    """A file stem per model. Stems that clash are told apart by suffix when that suffices
    (`model-keras`, `model-h5`), else by parent folder (`a-model`, `b-model`), else by both.

    `existing` ({stem: index row} of the pages already in the folder) makes names stable across
    runs (pre-commit batches): a model that has a page keeps it, and a model whose name is taken
    by another model's page gets the parent folder (then suffix) added. Raises UsageError when two
    models would still share a page (or a model would get the index's name)."""
    existing = existing or {}
    files = [Path(p.rstrip("/")) for p in paths]
    stems = [f.stem or "model" for f in files]
    fallbacks = []
    names = []
    for f, stem in zip(files, stems, strict=True):
        suffix = f.suffix.lstrip(".") or "dir"
        parent = f.resolve().parent.name or "root"
        fallbacks.append([f"{parent}-{stem}", f"{parent}-{stem}-{suffix}"])
        group = [g for g, s in zip(files, stems, strict=True) if s == stem]
        if len(group) == 1:
            names.append(stem)
        elif len({g.suffix for g in group}) == len(group):
            names.append(f"{stem}-{suffix}")
        elif len({g.resolve().parent.name for g in group}) == len(group):
            names.append(f"{parent}-{stem}")
        else:
            names.append(f"{parent}-{stem}-{suffix}")

    owners: dict[str, str] = {}  # model key -> its page already in the folder
    for stem, row in sorted(existing.items()):
        owners.setdefault(_row_key(row), stem)
    keys = [model_key(p) for p in paths]
    kept = [owners.get(key) for key in keys]
    for i, name in enumerate(names):
        if kept[i] is not None:
            names[i] = kept[i]
        elif name in existing:  # another model's page: never overwrite it
            others = set(existing) | {n for j, n in enumerate(names) if j != i}
            names[i] = next((c for c in fallbacks[i] if c not in others), name)

    for i, name in enumerate(names):
        if name.lower() == "index":
            raise UsageError(paths[i], "a model page cannot be named index.md (the index of the models): "
                                       "rename the file or document it from another folder")
        if name in names[:i]:
            raise UsageError(paths[i], f"its page would be {name}.md, like the page of "
                                       f"{paths[names.index(name)]}: rename one of the files")
        if name in existing and _row_key(existing[name]) != keys[i]:
            raise UsageError(paths[i], f"its page would be {name}.md, the page of {existing[name]['file']} "
                                       "in the output folder: rename one of the files")
    return names


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
    return out


def model_page(graph: ModelGraph, stem: str, options: RenderOptions, findings: Sequence | None,
               svg: bool = True) -> dict[str, bytes]:
    """The page, its SVG and its interactive HTML page, as {relative file name: contents}; with svg=False (no Graphviz) the
    page shows the Mermaid drawing instead of the picture. Raises GraphvizMissing if svg is asked
    for and the `dot` program is not installed."""
    diagram = build_diagram(graph, options)
    picture = render_bytes(diagram, "svg", f"{stem}.svg", graph.source.path) if svg else None
    info = summary_dict(graph)
    out = [f"# {graph.name}", ""]
    out.append(f"`{graph.source.path}` · {graph.class_name} · {info['format']}"
               + (f" · Keras {info['keras_version']}" if info["keras_version"] else "")
               + f" · {len(graph.layers)} layers · "
               + ("unknown" if graph.total_params is None else f"{graph.total_params:,}") + " parameters")
    out += ["", "<!-- generated by `inspect docs`; edit the model, not this page -->",
            page_marker(index_row(graph)), ""]
    out += ["## Diagram", ""]
    if picture is not None:
        out += [f"![{graph.name} architecture]({stem}.svg)", "",
                (f"[Open the interactive diagram]({stem}.html): pan, zoom, open blocks, search layers, "
                 "and see each layer's config, shapes, weights and findings."), ""]
    collapsed = [n for n in diagram.nodes if n.kind == "block"]
    if collapsed:
        out += [(f"Repeated blocks are collapsed: {len(collapsed)} block nodes "
                f"({', '.join('`' + n.name + '`' for n in collapsed[:6])}{', …' if len(collapsed) > 6 else ''})."), ""]
    mermaid = ["```mermaid", to_mermaid(diagram).rstrip("\n"), "```", ""]
    out += ["<details><summary>Mermaid</summary>", "", *mermaid, "</details>", ""] if picture is not None else mermaid

    out += ["## Inputs and outputs", ""]
    rows = [["input", t["name"], f"`{format_shape(None if t['shape'] is None else tuple(t['shape']))}`",
             t["dtype"] or "?", "", ""] for t in info["inputs"]]
    training = info["training"] or {}
    losses, weights = training.get("loss") or {}, training.get("loss_weights") or {}
    for t in info["outputs"]:
        loss = losses.get(t["name"])
        weight = weights.get(t["name"])
        rows.append(["output", t["name"], f"`{format_shape(None if t['shape'] is None else tuple(t['shape']))}`",
                     t["dtype"] or "?", loss or "", "" if weight is None else f"{weight:g}"])
    out += _table(["", "name", "shape", "dtype", "loss", "loss weight"], rows) + [""]

    out += ["## Training configuration", ""]
    if graph.training is None:
        out += ["Not compiled: the file stores no loss or optimizer.", ""]
    else:
        t = graph.training
        out.append(f"- Optimizer: `{t.optimizer or '?'}`")
        for key in ("learning_rate", "beta_1", "beta_2", "momentum", "epsilon", "weight_decay", "clipnorm"):
            value = t.optimizer_config.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                out.append(f"  - {key}: {value:g}")
        out.append(f"- Metrics: {', '.join(f'`{m}`' for m in t.metrics) if t.metrics else 'none'}")
        for name, loss in t.loss.items():
            weight = None if t.loss_weights is None else t.loss_weights.get(name)
            out.append(f"- Loss `{name}`: `{loss}`" + ("" if weight is None else f" × {weight:g}"))
        out.append("")

    out += ["## Layers", ""]
    table = format_markdown(graph).splitlines()
    out += table[2:] if table and table[0].startswith("###") else table  # the page title already names it
    out.append("")

    if findings is not None:
        out += ["## Lint findings", ""]
        if not findings:
            out += ["No findings.", ""]
        else:
            rows = [[f.severity, f"`{f.code}` {f.name}", ", ".join(f"`{x}`" for x in f.layers) or "model",
                     f.message] for f in findings]
            out += _table(["severity", "rule", "layers", "message"], rows) + [""]
    text = "\n".join(out).rstrip("\n") + "\n"
    files = {f"{stem}.md": utf8(text)}
    if picture is not None:
        from inspector.diagram.html import to_html

        files[f"{stem}.svg"] = picture
        files[f"{stem}.html"] = to_html(graph, options, f"{stem}.html", linted=findings is not None)
    return files


PAGE_MARKER = "<!-- inspect-docs-page "  # + the page's index row as JSON + " -->"
INDEX_KEYS = ("model", "file", "class", "layers", "parameters")


def index_row(graph: ModelGraph) -> dict[str, str]:
    """The page's row in the index; `path` (not shown) records which model the page documents, so
    later runs into the same folder reuse the page for this model and keep other models off it."""
    return {"model": graph.name, "file": graph.source.path, "path": model_key(graph.source.path),
            "class": graph.class_name, "layers": str(len(graph.layers)),
            "parameters": "unknown" if graph.total_params is None else f"{graph.total_params:,}"}


def page_marker(row: dict[str, str]) -> str:
    """The comment that marks a page as this tool's and carries its index row, so the index can
    be rebuilt from the folder alone. `>` is escaped so no file name can end the comment."""
    return PAGE_MARKER + json.dumps(row, sort_keys=True).replace(">", "\\u003e") + " -->"


def pages_in(folder: Path) -> dict[str, dict[str, str]]:
    """{page stem: index row} of the model pages `inspect docs` wrote into `folder` earlier."""
    rows: dict[str, dict[str, str]] = {}
    if not folder.is_dir():
        return rows
    for page in sorted(folder.glob("*.md")):
        if page.name == "index.md":
            continue
        for line in page.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith(PAGE_MARKER) and line.endswith(" -->"):
                try:
                    row = json.loads(line[len(PAGE_MARKER):-len(" -->")])
                except json.JSONDecodeError:
                    break
                if (isinstance(row, dict) and all(isinstance(row.get(k), str) for k in INDEX_KEYS)
                        and isinstance(row.get("path", ""), str)):
                    rows[page.stem] = row
                break
    return rows


def index_page(rows: dict[str, dict[str, str]]) -> bytes:
    """The table of every model page, sorted by page name: the same whichever pages a run wrote."""
    out = ["# Models", "", "<!-- generated by `inspect docs` -->", ""]
    cells = [[f"[{r['model']}]({stem}.md)", f"`{r['file']}`", r["class"], r["layers"], r["parameters"]]
             for stem, r in sorted(rows.items())]
    out += _table(["model", "file", "class", "layers", "parameters"], cells)
    return utf8("\n".join(out) + "\n")


NO_GRAPHVIZ = ("the Graphviz `dot` program is not installed: the pages show the Mermaid diagram and no SVG "
               "(install Graphviz for the pictures: `apt-get install graphviz`, `brew install graphviz` "
               "or `conda install graphviz`)")


def build_docs(paths: Sequence[str], options: RenderOptions, lint: bool,
               warn: Callable[[str], None] | None = None, folder: Path | None = None,
               warn_payloads: Callable[[ModelGraph], None] | None = None,
               on_error: Callable[[InspectorError], None] | None = None) -> dict[str, bytes]:
    """Every file `inspect docs` writes, relative to the output folder. Without Graphviz the pages
    still work (Mermaid only): `warn` is told so once. The index lists the pages already in
    `folder` too, so runs on a few models at a time (pre-commit batches) keep it whole. A model
    that cannot be read goes to `on_error` and the others still get their pages (without
    `on_error`, its error is raised)."""
    from dataclasses import replace

    from inspector import load

    files: dict[str, bytes] = {}
    entries = []
    svg = True
    existing = pages_in(folder) if folder is not None else {}
    for path, stem in zip(paths, page_names(paths, existing), strict=True):
        try:
            graph = load(path)
        except InspectorError as exc:
            if on_error is None:
                raise
            on_error(exc)
            continue
        if warn_payloads is not None:
            warn_payloads(graph)
        findings = None
        if lint:
            from inspector.engine import default_rules, lint_graph

            findings = lint_graph(graph, default_rules())
        opts = replace(options, findings=tuple(findings or ()))
        if not opts.collapse and len(graph.calls) > AUTO_COLLAPSE_CALLS:
            opts = replace(opts, collapse=("auto",))
        try:
            if svg:
                try:
                    files.update(model_page(graph, stem, opts, findings))
                except GraphvizMissing:
                    svg = False
                    if warn is not None:
                        warn(NO_GRAPHVIZ)
            if not svg:
                files.update(model_page(graph, stem, opts, findings, svg=False))
        except InspectorError as exc:  # a diagram over its limits: as an unreadable model
            if on_error is None:
                raise
            on_error(exc)
            continue
        entries.append((stem, graph))
    rows = dict(existing)
    rows.update((stem, index_row(graph)) for stem, graph in entries)
    if rows:  # one page or many: the index lists every page in the folder
        files["index.md"] = index_page(rows)
    return files


def stale_files(files: dict[str, bytes], folder: Path) -> list[str]:
    """Files whose content on disk differs from `files` (or that are missing), sorted."""
    stale = []
    for name, data in sorted(files.items()):
        target = folder / name
        if not target.is_file() or target.read_bytes() != data:
            stale.append(name)
    return stale


def write_docs(files: dict[str, bytes], folder: Path) -> list[str]:
    """Write what changed; returns the names written (unchanged files are left untouched)."""
    folder.mkdir(parents=True, exist_ok=True)
    changed = stale_files(files, folder)
    for name in changed:
        (folder / name).write_bytes(files[name])
    return changed
