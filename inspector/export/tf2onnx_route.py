"""Export a Keras model to ONNX through Keras and tf2onnx, with the model's own input and output names.

With TensorFlow 2.21 / Keras 3, `tf2onnx.convert.from_keras` fails on Sequential models; a
`tf.function` with one named `TensorSpec` per input, returning a dict keyed by output layer name,
converted by `tf2onnx.convert.from_function`, works for every kind and lets us choose the names.
Batch and other `None` dimensions stay dynamic because the specs keep them `None`.

Loading is the only place that imports Keras, and it never runs code from the file: the stored
config is checked first, a Lambda holding bytecode is refused whatever the user passes, and a
custom class needs the user's own module (`--custom-objects`). Keras 2 files Keras 3 cannot load
as they are get their config translated (inspector.export.legacy) and their weights set by layer.
"""

from __future__ import annotations

import importlib
import inspect as pyinspect
import os
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inspector.errors import InspectorError, LoadError, UnsupportedError, UsageError, one_line
from inspector.export.common import (
    ExportResult,
    bytecode_refusals,
    call_model,
    not_exportable,
    tensor_info,
    unique_names,
    write_model,
)
from inspector.graph import ModelGraph
from inspector.loaders import load_path
from inspector.loaders.keras_config import MODEL_CLASSES, layer_classes
from inspector.security.lambdas import holds_bytecode
from inspector.tf_runtime import import_tensorflow_quietly


@dataclass(frozen=True)
class LoadedModel:
    """A live keras.Model and what had to be done to get it from the file."""

    model: Any
    source: str
    how: str  # "keras" (load_model), "legacy" (translated config + weights by layer), "builder", "live"
    translations: tuple[str, ...] = ()
    keras_error: str | None = None  # why load_model refused the file, when we translated it


def export_tf2onnx(target: Any, output: Path, opset: int | None, verify: bool, tolerance: float,
                   custom_objects: str | None, input_shapes: Mapping[str, tuple[int, ...]]) -> ExportResult:
    """Load `target` with Keras, convert it with tf2onnx, verify it against the loaded model."""
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    import_tensorflow_quietly("tf2onnx")
    seconds["import"] = time.perf_counter() - started
    started = time.perf_counter()
    if isinstance(target, (str, Path)):
        loaded = load_keras_model(str(target), custom_objects)
    else:
        model = _exportable_live_model(target)
        loaded = LoadedModel(model, f"<live model {model.name}>", "live")
        target = loaded.source
    seconds["load"] = time.perf_counter() - started

    started = time.perf_counter()
    proto, input_names, output_names = convert(loaded.model, opset, str(target))
    metadata = _metadata(loaded)
    write_model(proto, metadata, output)
    seconds["convert"] = time.perf_counter() - started

    verification = None
    if verify:
        from inspector import load
        from inspector.export.probe import probes
        from inspector.export.verify import keras_reference, masks_zero, smallest_vocab, verify_onnx

        started = time.perf_counter()
        graph = load_path(Path(target)) if loaded.how in ("keras", "legacy") else load(loaded.model)
        plans = probes(graph, input_names, input_shapes, loaded.source)
        verification = verify_onnx(proto, input_names, output_names, plans, keras_reference(loaded.model),
                                   tolerance, smallest_vocab(graph), padded=masks_zero(graph))
        seconds["verify"] = time.perf_counter() - started
    return ExportResult(
        source=str(target),
        output=output,
        opset=_opset(proto),
        inputs=tuple(tensor_info(v) for v in proto.graph.input),
        outputs=tuple(tensor_info(v) for v in proto.graph.output),
        how=loaded.how,
        translations=loaded.translations,
        keras_error=loaded.keras_error,
        size_bytes=output.stat().st_size,
        seconds=seconds,
        verification=verification,
        metadata=metadata,
    )


# -- loading ---------------------------------------------------------------------------------
def _exportable_live_model(obj: Any) -> Any:
    """`obj` itself when it is a Keras 3 model this exporter can convert; a UsageError otherwise."""
    from inspector.loaders.python_builder import is_keras_model

    if not (is_keras_model(obj) and hasattr(obj, "inputs") and hasattr(obj, "outputs")):
        raise UsageError(None, f"cannot export a {type(obj).__name__}: pass a model file, a builder reference "
                               "or a keras.Model")
    if type(obj).__module__.startswith("tf_keras"):
        raise UnsupportedError(None, "a tf_keras model cannot be exported: save it and export the file")
    return obj


