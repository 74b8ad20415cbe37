"""D112 constant-input: an input, or most of its columns, holds one value in every row."""

from __future__ import annotations

from collections.abc import Iterator

from inspector.engine import RuleOptions, Violation, rule
from inspector.graph import ModelGraph
from inspector.probe.measurements import DataDescription, InputSummary, Measurements
from inspector.rules.data._probe import Diagnosed, head_model, measured, run

_MOSTLY_CONSTANT = InputSummary("features", (8,), "float32", 0.0, 3.0, 0.2, 0.5, columns=8,
                                constant_columns=(0, 1, 2, 3, 5, 6), column_std_min=0.4, column_std_max=0.9)
_ALL_CONSTANT = InputSummary("features", (8,), "float32", 0.0, 0.0, 0.0, 0.0, columns=8,
                             constant_columns=tuple(range(8)))
_FEW_CONSTANT = InputSummary("features", (8,), "float32", 0.0, 3.0, 0.8, 0.9, columns=8, constant_columns=(0,),
                             column_std_min=0.4, column_std_max=1.1)


def _example(summary: InputSummary) -> Diagnosed:
    return Diagnosed(head_model("mse", 1, "linear", features=8),
                     Measurements(DataDescription(500, inputs=(summary,)), baseline=run(1.0, 0.97)))


@rule(
    "D112",
    "constant-input",
    "warning",
    frameworks=("keras",),
    invalid=[lambda: _example(_ALL_CONSTANT), lambda: _example(_MOSTLY_CONSTANT)],
    valid=[lambda: _example(_FEW_CONSTANT)],
)
def constant_input(graph: ModelGraph, opts: RuleOptions) -> Iterator[Violation]:
    """
    ## What it does
    Reports an input array of the data sample (`inspect diagnose --data`) that holds the same
    value in every row, or whose columns are mostly constant (half or more of a table's columns),
    naming the constant columns. A few constant columns among many (blank border pixels) are
    normal and not reported.

    ## Why it matters
    A constant input carries no information: the model can only learn the average target from
    it. It is the trace of a bug upstream: a column filled with its default, a join that matched
    nothing, a feature scaled by a zero range, the wrong array passed to `fit`.

    ## Example
    ```python
    x[:, 3] = df["income"].fillna(0)    # every row was missing: a column of zeros
    ```

    ## How to fix
    Check how the constant columns are produced; drop the ones that are constant by nature, and
    fix the pipeline step that flattened the others.
    """
    m = measured(opts)
    if m is None:
        return
    names = set(graph.input_names)
    for summary in m.data.inputs:
        if m.data.rows < 2 or summary.nonfinite:
            continue
        constant = len(summary.constant_columns)
        where = (summary.name,) if summary.name in names else ()
        if summary.minimum == summary.maximum:
            yield Violation(f"input {summary.name!r} is {summary.minimum:g} in every one of the {m.data.rows} rows: "
                            "the model cannot learn anything from it", where)
        elif len(summary.shape) == 1 and summary.columns >= 2 and constant * 2 >= summary.columns:
            shown = ", ".join(str(c) for c in summary.constant_columns[:10])
            more = f" and {constant - 10} more" if constant > 10 else ""
            yield Violation(f"{constant} of the {summary.columns} columns of input {summary.name!r} hold one value "
                            f"in every row (columns {shown}{more})", where)
