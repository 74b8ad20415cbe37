"""Wrappers whose shapes and weights are those of the layer they wrap: Bidirectional and
TimeDistributed."""

from __future__ import annotations

from collections.abc import Mapping

from inspector import shapes as _api  # the dispatcher, for the wrapped layer
from inspector.shapes.common import (
    MAX_LAYER_WEIGHTS,
    Shape,
    WeightSpec,
    _first,
    _layer_ref,
    _Outputs,
    _Unknown,
    _Weights,
)


def _nested(cls: str, cfg: Mapping, inputs: list[Shape | None]) -> _Outputs:
    out = _api.output_shapes(cls, cfg, inputs)
    if out is None:
        raise _Unknown(f"cannot infer nested {cls}")
    return out


def _nested_weights(cls: str, cfg: Mapping, inputs: list[Shape | None]) -> _Weights:
    specs = _api.weight_specs(cls, cfg, inputs)
    if specs is None:
        raise _Unknown(f"cannot infer nested {cls} weights")
    return specs


def _bidirectional_layers(
    config: Mapping,
) -> tuple[tuple[str, Mapping], tuple[str, Mapping] | None]:
    """The forward layer and the backward one, None when the backward is the forward's mirror:
    its shapes are then the forward's, computed once, so that nested wrappers stay linear."""
    forward = _layer_ref(config.get("layer"))
    if config.get("backward_layer") is None:
        return forward, None
    return forward, _layer_ref(config.get("backward_layer"))


def _bidirectional_out(config: Mapping, inputs: list[Shape | None]) -> _Outputs:
    (fc, fcfg), backward = _bidirectional_layers(config)
    seq = inputs[:1]  # initial states and masks do not change the outputs
    fwd = _nested(fc, fcfg, seq)
    bwd = fwd if backward is None else _nested(*backward, seq)
    states = bool(fcfg.get("return_state"))
    f_main, f_states = fwd[0], fwd[1:] if states else []
    b_main, b_states = bwd[0], bwd[1:] if states else []
    mode = config.get("merge_mode", "concat")
    if mode == "concat":
        if f_main is None or b_main is None:
            raise _Unknown("unknown output")
        last = None if f_main[-1] is None or b_main[-1] is None else f_main[-1] + b_main[-1]
        main: _Outputs = [(*f_main[:-1], last)]
    elif mode in ("sum", "mul", "ave"):
        main = [f_main]
    elif mode is None:
        main = [f_main, b_main]
    else:
        raise _Unknown(f"merge_mode {mode!r}")
    return main + f_states + b_states


def _bidirectional_weights(config: Mapping, inputs: list[Shape | None]) -> _Weights:
    """Two copies of the wrapped layer's weights: nested Bidirectionals double them at each
    level, so past MAX_LAYER_WEIGHTS the weights are called unknown rather than listed."""
    (fc, fcfg), backward = _bidirectional_layers(config)
    seq = inputs[:1]
    fname = "forward_" + str(fcfg.get("name", fc.lower())).removeprefix("forward_")
    fwd = _nested_weights(fc, fcfg, seq)
    if backward is None:
        bname = "backward_" + str(fcfg.get("name", fc.lower())).removeprefix("forward_")
        bwd = fwd
    else:
        bc, bcfg = backward
        bname = str(bcfg.get("name", bc.lower()))
        bwd = _nested_weights(bc, bcfg, seq)
    if len(fwd) + len(bwd) > MAX_LAYER_WEIGHTS:
        raise _Unknown(f"more than {MAX_LAYER_WEIGHTS} weights")
    return [WeightSpec(f"{fname}/{s.name}", s.shape, s.trainable) for s in fwd] + [
        WeightSpec(f"{bname}/{s.name}", s.shape, s.trainable) for s in bwd
    ]


def _time_distributed_out(config: Mapping, inputs: list[Shape | None]) -> _Outputs:
    x = _first(inputs, min_ndim=3)
    cls, cfg = _layer_ref(config.get("layer"))
    inner = _nested(cls, cfg, [(x[0], *x[2:])])
    return [None if s is None else (s[0], x[1], *s[1:]) for s in inner]


def _time_distributed_weights(config: Mapping, inputs: list[Shape | None]) -> _Weights:
    x = _first(inputs, min_ndim=3)
    cls, cfg = _layer_ref(config.get("layer"))
    return _nested_weights(cls, cfg, [(x[0], *x[2:])])
