"""S101 unsafe-lambda: a Lambda layer carrying Python bytecode that Keras can be made to run."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from inspector.engine import RuleOptions, Violation, rule
from inspector.graph import ModelGraph
from inspector.rules import _examples as ex
from inspector.security.config_scan import LEGACY_KERAS, legacy_keras_object
from inspector.security.lambdas import serialized_lambdas

_CODE = ex.LAMBDA_BYTECODE


_KERAS2 = {"function": [_CODE, None, None], "function_type": "lambda", "module": "__main__",
           "output_shape": None, "output_shape_type": "raw", "arguments": {}}


def _with_lambda(config):
    return ex.sequential((None, 8), {"module": "keras.layers", "class_name": "Lambda",
                                     "config": {"name": "double", "trainable": True, **config},
                                     "registered_name": None},
                         ex.layer("Dense", "out", units=1))


@rule(
    "S101",
    "unsafe-lambda",
    "error",
    security_severity=9.8,
    invalid=[
        # Keras 3: a __lambda__ object with base64 marshal bytecode
        _with_lambda({"function": {"class_name": "__lambda__", "config": {
            "code": _CODE, "defaults": None, "closure": None}}, "arguments": {}}),
        # Keras 2: [base64 bytecode, defaults, closure] with function_type "lambda"
        _with_lambda({"function": [_CODE, None, None], "function_type": "lambda",
                      "module": "__main__", "output_shape": None, "output_shape_type": "raw",
                      "arguments": {}}),
        # Keras 1: the raw marshal string
        _with_lambda({"function": "\u00e3\u0001\u0000\u0000\u0000", "function_type": "lambda",
                      "output_shape": None, "output_shape_type": "raw", "arguments": {}}),
        # Keras 2: a named function, but an output_shape lambda
        _with_lambda({"function": "double", "function_type": "function", "module": "mymodel",
                      "output_shape": [_CODE, None, None], "output_shape_type": "lambda",
                      "arguments": {}}),
        # Keras 2 bytecode routed through TensorFlow's bundled legacy Keras: tf_keras runs it by default
        _with_lambda({"function": {"module": "tensorflow.python.keras.layers.core", "class_name": "Lambda",
                                   "config": {"name": "inner", "function": [_CODE, None, None],
                                              "function_type": "lambda", "output_shape": None,
                                              "output_shape_type": "raw", "arguments": {}}},
                      "function_type": "function", "module": "builtins", "output_shape": None,
                      "output_shape_type": "raw", "arguments": {}}),
        # the same Keras 2 Lambda in an HDF5 file, which tf_keras' legacy loader reads, under either name
        ex.carrying(_with_lambda(_KERAS2), fmt="h5", path="model.h5"),
        ex.carrying(_with_lambda(_KERAS2), fmt="h5", path="model.keras"),
        ex.sequential((None, 8), *({"module": "keras.layers", "class_name": "Lambda",
                                     "config": {"name": name, "trainable": True, **_KERAS2}, "registered_name": None}
                                    for name in ("double", "halve"))),
    ],
    valid=[
        _with_lambda({"function": "double", "function_type": "function", "module": "mymodel",
                      "output_shape": None, "output_shape_type": "raw", "arguments": {}}),
        _with_lambda({"function": {"module": "builtins", "class_name": "function",
                                   "config": "abs", "registered_name": "function"},
                      "arguments": {}}),
        ex.dense_chain("mlp", [16]),
    ],
)
def unsafe_lambda(graph: ModelGraph, opts: RuleOptions) -> Iterator[Violation]:
    """
    ## What it does
    Reports layers whose config carries serialized Python bytecode, such as a Lambda layer's
    function.

    ## Details
    The function (or its output shape or mask) may be saved as a Keras 1 raw marshal string, a Keras 2 base64
    marshal with `function_type: "lambda"`, or a Keras 3 `{"class_name": "__lambda__"}` object, also
    inside wrappers such as TimeDistributed.

    ## Why it matters
    Loading such a file with `keras.models.load_model(..., safe_mode=False)` (the switch Keras 3
    tells you to flip when it refuses the file) unmarshals and runs that bytecode: whoever wrote
    the file runs code on your machine. tf_keras (tf.keras 2, 2.21 included) runs it from `.h5`
    files and SavedModel folders with its default arguments, even under a `.keras` name: its
    legacy loaders never check `safe_mode`. From a `.keras` zip, tf_keras 2.21 refuses a Lambda
    by default, unless the file routes it through TensorFlow's bundled legacy Keras: an object whose
    `module` is `tensorflow.python.keras...` at the top level, in `compile_config`, or in a value a
    layer deserializes itself (`Lambda.function`, a `Constant` initializer's `value`) is built by
    that copy, which never checks safe mode, and the Lambdas inside run while loading with default
    arguments (S104 reports the import; Keras 3.15 refuses such files). Bytecode is also tied to the Python
    version that wrote it, so the model breaks on the next interpreter upgrade. (keras-inspector
    itself reads the code as text and never runs it.)

    ## Example
    ```python
    x = layers.Lambda(lambda t: t * 2.0)(inputs)
    ```

    ## How to fix
    Replace the lambda with built-in layers (`layers.Rescaling(2.0)`), or with a small custom layer
    class registered with `@keras.saving.register_keras_serializable()`, whose code lives in your
    package rather than in the file. Load files you did not write with the default
    `safe_mode=True`.
    """
    legacy_model = any(p.kind == "import" and p.place == "the model"
                       and p.detail.startswith(f"config-driven import of {LEGACY_KERAS}.") for p in graph.source.payloads)
    for layer in graph.layers:
        if layer.subgraph is not None:
            continue  # the engine checks the nested model's own layers
        where = list(serialized_lambdas(layer.config))
        if where:
            kinds = ", ".join(dict.fromkeys(kind for kind, _ in where))
            fields = ", ".join(dict.fromkeys(".".join(path) for _, path in where))
            legacy = legacy_model or any(_routed_to_legacy_keras(layer.config, path) for _, path in where)
            who = _LEGACY_WHO if legacy and "marshal" in kinds else _who_runs_it(
                graph.source.format, kinds, graph.source.path)
            yield Violation(f"{layer.class_name} {layer.name!r} stores Python bytecode ({kinds}, "
                            f"in {fields}) that {who}", (layer.name,),
                            pattern=f"Lambda layers store Python bytecode ({kinds}) that {who}")


_LEGACY_WHO = ("tf_keras (tf.keras 2, 2.21 checked) runs when loading the file with default arguments: the file "
               f"routes it through TensorFlow's bundled legacy Keras ({LEGACY_KERAS}), which never checks "
               "safe_mode (S104)")


def _routed_to_legacy_keras(config: Mapping[str, Any], path: tuple[str, ...]) -> bool:
    """Whether an object on `path` (from the layer config down to the bytecode) names a
    `tensorflow.python.keras` module where tf_keras honours it: anywhere but as an item of a
    model's `layers` list, which tf_keras looks up by class_name alone."""
    value: Any = config
    for key in path:
        value = value.get(key) if isinstance(value, Mapping) else None
        if key == "layers" or not isinstance(value, Mapping):
            return False  # `serialized_lambdas` does not index lists: what lies below a list is not followed
        if legacy_keras_object(value):
            return True
    return False


def _who_runs_it(fmt: str, kinds: str, path: str) -> str:
    """Which loaders run this bytecode (checked with tf_keras 2.21 and Keras 3.15): tf_keras'
    legacy HDF5 and SavedModel loaders never check safe_mode; everything else refuses by default."""
    if "marshal" in kinds and fmt in ("h5", "savedmodel"):
        renamed = " (an HDF5 file named .keras: tf_keras still takes its legacy loader)" if (
            fmt == "h5" and path.lower().endswith(".keras")) else ""
        return ("tf_keras (tf.keras 2) runs when loading the file with default arguments"
                f"{renamed}, and Keras 3 with safe_mode=False")
    if "marshal" in kinds:
        return "Keras 3 and tf_keras run when loading with safe_mode=False"
    return "Keras 3 runs when loading with safe_mode=False"
