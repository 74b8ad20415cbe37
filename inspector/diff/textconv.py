"""`inspect summary --textconv`: a model as stable, line-oriented text for `git diff`.

git runs a textconv program on both sides of a binary file and diffs its output, so the form is
made for line diffs: one fact a line, no column padding that a longer name elsewhere would shift,
no file path (git passes a temporary file), layers in graph order and config keys sorted, the
same era-neutral config values `inspect diff` compares. A changed `units` is one changed line.
"""

from __future__ import annotations

from inspector.diff.canonical import canonical_config, python_text
from inspector.diff.compare import NESTED_MODEL_KEYS
from inspector.diff.match import layers_in_graph_order
from inspector.graph import ModelGraph
from inspector.summary import format_shape


def _count(value: int | None) -> str:
    return "?" if value is None else f"{value:,}"


def textconv_of(path: str) -> str:
    """The text form of the model at `path`; for a file no loader reads, one line saying why
    plus its size and SHA-256, so `git diff` still runs (a failing textconv aborts it)."""
    from inspector import load
    from inspector.errors import InspectorError

    try:
        return textconv(load(path))
    except InspectorError as exc:
        import hashlib
        from pathlib import Path

        try:
            data = Path(path).read_bytes()
        except OSError:
            raise exc from None
        return (f"unreadable model: {exc.reason}\n"
                f"{len(data):,} bytes, sha256 {hashlib.sha256(data).hexdigest()}\n")


def textconv(graph: ModelGraph) -> str:
    src = graph.source
    era = f", Keras {src.keras_version}" if src.keras_version else ""
    out = [f'model "{graph.name}" ({graph.class_name}) [{src.format}{era}]']
    out += _io(graph, "input", graph.inputs) + _io(graph, "output", graph.outputs)
    out += _layers(graph, "")
    out.append(f"params {_count(graph.total_params)} (trainable {_count(graph.trainable_params)}, "
               f"non-trainable {_count(graph.non_trainable_params)})")
    training = graph.training
    if training is None:
        out.append("training: not compiled")
    else:
        out.append(f"training optimizer {training.optimizer}")
        for key, value in sorted(training.optimizer_config.items()):
            if key != "name":
                out.append(f"  optimizer.{key} = {python_text(value)}")
        for output, loss in training.loss.items():
            weight = None if training.loss_weights is None else training.loss_weights.get(output)
            out.append(f"  loss {output}: {loss}" + ("" if weight is None else f" × {weight:g}"))
        out += [f"  metric {m}" for m in training.metrics]
    return "\n".join(out) + "\n"


def _io(graph: ModelGraph, label: str, tensors: tuple[str, ...]) -> list[str]:
    return [f"{label} {graph.producer_layer(t)} {format_shape(graph.tensors[t].shape)} "
            f"{graph.tensors[t].dtype or ''}".rstrip() for t in tensors]


def _layers(graph: ModelGraph, prefix: str) -> list[str]:
    out = []
    for name in layers_in_graph_order(graph):
        layer = graph.layer(name)
        flags = [] if layer.trainable else ["not trainable"]
        if layer.is_shared:
            flags.append(f"shared ×{len(layer.calls)}")
        out.append(f"layer {prefix}{name} ({layer.class_name}) params {_count(layer.params)}"
                   + "".join(f", {f}" for f in flags))
        for cid in layer.calls:
            call = graph.call(cid)
            sources = ", ".join(call.inputs) or "-"
            shapes = ", ".join(format_shape(graph.tensors[t].shape) for t in call.outputs)
            out.append(f"  call {call.index}: {sources} -> {shapes}")
        for key, value in sorted(canonical_config(layer.config).items()):
            if layer.subgraph is None or key not in NESTED_MODEL_KEYS:
                out.append(f"  {key} = {python_text(value)}")
        if layer.subgraph is not None:
            out += _layers(layer.subgraph, f"{prefix}{name}/")
    return out
