"""A106 data-format-mismatch: a layer reading channels where the layer before it wrote them not."""

from __future__ import annotations

from collections.abc import Iterator

from inspector.engine import RuleOptions, Violation, rule
from inspector.graph import ModelGraph
from inspector.rules import _examples as ex
from inspector.rules._layout import (
    data_format,
    has_data_format,
    input_shape,
    layout_call,
    shape_text,
)
from inspector.rules._util import unwrapped


def _cnn(pool_format: str, between: tuple[str, ...] = ()):
    layers = [ex.layer("Conv2D", "conv", filters=16, kernel_size=[3, 3], padding="same",
                       activation="relu", data_format="channels_last")]
    layers += [ex.layer(cls, cls.lower(), **ex.REQUIRED.get(cls, {})) for cls in between]
    layers += [ex.layer("MaxPooling2D", "pool", pool_size=[2, 2], strides=[2, 2], padding="valid",
                        data_format=pool_format),
               ex.layer("Flatten", "flatten"),
               ex.layer("Dense", "digit", units=10, activation="softmax")]
    return ex.sequential((None, 8, 8, 1), *layers)


def _twice():
    """Two channels_last convolutions, each pooled channels_first: one pattern, two places."""
    conv = {"filters": 8, "kernel_size": [3, 3], "padding": "same", "data_format": "channels_last"}
    pool = {"pool_size": [2, 2], "data_format": "channels_first"}
    return ex.sequential((None, 16, 16, 1), ex.layer("Conv2D", "conv1", **conv), ex.layer("MaxPooling2D", "pool1", **pool),
                         ex.layer("Conv2D", "conv2", **conv), ex.layer("MaxPooling2D", "pool2", **pool))


def _permuted():
    """channels_first on purpose, after an explicit Permute: silent."""
    return ex.sequential(
        (None, 8, 8, 1),
        ex.layer("Conv2D", "conv", filters=16, kernel_size=[3, 3], padding="same",
                 data_format="channels_last"),
        ex.layer("Permute", "to_channels_first", dims=[3, 1, 2]),
        ex.layer("MaxPooling2D", "pool", pool_size=[2, 2], data_format="channels_first"),
        ex.layer("Flatten", "flatten"),
        ex.layer("Dense", "digit", units=10, activation="softmax"))


@rule(
    "A106",
    "data-format-mismatch",
    "warning",
    frameworks=("keras",),  # ONNX has no data_format: every exported convolution is channels-first
    invalid=[_cnn("channels_first"), _cnn("channels_first", between=("Dropout", "Activation")),
             ex.unbuilt(_cnn("channels_first")), _twice],
    valid=[_cnn("channels_last"), _permuted],
)
def data_format_mismatch(graph: ModelGraph, opts: RuleOptions) -> Iterator[Violation]:
    """
    ## What it does
    Reports a convolution, pooling, padding or upsampling layer whose `data_format` differs from
    that of the layer that produced its input.

    ## Details
    The formats are `channels_first` and `channels_last`; a layer that moves the axes between the
    two (`Permute`, `Reshape`) ends the comparison. A stray layer in the other format is reported
    once, not again by the layer that reads its output.

    ## Why it matters
    `data_format` says which axis holds the channels. A `MaxPooling2D(data_format=
    "channels_first")` after a `channels_last` convolution takes the image rows for channels
    and pools over the columns and the filters, mixing unrelated features; a convolution in the
    other format sums over image rows as if they were channels. Keras builds and trains such a
    model without a word whenever the shapes happen to fit. It comes from code that mixes a
    `data_format=` argument with the global `image_data_format` setting, or from Theano-era
    (`dim_ordering="th"`) layers pasted into a channels_last model.

    ## Example
    ```python
    x = layers.Conv2D(32, 3, padding="same")(image)              # channels_last
    x = layers.MaxPooling2D(data_format="channels_first")(x)     # pools rows x filters
    ```

    ## How to fix
    Use one data format in the whole model (leave `data_format` unset, or set it everywhere),
    or make the change of layout explicit with `layers.Permute`.
    """
    strays: set[str] = set()  # calls reported as misreading: what they write is not blamed again
    for call in graph.calls:
        layer = graph.layer(call.layer)
        cls, config = unwrapped(layer)
        if not has_data_format(cls, config):
            continue
        found = layout_call(graph, call)
        if found is None:
            continue
        written, writer, writer_call = found
        read = data_format(config)
        if written is None or read == written or writer_call.id in strays:
            continue
        strays.add(call.id)
        shape = input_shape(graph, call)
        axis = ""
        if shape is not None and len(shape) >= 3:
            size = shape[1] if read == "channels_first" else shape[-1]
            axis = f" {shape_text(shape)} input as {read}, channels on the axis of size {size},"
        else:
            axis = f" input as {read},"
        yield Violation(f"{cls} {layer.name!r} reads its{axis} but {writer!r} wrote it {written} "
                        "(no Permute between): it mixes positions with channels",
                        (layer.name, writer),
                        pattern=f"layers read as {read} an input written {written} (no Permute between): "
                                "they mix positions with channels")

