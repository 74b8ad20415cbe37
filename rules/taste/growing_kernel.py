"""T103 growing-kernel (opt-in, taste): a convolution with a larger kernel than the one before."""

from __future__ import annotations

from collections.abc import Iterator

from inspector.engine import RuleOptions, Violation, rule
from inspector.graph import ModelGraph
from inspector.rules import _examples as ex
from inspector.rules._layout import spatial_rank, windows
from inspector.rules._util import unwrapped
from inspector.rules.taste._shared import previous


def _cnn(*kernels: int, dilations: tuple[int, ...] = ()):
    convs = [ex.layer("Conv2D", f"conv{i}", filters=16 * i, kernel_size=[k, k], padding="same",
                      activation="relu", dilation_rate=[d, d])
             for i, (k, d) in enumerate(zip(kernels, dilations or (1,) * len(kernels)), 1)]
    return ex.sequential((None, 32, 32, 3), *convs, ex.layer("GlobalAveragePooling2D", "gap"),
                         ex.layer("Dense", "out", units=10, activation="softmax"))


def _is_conv(cls: str) -> bool:
    return spatial_rank(cls) is not None and "Pool" not in cls


@rule(
    "T103",
    "growing-kernel",
    "info",
    frameworks=("keras",),  # reads Keras `kernel_size`/`dilation_rate` configs
    default=False,
    invalid=[_cnn(3, 5), _cnn(5, 3, 7), _cnn(3, 5, 7)],
    valid=[_cnn(7, 5, 3), _cnn(3, 3), _cnn(3, 1, 3), _cnn(3, 3, 3, dilations=(1, 2, 4))],
)
def growing_kernel(graph: ModelGraph, opts: RuleOptions) -> Iterator[Violation]:
    """
    ## What it does
    Reports a convolution whose kernel is larger than that of the spatial convolution before it.

    ## Details
    Off by default (a matter of taste, not a fault): enable it with `--select T103`. 1x1
    convolutions are not counted as the one before; a growing dilation rate is not a growing kernel.

    ## Why it matters
    Deeper layers see the input through every layer before them: their receptive field grows
    with depth anyway, so the usual design keeps kernels small or shrinks them (7x7 stem, then
    3x3). A larger kernel deeper in costs parameters (a 5x5 kernel is 2.8 times a 3x3) for a
    receptive field two stacked 3x3 layers would give. NeuraLint checks it; it is taste, not a
    fault, hence opt-in.

    ## Example
    ```python
    x = layers.Conv2D(32, 3, activation="relu")(x)
    x = layers.Conv2D(64, 5, activation="relu")(x)     # larger kernel deeper in
    ```

    ## How to fix
    Keep the kernels small (3x3) and stack them, or keep this rule off if the design wants it.
    """
    for call in graph.calls:
        layer = graph.layer(call.layer)
        cls, config = unwrapped(layer)
        mine = windows(cls, config) if _is_conv(cls) else None
        if mine is None:
            continue
        before = previous(graph, call, _spatial_conv)
        if before is None:
            continue
        b_cls, b_config = unwrapped(graph.layer(before.layer))
        theirs = windows(b_cls, b_config)
        if theirs is None or len(theirs) != len(mine):
            continue
        pairs = list(zip(mine, theirs, strict=True))  # sizes, not spans: growing dilation is fine
        if any(m.size > t.size for m, t in pairs) and all(m.size >= t.size for m, t in pairs):
            size = "x".join(str(w.size) for w in mine)
            other = "x".join(str(w.size) for w in theirs)
            yield Violation(f"{cls} {layer.name!r} has a {size} kernel, larger than the {other} of "
                            f"{before.layer!r} before it", (layer.name, before.layer),
                            pattern="convolutions have larger kernels than the convolution before them")


def _spatial_conv(layer) -> bool:
    """A convolution whose kernel is larger than 1 along some axis (not a 1x1 bottleneck)."""
    cls, config = unwrapped(layer)
    ws = windows(cls, config) if _is_conv(cls) else None
    return ws is not None and any(w.size > 1 for w in ws)
