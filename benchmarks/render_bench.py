"""`inspect render` vs `keras.utils.plot_model`, as whole processes, on ResNet50 and NASNetMobile.

What a user waits for when drawing a model for the docs: interpreter start, imports, reading the
file and laying the graph out. Keras must import TensorFlow and deserialize the model
(`load_model(compile=False)`) before `plot_model(show_shapes=True)` runs Graphviz; `inspect`
reads the file's config without TensorFlow and pipes its own DOT through the same `dot` program.
Both write an SVG. Run: `.venv/bin/python benchmarks/render_bench.py [--runs N]` (needs pydot for
the Keras side); writes benchmarks/results/render.md.

The interactive page (`-o model.html --collapse auto --lint`, what `inspect docs` writes) is measured
too: generation time and size, then in the distribution's headless Chromium the time from
navigation to the first painted frame and the time to open every block ("Expand all").
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    bench_env,
    cache_dir,
    inspect_exe,
    machine_description,
    markdown_table,
    measure,
    package_version,
    venv_python,
    write_result,
)

MODELS = {"ResNet50": (224, 224, 3), "NASNetMobile": (224, 224, 3)}

PLOT = """
import sys
import keras
model = keras.models.load_model(sys.argv[1], compile=False)
keras.utils.plot_model(model, to_file=sys.argv[2], show_shapes=True)
"""

MAKE = """
import sys
import keras
name, shape, out = sys.argv[1], tuple(int(x) for x in sys.argv[2].split(",")), sys.argv[3]
getattr(keras.applications, name)(weights=None, input_shape=shape).save(out)
"""


def model_file(name: str, shape: tuple[int, ...]) -> Path:
    path = cache_dir("render") / f"{name}.keras"
    if not path.exists():
        import subprocess

        subprocess.run([venv_python(), "-c", MAKE, name, ",".join(map(str, shape)), str(path)],
                       check=True, env=bench_env())
    return path


def chromium_version() -> str:
    import subprocess

    try:
        return subprocess.run(["/usr/bin/chromium", "--version"], capture_output=True, text=True,
                              check=False).stdout.strip() or "Chromium (version unknown)"
    except OSError:
        return "Chromium (not found)"


def page_in_browser(page: Path, runs: int) -> tuple[float, float]:
    """Median ms from navigation to the first painted frame, and to open every block, in Chromium."""
    import statistics

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from browser import chromium, console_errors, open_page

    painted, expanded = [], []
    with chromium() as driver:
        for _ in range(runs + 1):  # the first load warms the browser's caches
            open_page(driver, page)
            painted.append(driver.execute_async_script("""
                var done = arguments[0];
                (function wait() {
                  var m = performance.getEntriesByName('inspector-painted');
                  if (m.length) done(m[0].startTime); else setTimeout(wait, 5);
                })();"""))
            expanded.append(driver.execute_async_script("""
                var done = arguments[0], t0 = performance.now();
                document.getElementById('expand-all').click();
                requestAnimationFrame(function () { setTimeout(function () { done(performance.now() - t0); }); });"""))
            if console_errors(driver):
                raise SystemExit(f"{page}: console errors: {console_errors(driver)}")
    return statistics.median(painted[1:]), statistics.median(expanded[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    out_dir = cache_dir("render-out")
    rows, page_rows = [], []
    for name, shape in MODELS.items():
        path = model_file(name, shape)
        ours = measure([inspect_exe(), "render", str(path), "-o", str(out_dir / f"{name}-inspect.svg")],
                       runs=args.runs, env=bench_env())
        keras_run = measure([venv_python(), "-c", PLOT, str(path), str(out_dir / f"{name}-keras.svg")],
                            runs=args.runs, env=bench_env())
        rows.append([name, f"{ours.median_s:.2f}", f"{keras_run.median_s:.2f}",
                     f"{keras_run.median_s / ours.median_s:.1f}×", f"{ours.peak_mib:.0f}",
                     f"{keras_run.peak_mib:.0f}"])
        collapsed = measure([inspect_exe(), "render", str(path), "-o", str(out_dir / f"{name}-auto.svg"),
                             "--collapse", "auto"], runs=args.runs, env=bench_env())
        rows.append([f"{name} (`--collapse auto`)", f"{collapsed.median_s:.2f}", "n/a", "n/a",
                     f"{collapsed.peak_mib:.0f}", "n/a"])
        print(rows[-2], rows[-1], flush=True)
        html = out_dir / f"{name}.html"
        page = measure([inspect_exe(), "render", str(path), "-o", str(html), "--collapse", "auto", "--lint"],
                       runs=args.runs, env=bench_env())
        painted_ms, expanded_ms = page_in_browser(html, args.runs)
        page_rows.append([name, f"{page.median_s:.2f}", f"{html.stat().st_size / 1e6:.2f}", f"{page.peak_mib:.0f}",
                          f"{painted_ms / 1000:.2f}", f"{expanded_ms / 1000:.2f}"])
        print(page_rows[-1], flush=True)
    table = markdown_table(
        ["model (224×224, weights=None)", "inspect render s", "plot_model s", "speed-up", "inspect peak MiB",
         "plot_model peak MiB"], rows)
    text = (
        "# `inspect render` vs `keras.utils.plot_model` (SVG)\n\n"
        f"Whole processes, median of {args.runs} runs after one warm-up; peak RSS is the largest over the runs.\n"
        "Keras side: `load_model(path, compile=False)` then `plot_model(model, to_file, show_shapes=True)`.\n"
        "`inspect render PATH -o OUT.svg` draws one node per layer call with shapes and parameters.\n\n"
        + table
        + "\n## The interactive HTML page\n\n"
        "`inspect render PATH -o OUT.html --collapse auto --lint` (whole process, median of the runs), the\n"
        "page's size, and in headless Chromium (median of the runs after one warm-up load): navigation\n"
        "to the first painted frame, and opening every block and nested model (\"Expand all\").\n\n"
        + markdown_table(["model (224×224, weights=None)", "generate s", "size MB", "generate peak MiB",
                          "first paint s", "expand all s"], page_rows)
        + f"\n{machine_description()}; load average {os.getloadavg()[0]:.1f} when the run ended; keras {package_version('keras')}, tensorflow "
        f"{package_version('tensorflow')}, graphviz (Python) {package_version('graphviz')}, "
        f"pydot {package_version('pydot')}, selenium {package_version('selenium')}, {chromium_version()}.\n"
    )
    print(write_result("render.md", text))


if __name__ == "__main__":
    main()
