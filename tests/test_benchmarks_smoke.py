"""The benchmark helpers measure what they claim, on a tiny fixture, with one run.

No timing is asserted (CI machines vary); what is asserted is that each run is a real separate
process whose exit code, output and own peak memory are captured, and that the summary benchmark
cross-checks parameter counts and writes its table.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# benchmarks/ is a folder of scripts, not a package.
sys.path.insert(0, str(ROOT / "benchmarks"))
common = importlib.import_module("common")
summary_bench = importlib.import_module("summary_bench")

FIXTURE = ROOT / "fixtures" / "dense_functional.h5"


def fixture_params(name: str) -> int:
    manifest = json.loads((ROOT / "fixtures" / "manifest.json").read_text())
    return next(e["total_params"] for e in manifest["fixtures"] if e["file"] == name)


def test_run_once_measures_the_child_not_the_parent():
    # A child that allocates ~200 MiB must report about that...
    big = common.run_once(
        [sys.executable, "-c", "b = bytearray(200 * 2**20); b[::4096] = b'x' * len(b[::4096])"]
    )
    # ...and a small child must report its own small peak, neither masked by the earlier big
    # child (the RUSAGE_CHILDREN pitfall) nor charged with this big process's memory (Linux
    # charges a process, at exec, the peak of the image it replaced: hence the wrapper).
    ballast = bytearray(300 * 2**20)
    ballast[::4096] = b"x" * len(ballast[::4096])
    small = common.run_once([sys.executable, "-c", "print('hi')"])
    assert big.returncode == 0
    assert big.peak_rss_mib > 190
    assert small.peak_rss_mib < 100
    assert small.stdout == "hi\n"
    assert small.wall_s > 0
    assert small.cpu_s > 0


def test_failing_command_raises_unless_its_code_is_allowed():
    fail = [sys.executable, "-c", "import sys; sys.stderr.write('boom'); sys.exit(3)"]
    with pytest.raises(common.BenchmarkError, match="exit 3"):
        common.run_once(fail)
    assert common.run_once(fail, ok_codes=(3,)).stderr == "boom"


def test_measure_counts_runs_and_takes_the_median():
    m = common.measure([sys.executable, "-c", "pass"], runs=3, warmup=0)
    assert len(m.runs) == 3
    assert min(m.times) <= m.median_s <= max(m.times)
    assert m.peak_mib == max(r.peak_rss_mib for r in m.runs)


def test_markdown_table_right_aligns_numbers():
    table = common.markdown_table(["model", "speed-up ×"], [["a", "21.5"], ["b", "9.0"]])
    assert table.splitlines() == [
        "| model | speed-up × |", "| --- | ---: |", "| a | 21.5 |", "| b | 9.0 |",
    ]


@pytest.mark.skipif(not FIXTURE.exists(), reason="fixtures not built")
def test_summary_bench_on_a_fixture_agrees_with_keras(tmp_path):
    """One run each way on a tiny file: both sides print the same Total params, table written."""
    pytest.importorskip("keras")
    out = tmp_path / "summary.md"
    code = summary_bench.main(
        ["--files", str(FIXTURE), "--runs", "1", "--keras-runs", "1", "--warmup", "0",
         "--out", str(out)]
    )
    assert code == 0
    text = out.read_text()
    row = next(line for line in text.splitlines() if line.startswith("| dense_functional |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1] == ".h5"
    assert int(cells[3].replace(",", "")) == fixture_params("dense_functional.h5")
    assert float(cells[6]) > 0  # a speed-up was computed from two real medians
    assert "target ≥ 10×" in text


@pytest.mark.skipif(not FIXTURE.exists(), reason="fixtures not built")
def test_diff_bench_checks_the_verdict_and_writes_its_table():
    """One run each way on a fixture pair that differs: inspect must exit 1 (a diff that said
    "same" would fail the benchmark), Keras loads both files, and the table has the row."""
    pytest.importorskip("keras")
    import argparse

    diff_bench = importlib.import_module("diff_bench")
    args = argparse.Namespace(runs=1, keras_runs=1, warmup=0, load_before=0.0)
    fixtures = ROOT / "fixtures"
    row = diff_bench.bench("siamese", "fix", fixtures / "siamese_unshared_lstm.keras",
                           fixtures / "siamese_shared_lstm.keras", 1, args)
    assert row.verdict == "architectures differ"
    assert "right_lstm" in row.keras.runs[0].stdout  # the Keras side really diffed the two summaries
    with pytest.raises(common.BenchmarkError, match="exit 1"):
        diff_bench.bench("siamese", "fix", fixtures / "siamese_unshared_lstm.keras",
                         fixtures / "siamese_shared_lstm.keras", 0, args)
    assert "| siamese | fix | architectures differ |" in diff_bench.report([row], args)
