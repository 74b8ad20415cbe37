"""S108 external-file: an HDF5 model file that points into another file (external link or storage)."""

from __future__ import annotations

from collections.abc import Iterator

from inspector.engine import RuleOptions, Violation, rule
from inspector.graph import ModelGraph, Payload
from inspector.rules import _examples as ex

_MLP = ex.dense_chain("mlp", [16])


@rule(
    "S108", "external-file", "error", security_severity=7.5,
    invalid=[ex.carrying(_MLP, Payload("external-file", "/model_weights/hidden_1",
                                       "an HDF5 external link to /etc/passwd:/x"))],
    valid=[_MLP],
)
def external_file(graph: ModelGraph, opts: RuleOptions) -> Iterator[Violation]:
    """
    ## What it does
    Reports an HDF5 model file holding an external link or a dataset whose data lives in another
    file.

    ## Details
    Any HDF5 file counts (`.h5`, or HDF5 under any name). keras-inspector refuses to follow either,
    so such a file cannot be summarized; `lint` and `scan` report where the reference sits and where
    it points.

    ## Why it matters
    h5py, and so every Keras that reads `.h5` files, opens the linked file while loading: the
    model reads whatever path its author chose on your machine (a key, a config, a device), or a
    network share. No Keras version writes such links.

    ## Example
    ```python
    f["model_weights/dense"] = h5py.ExternalLink("/home/user/.ssh/id_rsa", "/")
    ```

    ## How to fix
    Do not load the file. Ask for the model saved by Keras itself, with its weights inside it.
    """
    for p in graph.source.payloads:
        if p.kind == "external-file":
            yield Violation(f"{p.place}: {p.detail}")
