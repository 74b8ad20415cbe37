"""Models that exist as Python: `module:function` / `file.py:function` builders and live models.

This is the one place where the tool runs user code, because the user asked for exactly that by
naming a function that builds a model. A live `keras.Model` goes through the same path as a file:
its serialized config, its weights' names, shapes and dtypes, and its compile config are handed
to `keras_config.parse_model`, so a live model and its saved file give the same graph and the same
findings.

Disconnected graphs. Keras 3 refuses `Model(unrelated_input, output)` with
`Output with path `` is not connected to `inputs`` (Keras 2: `Graph disconnected: ...`), naming
nothing. When a builder raises that, we do not re-run it and we patch nothing: the traceback of
the error still holds the frame of the model constructor that refused, and its locals `inputs`
and `outputs` are the declared tensors. From the outputs we walk the tensors' `_keras_history`
back to the Input tensors they really depend on, build a model whose inputs are the declared
ones plus those real ones (Keras accepts that: it is connected), serialize it, and then declare
only the user's inputs in the config. The result is the graph the user wrote, with the real input
present as a layer that no declared input reaches, which is what the `disconnected-graph` rule
explains. Re-running the builder with a patched `keras.Model` was rejected: it would run user code
twice and miss `from keras import Model` bindings made before the patch.

Zero-size maps. Keras refuses a pooling or convolution whose window no longer fits its input
("Computed output size would be zero or negative", tf_keras: "Negative dimension size") while the
builder is still calling layers, naming neither the layer nor the dimension. The same traceback
holds the frame of the refusing layer's `__call__` and its input tensor: the graph up to that
tensor is connected, so we serialize it and append the refusing layer to its config, called on
that tensor. `vanishing-feature-map` (A105) then says which layer drives which dimension to zero.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import re
import sys
import traceback
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from inspector.errors import InspectorError, LoadError, one_line
from inspector.graph import ModelGraph, Source, Weight
from inspector.loaders.keras_config import LayerKey, parse_model
from inspector.tf_runtime import import_tensorflow_quietly

DISCONNECTED_MESSAGES = ("is not connected to `inputs`", "Graph disconnected")
ZERO_SIZE_MESSAGES = ("Computed output size would be zero or negative", "Negative dimension size")


class _Refused(Exception):
    """Keras refused a layer call for a zero-size output: the model config up to that layer."""

    def __init__(self, model: Any, config: dict[str, Any], reason: str):
        super().__init__(reason)
        self.model, self.config, self.reason = model, config, reason


def load_builder(ref: str) -> ModelGraph:
    """Import `pkg.module:function` or `path/to/file.py:function`, call it, read the model."""
    try:
        model, declared = _build(ref)
    except _Refused as refused:
        source = Source(path=ref, format="python", **_versions(refused.model))
        return parse_model(refused.config, source, LiveWeights(refused.model), None,
                           notes=[f"Keras refused the model: {refused.reason}"])
    return _graph_of(model, Source(path=ref, format="python", **_versions(model)), declared)


def build_model(ref: str) -> Any:
    """The live keras.Model a builder reference returns (to run it, e.g. to measure losses)."""
    try:
        model, declared = _build(ref)
    except _Refused as refused:
        raise InspectorError(ref, f"Keras refused the model ({refused.reason}), so it cannot be run") from None
    if declared is not None:
        raise InspectorError(ref, "the builder's model is disconnected (Keras refused it), so it cannot be run")
    return model


def _build(ref: str) -> tuple[Any, list | None]:
    """(model, None), or for a graph Keras refused as disconnected (connected twin, declared inputs).
    Raises _Refused for a layer Keras refused for a zero-size output."""
    function = resolve_builder(ref)
    try:
        with _full_tracebacks():
            model = function()
    except ValueError as exc:
        if any(m in str(exc) for m in ZERO_SIZE_MESSAGES):
            refused = _recover_refused_layer(exc)
            if refused is not None:
                raise refused from None
        if not any(m in str(exc) for m in DISCONNECTED_MESSAGES):
            raise InspectorError(ref, f"the builder raised ValueError: {one_line(exc)}") from None
        recovered = _recover_disconnected(exc)
        if recovered is None:
            raise InspectorError(
                ref, f"Keras refused the model ({one_line(exc)}) and its tensors could not be recovered"
            ) from None
        return recovered
    except Exception as exc:  # noqa: BLE001 - user code failed: one line, not a traceback
        where = traceback.extract_tb(exc.__traceback__)[-1]
        raise InspectorError(
            ref,
            f"the builder raised {type(exc).__name__}: {one_line(exc)} "
            f"(at {Path(where.filename).name}:{where.lineno})",
        ) from None
    if not is_keras_model(model):
        raise InspectorError(ref, f"the builder returned a {type(model).__name__}, not a keras.Model")
    return model, None


def load_live(model: Any) -> ModelGraph:
    """The graph of a live keras.Model (Keras 3 or tf_keras), read like its saved file."""
    if not is_keras_model(model):
        raise InspectorError(None, f"cannot inspect a {type(model).__name__}: pass a path or a keras.Model")
    return _graph_of(model, Source(path=f"<live model {model.name}>", format="live", **_versions(model)))


# -- resolving the reference ---------------------------------------------------------------------
def resolve_builder(ref: str):
    """The function a builder reference names, its module imported (TensorFlow first, quietly)."""
    import_tensorflow_quietly()
    target, _, name = ref.rpartition(":")
    if not target or not name.isidentifier():
        raise InspectorError(ref, "not a builder reference: expected `pkg.module:function` or `file.py:function`")
    if target.endswith(".py") or "/" in target or os.sep in target:
        path = Path(target)
        if not path.is_file():
            raise LoadError(ref, f"no such Python file: {target}")
        module = _import_file(ref, path)
    else:
        with _on_path(Path.cwd()):
            try:
                module = importlib.import_module(target)
            except ImportError as exc:
                raise InspectorError(ref, f"cannot import module {target!r}: {one_line(exc)}") from None
            except Exception as exc:  # noqa: BLE001 - the user's module failed to import
                raise InspectorError(ref, f"importing {target!r} raised {type(exc).__name__}: {one_line(exc)}") from None
    function = getattr(module, name, None)
    if not callable(function):
        raise InspectorError(ref, f"module {target!r} has no function {name!r}")
    return function


def _import_file(ref: str, path: Path):
    path = path.resolve()
    module_name = f"_inspector_builder_{abs(hash(str(path)))}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise LoadError(ref, f"cannot import {path.name} as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    with _on_path(path.parent):  # so the file can import its siblings
        try:
            spec.loader.exec_module(module)
        except Exception as exc:  # noqa: BLE001 - the user's file failed to import
            del sys.modules[module_name]
            raise InspectorError(ref, f"importing {path.name} raised {type(exc).__name__}: {one_line(exc)}") from None
    return module


@contextmanager
def _full_tracebacks() -> Iterator[None]:
    """Keras' traceback filtering off while the builder runs: it drops the frames of the layer
    call that refused a zero-size output, which `_recover_refused_layer` reads."""
    switches = []  # (is_enabled, disable, enable) of Keras 3 and of TensorFlow (tf_keras uses it)
    try:
        import keras

        switches.append((keras.config.is_traceback_filtering_enabled,
                         keras.config.disable_traceback_filtering, keras.config.enable_traceback_filtering))
    except (ImportError, AttributeError):
        pass
    try:
        import tensorflow as tf

        switches.append((tf.debugging.is_traceback_filtering_enabled,
                         tf.debugging.disable_traceback_filtering, tf.debugging.enable_traceback_filtering))
    except (ImportError, AttributeError):
        pass
    were_on = [is_on() for is_on, _, _ in switches]
    for _, disable, _ in switches:
        disable()
    try:
        yield
    finally:
        for (_, _, enable), was_on in zip(switches, were_on, strict=True):
            if was_on:
                enable()


@contextmanager
def _on_path(folder: Path) -> Iterator[None]:
    entry = str(folder)
    added = entry not in sys.path
    if added:
        sys.path.insert(0, entry)
    try:
        yield
    finally:
        if added and entry in sys.path:
            sys.path.remove(entry)


# -- reading a live model ----------------------------------------------------------------------
def is_keras_model(obj: Any) -> bool:
    """Whether `obj` is a live keras.Model (Keras 3 or tf_keras), by what it offers."""
    return all(hasattr(obj, a) for a in ("get_config", "weights", "layers", "get_layer"))


def _versions(model: Any) -> dict[str, str | None]:
    if type(model).__module__.startswith("tf_keras"):
        import tf_keras

        return {"keras_version": tf_keras.__version__, "backend": "tensorflow"}
    import keras

    return {"keras_version": keras.__version__, "backend": keras.backend.backend()}


def _graph_of(model: Any, source: Source, declared_inputs: list | None = None) -> ModelGraph:
    config = _model_config(model)
    if declared_inputs is not None:
        config["config"]["input_layers"] = [list(_history(t)) for t in declared_inputs]
    return parse_model(config, source, LiveWeights(model), _compile_config(model))


def _model_config(model: Any) -> dict[str, Any]:
    """What the model's saved file would hold as its config (JSON types: tuples become lists)."""
    try:
        config = model.get_config()
    except NotImplementedError:
        config = None
    entry = {"module": type(model).__module__, "class_name": type(model).__name__, "config": config}
    return json.loads(json.dumps(entry, default=_jsonable))


