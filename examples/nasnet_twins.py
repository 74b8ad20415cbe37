"""Build Keras' NASNetMobile twice in one process, the second time with a 10-class head, and save
both: the pair the README's `inspect diff` example compares (Keras renumbers every auto-named layer
of the second build). Needs TensorFlow; `weights=None`, so nothing is downloaded. About 30 s.

    python examples/nasnet_twins.py [FOLDER]
"""

from __future__ import annotations

import sys
from pathlib import Path


def main(folder: Path) -> None:
    from inspector.tf_runtime import import_tensorflow_quietly

    import_tensorflow_quietly()  # TensorFlow's start-up lines on stderr say nothing to act on
    import keras

    for name, classes in (("NASNetMobile.keras", 1000), ("NASNetMobile_10_classes.keras", 10)):
        model = keras.applications.NASNetMobile(weights=None, classes=classes)
        model.save(folder / name)
        print(folder / name)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "."))
