"""Check an exported ONNX model with onnx.checker and onnxruntime, against Keras when it can.

A conversion that passes the ONNX checker can still compute something else (a transposed kernel,
a wrong axis, a batch or sequence dimension frozen to the traced size). So the export runs on
several batch sizes and, where a dimension besides the batch is dynamic, two lengths chosen by
shape inference (inspector.export.probe), and the largest absolute difference per output from
the reference (Keras) is reported; the caller fails above the tolerance. Without a reference
(no TensorFlow installed) the checker, onnxruntime's run and finite outputs are all there is to
check, and the report says so.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inspector.errors import one_line
from inspector.graph import ModelGraph

DEFAULT_VOCAB = 10  # integer inputs feeding no Embedding


@dataclass(frozen=True)
class Run:
    batch: int
    input_shapes: Mapping[str, tuple[int, ...]]
    max_abs_diff: Mapping[str, float]  # output name -> largest |keras - onnxruntime| (empty: no reference)
    error: str | None = None  # a run that could not compare (shapes differ, a runtime refused)
    output_shapes: Mapping[str, tuple[int, ...]] = None  # type: ignore[assignment]


@dataclass(frozen=True)
class Verification:
    checker: str  # "passed", or the checker's one-line complaint
    tolerance: float
    runs: tuple[Run, ...]
    int_range: int | None  # integer inputs were drawn from [0, int_range)
    runtime_error: str | None = None  # onnxruntime refused to load the model: nothing ran
    reference: str | None = "Keras"  # what the outputs were compared with; None: nothing
    no_reference: str | None = None  # why there was no reference

    @property
    def max_abs_diff(self) -> dict[str, float]:
        worst: dict[str, float] = {}
        for run in self.runs:
            for name, diff in run.max_abs_diff.items():
                prev = worst.get(name, 0.0)
                worst[name] = diff if math.isnan(diff) or diff > prev else prev  # a NaN stays (max() drops it)
        return worst

    @property
    def failures(self) -> list[str]:
        """One line per reason this export does not match Keras; empty when it does."""
        problems = [] if self.checker == "passed" else [f"onnx.checker: {self.checker}"]
        if self.runtime_error:
            problems.append(f"onnxruntime cannot load the exported model: {self.runtime_error}")
        problems += [f"batch {r.batch}: {r.error}" for r in self.runs if r.error]
        problems += [
            f"output {name!r} differs from {self.reference} by {diff:.3g} (tolerance {self.tolerance:g})"
            for name, diff in self.max_abs_diff.items()
            if not diff <= self.tolerance  # NaN fails too
        ]
        return problems

    @property
    def passed(self) -> bool:
        return not self.failures


def keras_reference(model: Any) -> Callable[[list], list]:
    """Flat inputs -> flat numpy outputs of a live Keras model."""
    import numpy as np

    from inspector.export.common import call_model

    return lambda feeds: [np.asarray(o) for o in call_model(model, feeds)]


def verify_onnx(proto: Any, input_names: Sequence[str], output_names: Sequence[str], probes: Sequence[Any],
                reference: Callable[[list], list] | None, tolerance: float = 1e-4, vocab: int | None = None,
                no_reference: str | None = None, padded: bool = False, seed: int = 0) -> Verification:
    """Check `proto` (a ModelProto, or the path of the file written) and run it on every probe (inspector.export.probe.Probe); compare with
    `reference` (flat inputs -> flat outputs) when there is one. `padded`: integer sequences
    are ids from 1 padded with zeros at the end, as batches for Embedding(mask_zero=True) are."""
    import numpy as np
    import onnx
    import onnxruntime as ort

    # a written file is checked and opened from disk: a large model is not serialized again
    source = str(proto) if isinstance(proto, (str, Path)) else proto
    try:
        onnx.checker.check_model(source, full_check=True)
        checker = "passed"
    except Exception as exc:  # noqa: BLE001 - onnx raises ValidationError, InferenceError and more
        checker = one_line(exc)
    label = "Keras" if reference is not None else None
    options = ort.SessionOptions()
    options.log_severity_level = 3
    try:
        session = ort.InferenceSession(source if isinstance(source, str) else proto.SerializeToString(), options,
                                       providers=["CPUExecutionProvider"])
    except Exception as exc:  # noqa: BLE001 - a runtime that refuses the model fails verification
        return Verification(checker, tolerance, (), None, f"{type(exc).__name__}: {one_line(exc)}", label,
                            no_reference)
    onnx_inputs = {i.name: i for i in session.get_inputs()}
    rng = np.random.default_rng(seed)
    int_range = None
    runs = []
    for probe in probes:
        feeds = []
        for name in input_names:
            shape = probe.shapes[name]
            dtype = np.dtype(_np_dtype(onnx_inputs[name].type) if name in onnx_inputs else "float32")
            if dtype.kind in "iu":
                int_range = vocab or DEFAULT_VOCAB
                ids = rng.integers(1 if padded else 0, int_range, size=shape)
                if padded and len(shape) == 2:
                    lengths = rng.integers(1, shape[1] + 1, size=shape[0])
                    ids[np.arange(shape[1])[None, :] >= lengths[:, None]] = 0
                feeds.append(ids.astype(dtype))
            elif dtype.kind == "b":
                feeds.append(rng.integers(0, 2, size=shape).astype(bool))
            else:
                feeds.append(rng.standard_normal(shape).astype(dtype))
        shapes = {n: tuple(a.shape) for n, a in zip(input_names, feeds)}
        try:
            got = session.run(list(output_names), dict(zip(input_names, feeds)))
            expected = reference(feeds) if reference is not None else None
        except Exception as exc:  # noqa: BLE001 - a run either side refused is a failed check
            runs.append(Run(probe.batch, shapes, {}, f"{type(exc).__name__}: {one_line(exc)}"))
            continue
        out_shapes = {n: tuple(a.shape) for n, a in zip(output_names, got)}
        diffs, error = {}, None
        broken = [n for n, have in zip(output_names, got) if have.dtype.kind == "f" and not np.all(np.isfinite(have))]
        if broken:
            many = len(broken) > 1
            error = f"output{'s' if many else ''} {', '.join(map(repr, broken))} hold{'' if many else 's'} NaN or infinity"
            if expected is not None and all(
                    not np.all(np.isfinite(want)) for name, want in zip(output_names, expected) if name in broken):
                # the export is faithful: the model itself computes them (e.g. weights saved after
                # training diverged), which is what the user needs to hear
                error += ", and so do Keras' own on the same inputs: the model in the file computes them"
        for name, want, have in zip(output_names, expected or [], got):
            if want.shape != have.shape:
                error = f"output {name!r} has shape {have.shape} in ONNX but {want.shape} in Keras"
                break
            diffs[name] = _max_abs_diff(np, want, have) if want.size else 0.0
        runs.append(Run(probe.batch, shapes, diffs, error, out_shapes))
    return Verification(checker, tolerance, tuple(runs), int_range, None, label, no_reference)


def _max_abs_diff(np: Any, want: Any, have: Any) -> float:
    """The largest |Keras - ONNX|, where the same NaN or infinity on both sides agrees and a
    non-finite value on one side only is a NaN difference."""
    want, have = want.astype(np.float64), have.astype(np.float64)
    agree = (np.isnan(want) & np.isnan(have)) | (np.isinf(want) & (want == have))
    with np.errstate(invalid="ignore"):
        diff = np.abs(want - have)
    diff[agree] = 0.0
    return float(np.nan) if np.isnan(diff).any() else float(np.max(diff))


def smallest_vocab(graph: ModelGraph) -> int | None:
    """The smallest Embedding vocabulary anywhere in the model, so random ids are valid for all."""
    sizes = []
    for _, layer in graph.walk():
        if layer.class_name == "Embedding":
            try:
                sizes.append(int(layer.config["input_dim"]))
            except (KeyError, TypeError, ValueError):
                continue
    return min(sizes) if sizes else None


def masks_zero(graph: ModelGraph) -> bool:
    """Whether some Embedding treats id 0 as padding (mask_zero=True)."""
    return any(layer.class_name == "Embedding" and layer.config.get("mask_zero") for _, layer in graph.walk())


def _np_dtype(onnx_type: str) -> str:
    """onnxruntime's `tensor(int32)` as numpy's `int32`."""
    name = onnx_type.removeprefix("tensor(").removesuffix(")")
    return {"float": "float32", "double": "float64", "float16": "float16"}.get(name, name)