def _jsonable(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "as_list"):  # tf.TensorShape
        return value.as_list()
    if hasattr(value, "name") and type(value).__name__ == "DType":
        return value.name
    return str(value)


def _compile_config(model: Any) -> dict[str, Any] | None:
    compiled = getattr(model, "compiled", None)
    if compiled is None:
        compiled = getattr(model, "_is_compiled", False)
    if not compiled or not hasattr(model, "get_compile_config"):
        return None
    config = model.get_compile_config()
    return json.loads(json.dumps(config, default=_jsonable)) if config else None


class LiveWeights:
    """Weights of a live model's layers: name, shape, dtype and trainability, as Keras holds them."""

    def __init__(self, model: Any):
        self.model = model

    def layer_weights(self, path: tuple[LayerKey, ...]) -> list[Weight] | None:
        layer = self.model
        for key in path:
            layer = _child(layer, key.name)
            if layer is None:
                return []
        return [_weight(v) for v in layer.weights]


def _child(model: Any, name: str) -> Any:
    for layer in getattr(model, "layers", ()):
        if layer.name == name:
            return layer
    return None


def _weight(variable: Any) -> Weight:
    name = getattr(variable, "path", None) or variable.name
    dtype = variable.dtype
    dtype = getattr(dtype, "name", dtype)
    return Weight(str(name).removesuffix(":0"), tuple(int(d) for d in variable.shape), str(dtype),
                  bool(variable.trainable))


