"""The harness that holds `inspect` to its robustness invariant on each damaged file
(fuzzing.py makes them): exit 0/1 with strict RFC 8259 JSON on stdout (or, for the commands that
write files, the file written), or exit 2 with one line `inspect: error: PATH: reason` that is no
"internal error"; never a traceback, a hang, a signal or more than MAX_RSS_MIB of memory.

Commands run in a long-lived worker process (in-process, through click's runner: no interpreter
start per run), watched by the parent: a worker that stops answering is a hang, one that dies is
a signal, and each run's peak RSS is checked: what the run added to the worker's memory, on top
of the memory of a worker that has run nothing (what a fresh `inspect` process holds). The worker leads its own process
group, so a hang also ends the Graphviz it started.
"""

from __future__ import annotations

import ctypes
import gc
import json
import os
import resource
import select
import signal
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from fuzzing import Case

MAX_RSS_MIB = 1024  # a damaged fixture of under 1 MB must not cost more
ADDRESS_LIMIT = 3 * 2**30  # the worker's RLIMIT_AS: a blow-up fails fast instead of swapping
RENDER_FORMATS = ("svg", "png", "pdf", "dot", "mmd", "html")


@dataclass(frozen=True)
class Command:
    """One `inspect` command run on each case. `writes` names the file or folder it writes into
    the run's scratch folder (`{out}` in `args`); None means it prints strict JSON instead."""

    name: str
    args: tuple[str, ...]
    writes: str | None = None
    against_origin: bool = False  # `inspect diff ORIGIN CASE`: the undamaged file first

    def argv(self, case: Case, scratch: Path) -> tuple[str, list[str], Path | None]:
        """(the name the report gives this run, the arguments, the output it must write)."""
        name, writes = self.name, self.writes
        if self.name == "render":  # every format in turn, chosen by the case so a seed repeats
            fmt = RENDER_FORMATS[zlib.crc32(case.path.name.encode()) % len(RENDER_FORMATS)]
            name, writes = f"render {fmt}", f"diagram.{fmt}"
        out = scratch / writes if writes else None
        args = [a.replace("{out}", str(out)) for a in self.args]
        origin = [str(case.origin or case.path)] if self.against_origin else []
        return name, [*args, *origin, str(case.path)], out


COMMANDS = {
    "summary": Command("summary", ("summary", "--format", "json")),
    "lint": Command("lint", ("lint", "--output-format", "json")),
    "render": Command("render", ("render", "-o", "{out}")),
    "docs": Command("docs", ("docs", "-o", "{out}"), writes="docs"),
    "export": Command("export", ("export", "--no-verify", "-o", "{out}"), writes="model.onnx"),
    "diff": Command("diff", ("diff", "--format", "json"), against_origin=True),
}
DEFAULT_COMMANDS = ("summary", "lint")


@dataclass(frozen=True)
class Outcome:
    case: Case
    command: str
    verdict: str  # "exit 0", "exit 1", "exit 2", or a failure: "hang", "crash", "memory", "invalid"
    detail: str
    seconds: float
    rss_mib: float

    @property
    def failed(self) -> bool:
        return not self.verdict.startswith("exit")


def run_cases(cases: list[Case], timeout: float = 30.0,
              commands: Sequence[str] = DEFAULT_COMMANDS) -> Iterator[Outcome]:
    """Each case through each of `commands` (names in COMMANDS) in a worker; a new worker after
    a failure, so that every outcome is measured on a healthy process."""
    worker = _Worker()
    try:
        for case in cases:
            for name in commands:
                with tempfile.TemporaryDirectory(prefix="ki-run-") as scratch:
                    outcome = worker.run(case, COMMANDS[name], timeout, Path(scratch))
                yield outcome
                if outcome.failed:
                    worker.close()
                    worker = _Worker()
    finally:
        worker.close()


