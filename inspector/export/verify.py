"""Check an exported ONNX model against the Keras model it came from, on the same random inputs.

A conversion that passes the ONNX checker can still compute something else (a transposed kernel,
a wrong axis, a batch or sequence dimension frozen to the traced size). So both run on several
batch sizes and, where a dimension besides the batch is dynamic, two lengths, and the largest
absolute difference per output is reported; the caller fails above the tolerance.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from inspector.errors import one_line

BATCH_SIZES = (1, 3, 8)
LENGTHS = (7, 19)  # two lengths for every dynamic non-batch dimension
DEFAULT_VOCAB = 10  # integer inputs feeding no Embedding


@dataclass(frozen=True)
class Run:
    batch: int
    input_shapes: Mapping[str, tuple[int, ...]]
    max_abs_diff: Mapping[str, float]  # output name -> largest |keras - onnxruntime|
    error: str | None = None  # a run that could not compare (shapes differ, a runtime refused)


@dataclass(frozen=True)
class Verification:
    checker: str  # "passed", or the checker's one-line complaint
    tolerance: float
    runs: tuple[Run, ...]
    int_range: int | None  # integer inputs were drawn from [0, int_range)
    runtime_error: str | None = None  # onnxruntime refused to load the model: nothing ran

    @property
    def max_abs_diff(self) -> dict[str, float]:
        worst: dict[str, float] = {}
        for run in self.runs:
            for name, diff in run.max_abs_diff.items():
                worst[name] = max(worst.get(name, 0.0), diff)
        return worst

    @property
    def failures(self) -> list[str]:
        """One line per reason this export does not match Keras; empty when it does."""
        problems = [] if self.checker == "passed" else [f"onnx.checker: {self.checker}"]
        if self.runtime_error:
            problems.append(f"onnxruntime cannot load the exported model: {self.runtime_error}")
        problems += [f"batch {r.batch}: {r.error}" for r in self.runs if r.error]
        problems += [
            f"output {name!r} differs from Keras by {diff:.3g} (tolerance {self.tolerance:g})"
            for name, diff in self.max_abs_diff.items()
            if not diff <= self.tolerance  # NaN fails too
        ]
        return problems

    @property
    def passed(self) -> bool:
        return not self.failures


def verify_onnx(model: Any, proto: Any, input_names: list[str], output_names: list[str],
                tolerance: float = 1e-4, seed: int = 0) -> Verification:
    import numpy as np
    import onnx
    import onnxruntime as ort

    from inspector.export.onnx_export import call_model, io_names

    try:
        onnx.checker.check_model(proto, full_check=True)
        checker = "passed"
    except Exception as exc:  # noqa: BLE001 - onnx raises ValidationError, InferenceError and more
        checker = one_line(exc)
    options = ort.SessionOptions()
    options.log_severity_level = 3
    try:
        session = ort.InferenceSession(proto.SerializeToString(), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # noqa: BLE001 - a runtime that refuses the model fails verification
        return Verification(checker, tolerance, (), None, f"{type(exc).__name__}: {one_line(exc)}")
    onnx_inputs = {i.name: i for i in session.get_inputs()}
    inputs, _, _, _ = io_names(model)
    vocab = _smallest_vocab(model)
    rng = np.random.default_rng(seed)
    dynamic = any(d is None for t in inputs for d in tuple(t.shape)[1:])
    plans = [(b, LENGTHS[0]) for b in BATCH_SIZES] + ([(BATCH_SIZES[1], LENGTHS[1])] if dynamic else [])
    int_range = None
    runs = []
    for batch, length in plans:
        feeds = []
        for tensor, name in zip(inputs, input_names):
            shape = tuple(batch if i == 0 else (length if d is None else int(d))
                          for i, d in enumerate(tuple(tensor.shape)))
            dtype = np.dtype(_np_dtype(onnx_inputs[name].type) if name in onnx_inputs else "float32")
            if dtype.kind in "iu":
                int_range = vocab or DEFAULT_VOCAB
                feeds.append(rng.integers(0, int_range, size=shape).astype(dtype))
            elif dtype.kind == "b":
                feeds.append(rng.integers(0, 2, size=shape).astype(bool))
            else:
                feeds.append(rng.standard_normal(shape).astype(dtype))
        shapes = {n: tuple(a.shape) for n, a in zip(input_names, feeds)}
        try:
            expected = [np.asarray(o) for o in call_model(model, feeds)]
            got = session.run(output_names, dict(zip(input_names, feeds)))
        except Exception as exc:  # noqa: BLE001 - a run either side refused is a failed check
            runs.append(Run(batch, shapes, {}, f"{type(exc).__name__}: {one_line(exc)}"))
            continue
        diffs, error = {}, None
        for name, want, have in zip(output_names, expected, got):
            if want.shape != have.shape:
                error = f"output {name!r} has shape {have.shape} in ONNX but {want.shape} in Keras"
                break
            diffs[name] = float(np.max(np.abs(want.astype(np.float64) - have.astype(np.float64)))) if want.size else 0.0
        runs.append(Run(batch, shapes, diffs, error))
    return Verification(checker, tolerance, tuple(runs), int_range)


def _smallest_vocab(model: Any) -> int | None:
    """The smallest Embedding vocabulary anywhere in the model, so random ids are valid for all."""
    sizes = [int(layer.input_dim) for layer in _all_layers(model) if type(layer).__name__ == "Embedding"]
    return min(sizes) if sizes else None


def _all_layers(layer: Any, seen: set[int] | None = None):
    seen = set() if seen is None else seen
    for child in list(getattr(layer, "layers", ()) or ()) + [getattr(layer, "layer", None)]:
        if child is None or id(child) in seen:
            continue
        seen.add(id(child))
        yield child
        yield from _all_layers(child, seen)


def _np_dtype(onnx_type: str) -> str:
    """onnxruntime's `tensor(int32)` as numpy's `int32`."""
    name = onnx_type.removeprefix("tensor(").removesuffix(")")
    return {"float": "float32", "double": "float64", "float16": "float16"}.get(name, name)