# -- disconnected graphs -----------------------------------------------------------------------
def _recover_disconnected(exc: BaseException) -> tuple[Any, list] | None:
    """(a connected model holding the user's graph, the declared input tensors), from the frame
    of the Keras constructor that refused the graph."""
    frame_locals = _constructor_locals(exc)
    if frame_locals is None:
        return None
    self_obj, inputs, outputs, name = frame_locals
    declared = _flatten(inputs)
    flat_outputs = _flatten(outputs)
    if not declared or not flat_outputs:
        return None
    real = [t for t in _input_ancestors(flat_outputs) if all(t is not d for d in declared)]
    try:
        helper = type(self_obj)(inputs=declared + real, outputs=outputs, name=name)
    except Exception:  # noqa: BLE001 - Keras refused even the connected graph: report the original
        return None
    return helper, declared


def _constructor_locals(exc: BaseException):
    """The outermost model `__init__` frame in the traceback that holds `inputs` and `outputs`."""
    tb = exc.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        local = frame.f_locals
        if frame.f_code.co_name == "__init__" and "inputs" in local and "outputs" in local \
                and _is_model_class(type(local.get("self"))):
            return local["self"], local["inputs"], local["outputs"], local.get("name")
        tb = tb.tb_next
    return None


def _is_model_class(cls: type) -> bool:
    return any(c.__name__ in ("Functional", "Model") for c in cls.__mro__)


def _flatten(value: Any) -> list:
    if isinstance(value, Mapping):
        return [t for v in value.values() for t in _flatten(v)]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _flatten(v)]
    return [] if value is None else [value]


