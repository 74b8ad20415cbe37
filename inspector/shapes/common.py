"""Types and small helpers every shape family shares: configs are untrusted, so each helper
raises _Unknown rather than guessing."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

Shape = tuple[int | None, ...]  # full shape including the batch dimension; None = unknown dim

# More weight variables than any real layer creates (an LSTM has 3, MultiHeadAttention 8): a
# config that implies more (Bidirectional nested in Bidirectional doubles them at each level)
# gets unknown weights rather than an exponential list.
MAX_LAYER_WEIGHTS = 10_000
# TensorFlow, PyTorch and ONNX store dimensions as int64: a config implying a larger one (a
# Flatten of 45 dimensions of 99 digits) describes no tensor, and its shape is unknown.
MAX_DIM = 2**63 - 1


@dataclass(frozen=True)
class WeightSpec:
    """One weight Keras creates when it builds a layer."""

    name: str
    shape: tuple[int, ...]
    trainable: bool


class _Unknown(Exception):
    """Raised inside this module when a shape cannot be inferred; never escapes it."""


_Outputs = list[Shape | None]
_Weights = list[WeightSpec]
_OutFn = Callable[[Mapping, list[Shape | None]], _Outputs]
_WeightFn = Callable[[Mapping, list[Shape | None]], _Weights]


@dataclass(frozen=True)
class _Family:
    outputs: _OutFn
    weights: _WeightFn | None = None  # None: the layer owns no weights


def _as_shape(value: object) -> Shape | None:
    """A shape as a tuple of non-negative ints and Nones, or None when it is not one."""
    if value is None or isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        return None
    dims: list[int | None] = []
    for d in value:
        if d is None:
            dims.append(None)
        elif (_is_int(d) or (isinstance(d, float) and d.is_integer())) and d >= 0:
            dims.append(int(d))
        else:
            return None
    return tuple(dims)


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _int(v: object) -> int:
    if isinstance(v, int) and not isinstance(v, bool):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    raise _Unknown(f"not an integer: {v!r}")


def _int_list(value: object) -> list[int]:
    """An int or a sequence of ints (axes, dims, shared_axes...) as a list."""
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return [_int(v) for v in value]
    return [_int(value)]


def _need(d: int | None) -> int:
    """A dimension a weight shape depends on: unknown means the weights are unknown."""
    if d is None:
        raise _Unknown("a weight shape depends on an unknown dimension")
    return d


def _both(inputs: list[Shape | None]) -> tuple[Shape, Shape]:
    if len(inputs) < 2 or inputs[0] is None or inputs[1] is None:
        raise _Unknown("two input shapes needed")
    return inputs[0], inputs[1]


def _all(inputs: list[Shape | None], minimum: int = 1) -> list[Shape]:
    shapes = [s for s in inputs if s is not None]
    if len(shapes) != len(inputs) or len(shapes) < minimum:
        raise _Unknown("unknown input shape")
    return shapes


def _ints(value: object, n: int) -> tuple[int, ...]:
    """Keras' normalize_tuple: an int, or a sequence of n ints."""
    if value is None:
        raise _Unknown("missing")
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        vals = tuple(_int(v) for v in value)
        if len(vals) == n:
            return vals
        if len(vals) == 1:
            return vals * n
        raise _Unknown(f"expected {n} values, got {value!r}")
    return (_int(value),) * n


def _get(config: Mapping, *names: str, default: object = None) -> object:
    """The first of several era-specific names that is present and not None."""
    for name in names:
        value = config.get(name)
        if value is not None:
            return value
    return default


def _first(inputs: list[Shape | None], ndim: int | None = None, min_ndim: int = 1) -> Shape:
    if not inputs or inputs[0] is None:
        raise _Unknown("no input shape")
    x = inputs[0]
    if (ndim is not None and len(x) != ndim) or len(x) < min_ndim:
        raise _Unknown(f"unexpected rank {len(x)}")
    return x


def _channels_first(config: Mapping) -> bool:
    fmt = _get(config, "data_format", "dim_ordering")
    return fmt in ("channels_first", "th")


def _axis(axis: object, ndim: int) -> int:
    a = _int(axis)
    if not -ndim <= a < ndim:
        raise _Unknown(f"axis {a} out of range for rank {ndim}")
    return a % ndim


def _prod(dims: Sequence[int | None]) -> int | None:
    if any(d is None for d in dims):
        return None
    return math.prod(d for d in dims if d is not None)


def _layer_ref(value: object) -> tuple[str, Mapping]:
    """The (class_name, config) of a nested layer entry such as a wrapper's ``layer``."""
    if not isinstance(value, Mapping):
        raise _Unknown("nested layer missing")
    cls, cfg = value.get("class_name"), value.get("config")
    if not isinstance(cls, str) or not isinstance(cfg, Mapping):
        raise _Unknown("nested layer malformed")
    return cls, cfg


def _w(name: str, *shape: int | None, trainable: bool = True) -> WeightSpec:
    return WeightSpec(name, tuple(_need(d) for d in shape), trainable)


def _keras1(config: Mapping) -> bool:
    """Keras 1 configs name initializers ``init`` and regularizers ``W_regularizer``."""
    return any(k in config for k in ("init", "W_regularizer", "nb_filter", "border_mode"))


def _bias(config: Mapping) -> bool:
    return bool(_get(config, "use_bias", "bias", default=True))
