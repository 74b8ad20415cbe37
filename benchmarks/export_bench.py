"""Export time: the native converter against tf2onnx (and Keras' own `model.export`).

All sides are whole processes on the same .keras files: a fixture, ResNet50 and MobileNetV2
(weights=None, 224x224). The native converter runs as in the light install: TensorFlow, Keras
and tf2onnx are made unimportable in its process (without_tensorflow.py), and `--verify` there
means onnx.checker plus an onnxruntime run. Then, with TensorFlow: the native export verified
against Keras, `inspect export --converter tf2onnx`, and Keras `model.export(format="onnx")`.
The largest difference is max |native - tf2onnx| of the two ONNX files under onnxruntime on one
random batch, and the largest native-vs-Keras difference the verified run reported. Also
recorded: the ONNX input/output names each produces, since names are what code binds to.

    .venv/bin/python benchmarks/export_bench.py [--runs N]   ->  benchmarks/results/export.md
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    REPO_ROOT,
    bench_env,
    cache_dir,
    inspect_exe,
    machine_description,
    markdown_table,
    measure,
    package_version,
    run_once,
    venv_python,
    write_result,
)

FIXTURE = REPO_ROOT / "fixtures" / "three_outputs_unweighted.keras"
APPLICATIONS = {"ResNet50": "resnet50_logits.keras", "MobileNetV2": "mobilenetv2_logits.keras"}

KERAS_EXPORT = """
import sys
import keras
import numpy as np
model = keras.models.load_model(sys.argv[1], compile=False)
# Keras refuses to export a loaded model that "has never called": call it once on zeros.
x = [np.zeros([1 if d is None else d for d in t.shape], dtype=t.dtype) for t in model.inputs]
model(x if len(x) > 1 else x[0])
model.export(sys.argv[2], format="onnx")
"""

BUILD_APPLICATION = """
import sys
import keras
# logits, not softmax: an untrained model's softmax over 1000 classes is near uniform, and the
# largest difference between two exports would say nothing
model = getattr(keras.applications, sys.argv[1])(weights=None, classifier_activation=None)
model.save(sys.argv[2])
"""


def models() -> list[tuple[str, Path]]:
    """(label, .keras path) for every benchmarked model; applications built once and cached."""
    found = []
    if FIXTURE.exists():
        found.append((f"fixture {FIXTURE.name}", FIXTURE))
    folder = cache_dir("export")
    for name, file in APPLICATIONS.items():
        path = folder / file
        if not path.exists():
            print(f"building {name} (weights=None) -> {path}", file=sys.stderr)
            run_once([venv_python(), "-c", BUILD_APPLICATION, name, str(path)], timeout_s=1800)
        found.append((f"{name} (224x224, weights=None, logits)", path))
    return found


def onnx_names(path: Path) -> str:
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    return (", ".join(i.name for i in model.graph.input) + " → "
            + ", ".join(o.name for o in model.graph.output))


def largest_difference(a: Path, b: Path) -> float:
    """max |a - b| over every output of two ONNX files run by onnxruntime on one random batch."""
    import numpy as np
    import onnxruntime as ort

    first, second = (ort.InferenceSession(str(p), providers=["CPUExecutionProvider"]) for p in (a, b))
    rng = np.random.default_rng(0)
    feeds = {}
    for i in first.get_inputs():
        shape = [2 if not isinstance(d, int) else d for d in i.shape]
        feeds[i.name] = (rng.integers(0, 10, shape).astype(np.int32) if "int" in i.type
                         else rng.standard_normal(shape).astype(np.float32))
    return max(float(np.max(np.abs(x - y))) for x, y in zip(first.run(None, feeds), second.run(None, feeds)))


def reported_difference(report: str) -> str:
    """The largest difference per output that a verified `inspect export` printed."""
    line = next((t for t in report.splitlines() if "largest difference per output" in t), "")
    values = [float(v) for v in re.findall(r" (\d\.\d+e[-+]\d+)", line)]
    return f"{max(values):.1e}" if values else "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="timed runs per command (conversions take minutes)")
    args = parser.parse_args()
    out_dir = cache_dir("export-out")
    env = bench_env()
    light = [venv_python(), str(Path(__file__).resolve().parent / "without_tensorflow.py")]
    rows = []
    load_before = os.getloadavg()[0]
    for label, path in models():
        native = out_dir / f"{path.stem}.native.onnx"
        tf2onnx = out_dir / f"{path.stem}.tf2onnx.onnx"
        keras_out = out_dir / f"{path.stem}.keras-export.onnx"
        print(f"{label}: native, checked, no TensorFlow", file=sys.stderr)
        checked = measure([*light, "export", str(path), "-o", str(native), "--converter", "native"],
                          runs=args.runs, warmup=1, env=env, timeout_s=600)
        if "no Keras reference was available" not in checked.runs[0].stdout:
            raise SystemExit(f"{label}: the light run imported TensorFlow after all")
        print(f"{label}: native, verified against Keras", file=sys.stderr)
        against_keras = run_once([inspect_exe(), "export", str(path), "-o", str(native), "--converter", "native"],
                                 env=env, timeout_s=1800)
        print(f"{label}: tf2onnx", file=sys.stderr)
        other = measure([inspect_exe(), "export", str(path), "-o", str(tf2onnx), "--converter", "tf2onnx",
                         "--no-verify"], runs=args.runs, warmup=0, env=env, timeout_s=1800)
        print(f"{label}: keras model.export", file=sys.stderr)
        keras_run = measure([venv_python(), "-c", KERAS_EXPORT, str(path), str(keras_out)],
                            runs=args.runs, warmup=0, env=env, timeout_s=1800)
        rows.append([
            label,
            f"{checked.median_s:.1f} ({checked.median_cpu_s:.1f})",
            f"{checked.peak_mib:.0f}",
            f"{other.median_s:.1f} ({other.median_cpu_s:.1f})",
            f"{other.peak_mib:.0f}",
            f"{keras_run.median_s:.1f} ({keras_run.median_cpu_s:.1f})",
            f"{keras_run.peak_mib:.0f}",
            f"{largest_difference(native, tf2onnx):.1e}",
            reported_difference(against_keras.stdout),
            f"{against_keras.wall_s:.1f}",
            f"`{onnx_names(native)}`",
            f"`{onnx_names(keras_out)}`",
        ])
    table = markdown_table(
        ["Model", "native, checked, no TF: wall s (CPU s)", "peak MiB", "tf2onnx --no-verify: wall s (CPU s)",
         "peak MiB", "Keras model.export: wall s (CPU s)", "peak MiB", "largest difference, native vs tf2onnx",
         "largest difference, native vs Keras", "native verified vs Keras: wall s", "ONNX names, inspect", "ONNX names, Keras"],
        rows,
    )
    text = (
        "# Export to ONNX: the native converter vs tf2onnx and Keras `model.export(format=\"onnx\")`\n\n"
        "Whole processes (Python start, imports, loading, conversion), median of "
        f"{args.runs} run(s) each, on {machine_description()} (load average {load_before:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} at the end); wall seconds, and in brackets the "
        "process's user+system CPU seconds, which stay meaningful when other work shares the cores; "
        f"TensorFlow {package_version('tensorflow')}, Keras {package_version('keras')}, "
        f"tf2onnx {package_version('tf2onnx')}, onnx {package_version('onnx')}, onnxruntime "
        f"{package_version('onnxruntime')}. *Native, checked, no TF*: `inspect export --converter native` "
        "with TensorFlow, Keras and tf2onnx unimportable (the light install), including its check "
        "(onnx.checker full check, onnxruntime on batch sizes 1, 3 and 8). *Largest difference*: the largest absolute difference "
        "of any output, native vs tf2onnx on one random batch of 2, and native vs Keras as the same export "
        "verified against Keras reported (a separate run that imports TensorFlow). "
        "Reproduce: `.venv/bin/python benchmarks/export_bench.py`.\n\n"
        + table
    )
    target = write_result("export.md", text)
    print(text)
    print(f"wrote {target}", file=sys.stderr)


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    main()
