"""Export time: `inspect export` against Keras' own `model.export(path, format="onnx")`.

Both sides are whole processes (interpreter start, TensorFlow import, load, convert), on the same
.keras files: a fixture, ResNet50 and MobileNetV2 (weights=None, 224x224). `inspect export` is
timed without and with its verification (which Keras' export does not do), so the table shows
what the conversion costs and what parity checking adds. Also recorded: the ONNX input/output
names each produces, since names are what downstream code binds to.

    .venv/bin/python benchmarks/export_bench.py [--runs N]   ->  benchmarks/results/export.md
"""

from __future__ import annotations

import argparse
import os
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
APPLICATIONS = {"ResNet50": "resnet50.keras", "MobileNetV2": "mobilenetv2.keras"}

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
model = getattr(keras.applications, sys.argv[1])(weights=None)
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
        found.append((f"{name} (224x224, weights=None)", path))
    return found


def onnx_names(path: Path) -> str:
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    return (", ".join(i.name for i in model.graph.input) + " → "
            + ", ".join(o.name for o in model.graph.output))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="timed runs per command (conversions take minutes)")
    args = parser.parse_args()
    out_dir = cache_dir("export-out")
    env = bench_env()
    rows = []
    for label, path in models():
        ours = out_dir / f"{path.stem}.inspect.onnx"
        keras_out = out_dir / f"{path.stem}.keras-export.onnx"
        print(f"{label}: inspect export --no-verify", file=sys.stderr)
        plain = measure([inspect_exe(), "export", str(path), "-o", str(ours), "--no-verify"],
                        runs=args.runs, warmup=0, env=env, timeout_s=1800)
        print(f"{label}: inspect export (verify)", file=sys.stderr)
        verified = measure([inspect_exe(), "export", str(path), "-o", str(ours)],
                           runs=args.runs, warmup=0, env=env, timeout_s=1800)
        print(f"{label}: keras model.export", file=sys.stderr)
        keras_run = measure([venv_python(), "-c", KERAS_EXPORT, str(path), str(keras_out)],
                            runs=args.runs, warmup=0, env=env, timeout_s=1800)
        rows.append([
            label,
            f"{plain.median_s:.1f} ({plain.median_cpu_s:.1f})",
            f"{verified.median_s:.1f} ({verified.median_cpu_s:.1f})",
            f"{keras_run.median_s:.1f} ({keras_run.median_cpu_s:.1f})",
            f"{keras_run.median_cpu_s / plain.median_cpu_s:.2f}×",
            f"{plain.peak_mib:.0f} / {keras_run.peak_mib:.0f}",
            f"`{onnx_names(ours)}`",
            f"`{onnx_names(keras_out)}`",
        ])
    table = markdown_table(
        ["Model", "inspect export --no-verify: wall s (CPU s)", "inspect export, verified", "Keras model.export",
         "Keras / inspect (CPU)", "peak RSS MiB (inspect / Keras)", "ONNX names, inspect", "ONNX names, Keras"],
        rows,
    )
    text = (
        "# Export to ONNX: `inspect export` vs Keras `model.export(format=\"onnx\")`\n\n"
        "Whole processes (Python start, TensorFlow import, loading, conversion), median of "
        f"{args.runs} run(s) each, on {machine_description()}; wall seconds, and in brackets the "
        "process's user+system CPU seconds, which stay meaningful when other work shares the cores; "
        f"TensorFlow {package_version('tensorflow')}, "
        f"Keras {package_version('keras')}, tf2onnx {package_version('tf2onnx')}, onnxruntime "
        f"{package_version('onnxruntime')}. Verified = onnx.checker full check plus onnxruntime vs "
        "Keras on batch sizes 1, 3 and 8. Reproduce: `.venv/bin/python benchmarks/export_bench.py`.\n\n"
        + table
    )
    target = write_result("export.md", text)
    print(text)
    print(f"wrote {target}", file=sys.stderr)


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    main()
