"""Two graphs, matched layer by layer, turned into the list of what changed.

A `ModelDiff` is plain data: the text, Markdown, JSON and diagram forms all read it, so they
cannot disagree. Renames are reported but are not architectural changes (Keras renumbers
`dense_3` to `dense_7` on a re-save); keys stored by only one Keras era (`time_major`,
`implementation`...) are not compared across eras and are listed in the notes instead.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from inspector.diff.canonical import ABSENT, canonical_config, canonical_value
from inspector.diff.match import Matching, match_layers
from inspector.graph import Layer, ModelGraph

NESTED_MODEL_KEYS = frozenset({"layers", "input_layers", "output_layers"})
"""A nested model's config keys that hold its layers: compared layer by layer instead."""


@dataclass(frozen=True)
class Change:
    """One difference: `what` changed (a config key, `class`, `output_shape`...), old → new."""

    what: str
    old: Any
    new: Any


@dataclass(frozen=True)
class LayerDiff:
    """A layer added, removed or changed; `name` is its new name (old name when removed)."""

    status: str  # "added", "removed" or "changed"
    name: str
    class_name: str
    old_name: str | None = None
    changes: tuple[Change, ...] = ()
    note: str | None = None  # how the layer relates to a shared layer on the other side

    @property
    def renamed(self) -> bool:
        return self.old_name is not None and self.old_name != self.name


@dataclass(frozen=True)
class ModelDiff:
    old: ModelGraph
    new: ModelGraph
    matching: Matching
    layers: tuple[LayerDiff, ...]  # changed (renames alone are in `renames`), added, removed
    model: tuple[Change, ...]  # inputs, outputs, training
    totals: Mapping[str, tuple[Any, Any]]
    introduced: tuple = ()  # lint Findings in the new model only
    fixed: tuple = ()  # lint Findings in the old model only
    notes: tuple[str, ...] = ()
    linted: bool = False

    @property
    def renames(self) -> tuple[tuple[str, str], ...]:
        """(old name, new name) of every matched layer whose name changed, in the new file's order."""
        pairs = self.matching.pairs
        return tuple((pairs[x.name], x.name) for x in self.new.layers if pairs.get(x.name, x.name) != x.name)

    @property
    def differs(self) -> bool:
        """Architecturally different: anything but renames (what `--exit-code` reports)."""
        return bool(self.model or self.layers)

    def _repr_html_(self) -> str:  # notebooks
        from inspector.display import diff_html

        return diff_html(self)

    def _repr_pretty_(self, printer, cycle: bool) -> None:  # IPython in a terminal
        from inspector.diff.report import format_text

        printer.text(format_text(self).rstrip("\n"))

    def of_status(self, status: str) -> tuple[LayerDiff, ...]:
        return tuple(d for d in self.layers if d.status == status)


def _major(graph: ModelGraph) -> str | None:
    version = graph.source.keras_version
    return version.split(".")[0] if version else None


def diff_graphs(old: ModelGraph, new: ModelGraph, findings: tuple[Sequence, Sequence] | None = None,
                skipped: set[str] | None = None) -> ModelDiff:
    """Compare two graphs; `findings` (old, new lint findings) adds the introduced/fixed lists.
    `skipped` collects the one-era config keys left out (a nested model adds to its parent's)."""
    cross_era = None not in (_major(old), _major(new)) and _major(old) != _major(new)
    matching = match_layers(old, new)
    to_new = matching.old_to_new()
    nested_call = skipped is not None
    skipped = set() if skipped is None else skipped
    layers: list[LayerDiff] = []
    for layer in new.layers:
        if layer.name in matching.pairs:
            before = old.layer(matching.pairs[layer.name])
            changes = _layer_changes(old, new, before, layer, to_new, cross_era, skipped)
            if changes:
                layers.append(LayerDiff("changed", layer.name, layer.class_name, before.name, changes))
            if before.subgraph is not None and layer.subgraph is not None:
                inner = diff_graphs(before.subgraph, layer.subgraph, skipped=skipped)
                layers.extend(_nested(before.name, layer.name, inner))
    notes_for = _sharing_notes(old, new, matching)
    for name in matching.added:
        layers.append(LayerDiff("added", name, new.layer(name).class_name, note=notes_for.get(("new", name))))
    for name in matching.removed:
        layers.append(LayerDiff("removed", name, old.layer(name).class_name, note=notes_for.get(("old", name))))
    notes = []
    if skipped and not nested_call:
        notes.append(f"Keras {_major(old)} and Keras {_major(new)} files: config keys stored by one era only "
                     f"are not compared ({', '.join(sorted(skipped))})")
    introduced, fixed = _findings(findings, to_new) if findings is not None else ((), ())
    return ModelDiff(old, new, matching, tuple(layers), tuple(_model_changes(old, new, to_new)),
                     _totals(old, new), introduced, fixed, tuple(notes), findings is not None)


