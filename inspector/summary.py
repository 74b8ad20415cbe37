"""`inspect summary`: what `model.summary()` shows, and what it hides.

One row per call (so a shared layer shows every use), the connected-to column for every kind of
model, parameters split by trainability, inputs and outputs with dtypes, the training
configuration, and where the file came from. `summary_dict` is the stable JSON schema other tools
parse; the text and Markdown forms are drawn from it.
"""

from __future__ import annotations

from typing import Any

from inspector.graph import ModelGraph, Shape

SCHEMA = "keras-inspector/summary/v1"


def format_shape(shape: Shape | None) -> str:
    if shape is None:
        return "?"
    dims = ", ".join("None" if d is None else str(d) for d in shape)
    return f"({dims},)" if len(shape) == 1 else f"({dims})"


def _shape_json(shape: Shape | None) -> list[int | None] | None:
    return None if shape is None else list(shape)


def _tensor_json(graph: ModelGraph, tid: str) -> dict[str, Any]:
    t = graph.tensors[tid]
    return {"name": t.producer.rsplit("[", 1)[0], "tensor": tid, "shape": _shape_json(t.shape), "dtype": t.dtype}


def summary_dict(graph: ModelGraph, expand_nested: bool = False) -> dict[str, Any]:
    """The documented JSON form (schema `keras-inspector/summary/v1`)."""
    training = graph.training
    return {
        "schema": SCHEMA,
        "path": graph.source.path,
        "format": graph.source.format,
        "keras_version": graph.source.keras_version,
        "backend": graph.source.backend,
        **_model_json(graph, expand_nested),
        "training": None
        if training is None
        else {
            "loss": dict(training.loss),
            "loss_weights": None if training.loss_weights is None else dict(training.loss_weights),
            "optimizer": training.optimizer,
            "metrics": list(training.metrics),
        },
        "notes": list(graph.notes),
    }


def _model_json(graph: ModelGraph, expand_nested: bool) -> dict[str, Any]:
    return {
        "name": graph.name,
        "class_name": graph.class_name,
        "inputs": [_tensor_json(graph, t) for t in graph.inputs],
        "outputs": [_tensor_json(graph, t) for t in graph.outputs],
        "layers": [_layer_json(graph, layer.name, expand_nested) for layer in graph.layers],
        "total_params": graph.total_params,
        "trainable_params": graph.trainable_params,
        "non_trainable_params": graph.non_trainable_params,
    }


def _layer_json(graph: ModelGraph, name: str, expand_nested: bool) -> dict[str, Any]:
    layer = graph.layer(name)
    calls = []
    for cid in layer.calls:
        call = graph.call(cid)
        calls.append(
            {
                "id": cid,
                "index": call.index,
                "inputs": list(call.inputs),
                "input_shapes": [_shape_json(graph.tensors[t].shape) for t in call.inputs],
                "outputs": list(call.outputs),
                "output_shapes": [_shape_json(graph.tensors[t].shape) for t in call.outputs],
            }
        )
    entry: dict[str, Any] = {
        "name": layer.name,
        "class_name": layer.class_name,
        "module": layer.module,
        "params": layer.params,
        "trainable_params": layer.trainable_params,
        "non_trainable_params": layer.non_trainable_params,
        "params_from": layer.params_from,
        "trainable": layer.trainable,
        "shared": layer.is_shared,
        "calls": calls,
    }
    if layer.subgraph is not None and expand_nested:
        entry["subgraph"] = _model_json(layer.subgraph, expand_nested)
    return entry


# -- text and Markdown -----------------------------------------------------------------------
HEADERS = ("Layer (type)", "Output Shape", "Param #", "Connected to")


def _rows(graph: ModelGraph, expand_nested: bool, indent: str = "") -> list[tuple[str, str, str, str]]:
    rows = []
    for call in graph.calls:
        layer = graph.layer(call.layer)
        shared = layer.is_shared
        label = f"{indent}{call.id if shared else layer.name} ({layer.class_name})"
        shapes = ", ".join(format_shape(graph.tensors[t].shape) for t in call.outputs)
        first = layer.calls and layer.calls[0] == call.id
        if first:
            params = "?" if layer.params is None else f"{layer.params:,}"
            if layer.params_from == "config" and layer.params:
                params += "*"
        else:
            params = f"shared with {layer.calls[0]}"
        inputs = ", ".join(call.inputs) if call.inputs else "-"
        rows.append((label, shapes, params, inputs))
        if expand_nested and first and layer.subgraph is not None:
            rows.extend(_rows(layer.subgraph, expand_nested, indent + "  │ "))
    for layer in graph.layers:  # layers the graph never calls are still in the file
        if not layer.calls:
            rows.append((f"{indent}{layer.name} ({layer.class_name})", "not called",
                         "?" if layer.params is None else f"{layer.params:,}", "-"))
    return rows


