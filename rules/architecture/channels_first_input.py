"""A108 channels-first-input: images shaped (channels, height, width) fed to channels_last layers."""

from __future__ import annotations

from collections.abc import Iterator

from inspector.engine import RuleOptions, Violation, rule
from inspector.graph import ModelGraph
from inspector.rules import _examples as ex
from inspector.rules._layout import data_format, spatial_rank, windows
from inspector.rules._util import input_layer_calls, unwrapped

MAX_CHANNELS = 4  # grayscale, RGB, RGBA
MIN_SIDE = 8


def _cnn(shape, kernel=(3, 3)):
    return ex.sequential(
        shape,
        ex.layer("Conv2D", "conv1", filters=16, kernel_size=list(kernel), padding="same",
                 activation="relu", data_format="channels_last"),
        ex.layer("GlobalAveragePooling2D", "gap", data_format="channels_last"),
        ex.layer("Dense", "digit", units=10, activation="softmax"))


@rule(
    "A108",
    "channels-first-input",
    "warning",
    invalid=[_cnn((None, 3, 32, 32)), _cnn((None, 1, 28, 28))],
    valid=[_cnn((None, 32, 32, 3)), _cnn((None, 28, 28, 1)), _cnn((None, 1, 128, 40), kernel=(1, 5)),
           _cnn((None, 4, 4, 8))],
    frameworks=("keras",),
)
def channels_first_input(graph: ModelGraph, opts: RuleOptions) -> Iterator[Violation]:
    """
    ## What it does
    Reports a model input shaped like channels-first images, `(channels, height, width)`, read
    directly by a `channels_last` 2-D convolution or pooling.

    ## Details
    The input has 1 to 4 channels and sides of 8 or more, and the window of the convolution or
    pooling spans more than one row.

    ## Why it matters
    Keras' convolutions read `(height, width, channels)` by default. Given `(3, 32, 32)`
    (PyTorch's layout, or `input_shape=(3, 32, 32)` copied from a tutorial) the model sees an
    image 3 rows high with 32 channels: a 3x3 kernel slides over 3 rows and mixes the columns
    of one row as if they were colours, and the spatial structure the convolution exists for
    is lost. The model builds and trains, worse; with two poolings Keras refuses it ("Computed
    output size would be zero or negative", which `vanishing-feature-map` then explains).

    ## Example
    ```python
    inputs = keras.Input((3, 32, 32))            # CIFAR images as PyTorch stores them
    x = layers.Conv2D(32, 3, padding="same")(inputs)
    ```

    ## How to fix
    Transpose the data to `(32, 32, 3)` (`np.transpose(x, (0, 2, 3, 1))`) and declare
    `keras.Input((32, 32, 3))`; or, if the data must stay channels first, pass
    `data_format="channels_first"` to every convolution and pooling.
    """
    scope = opts.scope_of(graph)
    for call in input_layer_calls(graph):
        if not scope.is_model and call.outputs[0] not in scope.inputs:
            continue  # a nested model's input the outer model computes: a feature map, no image
        shape = graph.tensor(call.outputs[0]).shape
        if not shape or len(shape) != 4 or any(not isinstance(d, int) for d in shape[1:]):
            continue
        channels, height, width = shape[1], shape[2], shape[3]
        if not (channels <= MAX_CHANNELS and height >= MIN_SIDE and width >= MIN_SIDE):
            continue
        for reader_id in graph.successors(call.id):
            reader = graph.layer_of(reader_id)
            cls, config = unwrapped(reader)
            ws = windows(cls, config)
            if spatial_rank(cls) != 2 or ws is None or data_format(config) == "channels_first" \
                    or ws[0].size <= 1:
                continue
            yield Violation(
                f"input {call.layer!r} has shape (None, {channels}, {height}, {width}): channels-first "
                f"images ({channels} channel(s) of {height}x{width}), but {cls} {reader.name!r} reads it "
                f"channels_last, as {channels} row(s) of {height} pixels with {width} channels; "
                f"declare ({height}, {width}, {channels}) and transpose the data",
                (call.layer, reader.name))
            break
