"""What both ONNX routes (native and tf2onnx) do alike: name the graph's ends, write the file."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any


def unique_names(names: list[str]) -> list[str]:
    """The names in order, a repeat suffixed _1, _2... (ONNX graph inputs and outputs need distinct names)."""
    seen: dict[str, int] = {}
    out = []
    for n in names:
        if n in seen:
            seen[n] += 1
            out.append(f"{n}_{seen[n]}")
        else:
            seen[n] = 0
            out.append(n)
    return out


def write_model(proto: Any, metadata: Mapping[str, str], output: Path) -> None:
    """Record `metadata` in the model's metadata_props and write it to `output`."""
    for key, value in metadata.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    output.write_bytes(proto.SerializeToString())
