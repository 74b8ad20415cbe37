"""D113 non-finite-data: NaN or infinite values in the inputs or the targets."""

from __future__ import annotations

from collections.abc import Iterator

from inspector.engine import RuleOptions, Violation, rule
from inspector.graph import ModelGraph
from inspector.probe.measurements import (
    CONTINUOUS,
    DataDescription,
    InputSummary,
    Measurements,
    TargetSummary,
)
from inspector.rules.data._probe import Diagnosed, head_model, helping, measured, run

_CLEAN = InputSummary("features", (8,), "float32", -2.0, 3.0, 0.0, 1.0, columns=8)
_HOLES = InputSummary("features", (8,), "float32", -2.0, 3.0, 0.0, 1.0, nan=37, columns=8)
_TARGET = TargetSummary("output", (1,), CONTINUOUS, 0.1, 5.0)


def _example(summary: InputSummary) -> Diagnosed:
    data = DataDescription(500, inputs=(summary,), targets=(_TARGET,))
    baseline = run(2.0, float("nan"), diverged_at=1) if summary.nonfinite else run(2.0, 0.4)
    return Diagnosed(head_model("mse", 1, "linear", features=8), Measurements(data, baseline=baseline))


@rule(
    "D113",
    "non-finite-data",
    "error",
    frameworks=("keras",),
    invalid=[lambda: _example(_HOLES)],
    valid=[lambda: _example(_CLEAN)],
)
def non_finite_data(graph: ModelGraph, opts: RuleOptions) -> Iterator[Violation]:
    """
    ## What it does
    Counts NaN and infinite values in each input and target array of the data sample
    (`inspect diagnose --data`). It reports every array that has any, with the count, and the
    loss as training it goes (one NaN in a batch makes that step's loss and every weight NaN).

    ## Why it matters
    A single NaN in one row poisons the gradient of the whole batch; after that step every weight
    is NaN and the model predicts NaN forever. Missing values read from a CSV, a division by a
    zero standard deviation, or a log of zero are the usual sources, and nothing in the model
    file can show them.

    ## Example
    ```python
    x = df[features].to_numpy()        # empty cells become NaN
    model.fit(x, y)                    # loss: nan from the first epoch
    ```

    ## How to fix
    Find and fill or drop the rows (`np.isnan(x).any(axis=1)`), e.g. impute column means or
    medians (`SimpleImputer`), and check derived features for divisions by zero and logs of zero.
    """
    m = measured(opts)
    if m is None:
        return
    effect = f"; training as given: {m.baseline.figures()}" if m.baseline is not None else ""
    cleaned = helping(m, "clean-data")
    if cleaned is not None:
        effect += f"; with {cleaned.change}: {cleaned.run.figures()}"
    names = set(graph.input_names) | set(graph.output_names)
    for summary in (*m.data.inputs, *m.data.targets):
        if summary.nonfinite:
            kind = "input" if isinstance(summary, InputSummary) else "target"
            counts = ", ".join(f"{n} {what}" for n, what in ((summary.nan, "NaN"), (summary.inf, "inf")) if n)
            yield Violation(f"{kind} {summary.name!r} holds {counts} value{'s' if summary.nonfinite > 1 else ''} "
                            f"in {m.data.rows} rows{effect}", (summary.name,) if summary.name in names else ())
