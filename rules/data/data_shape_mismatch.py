"""D114 data-shape-mismatch: data the model rejects, or laid out on another axis than it reads."""

from __future__ import annotations

from collections.abc import Iterator

from inspector.engine import RuleOptions, Violation, rule
from inspector.graph import ModelGraph
from inspector.probe.measurements import DataDescription, InputSummary, Measurements
from inspector.rules import _examples as ex
from inspector.rules.data._probe import Diagnosed, measured, run

_CHANNELS_FIRST = InputSummary("image", (3, 8, 8), "float32", 0.0, 1.0, 0.5, 0.3, columns=8)
_LAID_OUT = InputSummary("image", (8, 8, 3), "float32", 0.0, 1.0, 0.5, 0.3, columns=3)


def _cnn() -> dict:
    m = ex.Functional("cnn")
    x = m.input("image", (None, 8, 8, 3))
    h = m.add(ex.layer("Conv2D", "conv", filters=8, kernel_size=[3, 3], activation="relu"), x)
    h = m.add(ex.layer("GlobalAveragePooling2D", "pool"), h)
    y = m.add(ex.layer("Dense", "output", units=10, activation="softmax"), h)
    return m.build([x], [y], loss="sparse_categorical_crossentropy")


def _example(summary: InputSummary, layout=None, rejected=None) -> Diagnosed:
    baseline = None if rejected else run(2.3, 0.5, (0.1, 0.85))
    return Diagnosed(_cnn(), Measurements(DataDescription(500, inputs=(summary,)), baseline=baseline,
                                          layout=layout, rejected=rejected))


@rule(
    "D114",
    "data-shape-mismatch",
    "error",
    frameworks=("keras",),
    invalid=[lambda: _example(_CHANNELS_FIRST, layout="input 'image': channels first: the data is (3, 8, 8) per "
                                                      "example where the model reads (8, 8, 3); "
                                                      "x = np.transpose(x, (0, 2, 3, 1))"),
             lambda: _example(_CHANNELS_FIRST, rejected="input 'image': the data is (5, 5) per example, the model "
                                                        "reads (8, 8, 3), and no reshape or transpose turns one "
                                                        "into the other")],
    valid=[lambda: _example(_LAID_OUT)],
)
def data_shape_mismatch(graph: ModelGraph, opts: RuleOptions) -> Iterator[Violation]:
    """
    ## What it does
    Compares each input array of the data sample (`inspect diagnose --data`) with the shape the
    model reads. When they differ it looks for the one change that makes them fit (channels
    first to channels last, time steps and features swapped, a missing channel axis, flat rows
    of an image) and names it, as code, with how the model trains once it is applied; when no
    such change exists, or Keras still refuses the data, it says what Keras said.

    ## Why it matters
    Keras stops `fit` on a shape it cannot read with a long traceback about a layer deep inside;
    worse, a transposed array of the right size (channels first into a channels-last model, a
    `(features, steps)` sequence) trains without a word on scrambled inputs.

    ## Example
    ```python
    x = torchvision_style_batch      # (n, 3, 32, 32)
    model = keras.Sequential([keras.Input((32, 32, 3)), ...])
    ```

    ## How to fix
    Apply the change the message names (e.g. `x = np.transpose(x, (0, 2, 3, 1))`), or declare
    the input as the data is laid out (`data_format="channels_first"` on the convolutions).
    """
    m = measured(opts)
    if m is None:
        return
    names = set(graph.input_names)
    if m.layout is not None:
        name = m.layout.split("'")[1] if "'" in m.layout else ""
        trained = f"; with it: {m.baseline.figures()}" if m.baseline is not None and m.baseline.error is None else ""
        yield Violation(f"{m.layout}{trained}", (name,) if name in names else ())
    if m.rejected is not None:
        name = m.rejected.split("'")[1] if m.rejected.startswith("input '") else ""
        yield Violation(f"the model rejects the data: {m.rejected}", (name,) if name in names else ())