def _nested(old_name: str, new_name: str, inner: ModelDiff) -> list[LayerDiff]:
    """A nested model's own layer changes, named `outer/inner`."""
    return [LayerDiff(d.status, f"{new_name}/{d.name}", d.class_name,
                      None if d.old_name is None else f"{old_name}/{d.old_name}", d.changes, d.note)
            for d in inner.layers]


def _layer_changes(old: ModelGraph, new: ModelGraph, before: Layer, after: Layer, to_new: dict[str, str],
                   cross_era: bool, skipped: set[str]) -> tuple[Change, ...]:
    changes: list[Change] = []
    if before.class_name != after.class_name:
        changes.append(Change("class", before.class_name, after.class_name))
    nested = before.subgraph is not None and after.subgraph is not None
    a, b = canonical_config(before.config), canonical_config(after.config)
    for key in list(a) + [k for k in b if k not in a]:
        if nested and key in NESTED_MODEL_KEYS:
            continue
        va, vb = a.get(key, ABSENT), b.get(key, ABSENT)
        if va == vb:
            continue
        if cross_era and (va is ABSENT or vb is ABSENT):
            skipped.add(key)
            continue
        changes.append(Change(f"config.{key}", va, vb))
    if "onnx" in (old.source.format, new.source.format):  # no config: the weights define an operator
        wa, wb = [list(w.shape) for w in before.weights], [list(w.shape) for w in after.weights]
        if wa != wb:
            changes.append(Change("weight_shapes", wa, wb))
    if before.trainable != after.trainable:
        changes.append(Change("trainable", before.trainable, after.trainable))
    if before.params != after.params:
        changes.append(Change("params", before.params, after.params))
    if len(before.calls) != len(after.calls):
        changes.append(Change("calls", len(before.calls), len(after.calls)))
    for cid_a, cid_b in zip(before.calls, after.calls):
        ca, cb = old.call(cid_a), new.call(cid_b)
        label = "" if len(after.calls) < 2 else f"[{cb.index}]"
        shapes_a = [_shape(old, t) for t in ca.outputs]
        shapes_b = [_shape(new, t) for t in cb.outputs]
        if shapes_a != shapes_b:
            changes.append(Change(f"output_shape{label}", _one(shapes_a), _one(shapes_b)))
        inputs_a = [_source(old, t, to_new) for t in ca.inputs]
        inputs_b = [_source(new, t, None) for t in cb.inputs]
        if [k for k, _ in inputs_a] != [k for k, _ in inputs_b]:
            changes.append(Change(f"inputs{label}", [s for _, s in inputs_a], [s for _, s in inputs_b]))
    return tuple(changes)


def _source(graph: ModelGraph, tensor: str, rename: dict[str, str] | None) -> tuple[tuple, str]:
    """(what to compare, what to show) for the tensor a call reads: the producing layer under its
    new name, which call of it and which output; `name[k]` is shown for a shared producer."""
    t = graph.tensors[tensor]
    call = graph.call(t.producer)
    name = call.layer if rename is None else rename.get(call.layer, f"{call.layer} (removed)")
    output = call.outputs.index(tensor)
    shown = name + (f"[{call.index}]" if graph.layer(call.layer).is_shared else "")
    return (name, call.index, output), shown + (f":{output}" if output else "")


def _shape(graph: ModelGraph, tensor: str) -> list[int | None] | None:
    shape = graph.tensors[tensor].shape
    return None if shape is None else list(shape)


def _one(values: list) -> Any:
    return values[0] if len(values) == 1 else values


def _sharing_notes(old: ModelGraph, new: ModelGraph, matching: Matching) -> dict[tuple[str, str], str]:
    """A removed layer whose place is now taken by another call of a matched layer ("now call 2 of
    shared_lstm": the weights are now shared), and the reverse for an added layer (un-shared)."""
    notes: dict[tuple[str, str], str] = {}
    to_new = matching.old_to_new()
    for side, graph, other, pairs, free in (
        ("old", old, new, to_new, set(matching.removed)),
        ("new", new, old, matching.pairs, set(matching.added)),
    ):
        by_place: dict[tuple, str] = {}
        for name in free:
            layer = graph.layer(name)
            if layer.calls:
                ups = tuple(graph.call(c).layer for c in graph.predecessors(layer.calls[0]))
                by_place.setdefault((layer.class_name, tuple(pairs.get(u, "") for u in ups)), name)
        for mine, theirs in pairs.items():
            extra = other.layer(theirs).calls[len(graph.layer(mine).calls):]
            for cid in extra:
                ups = tuple(other.call(c).layer for c in other.predecessors(cid))
                key = (other.layer(theirs).class_name, ups)
                name = by_place.get(key)
                if name is not None and (side, name) not in notes:
                    index = other.call(cid).index + 1
                    notes[(side, name)] = (f"now call {index} of {theirs}: shares its weights" if side == "old"
                                           else f"was call {index} of {theirs}: now has its own weights")
    return notes


