"""`inspect scan` beside modelscan, picklescan and fickling, on the same malicious samples and
their benign twins (benchmarks/security_samples.py): what each tool detects, what it wrongly
flags, and what one whole-process run of each costs.

The other scanners are not dependencies of keras-inspector; install them into the venv first:

    .venv/bin/pip install modelscan picklescan fickling
    .venv/bin/python benchmarks/scan_compare.py            # writes benchmarks/results/scan_compare.md

Each tool runs once per file, as its own process. A verdict is read from the tool's documented
exit code (1: something found, 0: nothing; anything else, or a traceback: it could not read the
file). No tool may run a payload: the samples' MARKER file is checked after every run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    inspect_exe,
    machine_description,
    markdown_table,
    package_version,
    run_once,
    write_result,
)
from security_samples import MARKER, build


def _tool(name: str) -> str:
    exe = Path(sys.executable).parent / name
    found = str(exe) if exe.exists() else shutil.which(name)
    if found is None:
        sys.exit(f"{name} is not installed: .venv/bin/pip install modelscan picklescan fickling")
    return found


def commands() -> dict[str, list[str]]:
    """Each tool's command for one path (appended)."""
    return {
        "inspect scan": [inspect_exe(), "scan"],
        "modelscan": [_tool("modelscan"), "-p"],
        "picklescan": [_tool("picklescan"), "-p"],
        "fickling": [_tool("fickling"), "--check-safety"],
    }


def verdict(code: int, stderr: str) -> str:
    if "Traceback (most recent call last)" in stderr:
        return "error"
    return {0: "clean", 1: "found"}.get(code, "error")


def cell(result: str, malicious: bool) -> str:
    if malicious:
        return {"found": "**found**", "clean": "missed", "error": "error"}[result]
    return {"found": "false alarm", "clean": "clean", "error": "error"}[result]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=None, help="write here instead of benchmarks/results/")
    args = parser.parse_args()
    tools = commands()
    with tempfile.TemporaryDirectory(prefix="ki-scan-compare-") as tmp:
        folder = Path(tmp)
        samples = build(folder)
        rows, found, alarms, errors = [], dict.fromkeys(tools, 0), dict.fromkeys(tools, 0), dict.fromkeys(tools, 0)
        times: dict[str, list[float]] = {t: [] for t in tools}
        peaks: dict[str, float] = dict.fromkeys(tools, 0.0)
        for sample in samples:
            row = [f"`{sample.name}`", sample.what, sample.code or "benign"]
            for tool, command in tools.items():
                run = run_once([*command, str(folder / sample.name)], ok_codes=range(256), cwd=folder)
                if (folder / MARKER).exists():
                    raise SystemExit(f"{tool} ran the payload of {sample.name}")
                result = verdict(run.returncode, run.stderr)
                found[tool] += sample.code is not None and result == "found"
                alarms[tool] += sample.code is None and result == "found"
                errors[tool] += result == "error"
                times[tool].append(run.wall_s)
                peaks[tool] = max(peaks[tool], run.peak_rss_mib)
                row.append(cell(result, sample.code is not None))
            rows.append(row)
        malicious = sum(1 for s in samples if s.code)
        # fickling reads any HDF5 file as a pickle with invalid opcodes and flags it: say so when
        # its benign .h5 twin is flagged too, or its "found" on the Lambda .h5 would mislead.
        h5_alarm = any(r[0] == "`dense_functional_k2.h5`" and r[-1] == "false alarm" for r in rows)
    names = list(tools)
    table = markdown_table(["file", "what it holds", "rule", *names], rows)
    totals = markdown_table(
        ["", *names],
        [["payloads found", *(f"{found[t]} of {malicious}" for t in names)],
         ["false alarms on benign twins", *(f"{alarms[t]} of {len(samples) - malicious}" for t in names)],
         ["files it could not read", *(str(errors[t]) for t in names)],
         ["median time per file (s)", *(f"{statistics.median(times[t]):.2f}" for t in names)],
         ["largest peak memory (MiB)", *(f"{peaks[t]:.0f}" for t in names)]])
    versions = ", ".join(f"{n} {package_version(n)}" for n in ("keras-inspector", "modelscan", "picklescan", "fickling"))
    text = "\n".join([
        "# Scanning untrusted model files: four tools, the same files", "",
        f"Measured {dt.date.today().isoformat()} on {machine_description()}; {versions}.",
        ("Samples: benchmarks/security_samples.py (harmless payloads that would only create a marker "
        "file; no tool ran one). One whole-process run per tool and file."), "",
        table, "", totals, ""]
        + ([("fickling flags every HDF5 file (\"invalid opcode(s)\"), the benign twin too: its "
            "verdicts on the malicious .h5 files do not detect their payloads."), ""] if h5_alarm else []))
    target = args.out or write_result("scan_compare.md", text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    print(text)
    print(f"written to {target}", file=sys.stderr)


if __name__ == "__main__":
    main()
