"""T101 shrinking-filters (opt-in, taste): a convolution with fewer filters than the one before."""

from __future__ import annotations

from collections.abc import Iterator

from inspector.engine import RuleOptions, Violation, rule
from inspector.graph import ModelGraph
from inspector.rules import _examples as ex
from inspector.rules._layout import spatial_rank, windows
from inspector.rules._outputs import model_outputs
from inspector.rules._util import unwrapped, width
from inspector.rules.taste._shared import computes_an_output, previous


def _cnn(*filters: int, kernel: int = 3):
    convs = [ex.layer("Conv2D", f"conv{i}", filters=f, kernel_size=[kernel, kernel], padding="same",
                      activation="relu") for i, f in enumerate(filters, 1)]
    return ex.sequential((None, 32, 32, 3), *convs, ex.layer("GlobalAveragePooling2D", "gap"),
                         ex.layer("Dense", "out", units=10, activation="softmax"))


def _bottleneck():
    """DenseNet's layer: a 1x1 convolution to 128 channels, then a 3x3 one to 32."""
    return ex.sequential(
        (None, 32, 32, 3),
        ex.layer("Conv2D", "stem", filters=32, kernel_size=[3, 3], padding="same"),
        ex.layer("Conv2D", "reduce", filters=128, kernel_size=[1, 1]),
        ex.layer("Conv2D", "grow", filters=32, kernel_size=[3, 3], padding="same"),
        ex.layer("GlobalAveragePooling2D", "gap"), ex.layer("Dense", "out", units=10))


def _is_spatial_conv(cls: str) -> bool:
    return spatial_rank(cls) is not None and "Pool" not in cls and "Depthwise" not in cls


def _wide_kernel_conv(layer) -> bool:
    """A convolution with a kernel larger than 1 somewhere: 1x1 bottlenecks are not compared."""
    cls, config = unwrapped(layer)
    ws = windows(cls, config) if _is_spatial_conv(cls) else None
    return ws is not None and any(w.size > 1 for w in ws)


@rule(
    "T101",
    "shrinking-filters",
    "info",
    frameworks=("keras",),  # reads Keras `filters`/`kernel_size` configs
    default=False,
    invalid=[_cnn(64, 32), _cnn(16, 32, 16), _cnn(64, 32, 16)],
    valid=[_cnn(16, 32, 64), _cnn(32, 32), _cnn(64, 16, kernel=1), _bottleneck()],
)
def shrinking_filters(graph: ModelGraph, opts: RuleOptions) -> Iterator[Violation]:
    """
    ## What it does
    Reports a convolution with a spatial kernel (larger than 1) that has fewer filters than the
    spatial convolution before it.

    ## Details
    Off by default (a matter of taste, not a fault): enable it with `--select T101`. 1x1
    convolutions are left out on both sides (bottlenecks change the channels on purpose).

    ## Why it matters
    The classic image classifier design (VGG, ResNet stages) doubles the filters when it halves
    the resolution, so each layer keeps roughly the same amount of information; NeuraLint
    checks that filters grow with depth. Shrinking them is not wrong in itself (decoders,
    autoencoders and segmentation heads do it), which is why this rule is opt-in.

    ## Example
    ```python
    x = layers.Conv2D(64, 3, activation="relu")(x)
    x = layers.Conv2D(32, 3, activation="relu")(x)     # fewer filters deeper in
    ```

    ## How to fix
    Grow the filters with depth (`16, 32, 64`), or keep this rule off if the narrowing is the
    design.
    """
    outputs = dict(model_outputs(graph, opts))
    for call in graph.calls:
        layer = graph.layer(call.layer)
        cls, config = unwrapped(layer)
        ws = windows(cls, config)
        if not _is_spatial_conv(cls) or ws is None or all(w.size == 1 for w in ws):
            continue
        if computes_an_output(graph, call, outputs):
            continue  # an output's channels are the task's (a decoder's 1-channel image)
        before = previous(graph, call, _wide_kernel_conv, through_concatenation=False)
        if before is None:
            continue
        mine, theirs = width(layer), width(graph.layer(before.layer))
        if mine is not None and theirs is not None and mine < theirs:
            yield Violation(f"{cls} {layer.name!r} has {mine} filters, fewer than the {theirs} of "
                            f"{before.layer!r} before it", (layer.name, before.layer),
                            pattern="convolutions have fewer filters than the convolution before them")
