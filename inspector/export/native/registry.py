"""What a layer converter receives, and the table from Keras class name to converter."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from inspector.errors import LoadError, UnsupportedError
from inspector.export.native.emitter import Emitter, Value
from inspector.graph import Layer, Shape


@dataclass
class LayerCall:
    """One call of one layer, as a converter sees it."""

    em: Emitter
    layer: Layer
    inputs: list[Value]
    output_shapes: list[Shape | None]
    load_weights: Callable[[], list[Any]]
    source: str
    embedding_mask: bool = False  # the input also feeds an Embedding(mask_zero=True)
    _weights: list[Any] | None = field(default=None, repr=False)

    @property
    def config(self) -> Mapping[str, Any]:
        return self.layer.config

    @property
    def name(self) -> str:
        return self.layer.name

    @property
    def weights(self) -> list[Any]:
        """The layer's arrays in the file's order (read on first use, once per call). A converter
        asks only for a layer that has weights: none in the file (a weights group removed, a config
        edited past its weights) is the file's fault, refused before a converter unpacks nothing."""
        if self._weights is None:
            self._weights = self.load_weights()
            if not self._weights:
                raise LoadError(self.source, f"layer {self.name!r} ({self.layer.class_name}): the file stores no "
                                             "weights for it")
        return self._weights

    def get(self, key: str, default: Any = None) -> Any:
        value = self.config.get(key, default)
        return default if value is None else value

    def refuse(self, why: str) -> UnsupportedError:
        return UnsupportedError(self.source, f"layer {self.name!r} ({self.layer.class_name}): {why}")


Converter = Callable[[LayerCall], list[Value]]
CONVERTERS: dict[str, Converter] = {}
TENSOR_INPUTS: dict[str, int | None] = {}  # class -> how many input tensors it reads (None: any)


def converts(*class_names: str, inputs: int | None = 1) -> Callable[[Converter], Converter]:
    """Register a converter; `inputs` is how many tensors it reads, so a call passing more (a
    mask, a state) is refused instead of silently dropped."""
    def register(fn: Converter) -> Converter:
        for name in class_names:
            CONVERTERS[name] = fn
            TENSOR_INPUTS[name] = inputs
        return fn

    return register
