"""Payloads in a Keras config: what Keras would import or run because the JSON says so.

Keras resolves every `{"module": ..., "class_name": ...}` object by importing `module` and taking
the attribute it names (keras/src/saving/serialization_lib.py `_retrieve_class_or_fn`; tf_keras
the same), so a config naming `os`/`subprocess`/`builtins.exec` calls into them (the
CVE-2025-1550 family). A `__lambda__` object is marshalled bytecode. In the model config,
Lambda bytecode is S101's; here the compile config's bytecode and every config-driven import
are recorded. The walk is iterative: a config nested thousands deep is no RecursionError.

tf_keras 2.21 imports any module a config names wherever it deserializes without a list of
known classes (tf_keras/src/saving/serialization_lib.py `_retrieve_class_or_fn`: the top-level
object, `compile_config`, and values layers deserialize themselves such as `Lambda.function`,
a `Constant` initializer's `value`, `Embedding` dimensions), but looks up the layers of a model's
`layers` list by `class_name` alone. A module under `tensorflow.python.keras` is TensorFlow's own
bundled copy of legacy Keras, whose `Lambda._parse_function_from_config` and model builders never
check safe mode: routed there, a Keras 2 Lambda's bytecode runs while tf_keras loads the `.keras`
file with its default `safe_mode=True` (checked with tf_keras 2.21; Keras 3.15 refuses any
module outside the keras packages).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from inspector.graph import Payload
from inspector.security.lambdas import is_keras3_lambda, marshal_keys

# Modules whose attributes reach the system: processes, files, the network, code loading.
DANGEROUS_MODULES = frozenset({
    "os", "posix", "nt", "subprocess", "sys", "shutil", "importlib", "runpy", "code", "codeop",
    "ctypes", "pty", "socket", "pickle", "_pickle", "marshal", "shelve", "dill", "cloudpickle",
    "joblib", "webbrowser", "urllib", "http", "ftplib", "smtplib", "telnetlib", "requests",
    "tempfile", "pathlib", "glob", "multiprocessing", "threading", "signal", "asyncio",
    "types", "inspect", "gc", "operator", "functools", "numpy.testing", "platform", "io", "_io",
    "timeit", "pdb", "bdb", "site", "zipimport", "pkgutil", "sysconfig",
})
# builtins Keras legitimately names (`module: "builtins"` for its own functions) are harmless;
# these are not.
DANGEROUS_BUILTINS = frozenset({
    "eval", "exec", "compile", "open", "__import__", "getattr", "setattr", "delattr", "globals",
    "locals", "vars", "input", "breakpoint", "exit", "quit", "help", "memoryview", "__build_class__",
})
# Keras' own functions that turn a load into something else (CVE-2025-9906: switching safe mode
# off from inside the file; downloading or loading further files).
KERAS_GADGETS = frozenset({"enable_unsafe_deserialization", "get_file", "load_model", "load_weights",
                           "write_file", "read_file", "py_function", "numpy_function", "py_func",
                           "TFSMLayer"})  # TFSMLayer loads (and later runs) a SavedModel from any path


LEGACY_KERAS = "tensorflow.python.keras"  # TensorFlow's bundled legacy Keras: no safe mode anywhere


def is_legacy_keras(module: Any) -> bool:
    """Whether `module` is inside TensorFlow's bundled legacy Keras (`tensorflow.python.keras...`)."""
    return isinstance(module, str) and (module == LEGACY_KERAS or module.startswith(LEGACY_KERAS + "."))


def legacy_keras_object(obj: Mapping) -> bool:
    """Whether the object `obj` names a `tensorflow.python.keras` module for its class. A Keras 2
    Lambda's own config also has a `module` key, the module its function came from (an old file's
    `Lambda(K.mean)` stores `tensorflow.python.keras.backend`): Lambda only looks that module up in
    `sys.modules` for globals, imports nothing, so it is not a route."""
    return "function_type" not in obj and is_legacy_keras(obj.get("module"))


def config_payloads(model: Any, training_config: Any, compile_label: str = "compile_config") -> tuple[Payload, ...]:
    """Config-driven imports anywhere in `model`, and bytecode or imports in the compile config
    (named `compile_label` in places: `compile_config` in .keras, `training_config` in .h5)."""
    if isinstance(model, Mapping) and "compile_config" in model:  # a .keras config: reported below
        model = {k: v for k, v in model.items() if k != "compile_config"}
    found = [Payload("import", place or "the model", detail) for place, detail in _imports(model, "")]
    if isinstance(training_config, Mapping):
        found += [Payload("compile", place, detail) for place, detail in _imports(training_config, compile_label)]
        found += [Payload("compile", place, "Python bytecode (a Keras 3 __lambda__ object): Keras 3 runs it "
                          "when the file is loaded with safe_mode=False and compiled")
                  for place in _lambdas(training_config, compile_label)]
    return tuple(found)


_IMPORTS = ("tf_keras and Keras before 3.9 (CVE-2025-1550) import whatever module a config names; "
            "Keras 3.15 refuses it")
_GADGET = "a Keras function that changes what loading does (CVE-2025-9906, fixed in Keras 3.11)"
_TFSM = "a layer that loads, and runs when called, the SavedModel at whatever path the file names"
_LEGACY = ("TensorFlow's bundled legacy Keras, which never checks safe_mode: tf_keras 2.21 imports it and builds "
           "this object with it (at the top level, in compile_config, in values a layer deserializes itself "
           "such as Lambda.function or a Constant initializer's value) when loading the file with default "
           "arguments (safe_mode=True)")