def _io(graph: ModelGraph, tensors: tuple[str, ...], rename: Mapping[str, str]) -> list[str]:
    out = []
    for t in tensors:
        layer = graph.producer_layer(t)
        shape = graph.tensors[t].shape
        dims = "?" if shape is None else "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"
        out.append(f"{rename.get(layer, layer)} {dims} {graph.tensors[t].dtype or ''}".rstrip())
    return out


def _model_changes(old: ModelGraph, new: ModelGraph, to_new: dict[str, str]) -> list[Change]:
    changes = []
    for what, a, b in (("inputs", _io(old, old.inputs, to_new), _io(new, new.inputs, {}))
                       , ("outputs", _io(old, old.outputs, to_new), _io(new, new.outputs, {}))):
        if a != b:
            changes.append(Change(what, a, b))
    ta, tb = old.training, new.training
    if (ta is None) != (tb is None):
        changes.append(Change("training", "compiled" if ta else "not compiled", "compiled" if tb else "not compiled"))
    if ta is None or tb is None:
        return changes

    def keyed(mapping: Mapping[str, Any] | None) -> dict[str, Any]:
        return {} if mapping is None else {to_new.get(k, k): v for k, v in mapping.items()}

    loss_a, loss_b = keyed(ta.loss), dict(tb.loss)
    weights_a, weights_b = keyed(ta.loss_weights), dict(tb.loss_weights or {})
    for output in list(loss_a) + [o for o in loss_b if o not in loss_a]:  # per output, by its new name
        la, lb = loss_a.get(output, ABSENT), loss_b.get(output, ABSENT)
        if la != lb:
            changes.append(Change(f"loss.{output}", la, lb))
        wa, wb = weights_a.get(output, 1.0), weights_b.get(output, 1.0)  # Keras weighs an output 1 by default
        if wa != wb:
            changes.append(Change(f"loss_weight.{output}", wa, wb))
    for what, a, b in (("metrics", _metrics(ta.metrics), _metrics(tb.metrics)),
                       ("optimizer", ta.optimizer, tb.optimizer)):
        if a != b:
            changes.append(Change(what, a, b))
    oa, ob = _optimizer(ta.optimizer_config), _optimizer(tb.optimizer_config)
    if ta.optimizer == tb.optimizer:
        for key in [k for k in oa if k in ob and oa[k] != ob[k]]:
            changes.append(Change(f"optimizer.{key}", oa[key], ob[key]))
    return changes


def _metrics(metrics: Sequence[str]) -> list[str]:
    """Keras 2 names a per-output metric `age_mae`, the loader reads Keras 3's as `age: mae`."""
    return [m.replace(": ", "_") for m in metrics]


def _optimizer(config: Mapping[str, Any]) -> dict[str, Any]:
    """Hyper-parameters that act: not the instance name, nor the EMA settings while EMA is off
    (Keras 2 and 3 write different defaults for them)."""
    inert = {"name"} | ({k for k in config if k.startswith("ema_")} if not config.get("use_ema") else set())
    return {k: canonical_value(v) for k, v in config.items() if k not in inert}


def _totals(old: ModelGraph, new: ModelGraph) -> dict[str, tuple[Any, Any]]:
    return {
        "layers": (len(old.layers), len(new.layers)),
        "calls": (len(old.calls), len(new.calls)),
        "params": (old.total_params, new.total_params),
        "trainable_params": (old.trainable_params, new.trainable_params),
        "non_trainable_params": (old.non_trainable_params, new.non_trainable_params),
    }


def finding_key(finding, rename: Mapping[str, str] | None = None) -> tuple[str, tuple[str, ...]]:
    """What makes two findings the same: the rule and the layers (renamed to the new names),
    not the message (its numbers move with the model) nor the order."""
    rename = rename or {}
    layers = tuple(sorted("/".join(rename.get(p, p) if i == 0 else p for i, p in enumerate(layer.split("/")))
                          for layer in finding.layers))
    return finding.code, layers


def _findings(findings: tuple[Sequence, Sequence], to_new: dict[str, str]) -> tuple[tuple, tuple]:
    old_findings, new_findings = findings
    old_keys = Counter(finding_key(f, to_new) for f in old_findings)
    new_keys = Counter(finding_key(f) for f in new_findings)
    introduced, fixed = [], []
    for f in new_findings:
        key = finding_key(f)
        if old_keys[key] > 0:
            old_keys[key] -= 1
        else:
            introduced.append(f)
    for f in old_findings:
        key = finding_key(f, to_new)
        if new_keys[key] > 0:
            new_keys[key] -= 1
        else:
            fixed.append(f)
    return tuple(introduced), tuple(fixed)
