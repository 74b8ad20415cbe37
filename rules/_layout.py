"""Where the channels are and how a sliding window shrinks a map: what A105, A106 and N104 share.

Configs of every Keras era are read: Keras 1 (`dim_ordering` "th"/"tf", `border_mode`,
`subsample`, `pool_length`, `nb_row`), Keras 2 and 3 (`data_format`, `padding`, `strides`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from inspector.graph import Call, ModelGraph
from inspector.kinds import (
    ACTIVATION_LAYERS,
    DROPOUT_LAYERS,
    ELEMENTWISE_MERGE,
    FEATURE_NORMALIZATION,
    LOCALLY_CONNECTED,
    MASKING,
    RESHAPE_LAYERS,
    SPATIAL_CONVOLUTION,
    WINDOW_POOLING,
)
from inspector.rules._util import first_input_producers, unwrapped

_WINDOWED = SPATIAL_CONVOLUTION | LOCALLY_CONNECTED | WINDOW_POOLING
"""Layers that slide a window over 1, 2 or 3 spatial axes (the digit before the final D)."""

LAYOUT_KEEPING = ACTIVATION_LAYERS | DROPOUT_LAYERS | MASKING | FEATURE_NORMALIZATION | ELEMENTWISE_MERGE
"""Layers whose output has the axes of their input in the same order (no data format of their
own): a walk for the layout of a tensor may pass through them."""


def data_format(config: Mapping[str, Any]) -> str | None:
    """"channels_first", "channels_last", or None when the config does not say."""
    value = config.get("data_format")
    if value in ("channels_first", "channels_last"):
        return value
    ordering = config.get("dim_ordering")
    return {"th": "channels_first", "tf": "channels_last"}.get(ordering) if isinstance(ordering, str) else None


def has_data_format(class_name: str, config: Mapping[str, Any]) -> bool:
    """Whether a layer lays out its input by a data format (convolutions, poolings, padding...);
    not Flatten, whose data format only orders what it flattens."""
    return (data_format(config) is not None and class_name not in LAYOUT_KEEPING
            and class_name not in RESHAPE_LAYERS)


def spatial_rank(class_name: str) -> int | None:
    """1, 2 or 3 for a (non-global) convolution or pooling layer, else None."""
    return int(class_name[-2]) if class_name in _WINDOWED else None


def is_pooling(class_name: str) -> bool:
    return class_name in WINDOW_POOLING


@dataclass(frozen=True)
class Window:
    """The sliding window of a convolution or pooling along one spatial axis."""

    size: int
    stride: int
    dilation: int
    padding: str  # "valid", "same", "causal", "full"

    @property
    def span(self) -> int:
        return (self.size - 1) * self.dilation + 1

    def output_length(self, n: int) -> int:
        """Keras' output length for an input of length `n` (zero or less: Keras refuses it)."""
        if self.padding in ("same", "causal"):
            return -(-n // self.stride)
        if self.padding == "full":
            return -(-(n + self.span - 1) // self.stride)
        return -(-(n - self.span + 1) // self.stride)


def windows(class_name: str, config: Mapping[str, Any]) -> list[Window] | None:
    """One Window per spatial axis, or None when the config does not say enough."""
    rank = spatial_rank(class_name)
    if rank is None:
        return None
    pooling = is_pooling(class_name)
    if pooling:
        size = _ints(_first(config, "pool_size", "pool_length"), rank)
        stride = _ints(_first(config, "strides", "stride"), rank) or size
        dilation = (1,) * rank
    else:
        size = _ints(_first(config, "kernel_size", "filter_length"), rank)
        if size is None and "nb_row" in config:
            size = _ints([config.get("nb_row"), config.get("nb_col"), config.get("nb_dim3")][:rank], rank)
        stride = _ints(_first(config, "strides", "subsample", "subsample_length"), rank) or (1,) * rank
        dilation = _ints(_first(config, "dilation_rate", "atrous_rate"), rank) or (1,) * rank
    padding = str(_first(config, "padding", "border_mode") or "valid").lower()
    if size is None or stride is None:
        return None
    return [Window(k, s, d, padding) for k, s, d in zip(size, stride, dilation, strict=True)]


def spatial_axes(shape_rank: int, fmt: str | None) -> list[int]:
    """The positions of the spatial axes in a tensor of `shape_rank` (batch included)."""
    return list(range(2, shape_rank)) if fmt == "channels_first" else list(range(1, shape_rank - 1))


def input_shape(graph: ModelGraph, call: Call) -> tuple | None:
    return graph.tensor(call.inputs[0]).shape if call.inputs else None


def shape_text(shape: tuple) -> str:
    """`(None, 3, 32, 32)`: a shape as messages show it."""
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"


def layout_call(graph: ModelGraph, call: Call) -> tuple[str | None, str, Call] | None:
    """The data format of the tensor `call` reads, and the layer and call that set it: the nearest
    producer with a data format, walking back through layout-keeping layers. None when a
    reshaping, a custom layer or a model input comes first (the layout is not known)."""
    for producer in first_input_producers(graph, call, 200):
        layer = graph.layer(producer.layer)
        cls, config = unwrapped(layer)
        if has_data_format(cls, config):
            return data_format(config), layer.name, producer
        if cls not in LAYOUT_KEEPING:
            return None
    return None


def _first(config: Mapping[str, Any], *keys: str) -> Any:
    for key in keys:
        if config.get(key) is not None:
            return config[key]
    return None


def _ints(value: Any, rank: int) -> tuple[int, ...] | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return (value,) * rank
    if isinstance(value, (list, tuple)) and len(value) == rank and all(
            isinstance(v, int) and not isinstance(v, bool) for v in value):
        return tuple(value)
    return None
