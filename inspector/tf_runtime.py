"""Importing TensorFlow for the few jobs that must run a model (builders, --data, export).

TensorFlow's native libraries write pages of INFO and WARNING lines to file descriptor 2 while
they load, before any log level applies; a user can act on none of them, and they bury the one
line of output that matters. So TensorFlow (and tf2onnx) is imported once with stderr muted.
"""

from __future__ import annotations

import logging
import os
import sys


def import_tensorflow_quietly(*extra: str) -> None:
    """Import tensorflow (and the named modules, e.g. "tf2onnx") with native logs muted."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    missing = [name for name in ("tensorflow", *extra) if name not in sys.modules]
    if missing:
        sys.stderr.flush()
        saved = os.dup(2)
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
        try:
            for name in missing:
                __import__(name)
        finally:
            os.dup2(saved, 2)
            os.close(saved)
    for name in ("tf2onnx", "tensorflow", "absl"):
        logging.getLogger(name).setLevel(logging.ERROR)
