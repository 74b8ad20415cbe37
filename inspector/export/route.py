"""Which converter exports a target: the native one when it can, tf2onnx through Keras otherwise.

The choice is made before anything heavy is imported, and whatever needs TensorFlow while it is
not installed is refused in one line naming the layer and the extra to install.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from inspector.errors import InspectorError, LoadError, UnsupportedError, UsageError
from inspector.export.common import ExportResult
from inspector.extras import TF_EXTRA, install_line, installed

CONVERTERS = ("auto", "native", "tf2onnx")


def export_onnx(
    target: Any,
    output: str | Path,
    opset: int | None = None,
    verify: bool = True,
    tolerance: float = 1e-4,
    custom_objects: str | None = None,
    converter: str = "auto",
    input_shapes: Mapping[str, tuple[int, ...]] | None = None,
) -> ExportResult:
    """Convert `target` (a .keras/.h5 file, a builder reference or a live keras.Model) to ONNX
    at `output`, and optionally verify it. `converter`: "native" reads the file without
    TensorFlow; "tf2onnx" loads it with Keras; "auto" is native when every layer class has a
    converter, else tf2onnx. `input_shapes` ({input: full shape}) fixes the verification shapes."""
    from inspector.export.native_route import export_native, native_refusal, tensorflow_available
    from inspector.export.tf2onnx_route import export_tf2onnx

    output = Path(output)
    if output.suffix.lower() != ".onnx":
        raise UsageError(str(output), "the output file must end in .onnx")
    if output.parent and not output.parent.exists():
        raise UsageError(str(output), f"the folder {output.parent} does not exist")
    if converter not in CONVERTERS:
        raise UsageError(None, f"converter {converter!r}: expected one of {', '.join(CONVERTERS)}")
    where = str(target) if isinstance(target, (str, Path)) else None
    _require("onnx", where, install_line("onnx"))
    if verify:
        _require("onnxruntime", where, f"{install_line('onnxruntime')}, or pass --no-verify")
    file = _FileGraph(target)
    fallback = None
    if converter != "tf2onnx":
        fallback = native_refusal(target, opset, custom_objects, file.graph)
        if fallback is None:
            try:
                result = export_native(target, file.graph(), file.seconds, output, opset, verify, tolerance,
                                       input_shapes or {})
                return replace(result, warning=file.warning())
            except UnsupportedError as exc:  # a use of a supported class it cannot convert
                if converter == "native" or not tensorflow_available():
                    raise
                fallback = exc.reason
        if converter == "native":
            raise UnsupportedError(where, f"{fallback} (--converter auto falls back to tf2onnx, which needs "
                                          f"TensorFlow: {TF_EXTRA})")
    if fallback and file.path is not None and tensorflow_available():
        line = file.warning()  # the tf2onnx fallback loads the file with Keras: not one with a payload
        if line:
            raise UnsupportedError(str(target), f"{fallback}, and the tf2onnx fallback would load the file with "
                                                f"Keras, but it {line}")
    if not tensorflow_available():
        why = f"{fallback}, and the tf2onnx fallback" if fallback else "the tf2onnx converter"
        raise UnsupportedError(where, f"{why} needs TensorFlow, which is not installed: {TF_EXTRA}")
    _require("tf2onnx", where, TF_EXTRA)
    try:
        result = export_tf2onnx(target, output, opset, verify, tolerance, custom_objects, input_shapes or {})
    except LoadError as exc:
        if not fallback or isinstance(exc, UnsupportedError):
            raise  # what the file needs (code, a newer converter) says it all
        # Keras could not load it: why the native converter was not used is half the answer.
        raise type(exc)(exc.path, f"{fallback}, and the tf2onnx fallback failed: {exc.reason}") from None
    return replace(result, fallback=fallback, warning=file.warning())


class _FileGraph:
    """The target file's layer graph, read at most once for the native converter, its checks and
    the security warning (`path` is None for a builder or a live model: no file to read)."""

    def __init__(self, target: Any):
        from inspector import is_builder_reference

        file = isinstance(target, (str, Path)) and not is_builder_reference(str(target))
        self.path = Path(target) if file else None
        self.seconds = 0.0  # how long reading it took
        self._graph = None

    def graph(self):
        if self._graph is None:
            from inspector.loaders import load_path

            started = time.perf_counter()
            self._graph = load_path(self.path)
            self.seconds = time.perf_counter() - started
        return self._graph

    def warning(self) -> str | None:
        """The one-line security warning of summary, render and docs (None: no payload, or no
        file, or one this tool cannot read although Keras could)."""
        from inspector.security import warning_line

        if self.path is None:
            return None
        try:
            return warning_line(self.graph())
        except InspectorError:
            return None


def _require(module: str, where: str | None, install: str) -> None:
    if not installed(module):
        raise UnsupportedError(where, f"export{' --verify' if module == 'onnxruntime' else ''} needs the {module} "
                                      f"package, which is not installed: {install}")
