"""The robustness invariant on fixtures damaged six ways: `inspect summary` and `inspect lint`
on each exit 0/1 with strict JSON, `render` (every format), `docs`, `export` and `diff` exit 0
having written their file, or each exits 2 with one line; never a traceback, hang, signal or
memory blow-up. A CI-sized run of benchmarks/fuzzing.py and benchmarks/fuzz_harness.py
(benchmarks/fuzz_bench.py runs the large one).
"""

from __future__ import annotations

import collections
import importlib
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))  # benchmarks/ is a folder of scripts, not a package
fuzzing = importlib.import_module("fuzzing")
fuzz_harness = importlib.import_module("fuzz_harness")

pytest.importorskip("onnx")
pytest.importorskip("h5py")

CASES = 250  # x 2 commands: 500 runs, 12 s on an idle core, about 50 s under load
SEED = 13
OTHER_CASES = 48  # x 4 commands (render, docs, export, diff): about 30 s on an idle core
OTHER_COMMANDS = ("render", "docs", "export", "diff")
TIMEOUT = 150  # seconds a run may take (Graphviz alone is stopped at 120)


@pytest.fixture(autouse=True)
def smaller_growth(monkeypatch):
    """Grown configs of 500 and 2,500 layers (past the 2,000 nodes a diagram draws): the 50,000
    of the large run cost a minute each to read and lint, not what CI is for."""
    monkeypatch.setattr(fuzzing, "GROW", (500, 2_500))


def test_damaged_fixtures_keep_the_invariant(fixtures_dir, tmp_path):
    cases = fuzzing.make_cases(fixtures_dir, tmp_path, CASES, SEED)
    outcomes = list(fuzz_harness.run_cases(cases, timeout=TIMEOUT))
    failures = [f"{o.verdict} {o.command} {o.case.path.name} ({o.case.damage}: {o.case.how}): {o.detail}"
                for o in outcomes if o.failed]
    assert not failures, "\n".join(failures)
    assert len(outcomes) == 2 * CASES
    # Not vacuous: every class of damage ran, and both readable and refused files came out of it.
    verdicts = collections.Counter(o.verdict for o in outcomes)
    assert {o.case.damage for o in outcomes} == set(fuzzing.DAMAGE)
    assert verdicts["exit 2"] > 0 and verdicts["exit 0"] + verdicts["exit 1"] > 0, verdicts


def test_the_other_commands_keep_the_invariant_on_damaged_fixtures(fixtures_dir, tmp_path):
    """render (its output format taking turns), docs, export --no-verify and diff against the
    undamaged file: a file written or one error line, never an internal error, hang or blow-up."""
    cases = fuzzing.make_cases(fixtures_dir, tmp_path, OTHER_CASES, SEED)
    outcomes = list(fuzz_harness.run_cases(cases, timeout=TIMEOUT, commands=OTHER_COMMANDS))
    failures = [f"{o.verdict} {o.command} {o.case.path.name} ({o.case.damage}: {o.case.how}): {o.detail}"
                for o in outcomes if o.failed]
    assert not failures, "\n".join(failures)
    assert len(outcomes) == len(OTHER_COMMANDS) * OTHER_CASES
    by_command = collections.defaultdict(collections.Counter)
    for o in outcomes:
        by_command[o.command.split()[0]][o.verdict] += 1
    for command in OTHER_COMMANDS:  # each both wrote its output and refused a file
        assert by_command[command]["exit 0"] > 0 and by_command[command]["exit 2"] > 0, (command, by_command[command])
    assert len({o.command for o in outcomes if o.command.startswith("render")}) == len(fuzz_harness.RENDER_FORMATS)


@pytest.mark.parametrize(
    ("code", "stdout", "stderr", "verdict"),
    [
        (0, '{"a": 1}', "", "exit 0"),
        (1, '[{"a": NaN}]', "", "invalid"),  # Python's json reads NaN; strict readers do not
        (2, "", "inspect: error: m.h5: not a model\n", "exit 2"),
        (2, "", "inspect: error: m.h5: internal error KeyError: 'x'\n", "invalid"),
        (2, "", "inspect: error: m.h5: a\nsecond line\n", "invalid"),
        (0, '{"a": 1}', "Traceback (most recent call last):\n", "invalid"),
        (3, "", "", "invalid"),
        (2, "", "inspect: warning: m.h5: carries a payload\ninspect: error: m.h5: too large\n", "exit 2"),
    ],
)
def test_the_judge_holds_runs_to_the_invariant(code, stdout, stderr, verdict):
    assert fuzz_harness.judge(code, stdout, stderr, None, "m.h5")[0] == verdict


def test_the_judge_holds_a_writing_command_to_its_file(tmp_path):
    written, empty = tmp_path / "m.svg", tmp_path / "e.svg"
    written.write_text("<svg/>")
    empty.touch()
    assert fuzz_harness.judge(0, "m.svg: 3 nodes", "", None, "m.h5", str(written))[0] == "exit 0"
    for code, output in ((0, empty), (0, tmp_path / "never.svg"), (1, written)):
        assert fuzz_harness.judge(code, "", "", None, "m.h5", str(output))[0] == "invalid"


def test_the_harness_reports_a_crash_and_a_hang(fixtures_dir):
    """A process that dies (here by SIGABRT, as onnx's shape inference did) or stops answering
    is a failure the harness names, never a run silently skipped."""
    case = fuzzing.Case(fixtures_dir / "dense_functional.json", "json", "none")
    for program, verdict, detail in (("import os; os.abort()", "crash", "signal 6"),
                                     ("import time; time.sleep(60)", "hang", "no answer in 2 s")):
        worker = fuzz_harness._Worker([sys.executable, "-c", program])
        try:
            outcome = worker.run(case, fuzz_harness.COMMANDS["summary"], 2, fixtures_dir)
        finally:
            worker.close()
        assert (outcome.verdict, outcome.detail) == (verdict, detail if verdict == "hang" else
                                                     f"the process died: {detail}")
        assert outcome.failed
