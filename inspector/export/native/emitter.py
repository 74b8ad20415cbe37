"""The ONNX graph under construction, and where each Keras tensor's value lives in it.

Keras is channels-last; ONNX's Conv, pooling and recurrent operators want channels (or time)
in another place. A `Value` records the permutation its ONNX tensor holds relative to the Keras
tensor (`onnx = transpose(keras, perm)`), and `Emitter.layout` inserts a Transpose only when a
consumer asks for a permutation the value does not have, once per value and permutation. So a
Conv -> BatchNormalization -> ReLU -> Conv chain stays channels-first throughout and the
transposes that would cancel are never written; the graph's inputs and outputs keep the user's
layout.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from onnx import GraphProto, TensorProto, helper


@dataclass(frozen=True)
class Value:
    """One Keras tensor in the ONNX graph: the ONNX name and the permutation it is stored in."""

    name: str
    perm: tuple[int, ...]
    dtype: str = "float32"
    mask: str | None = None  # a bool [batch, time] ONNX tensor when Keras carries a mask with it

    @property
    def rank(self) -> int:
        return len(self.perm)

    def onnx_axis(self, keras_axis: int) -> int:
        """Where a Keras axis (negative allowed) of this tensor sits in its ONNX tensor."""
        axis = keras_axis % self.rank
        return self.perm.index(axis)


def identity(rank: int) -> tuple[int, ...]:
    return tuple(range(rank))


def channels_first(rank: int) -> tuple[int, ...]:
    """(0, C, spatial...) for a channels-last tensor: what Conv and pooling operators read."""
    return (0, rank - 1, *range(1, rank - 1))


def onnx_type(dtype: str) -> int:
    return helper.np_dtype_to_tensor_dtype(np.dtype(dtype))


@dataclass
class Emitter:
    nodes: list[Any] = field(default_factory=list)
    graph: Any = field(default_factory=GraphProto)  # initializers are written straight into it
    _names: set[str] = field(default_factory=set)
    _transposed: dict[tuple[str, tuple[int, ...]], str] = field(default_factory=dict)

    def fresh(self, hint: str) -> str:
        name, n = hint, 1
        while name in self._names:
            n += 1
            name = f"{hint}_{n}"
        self._names.add(name)
        return name

    def reserve(self, name: str) -> None:
        self._names.add(name)

    def const(self, array: Any, hint: str, dtype: str | None = "float32") -> str:
        data = np.asarray(array)
        if dtype is not None:
            data = data.astype(dtype)
        name = self.fresh(hint)
        tensor = self.graph.initializer.add()  # in place: a 100 MB model's weights are copied once
        tensor.name = name
        tensor.data_type = onnx_type(data.dtype.name)
        tensor.dims.extend(data.shape)
        tensor.raw_data = np.ascontiguousarray(data).astype(data.dtype.newbyteorder("<"), copy=False).tobytes()
        return name

    def ints(self, values: Any, hint: str) -> str:
        return self.const(np.asarray(values, dtype=np.int64), hint, None)

    def op(self, op_type: str, inputs: list[str], hint: str, outputs: int = 1, **attrs: Any) -> Any:
        """Add one node; its output name (or names when `outputs` > 1)."""
        names = [self.fresh(hint if i == 0 else f"{hint}_{i}") for i in range(outputs)]
        self.nodes.append(helper.make_node(op_type, inputs, names, name=names[0], **attrs))
        return names[0] if outputs == 1 else names

    def reduce(self, op: str, name: str, axes: list[int], hint: str, keepdims: bool) -> str:
        """A Reduce* node over `axes`: ReduceSum takes them as an input since opset 13, the
        others as an attribute until opset 18."""
        if op == "ReduceSum":
            return self.op(op, [name, self.ints(axes, f"{hint}_axes")], hint, keepdims=int(keepdims))
        return self.op(op, [name], hint, axes=axes, keepdims=int(keepdims))

    def layout(self, value: Value, perm: tuple[int, ...]) -> str:
        """The ONNX name of `value` stored in permutation `perm` (a Transpose when it differs)."""
        if value.perm == perm:
            return value.name
        key = (value.name, perm)
        if key not in self._transposed:
            between = [value.perm.index(axis) for axis in perm]
            self._transposed[key] = self.op("Transpose", [value.name], f"{value.name}_t", perm=between)
        return self._transposed[key]

    def keras(self, value: Value) -> str:
        """The value in the Keras (channels-last) layout."""
        return self.layout(value, identity(value.rank))

    def cast(self, name: str, dtype: str, hint: str) -> str:
        return self.op("Cast", [name], hint, to=onnx_type(dtype))


FLOAT = TensorProto.FLOAT
