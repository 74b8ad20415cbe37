"""Errors a user can cause. Each carries the path and a one-line reason; the CLI prints
`inspect: error: PATH: reason` and exits 2. Anything else escaping is a bug."""

from __future__ import annotations


class InspectorError(Exception):
    """A problem with the user's input, reported in one line."""

    def __init__(self, path: str | None, reason: str):
        self.path = str(path) if path is not None else None
        self.reason = reason
        super().__init__(f"{self.path}: {reason}" if self.path else reason)


class LoadError(InspectorError):
    """A file or directory that cannot be read as a model."""


class UnsupportedError(LoadError):
    """A model that is readable but uses something this tool does not support."""


class UsageError(InspectorError):
    """A bad option or argument."""


def one_line(exc: BaseException) -> str:
    """The first line of an exception's message (its type name when it has none): what a user
    is shown of an error raised by h5py, Keras, onnx or their own code."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def internal_error(exc: BaseException) -> str:
    """The one line a bug is reported as, never a traceback (the CLI's guard, the lint run)."""
    return f"internal error {type(exc).__name__}: {one_line(exc)} (a bug in keras-inspector: please report it)"
