"""The human-readable export report: what went in, what came out, and how close they agree."""

from __future__ import annotations

from inspector.export.common import ExportResult, TensorInfo


def format_report(result: ExportResult) -> str:
    head = f"Exported {result.source} -> {result.output} (opset {result.opset}, {_size(result.size_bytes)}"
    lines = [f"{head}, {result.converter} converter)"]
    if result.fallback:
        lines.append(f"Not converted natively: {result.fallback}; converted with tf2onnx instead")
    if result.how == "legacy":
        lines.append(f"Keras 3 could not load the file as it is: {result.keras_error}")
        lines.append("Translated the stored config, rebuilt the model, set the weights layer by layer:")
        lines += [f"  - {t}" for t in result.translations]
    lines.append("Inputs:")
    lines += [f"  {_tensor(t)}" for t in result.inputs]
    lines.append("Outputs:")
    lines += [f"  {_tensor(t)}" for t in result.outputs]
    lines.append("Metadata: " + ", ".join(f"{k}={v}" for k, v in result.metadata.items() if k != "translations"))
    v = result.verification
    if v is None:
        lines.append("Verification: skipped (--no-verify)")
    else:
        ints = f" (integer inputs in [0, {v.int_range}))" if v.int_range else ""
        if v.reference:
            lines.append(f"Verification: onnx.checker (full_check) {v.checker}; onnxruntime vs {v.reference} on random "
                         f"inputs{ints}:")
        else:
            lines.append(f"Verification: onnx.checker (full_check) {v.checker}; onnxruntime run on random inputs{ints}; "
                         f"no Keras reference was available: {v.no_reference}")
        for run in v.runs:
            shapes = ", ".join(f"{n}{_dims(s)}" for n, s in run.input_shapes.items())
            if run.error:
                lines.append(f"  {shapes}: FAILED {run.error}")
            elif v.reference:
                diffs = ", ".join(f"{n} {d:.2e}" for n, d in run.max_abs_diff.items())
                lines.append(f"  {shapes}: max |diff| {diffs}")
            else:
                outs = ", ".join(f"{n}{_dims(s)}" for n, s in (run.output_shapes or {}).items())
                lines.append(f"  {shapes}: ran, finite outputs {outs}")
        verdict = "PASSED" if v.passed else "FAILED"
        if v.reference:
            worst = ", ".join(f"{n} {d:.2e}" for n, d in v.max_abs_diff.items())
            lines.append(f"  {verdict}: largest difference per output {worst or '-'} (tolerance {v.tolerance:g})")
        else:
            lines.append(f"  {verdict}: the graph is valid and runs; its numbers were not compared with Keras")
        lines += [f"  - {f}" for f in v.failures]
    times = ", ".join(f"{k} {s:.1f} s" for k, s in result.seconds.items())
    lines.append(f"Time: {times}")
    return "\n".join(lines) + "\n"


def _tensor(t: TensorInfo) -> str:
    return f"{t.name}: {t.dtype}[{', '.join('?' if d is None else str(d) for d in t.shape)}]"


def _dims(shape: tuple[int, ...]) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MiB" if n >= 1024 * 1024 else f"{n / 1024:.1f} KiB"
