"""JSON out as RFC 8259 defines it, whatever a model file held.

Python's json writes `NaN`, `Infinity` and `-Infinity` for non-finite floats (a config can hold
them: Python's reader accepts them), which jq, browsers and other languages reject; and it
cannot write an integer of more than 4,300 digits at all. Both become strings, the way
protobuf's JSON mapping writes non-finite numbers, so every machine-readable output parses.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any


def dumps(value: Any, **kwargs: Any) -> str:
    """`json.dumps(value, **kwargs)`, strict: the fast path when nothing needs replacing."""
    try:
        return json.dumps(value, allow_nan=False, **kwargs)
    except ValueError:  # a non-finite float, or an integer too long to write
        return json.dumps(_strict(value), allow_nan=False, **kwargs)


def _strict(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            str(value)
        except ValueError:  # more digits than int->str converts: written in scientific notation
            return f"{Decimal(value):.6e}"
        return value
    if isinstance(value, dict):
        return {key: _strict(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_strict(item) for item in value]
    return value
