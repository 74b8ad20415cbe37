"""`inspect lint` as a whole process: ResNet50 beside Keras' own load_model, and generated models
of 1,000 / 5,000 / 10,000 layers to show how time grows with size.

ResNet50 (keras.applications, weights=None) is saved once as .keras into a cache folder; the deep
models are architecture JSON written without TensorFlow (benchmarks/generate_deep.py). Reported:
median wall time of several runs after a warm-up, and peak RSS of each child process.

    .venv/bin/python benchmarks/lint_bench.py                 # writes benchmarks/results/lint.md
    .venv/bin/python benchmarks/lint_bench.py --runs 1 --sizes 1000 --out /tmp/lint.md
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
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
from generate_deep import write_deep

BUILD_RESNET = """
import sys, keras
keras.applications.ResNet50(weights=None).save(sys.argv[1])
"""
LOAD_KERAS = """
import sys, keras
keras.models.load_model(sys.argv[1], compile=False)
"""


def resnet_file() -> Path:
    path = cache_dir(f"lint-keras-{package_version('keras')}") / "ResNet50.keras"
    if not path.exists():
        print(f"building {path} (once) ...", flush=True)
        run_once([venv_python(), "-c", BUILD_RESNET, str(path)], timeout_s=1800)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keras-runs", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 10000])
    parser.add_argument("--out", type=Path, default=None, help="write here instead of results/lint.md")
    args = parser.parse_args(argv)

    lint = [inspect_exe(), "lint", "--exit-zero"]
    rows = []
    resnet = resnet_file()
    m = measure([*lint, str(resnet)], runs=args.runs)
    k = measure([venv_python(), "-c", LOAD_KERAS, str(resnet)], runs=args.keras_runs)
    rows.append(["ResNet50 .keras (177 layers)", "inspect lint", f"{m.median_s:.2f}", f"{m.peak_mib:.0f}"])
    rows.append(["ResNet50 .keras (177 layers)", "keras load_model(compile=False)", f"{k.median_s:.2f}",
                 f"{k.peak_mib:.0f}"])
    folder = cache_dir("lint-deep")
    per_layer = []
    for n in args.sizes:
        path = folder / f"deep_{n}.json"
        if not path.exists():
            write_deep(n, path)
        d = measure([*lint, str(path)], runs=args.runs)
        rows.append([f"generated, {n:,} layers (.json)", "inspect lint", f"{d.median_s:.2f}", f"{d.peak_mib:.0f}"])
        per_layer.append((n, d.median_s))
    startup = measure([inspect_exe(), "--version"], runs=args.runs)

    lines = [
        "# inspect lint: speed and memory",
        "",
        (f"Measured {dt.date.today().isoformat()} on {machine_description()}; keras "
        f"{package_version('keras')}, tensorflow {package_version('tensorflow')}. Whole processes "
        f"(interpreter start + imports + work), median of {args.runs} runs after a warm-up "
        f"(Keras: {args.keras_runs}); peak RSS of the child process."),
        "",
        markdown_table(["model", "command", "median s", "peak RSS MiB"], rows),
        f"`inspect --version` alone (interpreter and click start-up): {startup.median_s:.2f} s.",
        "",
        "Time per 1,000 layers above start-up (linear growth keeps this constant):",
        "",
        markdown_table(["layers", "s per 1,000 layers"],
                       [[f"{n:,}", f"{(s - startup.median_s) / n * 1000:.3f}"] for n, s in per_layer]),
        ("lint reads only model metadata: no weight array is read and TensorFlow is never imported "
        "(tests/test_lint_cli.py checks both in a fresh interpreter)."),
        "",
    ]
    text = "\n".join(lines)
    if args.out:
        args.out.write_text(text)
    else:
        write_result("lint.md", text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
