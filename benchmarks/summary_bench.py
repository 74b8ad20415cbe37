"""`inspect summary` against Keras' own `load_model(..., compile=False)` + `model.summary()`.

Both sides run as whole processes, as a user would run them, on the same files: ResNet50 and
NASNetMobile from keras.applications (weights=None, default 224x224x3 input), each saved once as
.keras and as legacy .h5 into a cache folder outside the repository. Reported per file: median
wall time of several runs after one warm-up, the speed-up, and each side's peak RSS. Both
outputs are parsed for "Total params" and must agree, so a fast but wrong summary cannot pass.

    .venv/bin/python benchmarks/summary_bench.py            # full run, writes results/summary.md
    .venv/bin/python benchmarks/summary_bench.py --files fixtures/dense_functional.keras \\
        --runs 1 --keras-runs 1 --warmup 0 --out /tmp/summary.md   # a quick check
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

# benchmarks/ is a folder of scripts, not a package: make `common` importable from anywhere.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    BenchmarkError,
    Measurement,
    bench_env,
    cache_dir,
    git_commit,
    inspect_exe,
    machine_description,
    markdown_table,
    measure,
    package_version,
    run_once,
    venv_python,
    write_result,
)

MODELS = ("ResNet50", "NASNetMobile")
FORMATS = ("keras", "h5")
# The targets: speed-up over Keras per format, and inspect's peak memory.
SPEEDUP_TARGET = {"keras": 20.0, "h5": 10.0}
PEAK_TARGET_MIB = 100.0

KERAS_SUMMARY = (
    "import sys, keras; "
    "m = keras.models.load_model(sys.argv[1], compile=False); m.summary()"
)

BUILD_MODELS = """
import sys, warnings
from pathlib import Path
import keras
warnings.filterwarnings("ignore")
out = Path(sys.argv[1])
for name in sys.argv[2:]:
    model = getattr(keras.applications, name)(weights=None)
    for fmt in ("keras", "h5"):
        target = out / f"{name}.{fmt}"
        if not target.exists():
            tmp = target.with_name(f"tmp-{target.name}")
            model.save(tmp)
            tmp.replace(target)
    print(name, model.count_params(), flush=True)
