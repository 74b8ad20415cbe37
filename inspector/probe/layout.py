"""Data laid out differently from what the model reads: find the one reshape or transpose that
makes an input array fit the model's input shape, and say it as the user would write it."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class LayoutFix:
    change: str  # `x = np.transpose(x, (0, 2, 3, 1))`
    why: str  # `channels first: the data is (3, 32, 32) per example where the model reads (32, 32, 3)`
    op: str  # transpose, add-axis, drop-axis, reshape
    arg: tuple = ()

    def apply(self, array: Any) -> Any:
        import numpy as np

        if self.op == "transpose":
            return np.transpose(array, self.arg)
        if self.op == "add-axis":
            return array[..., np.newaxis]
        if self.op == "drop-axis":
            return array[..., 0]
        return array.reshape(self.arg)


def fits(sample_shape: Sequence[int], model_shape: Sequence[int | None]) -> bool:
    return len(sample_shape) == len(model_shape) and all(
        m is None or m == s for s, m in zip(sample_shape, model_shape))


def find_fix(name: str, sample_shape: tuple[int, ...], model_shape: tuple[int | None, ...]) -> LayoutFix | None:
    """A transpose (channels, time steps), a channel axis added or dropped, or a flat row
    reshaped to the model's shape; None when no single such change fits."""
    have, want = tuple(sample_shape), tuple(model_shape)
    if fits(have, want):
        return None
    if len(have) == len(want) and len(have) >= 2:
        for order in itertools.permutations(range(len(have))):
            moved = tuple(have[i] for i in order)
            if order != tuple(range(len(have))) and fits(moved, want):
                axes = (0,) + tuple(i + 1 for i in order)
                what = _describe_move(have, moved)
                return LayoutFix(f"x = np.transpose(x, {axes})", f"{what}: the data is {have} per example "
                                                                  f"where the model reads {_shape(want)}",
                                 "transpose", axes)
    if len(want) == len(have) + 1 and want[-1] == 1 and fits(have, want[:-1]):
        return LayoutFix("x = x[..., np.newaxis]", f"the data is {have} per example, the model reads "
                                                  f"{_shape(want)}: it lacks the channel axis", "add-axis")
    if len(have) == len(want) + 1 and have[-1] == 1 and fits(have[:-1], want):
        return LayoutFix("x = x[..., 0]", f"the data is {have} per example, the model reads {_shape(want)}: "
                                          "drop the extra last axis", "drop-axis")
    if None not in want and math.prod(have) == math.prod(want):  # type: ignore[arg-type]
        target = (-1,) + tuple(want)  # type: ignore[operator]
        return LayoutFix(f"x = x.reshape({target})", f"the data is {have} per example, the model reads "
                                                    f"{_shape(want)}: the same values, reshaped", "reshape", target)
    return None


def _describe_move(have: tuple[int, ...], moved: tuple[int, ...]) -> str:
    if len(have) == 3 and have[0] in (1, 3, 4) and moved[-1] == have[0]:
        return "channels first"
    if len(have) == 2 and moved == (have[1], have[0]):
        return "time steps and features swapped"
    return "axes in another order"


def _shape(shape: Sequence[int | None]) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"
