"""ONNX shape inference in a forked child, so that its crashes cannot take `inspect` down.

Shape inference is the onnx library's C++, and it trusts what it computes: a convolution whose
kernel is larger than its input gives a negative dimension, and a Slice after it asserts in
`std::clamp` and aborts the process (SIGABRT, onnx/onnx#8481, onnx 1.21 to 1.23). No check of
the file can foresee every such path, so inference runs in a fork of this process (no new
interpreter, no second parse: the child starts with the model already in memory) and sends back
only the value infos it computed. A child that crashes or hangs leaves those shapes unknown, with
a note. Where there is no fork (Windows), inference runs in-process.
"""

from __future__ import annotations

import os
import select
import signal
import time

TIMEOUT = 60.0  # seconds inference may take before its shapes are given up as unknown


def inferred_value_infos(model, timeout: float = TIMEOUT):
    """(a ModelProto holding only the graph's inputs, outputs and value infos after inference,
    None) or (None, why it is missing: None when inference merely refused the model)."""
    if not hasattr(os, "fork"):
        try:
            return _types_only(_infer(model)), None
        except Exception:  # noqa: BLE001 - inference is best effort: unknown shapes stay unknown
            return None, None
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: infer, write, and leave without running any cleanup of the parent's
        code = 3
        try:
            os.close(read_fd)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 2)  # an assertion's message is the parent's to summarize, in a note
            data = _types_only(_infer(model)).SerializeToString()
            with os.fdopen(write_fd, "wb") as out:
                out.write(data)
            code = 0
        finally:
            os._exit(code)
    os.close(write_fd)
    data, finished = _read_all(read_fd, timeout)
    if not finished:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    if not finished:
        return None, f"it did not finish within {timeout:g} s"
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        name = signal.Signals(number).name if number in signal.valid_signals() else "?"
        return None, f"it crashed (signal {number}, {name})"
    if os.WEXITSTATUS(status) != 0:
        return None, None
    from onnx import ModelProto

    return ModelProto.FromString(data), None


def _infer(model):
    from onnx import shape_inference

    return shape_inference.infer_shapes(model, strict_mode=False)


def _types_only(model):
    """The model without nodes or initializers: what the parent reads back, whatever the size of
    the weights."""
    from onnx import ModelProto

    out = ModelProto()
    out.graph.input.extend(model.graph.input)
    out.graph.output.extend(model.graph.output)
    out.graph.value_info.extend(model.graph.value_info)
    return out


def _read_all(fd: int, timeout: float) -> tuple[bytes, bool]:
    """Everything written to `fd` until it closes, and whether it closed within `timeout`."""
    chunks = []
    deadline = time.monotonic() + timeout
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return b"", False
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return b"".join(chunks), True
            chunks.append(chunk)
    finally:
        os.close(fd)