def _history(tensor: Any) -> tuple[Any, int, int]:
    """(layer name, node index, tensor index) of a symbolic tensor, Keras 3 or tf_keras."""
    history = tensor._keras_history
    return history[0].name, int(history[1]), int(history[2])


def _input_ancestors(outputs: list) -> list:
    """The Input tensors the outputs depend on, in the order they are first met."""
    found: list = []
    seen: set[int] = set()
    stack = list(reversed(outputs))
    while stack:
        tensor = stack.pop()
        if id(tensor) in seen:
            continue
        seen.add(id(tensor))
        history = getattr(tensor, "_keras_history", None)
        if history is None:
            continue
        node = history[0]._inbound_nodes[history[1]]
        if node.is_input:
            found.append(tensor)
            continue
        parents = getattr(node, "input_tensors", None)
        if parents is None:  # tf_keras
            parents = _flatten(node.keras_inputs)
        stack.extend(reversed(_flatten(parents)))  # tf_keras: one tensor, not a list, for one input
    return found



# -- layers refused for a zero-size output -----------------------------------------------------
def _recover_refused_layer(exc: BaseException) -> _Refused | None:
    """The model config of the graph up to the refused layer, the layer appended, from the frame
    of that layer's `__call__` in the traceback."""
    try:
        found = _refusing_call(exc)
        if found is None:
            return None
        layer, tensors = found
        inputs = _input_ancestors(tensors)
        if not inputs:
            return None
        helper = _model_class(layer)(inputs=inputs, outputs=tensors)
        entry = _layer_entry(layer, tensors, helper)
    except Exception:  # noqa: BLE001 - cannot rebuild: the original error is reported instead
        return None
    config = _model_config(helper)
    config["config"]["layers"].append(entry)
    config["config"]["output_layers"] = [[layer.name, 0, 0]]
    lines = [line.strip() for line in str(exc).splitlines()]
    reason = next((line for line in lines if any(m in line for m in ZERO_SIZE_MESSAGES)), None)
    return _Refused(helper, config, _strip_ansi(reason)[:300] if reason else one_line(exc))


def _strip_ansi(text: str) -> str:
    """Keras 3 wraps the message in terminal bold codes."""
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def _refusing_call(exc: BaseException) -> tuple[Any, list] | None:
    """(layer, input tensors) of the innermost layer `__call__` frame (a layer, not a model)
    called on symbolic tensors."""
    found = None
    tb = exc.__traceback__
    while tb is not None:
        local = tb.tb_frame.f_locals
        self_obj = local.get("self")
        if tb.tb_frame.f_code.co_name == "__call__" and self_obj is not None \
                and hasattr(self_obj, "get_config") and not _is_model_class(type(self_obj)):
            args = local.get("args")
            candidates = list(args) if isinstance(args, (list, tuple)) and args else local.get("inputs")
            tensors = [t for t in _flatten(candidates) if getattr(t, "_keras_history", None) is not None]
            if tensors:
                found = (self_obj, tensors)
        tb = tb.tb_next
    return found


def _model_class(layer: Any) -> type:
    if type(layer).__module__.startswith("tf_keras"):
        import tf_keras

        return tf_keras.Model
    import keras

    return keras.Model


def _layer_entry(layer: Any, tensors: list, helper: Any) -> dict[str, Any]:
    """The layer's config entry, called on `tensors`, in the format of the helper's config."""
    entry = _model_config(layer)
    entry["name"] = layer.name
    if type(layer).__module__.startswith("tf_keras"):
        entry["inbound_nodes"] = [[[*_history(t), {}] for t in tensors]]
        return entry
    import keras

    entry = {**json.loads(json.dumps(keras.saving.serialize_keras_object(layer), default=_jsonable)),
             "name": layer.name}
    args = [{"class_name": "__keras_tensor__",
             "config": {"shape": list(t.shape), "dtype": str(t.dtype), "keras_history": list(_history(t))}}
            for t in tensors]
    entry["inbound_nodes"] = [{"args": [args[0] if len(args) == 1 else args], "kwargs": {}}]
    return entry