"""

TOTAL_RE = re.compile(r"Total params:\s*([\d,]+)")


@dataclass(frozen=True)
class Row:
    """One model file, measured both ways."""

    model: str
    fmt: str
    size_mib: float
    inspect: Measurement
    keras: Measurement
    total_params: int

    @property
    def speedup(self) -> float:
        return self.keras.median_s / self.inspect.median_s


def model_files(models: list[str]) -> list[tuple[str, str, Path]]:
    """(model, format, path) for each benchmark model, built with Keras on first use."""
    folder = cache_dir(f"summary-keras-{package_version('keras')}")
    missing = [m for m in models if not all((folder / f"{m}.{f}").exists() for f in FORMATS)]
    if missing:
        print(f"building {', '.join(missing)} in {folder} (once) ...", flush=True)
        run_once([venv_python(), "-c", BUILD_MODELS, str(folder), *missing], timeout_s=1800)
    return [(m, f, folder / f"{m}.{f}") for m in models for f in FORMATS]


def total_params(output: str, who: str, path: Path) -> int:
    match = TOTAL_RE.search(output)
    if not match:
        raise BenchmarkError(f"{who} printed no 'Total params' line for {path}")
    return int(match.group(1).replace(",", ""))


def bench_file(model: str, fmt: str, path: Path, args: argparse.Namespace) -> Row:
    env = bench_env()
    ins = measure([inspect_exe(), "summary", str(path)], runs=args.runs, warmup=args.warmup,
                  env=env)
    ker = measure([venv_python(), "-c", KERAS_SUMMARY, str(path)], runs=args.keras_runs,
                  warmup=args.warmup, env=env)
    ours = total_params(ins.runs[0].stdout, "inspect summary", path)
    theirs = total_params(ker.runs[0].stdout, "keras model.summary()", path)
    if ours != theirs:
        raise BenchmarkError(f"{path}: inspect counts {ours:,} params, Keras {theirs:,}")
    return Row(model, fmt, path.stat().st_size / 2**20, ins, ker, ours)


def report(rows: list[Row], args: argparse.Namespace) -> str:
    table = markdown_table(
        ["model", "format", "file MiB", "params", "inspect median s", "keras median s",
         "speed-up ×", "inspect peak MiB", "keras peak MiB", "inspect CPU s", "keras CPU s",
         "CPU ratio ×"],
        [[r.model, f".{r.fmt}", f"{r.size_mib:.1f}", f"{r.total_params:,}",
          f"{r.inspect.median_s:.3f}", f"{r.keras.median_s:.2f}", f"{r.speedup:.1f}",
          f"{r.inspect.peak_mib:.0f}", f"{r.keras.peak_mib:.0f}",
          f"{r.inspect.median_cpu_s:.3f}", f"{r.keras.median_cpu_s:.2f}",
          f"{r.keras.median_cpu_s / r.inspect.median_cpu_s:.1f}"] for r in rows],
    )
    checks = []
    for r in rows:
        target = SPEEDUP_TARGET.get(r.fmt)
        if target is not None:
            ok = "met" if r.speedup >= target else "MISSED"
            checks.append(f"- {r.model} .{r.fmt}: {r.speedup:.1f}× vs target ≥ {target:.0f}×: {ok}")
        ok = "met" if r.inspect.peak_mib < PEAK_TARGET_MIB else "MISSED"
        checks.append(f"- {r.model} .{r.fmt}: inspect peak {r.inspect.peak_mib:.0f} MiB vs "
                      f"target < {PEAK_TARGET_MIB:.0f} MiB: {ok}")
    runs = (f"inspect: median of {args.runs} runs; Keras: median of {args.keras_runs} runs; "
            f"{args.warmup} untimed warm-up run(s) each")
    return (
        "# `inspect summary` vs Keras `load_model` + `model.summary()`\n\n"
        "Whole processes, as a user runs them: `inspect summary PATH` against\n"
        "`python -c \"import keras; m = keras.models.load_model(PATH, compile=False); "
        "m.summary()\"`.\n"
        "Both print the same total parameter count (checked on every file).\n\n"
        + table
        + "\n"
        + "\n".join(checks)
        + "\n\n"
        f"- {runs}; peak = largest peak RSS of any timed run; CPU = median user+system time of "
        "the process (both from `wait4`). The speed-up is the ratio of wall-time medians.\n"
        f"- Load average (1 min) before / after: {args.load_before:.2f} / {os.getloadavg()[0]:.2f}"
        " (other work on the machine inflates wall times; CPU times are less affected).\n"
        f"- Machine: {machine_description()}.\n"
        f"- keras-inspector {package_version('keras-inspector')}, Keras "
        f"{package_version('keras')}, TensorFlow {package_version('tensorflow')}, "
        f"h5py {package_version('h5py')}, numpy {package_version('numpy')}.\n"
        f"- Measured {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z} at commit {git_commit()} by "
        "`make bench-summary` (`benchmarks/summary_bench.py`).\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS),
                        help="keras.applications names (default: %(default)s)")
    parser.add_argument("--files", nargs="+", type=Path,
                        help="benchmark these model files instead of building --models")
    parser.add_argument("--runs", type=int, default=7, help="timed inspect runs per file")
    parser.add_argument("--keras-runs", type=int, default=5, help="timed Keras runs per file")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs before timing")
    parser.add_argument("--out", type=Path, help="write the Markdown here "
                        "(default: benchmarks/results/summary.md)")
    args = parser.parse_args(argv)
    args.load_before = os.getloadavg()[0]

    if args.files:
        files = [(p.stem, p.suffix.lstrip("."), p) for p in args.files]
    else:
        files = model_files(args.models)
    rows = []
    for model, fmt, path in files:
        print(f"measuring {model} .{fmt} ...", flush=True)
        rows.append(bench_file(model, fmt, path, args))
    text = report(rows, args)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {args.out}")
    else:
        print(f"wrote {write_result('summary.md', text)}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchmarkError as exc:
        print(f"summary_bench: error: {exc}", file=sys.stderr)
        sys.exit(2)
