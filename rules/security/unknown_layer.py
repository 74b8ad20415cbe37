"""S102 unknown-layer: a layer class Keras cannot load without the user's code."""

from __future__ import annotations

from collections.abc import Iterator

from inspector.engine import RuleOptions, Violation, rule
from inspector.graph import Layer, ModelGraph
from inspector.kinds import KNOWN_LAYERS
from inspector.loaders.keras_config import layer_classes
from inspector.rules import _examples as ex
from inspector.security.config_scan import dangerous_target

_KERAS_MODULES = ("keras", "tf_keras", "tensorflow")


@rule(
    "S102",
    "unknown-layer",
    "warning",
    frameworks=("keras",),
    security_severity=3.0,
    invalid=[
        ex.sequential((None, 8), ex.layer("AttentionPooling", "pool", module="my_project.layers"),
                      ex.layer("Dense", "out", units=1)),
        # a custom class that reuses a built-in name, told apart by its module
        ex.sequential((None, 8), ex.layer("Dense", "dense", module="my_project.layers", units=4)),
        ex.sequential((None, 8), ex.layer("TimeDistributed", "td", layer=ex.layer(
            "MyCell", "cell", module="my_project.layers"))),
        # an .h5 file stores no module
        ex.sequential((None, 8), {k: v for k, v in ex.layer("AttentionPooling", "pool").items() if k != "module"}),
        ex.sequential((None, 8), ex.layer("AttentionPooling", "pool", module="my_project.layers"),
                      ex.layer("GatedDense", "gate", module="my_project.layers")),
    ],
    valid=[
        ex.dense_chain("mlp", [16]),
        ex.sequential((None, 8), ex.layer("Dense", "dense", module="keras.src.layers", units=4)),
        ex.sequential((None, 8, 4), ex.layer("TimeDistributed", "td",
                                             layer=ex.layer("Dense", "inner", units=2))),
        # Keras' own non-public classes, which Keras 3 imports from their stored module:
        # ConvNeXt's LayerScale, and the op a mask_zero Embedding leaves in a functional graph
        ex.sequential((None, 4, 4, 8), ex.layer("LayerScale", "layer_scale",
                                                module="keras.src.applications.convnext",
                                                init_values=1e-6, projection_dim=8)),
        ex.sequential((None, 8), ex.layer("NotEqual", "not_equal", module="keras.src.ops.numpy")),
    ],
)
def unknown_layer(graph: ModelGraph, opts: RuleOptions) -> Iterator[Violation]:
    """
    ## What it does
    Reports layers (and nested models) whose class is not one of Keras' built-in classes of any era,
    or whose stored module is not Keras'.

    ## Details
    Keras' classes are those of Keras 1, tf.keras 2 and Keras 3; what is reported are custom layers,
    layers from add-on packages (QKeras, TensorFlow Hub, ...) and subclassed models.

    A class stored with a module of the `keras` package itself (`keras.src.applications.convnext`
    for ConvNeXt's `LayerScale`, `keras.src.ops.numpy` for the `NotEqual` op a `mask_zero`
    Embedding leaves in a functional graph) is not reported: Keras 3 imports it from that module
    and loads the `.keras` file with nothing else installed. Without a stored module (an `.h5`
    file) Keras cannot find it, and it is reported.

    ## Why it matters
    `keras.models.load_model` cannot rebuild such a layer from the file: it fails with
    `Unknown layer` unless the code that defines the class is imported and registered (or passed
    in `custom_objects`). The file alone is not the model; whoever receives it also needs the right
    version of that code. Knowing this before the file is shipped (or deployed) saves a failed
    load in production.

    ## Example
    ```python
    class AttentionPooling(layers.Layer): ...
    x = AttentionPooling()(x)      # saved as class_name "AttentionPooling", module "my_project.layers"
    ```

    ## How to fix
    Ship the defining package with the model and register the class with
    `@keras.saving.register_keras_serializable(package="my_project")`; or express the layer with
    built-in layers. Silence the rule for files you know need their code with `per-file-ignores`.
    """
    for layer in graph.layers:
        for name, cls, module in _classes(layer):
            if dangerous_target(module, cls):
                continue  # not a missing package but an attack: S104 config-import reports it
            if cls not in KNOWN_LAYERS and not _keras_module(module):
                where = f" from module {module!r}" if module else ""
                yield Violation(f"layer {name!r} is of class {cls}{where}, not a built-in Keras class: "
                                "loading it needs that class's code", (layer.name,),
                                pattern=f"layers{where} are not built-in Keras classes: "
                                        "loading them needs their code")
            elif module and not module.split(".")[0] in _KERAS_MODULES:
                yield Violation(f"layer {name!r} is of class {cls} defined in {module!r}, not Keras' own "
                                "class: loading it needs that module", (layer.name,),
                                pattern=f"layers defined in {module!r}, not Keras' own classes: "
                                        "loading them needs that module")


def _keras_module(module: str | None) -> bool:
    """Keras 3 deserializes a class stored with a module of the keras package by importing it
    from that module (keras.src.saving.serialization_lib), so Keras alone loads it."""
    return bool(module) and module.split(".", 1)[0] == "keras"  # type: ignore[union-attr]


def _classes(layer: Layer) -> Iterator[tuple[str, str, str | None]]:
    """(name, class, module) of a layer and of the layers wrapped inside it."""
    walk = layer_classes(layer.class_name, layer.config, layer.module)
    for i, (cls, config, module) in enumerate(walk):
        yield (layer.name if i == 0 else str(config.get("name", cls))), cls, module