def load_keras_model(target: str, custom_objects: str | None = None) -> LoadedModel:
    """A live keras.Model from a .keras/.h5 file or a builder reference, never running file code."""
    from inspector import is_builder_reference

    objects = import_custom_objects(custom_objects) if custom_objects else {}
    if is_builder_reference(target):
        return LoadedModel(_build(target), target, "builder")
    from inspector.loaders import load_path, sniff

    path = Path(target)
    kind = sniff(path)
    if kind not in ("keras", "h5"):
        raise not_exportable(target, kind)
    # Our own reading of the file (size limits, every config era, no Keras) says what Keras would
    # have to run before Keras sees it.
    graph = load_path(path)
    check_user_code(graph, objects, target)

    import keras

    with warnings.catch_warnings():  # Keras warns about legacy arguments it then handles itself
        warnings.simplefilter("ignore")
        try:
            model = keras.models.load_model(_keras_named(path, kind), compile=False,
                                            custom_objects=objects or None)
            return LoadedModel(model, target, "keras")
        except Exception as exc:  # noqa: BLE001 - Keras refused it: try the legacy translation
            keras_error = one_line(exc)
        version = graph.source.keras_version
        if str(version or "").startswith("1."):
            # Keras 1 configs (nb_filter, border_mode, ...) are read by neither Keras 3 nor
            # tf_keras, which fail on them with a message about their own internals.
            raise LoadError(target, f"Keras cannot load it: it was saved by Keras {version}, whose layer configs "
                                    f"neither Keras 3 nor tf_keras reads ({keras_error})")
        if kind != "h5":
            raise LoadError(target, f"Keras cannot load it: {keras_error}")
        model, notes = _rebuild_legacy(path, objects, keras_error)
    return LoadedModel(model, target, "legacy", tuple(notes), keras_error)


def _keras_named(path: Path, kind: str) -> Path:
    """Keras picks its reader by extension: an HDF5 file named `.keras` (older tf.keras wrote
    such files) is handed to it through a symlink named `.h5`."""
    if kind != "h5" or path.suffix.lower() in (".h5", ".hdf5"):
        return path
    import atexit
    import shutil
    import tempfile

    folder = tempfile.mkdtemp(prefix="inspector-export-")
    atexit.register(shutil.rmtree, folder, True)
    link = Path(folder) / (path.stem + ".h5")
    link.symlink_to(path.resolve())
    return link


def import_custom_objects(module: str) -> dict[str, Any]:
    """The public classes and functions of the user's module (a dotted name or a .py file).

    Imported as builders are (python_builder): a file once per process under the same module
    name, so a builder and --custom-objects naming one file share its classes."""
    from inspector.loaders.python_builder import _import_file, _on_path

    if module.endswith(".py") or os.sep in module or "/" in module:
        file = Path(module)
        if not file.is_file():
            raise UsageError(module, "--custom-objects: no such Python file")
        mod = _import_file(module, file)
    else:
        with _on_path(Path.cwd()):
            try:
                mod = importlib.import_module(module)
            except Exception as exc:  # noqa: BLE001 - the user's module failed to import
                raise InspectorError(module, f"cannot import the custom-objects module: {type(exc).__name__}: "
                                             f"{one_line(exc)}") from None
    names = getattr(mod, "__all__", None) or [n for n in vars(mod) if not n.startswith("_")]
    objects: dict[str, Any] = {}
    for name in names:
        obj = getattr(mod, name, None)
        if pyinspect.isclass(obj) or pyinspect.isfunction(obj):
            objects[name] = obj
            registered = _registered_name(obj)
            if registered:
                objects.setdefault(registered, obj)
    if not objects:
        raise UsageError(module, "--custom-objects: the module defines no public classes or functions")
    return objects


def _registered_name(obj: Any) -> str | None:
    try:
        import keras

        name = keras.saving.get_registered_name(obj)
    except Exception:  # noqa: BLE001 - not a Keras-serializable object: no registered name
        return None
    return name if name and name != getattr(obj, "__name__", None) else None


