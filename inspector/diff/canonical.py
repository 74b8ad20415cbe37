"""Era-neutral forms of what a file stores, so a diff shows architecture and not serialization.

Keras 2 and Keras 3 write the same layer differently: `batch_input_shape` or `batch_shape`, a dtype
string or a `DTypePolicy` object, initializers with or without `module`, `registered_name` and
`shared_object_id`, lists or tuples. These forms fold each such pair into one value, and render a
value in one short line for a report.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

IGNORED_KEYS = frozenset({"name", "trainable"})
"""Config keys the diff reports elsewhere: the layer's name (as a rename) and its trainable flag."""

_BOOKKEEPING = frozenset({"module", "registered_name", "shared_object_id"})
_ALIASES = {"batch_input_shape": "batch_shape"}


def canonical_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """The config with era-specific spellings folded together and the diff-reported keys dropped."""
    out: dict[str, Any] = {}
    for key, value in config.items():
        if key in IGNORED_KEYS:
            continue
        out[_ALIASES.get(key, key)] = canonical_value(value)
    if out.get("dtype") is not None and not isinstance(out["dtype"], str):
        out["dtype"] = str(out["dtype"])
    return out


def canonical_value(value: Any) -> Any:
    """Tuples become lists, serialized objects drop their bookkeeping and read `Class(k=v)` when
    simple, a DTypePolicy becomes its policy name; nested configs drop keys whose value is None
    (Keras 3 writes `input_axes: None` where Keras 2 writes nothing)."""
    if isinstance(value, (list, tuple)):
        return [canonical_value(v) for v in value]
    if not isinstance(value, Mapping):
        return value
    if "class_name" in value and "config" in value:
        cls, cfg = value["class_name"], value["config"]
        if cls in ("DTypePolicy", "Policy") and isinstance(cfg, Mapping) and isinstance(cfg.get("name"), str):
            return cfg["name"]
        if isinstance(cfg, Mapping):
            inner = {k: canonical_value(v) for k, v in cfg.items() if v is not None}
            if cls != "Functional" and all(not isinstance(v, (dict, list)) for v in inner.values()):
                args = ", ".join(f"{k}={_scalar(v)}" for k, v in sorted(inner.items()))
                return f"{cls}({args})" if args else cls
            return {"class_name": cls, "config": inner}
    return {k: canonical_value(v) for k, v in value.items() if k not in _BOOKKEEPING}


def _scalar(value: Any) -> str:
    return json.dumps(value) if not isinstance(value, str) else value


def fingerprint(config: Mapping[str, Any]) -> str:
    """A stable text key of a canonical config: equal configs, equal fingerprints."""
    return json.dumps(config, sort_keys=True, default=str)


def show(value: Any, width: int = 60) -> str:
    """One line for a report, written as Python would (Keras users read configs as Python):
    plain text for a string, `-` for a key that is absent."""
    if value is ABSENT:
        return "-"
    text = value if isinstance(value, str) else python_text(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def python_text(value: Any) -> str:
    """A value as Python prints it (`None`, `True`, `'relu'`), dict keys sorted."""
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k!r}: {python_text(v)}" for k, v in sorted(value.items())) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(python_text(v) for v in value) + "]"
    if isinstance(value, float):  # 7 digits: a float32 stored as 0.0010000000474974513 reads 0.001
        text = f"{value:.7g}"
        return text if any(c in text for c in ".en") else text + ".0"
    return repr(value)


class _Absent:
    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()
"""A key missing from one side of a config comparison."""
