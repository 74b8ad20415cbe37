"""D111 unscaled-inputs: raw pixels, magnitudes in the thousands, columns on scales far apart."""

from __future__ import annotations

from collections.abc import Iterator

from inspector.engine import RuleOptions, Violation, rule
from inspector.graph import ModelGraph
from inspector.probe.measurements import DataDescription, InputSummary, Measurements
from inspector.rules.data._probe import Diagnosed, head_model, helping, measured, proof, run, trial

_PIXELS = InputSummary("features", (64,), "uint8", 0.0, 255.0, 80.0, 100.0, integer=True, columns=64,
                       column_std_min=3.0, column_std_max=110.0)
_SCALED = InputSummary("features", (64,), "float32", 0.0, 1.0, 0.3, 0.4, columns=64,
                       column_std_min=0.01, column_std_max=0.45)


def _example(summary: InputSummary, trials=()) -> Diagnosed:
    data = DataDescription(500, inputs=(summary,))
    return Diagnosed(head_model("sparse_categorical_crossentropy"),
                     Measurements(data, baseline=run(14.2, 9.8, (0.1, 0.31)), trials=tuple(trials)))


_DIVIDED = trial("scale-inputs", "inputs / 255", "data", run(2.4, 0.21, (0.1, 0.95)), output=None)


@rule(
    "D111",
    "unscaled-inputs",
    "warning",
    frameworks=("keras",),
    invalid=[lambda: _example(_PIXELS, [_DIVIDED])],
    valid=[lambda: _example(_SCALED),
           lambda: _example(_PIXELS, [trial("scale-inputs", "inputs / 255", "data", run(2.4, 2.0, (0.1, 0.33)),
                                            output=None)])],
)
def unscaled_inputs(graph: ModelGraph, opts: RuleOptions) -> Iterator[Violation]:
    """
    ## What it does
    Reports inputs on a scale a network trains badly on (raw 0-255 pixels, features in the
    thousands, columns whose spreads differ a hundredfold), when scaling them learns better.

    ## Details
    Checks, on a sample of the training data (`inspect diagnose --data`), that the inputs are
    on a scale a network trains on: raw 0-255 pixels, features in the thousands, or columns whose
    spreads differ a hundredfold. It trains a copy on the scaled inputs (divided by 255 for
    pixels, standardised per column otherwise) with the same seed and reports the fault only when
    that learns measurably better, with both figures. An input that goes straight into a
    `Normalization` or `Rescaling` layer is left alone: the model scales it itself.

    ## Why it matters
    Initializers and default learning rates assume inputs of about unit size. Inputs of 255 make
    the first layer's pre-activations a hundred times too large: ReLUs die, sigmoids saturate and
    the loss stalls or jumps; a column in the thousands beside columns near 1 dominates every
    gradient step.

    ## Example
    ```python
    (x, y), _ = keras.datasets.mnist.load_data()
    model.fit(x, y)                     # uint8 pixels 0..255
    ```

    ## How to fix
    Divide pixels by 255 (or add `keras.layers.Rescaling(1 / 255)` as the first layer); for
    tabular data, standardise each column (`keras.layers.Normalization()` adapted on the training
    data, or scikit-learn's `StandardScaler`).
    """
    m = measured(opts)
    if m is None or m.baseline is None:
        return
    found = helping(m, "scale-inputs")
    if found is None:
        return
    names = graph.input_names
    scaled = _scaled_in_model(graph)
    for summary in m.data.inputs:
        if summary.name in scaled:
            continue  # the model's own first layer scales it
        yield Violation(f"input {summary.name!r} {_scale(summary)}: {proof(m.baseline, found)}",
                        (summary.name,) if summary.name in names else ())


SCALING_LAYERS = {"Normalization", "Rescaling"}


def _scaled_in_model(graph: ModelGraph) -> set[str]:
    """The inputs every consumer of which is a Normalization or Rescaling layer: the model scales
    them itself, so raw values there are what it was built for."""
    scaled = set()
    for name, tensor_id in zip(graph.input_names, graph.inputs):
        consumers = graph.tensor(tensor_id).consumers
        if consumers and all(graph.layer_of(c).class_name in SCALING_LAYERS for c in consumers):
            scaled.add(name)
    return scaled


def _scale(summary: InputSummary) -> str:
    text = f"ranges from {summary.minimum:g} to {summary.maximum:g}"
    if summary.integer and summary.maximum <= 255:
        text += " (raw pixel values)"
    if summary.column_std_min > 0 and summary.column_std_max / summary.column_std_min >= 100:
        text += (f", its columns' spreads go from {summary.column_std_min:.3g} to {summary.column_std_max:.3g}")
    return text