def _build(ref: str) -> Any:
    """The Keras 3 model a `module:function` / `file.py:function` builder returns."""
    from inspector.loaders.python_builder import build_model

    model = build_model(ref)
    if type(model).__module__.startswith("tf_keras"):
        raise UnsupportedError(ref, "the builder returned a tf_keras model; export needs a Keras 3 model")
    return model


def check_user_code(graph: ModelGraph, objects: Mapping[str, Any], path: str) -> None:
    """Refuse, naming the layer, anything Keras could only build by running code from the file
    (serialized lambdas, as the unsafe-lambda rule finds them: always) or code the user has not
    given us (custom classes and functions)."""
    import keras

    problems: list[str] = list(bytecode_refusals(graph))
    for _, layer in graph.walk():
        if holds_bytecode(layer.config):
            continue
        for cls, cfg, module in layer_classes(layer.class_name, layer.config, layer.module):
            name = cfg.get("name") or layer.name
            if cls == "Lambda":
                function = _lambda_function(cfg)
                if function is None:
                    problems.append(f"layer {name!r} is a Lambda whose function this tool cannot identify: "
                                    "export from the Python builder instead (`module:function`)")
                elif function not in objects:
                    problems.append(f"layer {name!r} is a Lambda calling the Python function {function!r}: pass "
                                    "--custom-objects MODULE that defines it")
            elif not _known_class(keras, cls, module, objects):
                where = f" from module {module!r}" if module else ""
                problems.append(f"layer {name!r} is a custom class {cls!r}{where} that Keras needs Python code to "
                                "build: pass --custom-objects MODULE that defines it")
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise UnsupportedError(path, problems[0] + more)


def _lambda_function(cfg: Mapping[str, Any]) -> str | None:
    """The name of the function a Lambda without bytecode calls (None when it is in no known form)."""
    function = cfg.get("function")
    if isinstance(function, Mapping):  # Keras 3: {"class_name": "function", "config": "name", ...}
        name = function.get("config")
        return name if isinstance(name, str) else function.get("registered_name")
    if cfg.get("function_type") == "function" and isinstance(function, str):  # Keras 2
        return function
    return None


def _known_class(keras: Any, cls: str, module: str | None, objects: Mapping[str, Any]) -> bool:
    if cls in objects:  # the user's module, by class name or registered name
        return True
    if module and not str(module).startswith("keras"):
        return False
    return cls in MODEL_CLASSES or cls == "InputLayer" or hasattr(keras.layers, cls)


def _rebuild_legacy(path: Path, objects: Mapping[str, Any], keras_error: str):
    """Translate the stored config, rebuild with Keras 3, set weights by layer from model_weights."""
    import keras
    import numpy as np

    from inspector.export.legacy import translate_config
    from inspector.loaders.hdf5 import open_hdf5, read_json_attr

    with open_hdf5(path) as f:  # load_path has read this config already: it is there and an object
        config = read_json_attr(path, f.attrs, "model_config")
    translated, notes = translate_config(config, str(path))
    if not notes:
        raise LoadError(path, f"Keras cannot load it and nothing in its config is a known legacy form: {keras_error}")
    try:
        # Keras 2 configs carry no `module`, which model_from_json needs at the top level; the
        # classes' own from_config read the legacy form (nested layers included).
        cls = keras.Sequential if translated.get("class_name") == "Sequential" else keras.Model
        model = cls.from_config(translated["config"], custom_objects=dict(objects) or None)
    except Exception as exc:  # noqa: BLE001 - Keras refused the translated config: say so
        raise LoadError(
            path,
            f"Keras cannot load it ({keras_error}), nor its translated config ({one_line(exc)})",
        ) from None
    with open_hdf5(path) as f:
        root = f.get("model_weights", f)
        for layer in model.layers:
            if not layer.weights:
                continue
            group = root.get(layer.name)
            stored = [_text(n) for n in group.attrs.get("weight_names", [])] if group is not None else []
            if hasattr(layer, "layers"):
                # A nested model keeps every inner layer's weights in its one group, each named
                # `<innermost layer>/<weight>`: set them layer by layer, in the file's order.
                for inner in _leaf_layers(layer):
                    if inner.weights:
                        mine = [n for n in stored if n.split("/", 1)[0] == inner.name]
                        _set_weights(path, inner, [np.asarray(group[n]) for n in mine])
            else:
                _set_weights(path, layer, [np.asarray(group[n]) for n in stored])
    return model, notes


