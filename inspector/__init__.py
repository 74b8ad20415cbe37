"""keras-inspector: read Keras and ONNX models into one layer graph, without TensorFlow.

The public API. Everything here accepts a path (file, SavedModel directory, `module:function`
or `file.py:function` builder reference) or a live `keras.Model`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from inspector.errors import InspectorError, LoadError
from inspector.graph import ModelGraph

__version__ = "0.1.0"
__all__ = [
    "InspectorError",
    "LoadError",
    "ModelGraph",
    "diagnose",
    "export_onnx",
    "is_builder_reference",
    "lint",
    "load",
    "render",
    "summarize",
]


def is_builder_reference(target: str) -> bool:
    """`pkg.module:function` or `path/to/file.py:function`, as opposed to a file on disk."""
    if Path(target).exists() or ":" not in target:
        return False
    module, _, func = target.rpartition(":")
    return bool(module) and func.isidentifier()


def load(target: Any) -> ModelGraph:
    """A ModelGraph from a model file, a directory, a builder reference or a live keras.Model.

    Files are read without TensorFlow; builders and live models need it (they run Python).
    """
    if isinstance(target, ModelGraph):
        return target
    if isinstance(target, (str, Path)):
        if isinstance(target, str) and is_builder_reference(target):
            from inspector.loaders.python_builder import load_builder

            return load_builder(target)
        from inspector.loaders import load_path

        return load_path(target)
    from inspector.loaders.python_builder import load_live

    return load_live(target)  # refuses anything that is not a keras.Model


def __getattr__(name: str):
    """`lint`, `diagnose`, `summarize`, `render` and `export_onnx` load lazily: `import inspector` stays light."""
    if name in ("lint", "diagnose", "summarize", "render", "export_onnx"):
        from inspector import api

        return getattr(api, name)
    raise AttributeError(f"module 'inspector' has no attribute {name!r}")
