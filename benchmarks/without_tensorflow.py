"""Run `inspect ARGS...` as in the light install: TensorFlow, Keras, tf_keras and tf2onnx cannot be
imported in this process (each import raises ModuleNotFoundError, as when they are not installed).

    .venv/bin/python benchmarks/without_tensorflow.py export model.keras -o model.onnx
"""

from __future__ import annotations

import sys

ABSENT = ("tensorflow", "keras", "tf_keras", "tf2onnx")


class Absent:
    """A meta path finder that answers for the absent packages before any other finder."""

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ABSENT:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)


if __name__ == "__main__":
    sys.meta_path.insert(0, Absent())
    from inspector.cli import main

    sys.argv = ["inspect", *sys.argv[1:]]
    main()