def _leaf_layers(model: Any) -> list[Any]:
    leaves = []
    for layer in model.layers:
        leaves.extend(_leaf_layers(layer) if hasattr(layer, "layers") else [layer])
    return leaves


def _set_weights(path: Path, layer: Any, arrays: list) -> None:
    expected = [tuple(w.shape) for w in layer.weights]
    found = [tuple(a.shape) for a in arrays]
    if found != expected:
        raise LoadError(
            path,
            f"layer {layer.name!r}: the file stores weights of shapes {found}, the rebuilt layer "
            f"expects {expected}",
        )
    layer.set_weights(arrays)


# -- converting ------------------------------------------------------------------------------
def io_names(model: Any) -> tuple[list[Any], list[str], list[Any], list[str]]:
    """(input tensors, their names, output tensors, output layer names, made unique)."""
    import keras

    inputs = keras.tree.flatten(model.inputs)
    outputs = keras.tree.flatten(model.outputs)
    in_names = unique_names([getattr(t, "name", None) or t._keras_history[0].name for t in inputs])
    out_names = unique_names([t._keras_history[0].name for t in outputs])
    return inputs, in_names, outputs, out_names


def convert(model: Any, opset: int | None, source: str):
    """(ONNX ModelProto, input names, output names) for a live Keras 3 model."""
    import tensorflow as tf
    import tf2onnx

    inputs, in_names, _, out_names = io_names(model)
    specs = [tf.TensorSpec(tuple(t.shape), t.dtype, name=n) for t, n in zip(inputs, in_names)]

    @tf.function(input_signature=specs)
    def serve(*args):
        return dict(zip(out_names, call_model(model, list(args))))

    try:
        proto, _ = tf2onnx.convert.from_function(serve, input_signature=specs, opset=opset)
    except Exception as exc:  # noqa: BLE001 - tf2onnx raises anything: one line names it
        raise UnsupportedError(source, f"tf2onnx cannot convert it: {type(exc).__name__}: {one_line(exc)}") from None
    by_name = {o.name: o for o in proto.graph.output}
    if set(by_name) == set(out_names):  # tf2onnx sorts dict outputs; keep the model's order
        ordered = [by_name[n] for n in out_names]
        copies = [type(o)() for o in ordered]
        for copy, original in zip(copies, ordered):
            copy.CopyFrom(original)
        del proto.graph.output[:]
        proto.graph.output.extend(copies)
    _name_dynamic_dims(proto, in_names + out_names)
    proto.graph.name = model.name  # tf2onnx names every graph "tf2onnx"
    return proto, in_names, out_names


def _name_dynamic_dims(proto, names: list[str]) -> None:
    """`batch` and `<tensor>_dim<i>` instead of tf2onnx's `unk__123` for free dims of the model's
    inputs and outputs (a Keras model keeps the batch dimension first from input to output)."""
    for value in list(proto.graph.input) + list(proto.graph.output):
        if value.name not in names:
            continue
        for i, dim in enumerate(value.type.tensor_type.shape.dim):
            if dim.HasField("dim_param") or not dim.HasField("dim_value"):
                dim.dim_param = "batch" if i == 0 else f"{value.name}_dim{i}"


def _metadata(loaded: LoadedModel) -> dict[str, str]:
    import keras
    import tensorflow as tf
    import tf2onnx

    from inspector import __version__

    source = loaded.source if loaded.how in ("builder", "live") else Path(loaded.source).name
    meta = {
        "source": source,
        "exported_by": f"keras-inspector {__version__}",
        "keras_version": keras.__version__,
        "tensorflow_version": tf.__version__,
        "tf2onnx_version": tf2onnx.__version__,
        "loaded_by": loaded.how,
        "converter": "tf2onnx",
    }
    if loaded.translations:
        meta["translations"] = "; ".join(loaded.translations)
    return meta


def _opset(proto) -> int:
    return next((o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")), 0)


def _text(value) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)
