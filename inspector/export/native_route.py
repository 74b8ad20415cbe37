"""The native route of `inspect export`: file -> layer graph -> ONNX, no TensorFlow.

Whether the native converter can take a target is decided before anything heavy is imported:
a `.keras`/`.h5` file whose every layer class has a converter. The result is verified against
Keras when TensorFlow is installed, else with onnx.checker and onnxruntime alone, saying so.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inspector.errors import LoadError, UnsupportedError, one_line
from inspector.export.common import write_model
from inspector.extras import install_line, installed

if TYPE_CHECKING:
    from inspector.graph import ModelGraph

OPSETS = range(13, 18)  # what the emitted operators mean identically in


def tensorflow_available() -> bool:
    return installed("tensorflow", "keras")


def native_refusal(target: Any, opset: int | None, custom_objects: str | None,
                   read: Callable[[], ModelGraph]) -> str | None:
    """Why the native converter cannot export `target` (None when it can); `read()` gives the
    file's layer graph, read once for this check and the conversion."""
    from inspector import is_builder_reference

    if not isinstance(target, (str, Path)):
        return "a live keras.Model is converted through Keras"
    if is_builder_reference(str(target)):
        return "a Python builder is converted through Keras"
    if custom_objects:
        return "--custom-objects means Keras must build the model"
    if opset is not None and opset not in OPSETS:
        return f"it writes opsets {OPSETS.start} to {OPSETS.stop - 1}, not {opset}"
    from inspector.export.common import bytecode_refusals, not_exportable
    from inspector.export.native import unsupported_layers
    from inspector.loaders import sniff

    kind = sniff(Path(target))
    if kind not in ("keras", "h5"):
        raise not_exportable(str(target), kind)
    graph = read()
    refusal = next(bytecode_refusals(graph), None)
    if refusal is not None:
        raise UnsupportedError(str(target), refusal)
    missing = unsupported_layers(graph)
    if missing:
        name, cls = missing[0]
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        return f"layer {name!r} is a {cls}, which the native converter does not support{more}"
    return None


def export_native(target: str | Path, graph: ModelGraph, load_seconds: float, output: Path, opset: int | None,
                  verify: bool, tolerance: float, input_shapes: Mapping[str, tuple[int, ...]]):
    """Convert the file's layer graph (read in `load_seconds`) with its weight arrays, and verify."""
    from inspector import __version__
    from inspector.export.common import ExportResult, tensor_info
    from inspector.export.native import convert_graph
    from inspector.export.native.convert import OPSET
    from inspector.export.probe import probes
    from inspector.export.verify import masks_zero, smallest_vocab, verify_onnx
    from inspector.loaders import sniff

    path = Path(target)
    seconds: dict[str, float] = {"load": load_seconds}
    started = time.perf_counter()
    proto, in_names, out_names = convert_graph(graph, path, sniff(path), opset or OPSET)
    plans = probes(graph, in_names, input_shapes, str(target))  # a bad --input-shape fails before writing
    metadata = {
        "source": path.name,
        "exported_by": f"keras-inspector {__version__}",
        "keras_version": graph.source.keras_version or "unknown",
        "converter": "native",
        "loaded_by": "file",
    }
    write_model(proto, metadata, output)
    seconds["convert"] = time.perf_counter() - started
    verification = None
    if verify:
        started = time.perf_counter()
        if graph.source.payloads:  # the warning says "do not load it with Keras": neither do we
            reference, why = None, ("the file carries security findings (`inspect scan` lists them), so it is "
                                    "not loaded with Keras")
        else:
            reference, why = _keras_reference(path)
        if reference is not None:
            seconds["keras"] = time.perf_counter() - started  # TensorFlow's import and Keras' load
        started = time.perf_counter()
        verification = verify_onnx(output, in_names, out_names, plans, reference, tolerance, smallest_vocab(graph),
                                   why, masks_zero(graph))
        seconds["verify"] = time.perf_counter() - started
    return ExportResult(
        source=str(target), output=output, opset=opset or OPSET,
        inputs=tuple(tensor_info(v) for v in proto.graph.input),
        outputs=tuple(tensor_info(v) for v in proto.graph.output),
        how="file", translations=(), keras_error=None, size_bytes=output.stat().st_size, seconds=seconds,
        verification=verification, metadata=metadata, converter="native")


def _keras_reference(path: Path):
    """(Keras' outputs as a function of the inputs, None) when TensorFlow can load the file, else
    (None, why not)."""
    from inspector.export.verify import keras_reference

    if not tensorflow_available():
        return None, f"TensorFlow is not installed ({install_line('tensorflow')} to compare with Keras)"
    from inspector.export.tf2onnx_route import load_keras_model
    from inspector.tf_runtime import import_tensorflow_quietly

    try:
        import_tensorflow_quietly()
        return keras_reference(load_keras_model(str(path)).model), None
    except (LoadError, UnsupportedError) as exc:
        return None, exc.reason  # "Keras cannot load it (...)"
    except ImportError as exc:
        return None, f"TensorFlow cannot be imported ({one_line(exc)})"
