"""`inspect diagnose` on the development benchmark (benchmarks/diagnose/): every faulty program,
the same program after its fix, and the healthy programs, each as a whole process, scored against
benchmarks/diagnose/labels.json (written before the tool ran on them).

A faulty program is *diagnosed* when a finding carries one of its labelled codes and names one of
its labelled places (a layer, a compile setting, the input or target array). Any finding on a
fixed or healthy program is a false alarm (a static finding too: `diagnose` runs lint's rules
beside the D rules, and the user sees both). Writes benchmarks/results/diagnose.{json,md}.

    .venv/bin/python benchmarks/diagnose_bench.py                     # everything (tens of minutes)
    .venv/bin/python benchmarks/diagnose_bench.py --only cancer_nan frozen_layers --out /tmp/d.md
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    BenchmarkError,
    git_commit,
    inspect_exe,
    machine_description,
    markdown_table,
    package_version,
    run_once,
    write_result,
)

HERE = Path(__file__).resolve().parent
LABELS = HERE / "diagnose" / "labels.json"
TIMEOUT_S = 600.0


def labels() -> dict:
    return json.loads(LABELS.read_text(encoding="utf-8"))


def runs(spec: dict, only: set[str]) -> list[dict]:
    """Every (program, side) to diagnose: the faulty programs as written, the healthy ones, then
    the faulty ones after their fix (in that order, so a run cut short still scores every fault)."""
    faulty = {n: label for n, label in spec["faulty"].items() if not only or n in only}
    healthy = {n: label for n, label in spec["healthy"].items() if not only or n in only}
    return ([{"program": n, "side": "faulty", "build": "build", "data": "data", "label": label}
             for n, label in faulty.items()]
            + [{"program": n, "side": "healthy", "build": "build", "data": "data", "label": label}
               for n, label in healthy.items()]
            + [{"program": n, "side": "fixed", "build": "build_fixed", "data": "data_fixed", "label": label}
               for n, label in faulty.items()])


def diagnose(item: dict, budget: float | None, seed: int) -> dict:
    """Run `inspect diagnose` on one program as its own process; its findings, time and memory."""
    module = f"diagnose.{item['program']}"
    command = [inspect_exe(), "diagnose", f"{module}:{item['build']}", "--data",
               f"{module}:{item['data']}", "--seed", str(seed), "--output-format", "json", "--exit-zero"]
    if budget is not None:
        command += ["--budget", str(budget)]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    try:
        run = run_once(command, env=env, cwd=HERE, ok_codes=(0, 1, 2), timeout_s=TIMEOUT_S)
    except BenchmarkError as exc:
        return {"error": str(exc).splitlines()[0], "findings": [], "wall_s": TIMEOUT_S, "peak_mib": None}
    result = {"exit": run.returncode, "wall_s": round(run.wall_s, 2), "cpu_s": round(run.cpu_s, 2),
              "peak_mib": round(run.peak_rss_mib, 1), "findings": []}
    if run.returncode == 2:
        result["error"] = (run.stderr.strip().splitlines() or ["exit 2"])[-1][:300]
        return result
    try:
        result["findings"] = json.loads(run.stdout or "[]")
    except ValueError:
        result["error"] = f"not JSON: {run.stdout[:200]!r}"
    notes = [line for line in run.stderr.splitlines() if ": note: " in line]
    if notes:
        result["notes"] = [line.split(": note: ", 1)[1][:200] for line in notes]
    return result


def names_place(finding: dict, place: dict) -> bool:
    """Whether the finding points where the label says the fault is."""
    layers = [str(name) for name in finding.get("layers") or []]
    message = finding.get("message", "")
    (kind, value), = place.items()
    if kind == "layer":
        return value in layers
    if kind == "data":
        return value in layers or f"'{value}'" in message or f"`{value}`" in message
    words = {"loss": ("loss",), "optimizer": ("optimizer", "learning_rate", "learning rate")}[value]
    return any(w in message.lower() for w in words) or any(w in name.lower() for name in layers for w in words)


def verdict(item: dict, result: dict) -> dict:
    """Score one run: diagnosed (right code at the right place), wrong place, missed, or alarms."""
    findings = result.get("findings", [])
    codes = [f.get("code", "") for f in findings]
    if item["side"] != "faulty":
        return {"false_alarm": bool(findings), "alarm_codes": codes,
                "data_alarm": any(code.startswith("D") for code in codes)}
    label = item["label"]
    right_code = [f for f in findings if f.get("code") in label["codes"]]
    at_place = [f for f in right_code if any(names_place(f, p) for p in label["places"])]
    outcome = "diagnosed" if at_place else ("wrong place" if right_code else
                                            ("other finding" if findings else "missed"))
    return {"outcome": outcome, "codes": codes}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def distribution(values: list[float]) -> dict[str, float]:
    values = [v for v in values if v is not None]
    if not values:
        return {}
    return {"median": round(statistics.median(values), 1), "p90": round(percentile(values, 0.9), 1),
            "max": round(max(values), 1)}


def report(spec: dict, rows: list[dict], budget: float | None, seed: int) -> tuple[str, dict]:
    faulty = [r for r in rows if r["side"] == "faulty"]
    clean = [r for r in rows if r["side"] != "faulty"]
    categories = list(spec["categories"])
    table, summary = [], {}
    for category in categories + ["all"]:
        members = [r for r in faulty if category == "all" or r["label"]["category"] == category]
        if not members:
            continue
        found = sum(r["verdict"]["outcome"] == "diagnosed" for r in members)
        counts = {k: sum(r["verdict"]["outcome"] == k for r in members)
                  for k in ("wrong place", "other finding", "missed")}
        summary[category] = {"programs": len(members), "diagnosed": found, **counts}
        table.append([category, len(members), found, f"{100 * found / len(members):.0f}%",
                      counts["wrong place"], counts["other finding"], counts["missed"]])
    fixed = [r for r in clean if r["side"] == "fixed"]
    healthy = [r for r in clean if r["side"] == "healthy"]
    alarms = {name: sum(r["verdict"]["false_alarm"] for r in group) for name, group
              in (("fixed", fixed), ("healthy", healthy))}
    d_alarms = {name: sum(r["verdict"]["data_alarm"] for r in group) for name, group
                in (("fixed", fixed), ("healthy", healthy))}
    errors = [r for r in rows if r["result"].get("error")]
    times = distribution([r["result"]["wall_s"] for r in rows])
    memory = distribution([r["result"].get("peak_mib") for r in rows])
    summary.update({"false_alarms": alarms, "false_alarms_data_rules": d_alarms,
                    "fixed_programs": len(fixed), "healthy_programs": len(healthy),
                    "errors": len(errors), "wall_s": times, "peak_mib": memory})
    lines = [
        "# `inspect diagnose` on the development benchmark", "",
        (f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC, commit {git_commit()}, keras "
        f"{package_version('keras')}, tensorflow {package_version('tensorflow')}; "
        f"{machine_description()}; load average "
        f"{os.getloadavg()[0]:.1f}. Seed {seed}, budget {budget or 'default'}."), "",
        ("Faulty programs: diagnosed = a finding with a labelled code naming the labelled place; "
        "wrong place = right code, other place; other finding = only other codes."), "",
        markdown_table(["category", "programs", "diagnosed", "rate", "wrong place", "other finding",
                        "missed"], table),
        (f"False alarms (any finding): {alarms['fixed']} of {len(fixed)} programs after their fix, "
        f"{alarms['healthy']} of {len(healthy)} healthy programs; from D rules alone: "
        f"{d_alarms['fixed']} and {d_alarms['healthy']}. Runs that ended in an error: {len(errors)}."), "",
        ("Whole `inspect diagnose` process (interpreter, TensorFlow import, model build, probe), "
        f"{len(rows)} runs: wall time median {times.get('median')} s, p90 {times.get('p90')} s, "
        f"max {times.get('max')} s; peak memory median {memory.get('median')} MiB, p90 "
        f"{memory.get('p90')} MiB, max {memory.get('max')} MiB."), "",
        "## Every run", "",
        markdown_table(["program", "side", "category", "expected", "outcome", "codes reported",
                        "wall s", "peak MiB"],
                       [[r["program"], r["side"], r["label"].get("category", r["label"].get("kind", "")),
                         ",".join(r["label"].get("codes", [])) or "none", _outcome(r),
                         ",".join(f.get("code", "") for f in r["result"].get("findings", [])) or "-",
                         r["result"]["wall_s"], r["result"].get("peak_mib") or "-"] for r in rows]),
    ]
    if errors:
        lines += ["## Errors", ""] + [f"- {r['program']} ({r['side']}): {r['result']['error']}" for r in errors]
    return "\n".join(lines) + "\n", summary


def _outcome(row: dict) -> str:
    if row["result"].get("error"):
        return "error"
    if row["side"] == "faulty":
        return row["verdict"]["outcome"]
    return "FALSE ALARM" if row["verdict"]["false_alarm"] else "clean"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", default=[], help="program names to run (default: all)")
    parser.add_argument("--budget", type=float, default=None, help="pass --budget to diagnose")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help="write the table here instead of results/")
    args = parser.parse_args(argv)
    spec = labels()
    rows, planned = [], runs(spec, set(args.only))
    for item in planned:
        result = diagnose(item, args.budget, args.seed)
        item.update(result=result, verdict=verdict(item, result))
        rows.append(item)
        print(f"{item['program']} ({item['side']}): {_outcome(item)} "
              f"[{','.join(f.get('code', '') for f in result.get('findings', []))}] "
              f"{result['wall_s']} s {result.get('error', '')}", flush=True)
        # Written after every run, marked partial until the last: an interrupted run still
        # leaves what it measured, and says it is incomplete.
        text = save(spec, rows, args, done=len(rows) == len(planned), total=len(planned))
    print(text)
    return 0


def save(spec: dict, rows: list[dict], args: argparse.Namespace, done: bool, total: int) -> str:
    text, summary = report(spec, rows, args.budget, args.seed)
    if not done:
        text = text.replace("\n", f"\n\n**Partial: {len(rows)} of {total} runs so far.**\n", 1)
    record = {"complete": done, "summary": summary,
              "runs": [{k: v for k, v in r.items() if k != "label"} for r in rows]}
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        args.out.with_suffix(".json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    else:
        write_result("diagnose.md", text)
        write_result("diagnose.json", json.dumps(record, indent=1) + "\n")
    return text


if __name__ == "__main__":
    raise SystemExit(main())
