"""Payloads in a Keras config: what Keras would import or run because the JSON says so.

Keras resolves every `{"module": ..., "class_name": ...}` object by importing `module` and taking
the attribute it names (keras/src/saving/serialization_lib.py `_retrieve_class_or_fn`; tf_keras
the same), so a config naming `os`/`subprocess`/`builtins.exec` calls into them (the
CVE-2025-1550 family). A `__lambda__` object is marshalled bytecode. In the model config,
Lambda bytecode is S101's; here the compile config's bytecode and every config-driven import
are recorded. The walk is iterative: a config nested thousands deep is no RecursionError.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from inspector.graph import Payload

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
    if top in ("keras", "tf_keras", "tensorflow") and name in KERAS_GADGETS:
        return f"{module}.{name}", _TFSM if name == "TFSMLayer" else _GADGET
    return None


def _walk(value: Any, place: str):
    """(place, mapping) of every object inside `value`, depth first, without recursion. A place
    is a path from the innermost layer: `layer 'dense' config.activation`."""
    stack = [(place, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, Mapping):
            yield where, item
            children = []
            for key, child in item.items():
                if key == "layers" and isinstance(child, list):
                    children += [(_layer_place(layer, f"{_join(where, key)}[{i}]"), layer)
                                 for i, layer in enumerate(child) if isinstance(layer, Mapping)]
                elif isinstance(child, (Mapping, list)):
                    children.append((_join(where, str(key)), child))
        elif isinstance(item, list):
            children = [(f"{where}[{i}]", v) for i, v in enumerate(item) if isinstance(v, (Mapping, list))]
        else:
            continue
        stack.extend(reversed(children))


def _layer_place(layer: Mapping, fallback: str) -> str:
    name = layer.get("name")
    if not isinstance(name, str) and isinstance(layer.get("config"), Mapping):
        name = layer["config"].get("name")
    return f"layer {name!r}" if isinstance(name, str) else fallback


def _join(where: str, key: str) -> str:
    """`layer 'dense' config`, `layer 'dense' config.activation`, `loss`."""
    if not where:
        return key
    return f"{where} {key}" if where.endswith("'") else f"{where}.{key}"


def _imports(value: Any, place: str) -> list[tuple[str, str]]:
    found = []
    for where, obj in _walk(value, place):
        if "class_name" not in obj and "module" not in obj:
            continue
        if obj.get("function_type") == "function" and isinstance(obj.get("function"), str):
            name = obj["function"]  # a Keras 2 Lambda: its function looked up in `module`
        else:
            name = obj.get("config") if obj.get("class_name") == "function" else obj.get("class_name")
        target = dangerous_target(obj.get("module"), name)
        registered = obj.get("registered_name")
        if target is None and isinstance(registered, str) and "." in registered:
            target = dangerous_target(*registered.rsplit(".", 1))
        if target is not None:
            found.append((where, f"config-driven import of {target[0]}: {target[1]}"))
    return found


def _lambdas(value: Any, place: str) -> list[str]:
    return [where for where, obj in _walk(value, place) if obj.get("class_name") == "__lambda__"]
