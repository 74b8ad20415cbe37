"""Describe a data sample with numpy alone: per input its range, moments and odd columns, per
target what kind of label it is. No model runs here; the rules read the result."""

from __future__ import annotations

from typing import Any

from inspector.probe.data import Sample
from inspector.probe.measurements import (
    BINARY,
    CONTINUOUS,
    LABELS,
    MULTI_HOT,
    ONE_HOT,
    PROBABILITIES,
    DataDescription,
    InputSummary,
    TargetSummary,
)

MAX_LABELS = 1000  # more distinct integers than this are a quantity, not classes


def describe(sample: Sample) -> DataDescription:
    return DataDescription(
        rows=sample.rows,
        inputs=tuple(describe_input(n, a) for n, a in sample.inputs.items()),
        targets=tuple(describe_target(n, a) for n, a in sample.targets.items()),
    )


def describe_input(name: str, array: Any) -> InputSummary:
    import numpy as np

    values = np.asarray(array, dtype=np.float64)
    nan = int(np.isnan(values).sum())
    inf = int(np.isinf(values).sum())
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return InputSummary(name, tuple(array.shape[1:]), str(array.dtype), float("nan"), float("nan"),
                            float("nan"), float("nan"), nan, inf)
    columns = values.reshape(-1, values.shape[-1]) if values.ndim > 1 else values.reshape(-1, 1)
    with np.errstate(invalid="ignore"):
        masked = np.where(np.isfinite(columns), columns, np.nan)
        col_min = np.nanmin(masked, axis=0)
        col_max = np.nanmax(masked, axis=0)
        col_std = np.nanstd(masked, axis=0)
    constant = tuple(int(i) for i in np.flatnonzero(col_min == col_max)) if len(columns) > 1 else ()
    moving = col_std[np.isfinite(col_std) & (col_std > 0)]
    return InputSummary(
        name=name,
        shape=tuple(int(d) for d in array.shape[1:]),
        dtype=str(array.dtype),
        minimum=float(finite.min()),
        maximum=float(finite.max()),
        mean=float(finite.mean()),
        std=float(finite.std()),
        nan=nan,
        inf=inf,
        integer=bool(np.all(finite == np.round(finite))),
        columns=int(columns.shape[1]),
        constant_columns=constant,
        column_std_min=float(moving.min()) if moving.size else 0.0,
        column_std_max=float(moving.max()) if moving.size else 0.0,
    )


def describe_target(name: str, array: Any) -> TargetSummary:
    import numpy as np

    values = np.asarray(array, dtype=np.float64)
    nan = int(np.isnan(values).sum())
    inf = int(np.isinf(values).sum())
    finite = values[np.isfinite(values)]
    shape = tuple(int(d) for d in array.shape[1:])
    if finite.size == 0:
        return TargetSummary(name, shape, CONTINUOUS, float("nan"), float("nan"), nan=nan, inf=inf)
    low, high = float(finite.min()), float(finite.max())
    kind, classes, majority = _kind(values if not (nan or inf) else np.nan_to_num(values), shape)
    return TargetSummary(name, shape, kind, low, high, classes, majority, nan, inf)


def _kind(values: Any, shape: tuple[int, ...]) -> tuple[str, int | None, float | None]:
    import numpy as np

    columns = shape[-1] if shape else 1
    whole = bool(np.all(values == np.round(values)))
    zero_one = bool(np.all((values == 0) | (values == 1)))
    if columns > 1 and len(shape) == 1:
        if zero_one:
            per_row = values.sum(axis=1)
            counts = values.sum(axis=0)
            majority = float(counts.max() / len(values))
            if np.all(per_row == 1):
                return ONE_HOT, columns, majority
            return MULTI_HOT, columns, majority
        if values.min() >= 0 and values.max() <= 1:
            return PROBABILITIES, columns, None
        return CONTINUOUS, None, None
    flat = values.reshape(-1)
    if whole and flat.min() >= 0:
        distinct, counts = np.unique(flat, return_counts=True)
        majority = float(counts.max() / counts.sum())
        if zero_one:
            return BINARY, 2, majority
        dense = len(distinct) >= 0.5 * (flat.max() + 1) and flat.min() <= 1  # 0..k-1 (or 1..k), most present
        if len(distinct) <= MAX_LABELS and len(distinct) <= max(2, len(flat) // 2) and dense:
            return LABELS, int(flat.max()) + 1, majority
        return CONTINUOUS, None, None
    if flat.min() >= 0 and flat.max() <= 1:
        return PROBABILITIES, None, None
    return CONTINUOUS, None, None
