"""Serialized Python bytecode in a Keras config: the Lambda functions Keras would unmarshal and run.

Three eras write it: Keras 1 a raw marshal string and Keras 2 a base64 marshal (each beside
`<key>_type: "lambda"`, for a Lambda's `function`, `output_shape` and `mask`), Keras 3 a
`{"class_name": "__lambda__"}` object. One reading for all who need it: the unsafe-lambda rule
(S101), the compile-config and legacy-Keras scans (config_scan), and `inspect export`, which
refuses exactly the layers S101 reports.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

MARSHALLED = ("function", "output_shape", "mask")  # the Keras 1/2 Lambda keys that may hold bytecode


def is_keras3_lambda(obj: Mapping) -> bool:
    """A Keras 3 `__lambda__` object: base64 marshal bytecode Keras runs with safe_mode=False."""
    return obj.get("class_name") == "__lambda__"


def marshal_keys(obj: Mapping) -> list[str]:
    """The keys of a Keras 1/2 Lambda config that hold marshalled bytecode (`<key>_type: "lambda"`)."""
    return [key for key in MARSHALLED if obj.get(f"{key}_type") == "lambda" and obj.get(key)]


def serialized_lambdas(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, tuple[str, ...]]]:
    """(kind, config path) of every serialized lambda inside a config (a layer's, wrappers and
    nested objects included; what lies below a list keeps the list's path)."""
    if isinstance(value, Mapping):
        if is_keras3_lambda(value):
            yield "Keras 3 __lambda__", path
            return
        for key in marshal_keys(value):
            era = "Keras 1 marshal" if isinstance(value[key], str) else "Keras 2 base64 marshal"
            yield era, path + (key,)
        for key, item in value.items():
            if isinstance(item, (Mapping, list)):
                yield from serialized_lambdas(item, path + (str(key),))
    elif isinstance(value, list):
        for item in value:
            yield from serialized_lambdas(item, path)


def holds_bytecode(config: Mapping[str, Any]) -> bool:
    """Whether a layer config carries serialized Python bytecode anywhere."""
    return next(serialized_lambdas(config), None) is not None
