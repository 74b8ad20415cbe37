"""A105 vanishing-feature-map: downsampling a map that has nothing left to downsample."""

from __future__ import annotations

from collections.abc import Iterator

from inspector.engine import RuleOptions, Violation, rule
from inspector.graph import Call, ModelGraph
from inspector.rules import _examples as ex
from inspector.rules._layout import data_format, input_shape, spatial_axes, windows
from inspector.rules._util import display

_AXIS_NAMES = {1: ("length",), 2: ("height", "width"), 3: ("depth", "height", "width")}


def _cnn(pools: int, last_padding: str = "same", size: int = 8):
    """Conv + MaxPooling(2) blocks on a `size`x`size` image, then a classifier."""
    m = ex.Functional("cnn")
    h = x = m.input("image", (None, size, size, 1))
    for i in range(1, pools + 1):
        h = m.add(ex.layer("Conv2D", f"conv{i}", filters=8, kernel_size=[3, 3], padding="same",
                           activation="relu", data_format="channels_last"), h)
        padding = last_padding if i == pools else "valid"
        h = m.add(ex.layer("MaxPooling2D", f"pool{i}", pool_size=[2, 2], strides=[2, 2],
                           padding=padding, data_format="channels_last"), h)
    h = m.add(ex.layer("Flatten", "flatten"), h)
    y = m.add(ex.layer("Dense", "digit", units=10, activation="softmax"), h)
    return _with_shapes(m.build([x], [y]), size)


def _with_shapes(config, size):
    """The examples' builder does not infer spatial shapes: leave them to the loader."""
    for entry in config["config"]["layers"]:
        for node in entry.get("inbound_nodes", []):
            arg = node["args"][0]
            if isinstance(arg, dict):
                arg["config"]["shape"] = None
    return config


def _strided_conv1d(convs: int = 1):
    """Conv1Ds with stride 2 on a sequence that pooling has already reduced to one step."""
    return ex.sequential(
        (None, 4, 6),
        ex.layer("MaxPooling1D", "pool", pool_size=4, strides=4, padding="valid",
                 data_format="channels_last"),
        *(ex.layer("Conv1D", "conv" if i == 0 else f"conv{i + 1}", filters=4, kernel_size=1, strides=2,
                   padding="same", data_format="channels_last") for i in range(convs)),
        ex.layer("Flatten", "flatten"),
        ex.layer("Dense", "out", units=1, activation="sigmoid"))


@rule(
    "A105",
    "vanishing-feature-map",
    "warning",
    frameworks=("keras",),  # reads Keras pooling/convolution windows; ONNX kernel_shape/pads are not read
    invalid=[lambda: _cnn(4), lambda: _cnn(5), _strided_conv1d, lambda: _strided_conv1d(2)],
    valid=[lambda: _cnn(3), lambda: _cnn(2, size=28)],
)
def vanishing_feature_map(graph: ModelGraph, opts: RuleOptions) -> Iterator[Violation]:
    """
    ## What it does
    Reports a pooling or strided convolution that downsamples a spatial dimension already reduced to
    1, or whose window no longer fits its input.

    ## Details
    A window that no longer fits would make the output size zero or negative. The message follows
    the dimension back through the layers that shrank it (`height 8 -> 4 'pool1' -> 2 'pool2' -> 1
    'pool3'`).

    ## Why it matters
    A stride or pooling window on a map that is one pixel wide has nothing left to reduce: the
    layer costs compute and, for a convolution, parameters, while the spatial information its
    position in the network was meant to summarize was already thrown away by the earlier
    downsampling. Layers on a 1x1 map are wasted: in the record below, 8,403 of the 9,216
    kernel weights of the 3x3 convolution working on the 1x1 map never received a gradient
    (test accuracy was not measurably lower on digits: the harm is waste, not error). Too many poolings for the input size is the usual cause (five `MaxPooling2D`
    blocks copied from a 224x224 network onto 28x28 images). One step further, Keras refuses to
    build the model with "Computed output size would be zero or negative", naming neither the
    layer nor the dimension; for a Python builder (`inspect lint file.py:function`) this rule
    says which layer drives which dimension to zero. Convolutions with `padding="same"` on a 1x1
    map are not reported: keras.applications models built at their minimum input size do that
    by design.

    ## Example
    ```python
    x = keras.Input((8, 8, 1))
    for filters in (16, 32, 64, 64):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = layers.MaxPooling2D(padding="same")(x)   # 8 -> 4 -> 2 -> 1 -> 1
    ```

    ## How to fix
    Remove the poolings (or strides) after the map reaches 1, or feed larger inputs; end the
    feature extractor with `GlobalAveragePooling2D` instead of pooling down to a single pixel.
    """
    for call in graph.calls:
        layer = graph.layer(call.layer)
        found = _vanishing_axes(graph, call)
        if not found:
            continue
        zero = [f for f in found if f[2] <= 0]
        names = " and ".join(name for name, _, _, _, _ in found)
        chains: dict[str, list[str]] = {}
        for name, _, _, _, chain in found:
            chains.setdefault(chain, []).append(name)
        history = "; ".join(f"{' and '.join(axes)}: {chain}" for chain, axes in chains.items())
        if zero:
            where = " and ".join(f"a window of {span} over a {name} of {n} (output {name} {out})"
                                 for name, n, out, span, _ in zero)
            message = (f"{layer.class_name} {layer.name!r} slides {where}: Keras refuses the model "
                       f"(\"Computed output size would be zero or negative\"); {history}")
            yield Violation(message, (layer.name,))  # Keras stops at the first: one-off
        else:
            message = (f"{layer.class_name} {layer.name!r} downsamples {names} already reduced "
                       f"to 1 ({history}): the map has vanished and this layer has nothing left "
                       "to reduce")
            yield Violation(message, (layer.name,), pattern=(
                "poolings or strided layers downsample feature maps already reduced to 1"))


def _vanishing_axes(graph: ModelGraph, call: Call) -> list[tuple[str, int, int, int, str]]:
    """(axis name, input length, output length, window span, how the length came about) for each
    spatial axis
    the call downsamples while it is 1, or shrinks to zero or less."""
    layer = graph.layer(call.layer)
    ws = windows(layer.class_name, layer.config)
    shape = input_shape(graph, call)
    if ws is None or shape is None or len(shape) != len(ws) + 2:
        return []
    axes = spatial_axes(len(shape), data_format(layer.config))
    found = []
    for ax, name, window in zip(axes, _AXIS_NAMES[len(ws)], ws, strict=True):
        n = shape[ax]
        if n is None:
            continue
        out = window.output_length(n)
        if out <= 0 or (n == 1 and window.stride > 1):
            found.append((name, n, out, window.span, _history(graph, call, ax)))
    return found


def _history(graph: ModelGraph, call: Call, axis: int) -> str:
    """`8 -> 4 'pool1' -> 2 'pool2'`: the length along `axis` where it changed, back to where
    the tensor rank last changed (an input, a reshape)."""
    steps: list[str] = []
    rank = len(graph.tensor(call.inputs[0]).shape or ())
    current = call
    for _ in range(500):
        if not current.inputs:
            break
        shape = graph.tensor(current.inputs[0]).shape
        producer = graph.producer(current.inputs[0])
        before = graph.tensor(producer.inputs[0]).shape if producer.inputs else None
        if shape is None or len(shape) != rank or shape[axis] is None:
            break
        if before is None or len(before) != rank or before[axis] != shape[axis]:
            steps.append(f"{shape[axis]} {producer.layer!r}")
            if before is None or len(before) != rank or before[axis] is None:
                break
        current = producer
    return display(list(reversed(steps)), keep=8)
