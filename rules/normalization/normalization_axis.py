"""N104 normalization-axis: a BatchNormalization that normalizes some axis other than the channels."""

from __future__ import annotations

from collections.abc import Iterator

from inspector.engine import RuleOptions, Violation, rule
from inspector.graph import Call, ModelGraph
from inspector.kinds import (
    BATCH_NORMALIZATION,
    BIDIRECTIONAL,
    DENSE,
    EINSUM_DENSE,
    EMBEDDING,
    RECURRENT_LAYERS,
)
from inspector.rules import _examples as ex
from inspector.rules._layout import LAYOUT_KEEPING, input_shape, layout_call, shape_text
from inspector.rules._util import first_input_producers, unwrapped

_FEATURES_LAST = DENSE | EINSUM_DENSE | EMBEDDING | BIDIRECTIONAL | RECURRENT_LAYERS
"""Layers whose output keeps its features on the last axis, whatever the data format."""


def _cnn(axis, fmt="channels_last", blocks=1):
    shape = (None, 8, 8, 1) if fmt == "channels_last" else (None, 1, 8, 8)
    suffix = lambda i: "" if i == 0 else f"_{i + 1}"
    return ex.sequential(
        shape,
        *(entry for i in range(blocks) for entry in (
            ex.layer("Conv2D", f"conv{suffix(i)}", filters=16, kernel_size=[3, 3], padding="same",
                     use_bias=False, data_format=fmt),
            ex.layer("BatchNormalization", f"bn{suffix(i)}", axis=axis),
            ex.layer("Activation", f"relu{suffix(i)}", activation="relu"))),
        ex.layer("GlobalAveragePooling2D", "gap", data_format=fmt),
        ex.layer("Dense", "digit", units=10, activation="softmax"))


def _sequence(axis):
    return ex.sequential(
        (None, 20, 8),
        ex.layer("LSTM", "lstm", units=16, return_sequences=True),
        ex.layer("BatchNormalization", "bn", axis=axis),
        ex.layer("GlobalAveragePooling1D", "gap", data_format="channels_last"),
        ex.layer("Dense", "score", units=1, activation="sigmoid"))


@rule(
    "N104",
    "normalization-axis",
    "info",
    invalid=[_cnn(1), _cnn(-1, "channels_first"), _sequence(1), _cnn(1, blocks=2)],
    frameworks=("keras",),
    valid=[_cnn(-1), _cnn(3), _cnn(1, "channels_first"), _sequence(-1),
           ex.dense_chain("mlp", [32], between=["BatchNormalization"])],
)
def normalization_axis(graph: ModelGraph, opts: RuleOptions) -> Iterator[Violation]:
    """
    ## What it does
    Reports a BatchNormalization whose `axis` is not the channel (feature) axis of its input.

    ## Details
    The channel axis is the last one after a `channels_last` convolution, a Dense, an Embedding or a
    recurrent layer; axis 1 after a `channels_first` convolution.

    ## Why it matters
    `axis` names the axis that keeps its own mean, variance, `gamma` and `beta`; every other axis
    is averaged over. `BatchNormalization(axis=1)` after a channels_last convolution (a line
    from Theano-era code) keeps one statistic per image row and averages each row over all the
    channels, so channels with different scales are normalized together and the layer's size
    follows the input size instead of the filters. After an LSTM with `return_sequences=True`,
    `axis=1` normalizes each time step instead of each feature. The model trains, and on 8x8
    digits as well as the fix (the record below), but its statistics are tied to the input
    size: the trained model cannot be run on images of another size. Hence `info`.

    ## Example
    ```python
    x = layers.Conv2D(64, 3, padding="same")(image)    # channels_last: channels on axis -1
    x = layers.BatchNormalization(axis=1)(x)           # normalizes per image row
    ```

    ## How to fix
    `BatchNormalization()` (axis -1) for channels_last convolutions, Dense and sequence
    features; `BatchNormalization(axis=1)` only after `channels_first` convolutions.
    """
    for call in graph.calls:
        layer = graph.layer(call.layer)
        cls, config = unwrapped(layer)
        if cls not in BATCH_NORMALIZATION or layer.class_name != cls:
            continue
        shape = input_shape(graph, call)
        if not shape or len(shape) < 3:
            continue  # (batch, features): every axis choice but the batch is the feature axis
        rank = len(shape)
        axes = _axes(config.get("axis", -1), rank)
        found = _channel_axis(graph, call, rank)
        if axes is None or found is None:
            continue
        channel, why = found
        if channel in axes:
            continue
        named = ", ".join(str(a) for a in sorted(axes))
        sizes = " x ".join(str(shape[a]) for a in sorted(axes))
        yield Violation(
            f"BatchNormalization {layer.name!r} normalizes axis {named} of its {shape_text(shape)} input, "
            f"but {why} puts the channels on axis {channel} (size {shape[channel]}): it keeps "
            f"{sizes} statistics instead of one per channel", (layer.name,),
            pattern=f"BatchNormalization layers normalize axis {named} of their input while the "
                    f"channels are on axis {channel}")


def _axes(value, rank: int) -> set[int] | None:
    values = value if isinstance(value, (list, tuple)) else [value]
    if not values or not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return None
    axes = {v % rank for v in values}
    return None if 0 in axes else axes


def _channel_axis(graph: ModelGraph, call: Call, rank: int) -> tuple[int, str] | None:
    """(the channel axis of the call's input, the layer that decides it), or None when unknown."""
    found = layout_call(graph, call)
    if found is not None:
        fmt, writer, _ = found
        if fmt is not None:
            return (1 if fmt == "channels_first" else rank - 1), f"{writer!r} ({fmt})"
    for producer in first_input_producers(graph, call, 200):
        cls = unwrapped(graph.layer(producer.layer))[0]
        if cls in _FEATURES_LAST:
            return rank - 1, f"{producer.layer!r} ({cls})"
        if cls not in LAYOUT_KEEPING:
            return None
    return None