def _count(value: int | None) -> str:
    return "unknown" if value is None else f"{value:,}"


def _io_lines(graph: ModelGraph) -> list[str]:
    lines = []
    for label, tensors in (("Inputs:", graph.inputs), ("Outputs:", graph.outputs)):
        for tid in tensors:
            t = graph.tensors[tid]
            name = t.producer.rsplit("[", 1)[0]
            lines.append(f"{label} {name} {format_shape(t.shape)} {t.dtype or ''}".rstrip())
            label = " " * len(label)
    return lines


def _training_lines(graph: ModelGraph) -> list[str]:
    training = graph.training
    if training is None:
        return ["Training: not compiled (no loss stored)"]
    lines = [f"Training: optimizer {training.optimizer or '?'}"
             + (f"; metrics {'; '.join(training.metrics)}" if training.metrics else "")]
    for output, loss in training.loss.items():
        weight = None if training.loss_weights is None else training.loss_weights.get(output)
        lines.append(f"  loss {output}: {loss}" + ("" if weight is None else f" × {weight:g}"))
    return lines


def _origin(graph: ModelGraph) -> str:
    src = graph.source
    parts = [src.format]
    if src.keras_version:
        parts.append(f"Keras {src.keras_version}")
    if src.backend:
        parts.append(src.backend)
    return ", ".join(parts)


def format_text(graph: ModelGraph, expand_nested: bool = False) -> str:
    rows = _rows(graph, expand_nested)
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(HEADERS)]
    widths = [min(w, 60) for w in widths]

    def line(cells) -> str:
        out = []
        for i, cell in enumerate(cells):
            cell = cell if len(cell) <= widths[i] else cell[: widths[i] - 1] + "…"
            out.append(cell.rjust(widths[i]) if i == 2 else cell.ljust(widths[i]))
        return "  ".join(out).rstrip()

    rule = "─" * (sum(widths) + 2 * (len(widths) - 1))
    out = [f'Model: "{graph.name}" ({graph.class_name})  {graph.source.path}  [{_origin(graph)}]', rule,
           line(HEADERS), rule]
    out += [line(r) for r in rows]
    out += [rule,
            f"Total params: {_count(graph.total_params)}",
            f"Trainable params: {_count(graph.trainable_params)}",
            f"Non-trainable params: {_count(graph.non_trainable_params)}",
            rule]
    out += _io_lines(graph) + _training_lines(graph)
    shared = [layer for layer in graph.layers if layer.is_shared]
    if shared:
        out.append("Shared layers: " + ", ".join(f"{layer.name} ×{len(layer.calls)}" for layer in shared))
    if any(layer.params_from == "config" and layer.params for layer in graph.layers):
        out.append("* computed from the config: the file stores no weights for this layer")
    out += [f"Note: {n}" for n in graph.notes]
    return "\n".join(out) + "\n"


def format_markdown(graph: ModelGraph, expand_nested: bool = False) -> str:
    def esc(text: str) -> str:
        return text.replace("|", "\\|")

    out = [f"### `{graph.name}` ({graph.class_name})", "", f"Source: `{graph.source.path}` ({_origin(graph)})", "",
           "| " + " | ".join(HEADERS) + " |", "|---|---|---:|---|"]
    for label, shapes, params, inputs in _rows(graph, expand_nested):
        out.append(f"| {esc(label)} | `{esc(shapes)}` | {esc(params)} | {esc(inputs)} |")
    out += ["", (f"**Total params:** {_count(graph.total_params)} "
            f"(trainable {_count(graph.trainable_params)}, non-trainable {_count(graph.non_trainable_params)})"), ""]
    # continuation lines (more inputs or outputs, one loss per output) become nested items
    out += [f"  - {line.strip()}" if line.startswith(" ") else f"- {line}"
            for line in _io_lines(graph) + _training_lines(graph)]
    out += [f"- Note: {n}" for n in graph.notes]
    return "\n".join(out) + "\n"
