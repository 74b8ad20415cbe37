"""Optional dependencies: which extra installs each, and the one line a missing one is reported as.

The light install reads every model file; TensorFlow (builders, `--data`, the tf2onnx route,
verification against Keras) and onnx/onnxruntime/tf2onnx (ONNX files, export) are extras. A
command that reaches one of them while it is not installed is the user's set-up, not a bug: the
CLI's error guard and the lint run both turn the ModuleNotFoundError into one `InspectorError`
here, so every path says the same thing without a try/except at each import.
"""

from __future__ import annotations

import importlib.util

from inspector.errors import InspectorError

EXTRAS: dict[str, str] = {  # top-level module -> the extra of keras-inspector that installs it
    "tensorflow": "tf",
    "keras": "tf",
    "tf_keras": "tf",
    "tensorboard": "tf",
    "onnx": "onnx",
    "onnxruntime": "onnx",
    "tf2onnx": "onnx",
}
# Dependencies of every install: missing only from a broken environment, installed by name.
REQUIRED: dict[str, str] = {"h5py": "h5py", "numpy": "numpy", "click": "click",
                            "tomli": "tomli"}
NAMES = {"tensorflow": "TensorFlow", "keras": "Keras", "tf_keras": "tf_keras"}

TF_EXTRA = "pip install 'keras-inspector[tf,onnx]'"  # the tf2onnx route: TensorFlow and tf2onnx


class MissingDependency(InspectorError):
    """An optional (or required) package that is not installed: one line naming what installs it."""


def install_line(module: str) -> str:
    """`pip install 'keras-inspector[tf]'` for an extra's module, `pip install h5py` for a dependency."""
    top = module.split(".")[0]
    if top in EXTRAS:
        return f"pip install 'keras-inspector[{EXTRAS[top]}]'"
    return f"pip install {REQUIRED.get(top, top)}"


def installed(*modules: str) -> bool:
    """Whether every module can be imported, without importing any."""
    try:
        return all(importlib.util.find_spec(name) is not None for name in modules)
    except (ImportError, ValueError):
        return False


def missing_dependency(exc: BaseException, path: str | None = None) -> MissingDependency | None:
    """The one-line error for `exc` when it is the import of a package of ours that is not
    installed (None for anything else: a module of the user's, or a bug)."""
    name = getattr(exc, "name", None) if isinstance(exc, ModuleNotFoundError) else None
    top = name.split(".")[0] if isinstance(name, str) else None
    if top not in EXTRAS and top not in REQUIRED:
        return None
    what = NAMES.get(top, f"the {top} package")
    dependency = "" if top in EXTRAS else ", a dependency of keras-inspector"
    return MissingDependency(path, f"this needs {what}{dependency}, which is not installed: {install_line(top)}")
