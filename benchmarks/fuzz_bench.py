"""The large fuzz run: many damaged fixtures through `inspect` commands (summary and lint by
default; render in every format, docs, export and diff with --commands), with what a reader of the
robustness claim wants to know: how many runs, how each ended, the failures (there should be
none), the slowest runs and the largest memory.

    .venv/bin/python benchmarks/fuzz_bench.py --cases 1000 --seed 1
    .venv/bin/python benchmarks/fuzz_bench.py --cases 2000 --commands render,docs,export,diff --out results/fuzz-other.md

Each case runs in a long-lived worker (benchmarks/fuzz_harness.py), whose peak RSS is started over
before each run (on Linux): the largest is the run that reached it. Writes results/fuzz.md.
"""

from __future__ import annotations

import argparse
import collections
import platform
import sys
import tempfile
import time
from pathlib import Path

import fuzz_harness
import fuzzing
from common import REPO_ROOT, RESULTS_DIR


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000, help="damaged files (each runs every command)")
    parser.add_argument("--commands", default=",".join(fuzz_harness.DEFAULT_COMMANDS),
                        help=f"comma-separated, of {', '.join(fuzz_harness.COMMANDS)}")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds a run may take: more is a hang")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "fuzz.md")
    args = parser.parse_args(argv)
    args.commands = [c.strip() for c in args.commands.split(",") if c.strip()]
    unknown = set(args.commands) - set(fuzz_harness.COMMANDS)
    if unknown:
        parser.error(f"unknown commands: {', '.join(sorted(unknown))}")

    with tempfile.TemporaryDirectory(prefix="ki-fuzz-") as work:
        started = time.perf_counter()
        cases = fuzzing.make_cases(REPO_ROOT / "fixtures", Path(work), args.cases, args.seed)
        outcomes, peak, peak_case = [], 0.0, None
        for outcome in fuzz_harness.run_cases(cases, timeout=args.timeout, commands=args.commands):
            outcomes.append(outcome)
            if outcome.rss_mib > peak:
                peak, peak_case = outcome.rss_mib, outcome
            if outcome.failed:
                print(f"FAIL {outcome.verdict} {outcome.command} {outcome.case.damage}: "
                      f"{outcome.case.how}: {outcome.detail}", file=sys.stderr)
        total = time.perf_counter() - started
    report = _report(args, outcomes, peak, peak_case, total)
    args.out.write_text(report)
    print(report)
    return 1 if any(o.failed for o in outcomes) else 0


def _report(args, outcomes, peak, peak_case, total) -> str:
    verdicts = collections.Counter(o.verdict for o in outcomes)
    by_damage: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    by_command: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for o in outcomes:
        by_damage[o.case.damage][o.verdict] += 1
        by_command[o.command][o.verdict] += 1
    columns = ["exit 0", "exit 1", "exit 2", "hang", "crash", "memory", "invalid"]
    commands = ", ".join(" ".join(fuzz_harness.COMMANDS[c].args).replace("{out}", "OUT") for c in args.commands)
    lines = [
        "# Fuzz run",
        "",
        (f"{len(outcomes)} runs (`{commands}` on each of {args.cases} damaged fixtures, seed {args.seed}; "
        f"render's output format in turn) in {total:.0f} s on "
        f"{platform.machine()} Python {platform.python_version()}; a run over {args.timeout:.0f} s is a hang, "
        f"over {fuzz_harness.MAX_RSS_MIB} MiB a memory failure."),
        "",
    ]
    for title, table, keys in (("damage", by_damage, fuzzing.DAMAGE), ("command", by_command, sorted(by_command))):
        lines += ["| " + title + " | " + " | ".join(columns) + " |", "| --- |" + " ---: |" * len(columns)]
        for key in keys:
            lines.append(f"| {key} | " + " | ".join(str(table[key][c]) for c in columns) + " |")
        lines += ["| **all** | " + " | ".join(f"**{verdicts[c]}**" for c in columns) + " |", ""]
    lines.pop()
    lines += ["", "Slowest runs:", ""]
    for o in sorted(outcomes, key=lambda o: -o.seconds)[:5]:
        lines.append(f"- {o.seconds:.2f} s `{o.command}` ({o.case.damage}: {o.case.how}): {o.verdict}")
    if peak_case is not None:
        lines += ["", (f"Largest memory: {peak:.0f} MiB peak RSS of the worker, reached by `{peak_case.command}` "
                      f"({peak_case.case.damage}: {peak_case.case.how}).")]
    failures = [o for o in outcomes if o.failed]
    lines += ["", f"Failures: {len(failures)}"]
    lines += [f"- {o.verdict} `{o.command}` ({o.case.damage}: {o.case.how}): {o.detail}" for o in failures]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
