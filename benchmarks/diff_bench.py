"""`inspect diff` on ResNet50 and NASNetMobile pairs, against what a user does without it:
load both files with Keras and diff the two `model.summary()` texts.

Two pairs per model, all built once with keras.applications (weights=None, 224x224x3) into a
cache folder outside the repository:

- `resave`: the `.h5` against the `.keras` save of the same model: no architectural change.
- `renumbered`: the model against a 10-class twin built later in the same process, so Keras
  renumbered every auto-named layer (`activation_3` → `activation_191`) and the head changed:
  the structural matcher's worst case.

Both sides run as whole processes (benchmarks/common.py); the inspect verdict is checked (exit
0 for the re-save, 1 for the variant), so a fast but wrong diff cannot pass.

    .venv/bin/python benchmarks/diff_bench.py               # writes results/diff.md
    .venv/bin/python benchmarks/diff_bench.py --models ResNet50 --runs 1 --keras-runs 1 --warmup 0 --out /tmp/d.md
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from dataclasses import dataclass
from pathlib import Path

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
TARGET_S = 1.0  # the issue: diffing two ResNet50 files takes well under a second

BUILD = """
import sys, warnings
from pathlib import Path
import keras
warnings.filterwarnings("ignore")
out = Path(sys.argv[1])
for name in sys.argv[2:]:
    build = getattr(keras.applications, name)
    base = build(weights=None)
    base.save(out / f"{name}.keras")
    base.save(out / f"{name}.h5")
    build(weights=None, classes=10).save(out / f"{name}_10_classes.keras")
    keras.backend.clear_session()
    print(name, flush=True)
"""

KERAS_DIFF = (
    "import sys, io, difflib, keras\n"
    "def text(p):\n"
    "    m = keras.models.load_model(p, compile=False); s = io.StringIO()\n"
    "    m.summary(print_fn=lambda line, **k: s.write(line + '\\n')); return s.getvalue().splitlines()\n"
    "sys.stdout.writelines(line + '\\n' for line in difflib.unified_diff(text(sys.argv[1]), text(sys.argv[2])))\n"
)


@dataclass(frozen=True)
class Row:
    model: str
    pair: str
    inspect: Measurement
    keras: Measurement
    verdict: str


def pairs(models: list[str]) -> list[tuple[str, str, Path, Path, int]]:
    """(model, pair name, old, new, the exit code `inspect diff --exit-code` must give)."""
    folder = cache_dir(f"diff-keras-{package_version('keras')}")
    missing = [m for m in models if not (folder / f"{m}_10_classes.keras").exists()]
    if missing:
        print(f"building {', '.join(missing)} in {folder} (once) ...", flush=True)
        run_once([venv_python(), "-c", BUILD, str(folder), *missing], timeout_s=1800)
    out = []
    for m in models:
        out.append((m, "resave (.h5 → .keras)", folder / f"{m}.h5", folder / f"{m}.keras", 0))
        out.append((m, "renumbered, 10 classes", folder / f"{m}.keras", folder / f"{m}_10_classes.keras", 1))
    return out


def bench(model: str, pair: str, old: Path, new: Path, code: int, args) -> Row:
    env = bench_env()
    ins = measure([inspect_exe(), "diff", str(old), str(new), "--exit-code"], runs=args.runs,
                  warmup=args.warmup, env=env, ok_codes=(code,))
    ker = measure([venv_python(), "-c", KERAS_DIFF, str(old), str(new)], runs=args.keras_runs,
                  warmup=args.warmup, env=env)
    verdict = ins.runs[0].stdout.splitlines()[2].split(":")[0]
    return Row(model, pair, ins, ker, verdict)


def report(rows: list[Row], args) -> str:
    table = markdown_table(
        ["model", "pair", "inspect diff verdict", "inspect median s", "inspect CPU s", "inspect peak MiB",
         "keras summaries + difflib s", "keras CPU s", "keras peak MiB", "speed-up ×"],
        [[r.model, r.pair, r.verdict, f"{r.inspect.median_s:.3f}", f"{r.inspect.median_cpu_s:.3f}",
          f"{r.inspect.peak_mib:.0f}", f"{r.keras.median_s:.2f}", f"{r.keras.median_cpu_s:.2f}",
          f"{r.keras.peak_mib:.0f}", f"{r.keras.median_s / r.inspect.median_s:.0f}"]
         for r in rows])
    # inspect is one single-threaded process: on an idle machine its wall time is its CPU time
    # plus a few ms, so the target is checked on CPU time, which a loaded machine barely moves.
    checks = [f"- {r.model} {r.pair}: {r.inspect.median_cpu_s:.3f} s CPU ({r.inspect.median_s:.3f} s wall) "
              f"vs target < {TARGET_S:.0f} s: {'met' if r.inspect.median_cpu_s < TARGET_S else 'MISSED'}"
              for r in rows if r.model == "ResNet50"]
    return (
        "# `inspect diff` vs loading both models in Keras and diffing their summaries\n\n"
        "Whole processes: `inspect diff OLD NEW --exit-code` (lint findings included, the default) against\n"
        "`keras.models.load_model` on both files and `difflib.unified_diff` of the two `model.summary()`\n"
        "texts, the nearest thing a user has without keras-inspector (it cannot match renamed layers).\n\n"
        + table + "\n" + "\n".join(checks) + "\n\n"
        f"- inspect: median of {args.runs} runs; Keras: median of {args.keras_runs}; {args.warmup} warm-up run(s) "
        "each; peak = largest peak RSS of any timed run; CPU = median user+system time of the process\n"
        "  (from `wait4`: other work on the machine inflates wall times, CPU times much less).\n"
        f"- Load average (1 min) before / after: {args.load_before:.2f} / {os.getloadavg()[0]:.2f}.\n"
        f"- Machine: {machine_description()}.\n"
        f"- keras-inspector {package_version('keras-inspector')}, Keras {package_version('keras')}, "
        f"TensorFlow {package_version('tensorflow')}.\n"
        f"- Measured {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z} at commit {git_commit()} by "
        "`benchmarks/diff_bench.py`.\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS))
    parser.add_argument("--runs", type=int, default=5, help="timed inspect runs per pair")
    parser.add_argument("--keras-runs", type=int, default=2, help="timed Keras runs per pair")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--out", type=Path, help="default: benchmarks/results/diff.md")
    args = parser.parse_args(argv)
    args.load_before = os.getloadavg()[0]
    rows = []
    for model, pair, old, new, code in pairs(args.models):
        print(f"measuring {model} {pair} ...", flush=True)
        rows.append(bench(model, pair, old, new, code, args))
    text = report(rows, args)
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        print(f"wrote {write_result('diff.md', text)}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchmarkError as exc:
        print(f"diff_bench: error: {exc}", file=sys.stderr)
        sys.exit(2)
