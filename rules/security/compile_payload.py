"""S105 compile-payload: bytecode or a config-driven import in the compile config (loss, metrics, optimizer)."""

from __future__ import annotations

from collections.abc import Iterator

from inspector.engine import RuleOptions, Violation, rule
from inspector.graph import ModelGraph
from inspector.rules import _examples as ex


def _compiled(loss):
    config = ex.dense_chain("mlp", [16])
    return {**config, "compile_config": {"optimizer": "adam", "loss": loss, "metrics": None,
                                         "loss_weights": None}}


@rule(
    "S105", "compile-payload", "error", security_severity=9.8,
    invalid=[
        _compiled({"class_name": "__lambda__", "config": {"code": ex.LAMBDA_BYTECODE, "defaults": None, "closure": None}}),
        _compiled({"module": "os", "class_name": "function", "config": "system", "registered_name": "system"}),
        _compiled({"module": "keras.losses", "class_name": "function", "config": "x", "registered_name": "os.system"}),
    ],
    valid=[
        _compiled("mse"),
        _compiled({"module": "keras.losses", "class_name": "MeanSquaredError", "config": {"name": "mse"},
                   "registered_name": None}),
    ],
)
def compile_payload(graph: ModelGraph, opts: RuleOptions) -> Iterator[Violation]:
    """
    ## What it does
    Reports the compile config when its loss, metrics or optimizer hold Python bytecode or name a
    function from a module such as `os` or `subprocess`.

    ## Details
    The compile config is `compile_config` in `.keras`, `training_config` in `.h5`; the bytecode a
    Keras 3 `__lambda__` object; the function is named by `module` or `registered_name`.

    ## Why it matters
    Keras compiles a loaded model from this config: it imports what the config names, and the
    loss runs on every `evaluate` or `fit`. A loss that resolves to `os.system` is a command run
    with your privileges; a `__lambda__` loss runs its bytecode when loaded with
    `safe_mode=False`. A loss naming a `tensorflow.python.keras...` module is built by
    TensorFlow's bundled legacy Keras, which never checks safe mode: tf_keras 2.21 runs the Keras 2
    Lambda bytecode inside while loading the `.keras` file with default arguments (see S104). `inspect summary` would otherwise only show `loss: system`.

    ## Example
    ```json
    "compile_config": {"loss": {"module": "os", "class_name": "function", "config": "system"}}
    ```

    ## How to fix
    Do not load or compile the file; load it with `compile=False` only if you must read its
    weights, and compile with your own loss.
    """
    for p in graph.source.payloads:
        if p.kind == "compile":
            yield Violation(f"{p.place}: {p.detail}")
