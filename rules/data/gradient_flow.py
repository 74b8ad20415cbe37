"""D133 gradient-flow: gradients that vanish or explode across the layers."""

from __future__ import annotations

from collections.abc import Iterator

from inspector.engine import RuleOptions, Violation, rule
from inspector.graph import ModelGraph
from inspector.probe.measurements import KernelScale, LayerStats
from inspector.rules.data._probe import measured
from inspector.rules.data._units import LEARNS, example, initializer_finding, worth_showing

_VANISHING = [LayerStats("hidden_1", "sigmoid", 32, grad_norm=2e-9), LayerStats("hidden_2", "sigmoid", 32, grad_norm=3e-6),
              LayerStats("output", "softmax", 10, grad_norm=0.4)]
_EVEN = [LayerStats("hidden_1", "relu", 32, grad_norm=0.2), LayerStats("output", "softmax", 10, grad_norm=0.4)]


@rule(
    "D133",
    "gradient-flow",
    "warning",
    options={"ratio": 1e4, "explode": 1e4},
    frameworks=("keras",),
    invalid=[lambda: example(_VANISHING, hidden="sigmoid"),
             lambda: example([LayerStats("hidden_1", "relu", 32, grad_norm=3e6)]),
             lambda: example([], outsized=[KernelScale("hidden_1", "relu", 1.0, 0.177)])],
    valid=[lambda: example(_EVEN), lambda: example(_VANISHING, baseline=LEARNS, hidden="sigmoid")],
)
def gradient_flow(graph: ModelGraph, opts: RuleOptions) -> Iterator[Violation]:
    """
    ## What it does
    Reports layers whose loss gradient vanishes next to the largest one, or explodes, after a run on
    the data sample that made little progress.

    ## Details
    After a short training run on the data sample (`inspect diagnose --data`) that made little
    progress, measures the norm of the loss gradient on each layer's kernel (one batch) and
    reports layers whose gradient is `ratio` (default 10 000) times smaller than the largest
    (vanishing), or above `explode` (exploding), with the figures.

    When a Dense or convolution kernel starts over three times as spread as any standard
    initializer draws, sqrt(2 / min(fan_in, fan_out)) (six ReLU layers drawn with stddev 1 explode), the probe also draws those
    kernels afresh (`he_normal` under ReLU-like units, `glorot_uniform` otherwise), and reports the
    layers when that measurably helps, with both figures.

    ## Why it matters
    The update of a layer is its gradient times the learning rate: a layer whose gradient is ten
    thousand times smaller than the output's barely changes, so the network below it stays at
    its random initialization; exploding gradients throw the weights far at each step.

    ## Example
    ```python
    for _ in range(10):
        x = Dense(32, activation="sigmoid")(x)     # each sigmoid shrinks the gradient by 4x or more
    ```

    ## How to fix
    Use ReLU-like activations with `he_normal` initialization, add normalization between the
    layers or residual connections; clip gradients (`clipnorm=1.0`) against explosions.
    """
    outsized = initializer_finding(opts, False, "a scale at which activations and gradients grow layer by layer")
    if outsized is not None:
        yield outsized
        return
    m = measured(opts)
    if m is None or not worth_showing(m):
        return
    norms = [s for s in m.layers if s.grad_norm is not None]
    if not norms:
        return
    top = max(s.grad_norm for s in norms)  # type: ignore[type-var]
    exploding = [s for s in norms if s.grad_norm > float(opts.explode)]  # type: ignore[operator]
    if exploding:
        shown = ", ".join(f"{s.layer} {s.grad_norm:.2g}" for s in exploding)
        yield Violation(f"exploding gradients: kernel gradient norms {shown} on one batch (above "
                        f"{float(opts.explode):g})", tuple(s.layer for s in exploding))
        return
    vanishing = [s for s in norms if top > 0 and s.grad_norm * float(opts.ratio) < top]  # type: ignore[operator]
    if vanishing:
        largest = max(norms, key=lambda s: s.grad_norm or 0.0)
        shown = ", ".join(f"{s.layer} {s.grad_norm:.2g}" for s in vanishing)
        yield Violation(f"vanishing gradients: kernel gradient norms {shown}, against {largest.grad_norm:.2g} at "
                        f"{largest.layer!r} (more than {float(opts.ratio):g}x smaller); training as given: "
                        f"{m.baseline.figures()}", tuple(s.layer for s in vanishing))
