"""The Python API behind `import inspector`: the same jobs as the CLI, on paths or live models.

A live `keras.Model` goes through its config and weights exactly like a file does
(`inspector.load`), so a model and its saved file give the same findings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any


def lint(
    target: Any,
    select: Sequence[str] | None = None,
    ignore: Sequence[str] | None = None,
    options: Mapping[str, Mapping[str, Any]] | None = None,
    data: str | Path | None = None,
    model: Any = None,
) -> list:
    """Findings for a model file, builder reference, live keras.Model or ModelGraph.

    `data` (an .npz named after the model's inputs and outputs) lets `unbalanced-loss-weights`
    measure real loss contributions; that runs the model (`model`, or `target` loaded by Keras;
    a builder is called once). The CLI's `inspect lint` runs the same `engine.lint_target`.
    """
    from inspector.engine import lint_target, select_rules

    return lint_target(target, select_rules(select, ignore), options,
                       str(data) if data is not None else None, model)


def diagnose(
    target: Any,
    data: Any,
    seed: int = 0,
    budget: float = 60.0,
    select: Sequence[str] | None = None,
    ignore: Sequence[str] | None = None,
    options: Mapping[str, Mapping[str, Any]] | None = None,
    model: Any = None,
) -> list:
    """Findings of `inspect diagnose`: train copies of the model briefly on `data` (an .npz path,
    a `module:function` reference, or (x, y) / a dict / a tf.data.Dataset / a PyDataset) and
    report what the data shows, each fix tried on the same seed. Runs TensorFlow."""
    from inspector.diagnosis import diagnose_target
    from inspector.engine import select_rules

    return list(diagnose_target(target, data, select_rules(select, ignore), options, seed, budget, model).findings)


def summarize(target: Any, expand_nested: bool = False) -> dict[str, Any]:
    """The `inspect summary --format json` document, as a dict."""
    from inspector import load
    from inspector.summary import summary_dict

    return summary_dict(load(target), expand_nested)


def render(target: Any, out: str | Path, lint: bool = False, **options: Any) -> Path:
    """Draw `target` to `out` (format from the suffix: .svg .png .pdf .dot .mmd .md .html).

    `options` are RenderOptions fields (show_shapes, show_params, rankdir, depth, collapse,
    start, stop, theme); `lint=True` outlines the layers with findings.
    """
    from inspector.diagram import RenderOptions

    draw(target, out, RenderOptions(**options), lint)
    return Path(out)


def draw(target: Any, out: str | Path, options, lint: bool = False, warn=None) -> tuple[Any, tuple]:
    """The job behind `inspector.render` and `inspect render`: load, lint when asked, draw.
    Returns the drawn Diagram and the findings put on it; `warn(graph)` sees the graph first."""
    from dataclasses import replace

    from inspector import load
    from inspector.diagram import render as write
    from inspector.engine import default_rules, lint_graph

    graph = load(target)
    if warn is not None:
        warn(graph)
    findings = tuple(lint_graph(graph, default_rules())) if lint else ()
    return write(graph, out, replace(options, findings=findings), linted=lint), findings


def export_onnx(target: Any, out: str | Path, **options: Any):
    """Convert to ONNX (natively from the file, or with tf2onnx) and verify it with onnxruntime.

    `target` is a .keras/.h5 file, a builder reference or a live keras.Model; `options` are
    opset, verify, tolerance, custom_objects, converter ("auto", "native", "tf2onnx") and
    input_shapes ({input: shape}). Returns the ExportResult with the parity report.
    """
    from inspector.export.route import export_onnx as convert

    return convert(target, out, **options)