class _Worker:
    def __init__(self, command: list[str] | None = None):
        self.proc = subprocess.Popen(
            command or [sys.executable, __file__, "--worker"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True, bufsize=1, start_new_session=True,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        )

    def run(self, case: Case, command: Command, timeout: float, scratch: Path) -> Outcome:
        name, args, out = command.argv(case, scratch)
        started = time.perf_counter()
        try:
            self.proc.stdin.write(json.dumps([args, str(case.path), str(out) if out else None]) + "\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            pass  # the worker is gone: reading says how
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        seconds = time.perf_counter() - started
        if not ready:
            return Outcome(case, name, "hang", f"no answer in {timeout:.0f} s", seconds, 0.0)
        line = self.proc.stdout.readline()
        if not line:
            code = self.proc.wait()
            how = f"signal {-code}" if code < 0 else f"exit status {code}"
            return Outcome(case, name, "crash", f"the process died: {how}", seconds, 0.0)
        verdict, detail, rss = json.loads(line)
        if verdict.startswith("exit") and rss > MAX_RSS_MIB:
            verdict, detail = "memory", f"peak RSS {rss:.0f} MiB"
        return Outcome(case, name, verdict, detail, seconds, rss)

    def close(self) -> None:
        """End the worker and whatever it started (a Graphviz still running after a hang)."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()


def judge(code: int, stdout: str, stderr: str, exception: BaseException | None, path: str,
          output: str | None = None) -> tuple[str, str]:
    """(verdict, detail) of one run against the invariant; `output` is the file or folder a
    command that writes one must have written when it exits 0 (None: it prints JSON)."""
    if exception is not None and not isinstance(exception, SystemExit):
        return "invalid", f"uncaught {type(exception).__name__}: {exception}"
    if "Traceback" in stderr or "internal error" in stderr:
        return "invalid", stderr.strip().splitlines()[-1][:300]
    if output is not None and code in (0, 1):
        written = Path(output)
        if code == 0 and (written.is_file() and written.stat().st_size > 0
                          or written.is_dir() and any(written.iterdir())):
            return "exit 0", ""
        return "invalid", f"exit {code} without writing {written.name}"
    if code in (0, 1):
        try:
            json.loads(stdout, parse_constant=_reject)
        except ValueError as exc:
            return "invalid", f"exit {code} with output that is no strict JSON: {exc}"[:300]
        return f"exit {code}", ""
    lines = [line for line in stderr.splitlines() if not line.startswith("inspect: warning: ")]
    if code == 2 and len(lines) == 1 and lines[0].startswith(f"inspect: error: {path}: "):
        return "exit 2", lines[0][len(f"inspect: error: {path}: "):][:200]
    return "invalid", f"exit {code}: {stderr.strip()[:300]!r}"


def _reject(constant: str):
    raise ValueError(f"non-standard JSON constant {constant}")


def _rss_mib() -> float:
    """This process's resident memory now (0 where /proc is not there)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _peak_rss_mib() -> float:
    """This process's peak resident memory since it started its program. Linux keeps ru_maxrss
    across execve, so a worker started from a large process (pytest holding the session's
    Keras models) would report its parent's size; VmHWM belongs to the new program's memory."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak() -> None:
    """Start the peak RSS over (Linux's clear_refs) from what the worker holds once the last run's
    memory is freed and handed back (malloc_trim), so that a run's peak is its own, not that of a
    50,000-layer file the worker read three runs before."""
    gc.collect()
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):
        pass  # not glibc
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass  # not Linux, or not allowed: the peak is the worker's so far, an upper bound


def _serve() -> None:
    """The worker: one JSON list of arguments a line in, one [verdict, detail, peak RSS MiB] out."""
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_LIMIT, ADDRESS_LIMIT))
    from click.testing import CliRunner

    from inspector.cli import main

    _reset_peak()
    started = _rss_mib()  # the worker ready, as a fresh `inspect` process is
    for line in sys.stdin:
        args, path, output = json.loads(line)
        _reset_peak()
        before = _rss_mib()  # what earlier runs left (freed memory the allocator keeps)
        result = CliRunner().invoke(main, args)
        verdict, detail = judge(result.exit_code, result.stdout, result.stderr, result.exception, path, output)
        rss = started + max(0.0, _peak_rss_mib() - before)  # this run's peak in a fresh process
        del result  # its traceback would hold the run's model through the next run
        sys.stdout.write(json.dumps([verdict, detail, rss]) + "\n")
        sys.stdout.flush()


if __name__ == "__main__" and sys.argv[1:] == ["--worker"]:
    _serve()
