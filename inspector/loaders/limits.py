"""The documented limits on what a model file may hold, and the one JSON reader that enforces
them, so that a hostile or damaged config is refused in one line instead of exhausting the
stack, the CPU or the memory (design invariant 5). The README's "Limits" section lists them.

Real configs are far inside every limit: the deepest config of the fixtures and the corpus is
nested 14 levels, and Keras writes no integer longer than 19 digits.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from inspector.errors import LoadError

MAX_DEPTH = 100  # JSON nesting levels (objects and lists) in a config
MAX_INT_DIGITS = 100  # digits of one integer in a config
OUTPUT_SLACK = 64  # outputs a call may have beyond those inferred and those referenced
MAX_INFLATED_IN_MEMORY = 64 * 2**20  # bytes a compressed zip member may inflate to in memory


def parse_json(data: str | bytes, path: Path | str, what: str) -> Any:
    """`data` parsed as JSON, or a LoadError naming `what` (a member, an attribute) and why.

    NaN and Infinity are accepted as Python's json reads them (old Keras wrote them); writing
    them back out is the strict encoder's job (inspector/report/strict_json.py).
    """
    try:
        value = json.loads(data, parse_int=_bounded_int)
    except _HugeInteger as exc:
        raise LoadError(path, f"{what} holds a {exc.digits:,}-digit integer; the limit is "
                              f"{MAX_INT_DIGITS} digits") from None
    except RecursionError:
        raise LoadError(path, f"{what} is nested deeper than {MAX_DEPTH} levels; not read") from None
    except json.JSONDecodeError as exc:
        raise LoadError(path, f"{what} is not valid JSON: {exc.msg} at line {exc.lineno} "
                              f"column {exc.colno}") from None
    except UnicodeDecodeError as exc:
        raise LoadError(path, f"{what} is not UTF-8 text: {exc.reason} at byte {exc.start}") from None
    if _deeper_than(value, MAX_DEPTH):
        raise LoadError(path, f"{what} is nested deeper than {MAX_DEPTH} levels; not read")
    return value


class _HugeInteger(ValueError):
    def __init__(self, digits: int):
        super().__init__(digits)
        self.digits = digits


def _bounded_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        raise _HugeInteger(digits)
    return int(text)


def _deeper_than(value: Any, limit: int) -> bool:
    """True when lists and objects nest more than `limit` levels; iterative, so any depth is
    measured without recursion."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False
