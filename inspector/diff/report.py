"""A ModelDiff as a reviewer reads it: aligned text for the terminal, Markdown for a pull
request, and JSON (schema `keras-inspector/diff/v1`, documented in docs/diff-schema.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from inspector.diff.canonical import ABSENT, show
from inspector.summary import format_shape

if TYPE_CHECKING:  # only annotations: ModelDiff's own displays import this module
    from inspector.diff.compare import Change, LayerDiff, ModelDiff

SCHEMA = "keras-inspector/diff/v1"
SIGN = {"changed": "~", "added": "+", "removed": "-"}


def _origin(graph) -> str:
    src = graph.source
    return src.format + (f", Keras {src.keras_version}" if src.keras_version else "")


def _count(value: Any) -> str:
    return "?" if value is None else f"{value:,}"


def _delta(old: Any, new: Any) -> str:
    if old is None or new is None or old == new:
        return ""
    return f"{new - old:+,}"


def _value(value: Any) -> str:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ", ".join(value) or "(none)"
    return show(value)


DERIVED = ("output_shape", "params")
"""Changes that follow from others (a wider input widens every shape after it)."""


def is_derived(x: LayerDiff) -> bool:
    """A changed layer whose own definition is the same: only its shapes or counts moved."""
    return x.status == "changed" and bool(x.changes) and all(c.what.startswith(DERIVED) for c in x.changes)


def _shown(what: str, value: Any) -> str:
    if value is ABSENT:
        return "-"
    if what.startswith("output_shape") and isinstance(value, list):
        if value and all(isinstance(v, list) or v is None for v in value):
            return ", ".join(format_shape(None if v is None else tuple(v)) for v in value)
        return format_shape(tuple(value))
    if what == "params":
        return _count(value)
    return _value(value)


def describe(change: Change) -> tuple[str, str]:
    """(label, "old → new") for one change, with the sharing made explicit."""
    old, new = _shown(change.what, change.old), _shown(change.what, change.new)
    if old == new:  # values that differ beyond the digits shown (0.001 stored as float32 and float64)
        old, new = repr(change.old), repr(change.new)
    text = f"{old} → {new}"
    if change.what == "calls":
        text += " (now shared)" if change.new > change.old else " (no longer shared)" if change.new == 1 else ""
    return change.what, text


def counts(d: ModelDiff) -> dict[str, int]:
    """Layer counts; changes inside a nested model count as changes, and make its outer layer
    not unchanged."""
    changed = d.of_status("changed")
    touched = {x.name.split("/")[0] for x in changed} | set(d.matching.added)
    return {"changed": len(changed), "added": len(d.of_status("added")), "removed": len(d.of_status("removed")),
            "renamed": len(d.renames), "unchanged": len(d.new.layers) - len(touched)}


def _headline(d: ModelDiff) -> str:
    c = counts(d)
    layered = d.layers or any(c.what in ("inputs", "outputs") for c in d.model)
    verdict = ("architectures differ" if layered else "same layers, training configuration differs" if d.differs
               else "same architecture")
    renamed = f"; {c['renamed']} renamed" if c["renamed"] else ""
    return (f"{verdict}: {c['changed']} changed, {c['added']} added, {c['removed']} removed, "
            f"{c['unchanged']} unchanged layers{renamed}")


def _layer_title(x: LayerDiff) -> str:
    title = f"{x.name} ({x.class_name})"
    if x.renamed:
        title += f"  was {x.old_name}"
    return title


def _listed(d: ModelDiff) -> tuple[list[LayerDiff], list[LayerDiff]]:
    """(layers to show one by one, layers whose shapes or counts only followed other changes)."""
    shown = [x for x in d.layers if (x.status != "changed" or x.changes) and not is_derived(x)]
    return shown, [x for x in d.layers if is_derived(x)]


def _names(layers: list[LayerDiff], limit: int = 8) -> str:
    names = [x.name for x in layers[:limit]]
    return ", ".join(names) + (f" and {len(layers) - limit} more" if len(layers) > limit else "")


def _derived_line(derived: list[LayerDiff]) -> str:
    return (f"{len(derived)} more layer{'s' if len(derived) != 1 else ''} changed only in output shape or "
            f"parameter count, following the changes above: {_names(derived)}")


def format_text(d: ModelDiff) -> str:
    out = [f"--- {d.old.source.path}  [{_origin(d.old)}]",
           f"+++ {d.new.source.path}  [{_origin(d.new)}]",
           _headline(d)]
    listed, derived = _listed(d)
    if listed:
        out.append("")
        width = max((len(c.what) for x in listed for c in x.changes), default=0)
        for x in listed:
            out.append(f"{SIGN[x.status]} {_layer_title(x)}" + (f"  {x.note}" if x.note else ""))
            for c in x.changes:
                label, text = describe(c)
                out.append(f"    {label:<{width}}  {text}")
    if derived:
        out += ["", _derived_line(derived)]
    if d.renames:
        shown = ", ".join(f"{a} → {b}" for a, b in d.renames[:12])
        more = f" and {len(d.renames) - 12} more" if len(d.renames) > 12 else ""
        out += ["", f"Renamed: {shown}{more}"]
    if d.model:
        out += ["", "Model:"]
        width = max(len(c.what) for c in d.model)
        out += [f"    {label:<{width}}  {text}" for label, text in map(describe, d.model)]
    out += ["", _totals_table(d)]
    if d.linted:
        out += ["", f"Findings: {len(d.introduced)} introduced, {len(d.fixed)} fixed"]
        out += [f"  + {f.severity:<7} {f.code} {f.name}  {', '.join(f.layers) or '(model)'}" for f in d.introduced]
        out += [f"  - {f.severity:<7} {f.code} {f.name}  {', '.join(f.layers) or '(model)'}" for f in d.fixed]
    out += [f"Note: {n}" for n in d.notes]
    return "\n".join(out) + "\n"


def _totals_table(d: ModelDiff) -> str:
    rows = [(name.replace("_", " "), _count(a), _count(b), _delta(a, b)) for name, (a, b) in d.totals.items()]
    widths = [max(len(r[i]) for r in rows + [("", "before", "after", "")]) for i in range(4)]
    lines = [f"{'':<{widths[0]}}  {'before':>{widths[1]}}  {'after':>{widths[2]}}"]
    lines += [f"{r[0]:<{widths[0]}}  {r[1]:>{widths[1]}}  {r[2]:>{widths[2]}}  {r[3]}".rstrip() for r in rows]
    return "\n".join(lines)


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def format_markdown(d: ModelDiff) -> str:
    out = [f"### Model diff: `{d.old.source.path}` → `{d.new.source.path}`", "",
           f"**{_headline(d)}**", ""]
    listed, derived = _listed(d)
    if listed:
        out += ["| | layer | what | before → after |", "|---|---|---|---|"]
        for x in listed:
            title = f"`{x.name}` ({x.class_name})" + (f" was `{x.old_name}`" if x.renamed else "")
            if not x.changes:
                out.append(f"| {SIGN[x.status]} | {_md(title)} | {x.status} | {_md(x.note or '')} |")
            for i, c in enumerate(x.changes):
                label, text = describe(c)
                out.append(f"| {SIGN[x.status] if i == 0 else ''} | {_md(title) if i == 0 else ''} "
                           f"| {_md(label)} | {_md(text)} |")
        out.append("")
    if derived:
        out += [_md(_derived_line(derived)), ""]
    if d.renames:
        out += ["<details><summary>" + f"{len(d.renames)} renamed layers</summary>", "",
                ", ".join(f"`{a}` → `{b}`" for a, b in d.renames), "", "</details>", ""]
    if d.model:
        out += ["| model | before → after |", "|---|---|"]
        out += [f"| {_md(label)} | {_md(text)} |" for label, text in map(describe, d.model)]
        out.append("")
    out += ["| | before | after | Δ |", "|---|--:|--:|--:|"]
    out += [f"| {n.replace('_', ' ')} | {_count(a)} | {_count(b)} | {_delta(a, b)} |" for n, (a, b) in d.totals.items()]
    if d.linted:
        out += ["", f"**Findings:** {len(d.introduced)} introduced, {len(d.fixed)} fixed", ""]
        for sign, found in (("introduced", d.introduced), ("fixed", d.fixed)):
            out += [f"- {sign}: **{f.code}** {f.name} ({f.severity}) on "
                    f"{', '.join(f'`{x}`' for x in f.layers) or 'the model'}: {_md(f.message)}" for f in found]
    if d.notes:
        out += [""] + [f"> {n}" for n in d.notes]
    return "\n".join(line for i, line in enumerate(out) if line or (i and out[i - 1])).rstrip() + "\n"


def _json_value(value: Any) -> Any:
    return None if value is ABSENT else value


def _side(graph) -> dict[str, Any]:
    src = graph.source
    return {"path": src.path, "format": src.format, "keras_version": src.keras_version, "name": graph.name}


def diff_dict(d: ModelDiff) -> dict[str, Any]:
    """The documented JSON form (schema `keras-inspector/diff/v1`)."""
    def change(c: Change) -> dict[str, Any]:
        return {"what": c.what, "old": _json_value(c.old), "new": _json_value(c.new),
                "absent": "old" if c.old is ABSENT else "new" if c.new is ABSENT else None}

    return {
        "schema": SCHEMA,
        "old": _side(d.old),
        "new": _side(d.new),
        "differs": d.differs,
        "counts": counts(d),
        "layers": [{"status": x.status, "name": x.name, "old_name": x.old_name, "class_name": x.class_name,
                    "changes": [change(c) for c in x.changes], "note": x.note}
                   for x in d.layers if x.status != "changed" or x.changes],
        "renamed": [{"old": a, "new": b, "matched_by": d.matching.how[b]} for a, b in d.renames],
        "model": [change(c) for c in d.model],
        "totals": {k: {"old": a, "new": b} for k, (a, b) in d.totals.items()},
        "findings": {"introduced": [f.as_dict() for f in d.introduced],
                     "fixed": [f.as_dict() for f in d.fixed]} if d.linted else None,
        "notes": list(d.notes),
    }