_LEGACY_IN_LAYERS = ("TensorFlow's bundled legacy Keras, which never checks safe_mode; in a model's layers list "
                     "tf_keras 2.21 looks the layer up by class_name and ignores this module, and Keras 3.15 "
                     "refuses it, but no Keras writes it")


def dangerous_target(module: Any, name: Any) -> tuple[str, str] | None:
    """(`os.system`, why it matters) when `module`.`name` is something a config must never make
    Keras import; None otherwise."""
    if not isinstance(module, str) or not module:
        return None
    top = module.split(".")[0]
    name = name if isinstance(name, str) else ""
    if top == "builtins":
        return (f"builtins.{name}", _IMPORTS) if name in DANGEROUS_BUILTINS else None
    if top in DANGEROUS_MODULES or module in DANGEROUS_MODULES:
        return (f"{module}.{name}" if name else module), _IMPORTS
    if is_legacy_keras(module):
        return (f"{module}.{name}" if name else module), _LEGACY
    if top in ("keras", "tf_keras", "tensorflow") and name in KERAS_GADGETS:
        return f"{module}.{name}", _TFSM if name == "TFSMLayer" else _GADGET
    return None


def config_objects(value: Any, place: str):
    """(place, mapping, in_layers, under_legacy) of every object inside `value`, depth first,
    without recursion. A place is a path from the innermost layer: `layer 'dense'
    config.activation`; `in_layers`: the object is an item of a model's `layers` list;
    `under_legacy`: an enclosing object names a `tensorflow.python.keras` module. Objects are
    what JSON reads, dicts and lists: an ABC check per value was a fifth of reading a config."""
    stack = [(place, value, False, False)]
    while stack:
        where, item, in_layers, legacy = stack.pop()
        if isinstance(item, dict):
            yield where, item, in_layers, legacy
            legacy = legacy or legacy_keras_object(item)
            children = []
            for key, child in item.items():
                if key == "layers" and isinstance(child, list):
                    children += [(_layer_place(layer, f"{place_of(where, key)}[{i}]"), layer, True, legacy)
                                 for i, layer in enumerate(child) if isinstance(layer, dict)]
                elif isinstance(child, (dict, list)):
                    children.append((place_of(where, str(key)), child, False, legacy))
        elif isinstance(item, list):
            children = [(f"{where}[{i}]", v, False, legacy) for i, v in enumerate(item)
                        if isinstance(v, (dict, list))]
        else:
            continue
        stack.extend(reversed(children))


def config_values(value: Any, place: str = ""):
    """(place, value, the object holding it) for every key of every object inside `value`,
    places as the payloads name them: `layer 'wrapped' config.module`."""
    for where, obj, _, _ in config_objects(value, place):
        for key, child in obj.items():
            yield place_of(where, str(key)), child, obj


def _layer_place(layer: Mapping, fallback: str) -> str:
    name = layer.get("name")
    if not isinstance(name, str) and isinstance(layer.get("config"), Mapping):
        name = layer["config"].get("name")
    return f"layer {name!r}" if isinstance(name, str) else fallback


def place_of(where: str, key: str) -> str:
    """`layer 'dense' config`, `layer 'dense' config.activation`, `loss`."""
    if not where:
        return key
    return f"{where} {key}" if where.endswith("'") else f"{where}.{key}"


def _imports(value: Any, place: str) -> list[tuple[str, str]]:
    found = []
    for where, obj, in_layers, under_legacy in config_objects(value, place):
        if "class_name" not in obj and "module" not in obj:
            continue
        if legacy_keras_object(obj):
            if not under_legacy:  # the outermost one says what the legacy loader builds
                found.append((where, _legacy_detail(obj, in_layers)))
            continue
        if obj.get("function_type") == "function" and isinstance(obj.get("function"), str):
            name = obj["function"]  # a Keras 2 Lambda: its function looked up in `module`
        else:
            name = obj.get("config") if obj.get("class_name") == "function" else obj.get("class_name")
        module = obj.get("module")
        target = None if is_legacy_keras(module) else dangerous_target(module, name)  # a Lambda's: see above
        registered = obj.get("registered_name")
        if target is None and isinstance(registered, str) and "." in registered:
            # a registered name is looked up, not imported: no route into legacy Keras
            target = None if is_legacy_keras(registered) else dangerous_target(*registered.rsplit(".", 1))
        if target is not None:
            found.append((where, f"config-driven import of {target[0]}: {target[1]}"))
    return found


def _legacy_detail(obj: Mapping, in_layers: bool) -> str:
    name = obj.get("class_name")
    target = f"{obj['module']}.{name}" if isinstance(name, str) and name else obj["module"]
    if in_layers:
        return f"config-driven import of {target}: {_LEGACY_IN_LAYERS}"
    code = [place_of(where, key) for where, inner, _, _ in config_objects(obj.get("config"), "config")
            for key in marshal_keys(inner)]
    inside = (f", running the Lambda bytecode inside (at {', '.join(code)})" if code
              else ", which would run any Lambda bytecode inside")
    return f"config-driven import of {target}: {_LEGACY}{inside}; Keras 3.15 refuses it"


def _lambdas(value: Any, place: str) -> list[str]:
    return [where for where, obj, _, _ in config_objects(value, place) if is_keras3_lambda(obj)]
