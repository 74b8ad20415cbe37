"""Whole-process timing shared by every benchmark in this folder.

Benchmarks compare `inspect ...` with the Keras way of doing the same thing *as whole processes*,
because what a user waits for is interpreter start + imports + work, not the work alone. Each run
is its own process, started by a fresh minimal wrapper interpreter that times spawn-to-reap and
reads the command's rusage with `os.wait4` (exactly that process and what it reaped): peak RSS and
CPU time. `resource.getrusage(RUSAGE_CHILDREN)` in one long-lived process would instead give the
maximum over every child ever reaped, so one big Keras run would hide every later inspect run;
and spawning straight from a big process inflates the child's peak (see _WRAPPER).

Use from another benchmark:

    from common import measure, markdown_table
    m = measure([inspect_exe(), "lint", "model.h5"], runs=5, ok_codes=(0, 1))
    print(m.median_s, m.peak_mib)
"""

from __future__ import annotations

import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"


@dataclass(frozen=True)
class Run:
    """One timed child process."""

    wall_s: float
    peak_rss_mib: float
    returncode: int
    cpu_s: float  # user + system time of the child: robust when other work shares the cores
    stdout: str
    stderr: str


@dataclass(frozen=True)
class Measurement:
    """Several runs of one command: the median is what tables report (robust to one slow run)."""

    command: tuple[str, ...]
    runs: tuple[Run, ...]

    @property
    def times(self) -> list[float]:
        return [r.wall_s for r in self.runs]

    @property
    def median_s(self) -> float:
        return statistics.median(self.times)

    @property
    def median_cpu_s(self) -> float:
        return statistics.median(r.cpu_s for r in self.runs)

    @property
    def min_s(self) -> float:
        return min(self.times)

    @property
    def peak_mib(self) -> float:
        """The largest peak RSS over all runs: memory limits are about the worst case."""
        return max(r.peak_rss_mib for r in self.runs)


class BenchmarkError(RuntimeError):
    """A benchmarked command failed: a broken comparison must not print a speed-up."""


def bench_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment every benchmarked command gets.

    TensorFlow's C++ logging is silenced so stderr stays small; everything else (notably
    OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, which this machine may set) is passed through
    unchanged, identically to both sides of a comparison.
    """
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if extra:
        env.update(extra)
    return env


# Runs in a fresh, minimal interpreter (-S -E: no site, no environment hooks, ~7 MiB) that starts
# the measured command and reports on it. Linux charges a process, at exec, the peak RSS of the
# memory image it replaced: a command spawned straight from a big process (pytest with TensorFlow
# loaded, say) would report that process's peak as its own. From this wrapper the floor is ~7 MiB.
_WRAPPER = r"""
import os, sys, time
report, argv = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
try:
    pid = os.posix_spawnp(argv[0], argv, os.environ)
except OSError as exc:
    sys.stderr.write(f"cannot run {argv[0]}: {exc}\n")
    code, wall, usage = 127, 0.0, None
else:
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
with open(report, "w") as f:
    if usage is None:
        f.write(f"{code} 0 0 0")
    else:
        f.write(f"{code} {wall!r} {usage.ru_utime + usage.ru_stime!r} {usage.ru_maxrss}")
"""


def run_once(
    command: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    ok_codes: Sequence[int] = (0,),
    timeout_s: float = 900.0,
) -> Run:
    """Run `command` once as its own process: its wall time, CPU time and own peak RSS."""
    with tempfile.TemporaryDirectory(prefix="ki-bench-run-") as tmp:
        report = Path(tmp) / "report"
        out_path, err_path = Path(tmp) / "stdout", Path(tmp) / "stderr"
        # Output goes to files, not pipes: a pipe could fill and stall the child mid-measurement.
        with out_path.open("wb") as out, err_path.open("wb") as err:
            proc = subprocess.Popen(
                [sys.executable, "-S", "-E", "-c", _WRAPPER, str(report), *command],
                stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                env=dict(env) if env is not None else bench_env(), cwd=cwd,
                start_new_session=True,  # so a timeout can end the command and the wrapper
            )
            try:
                proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                raise BenchmarkError(
                    f"timed out after {timeout_s:.0f} s: {' '.join(command)}"
                ) from None
        stdout = out_path.read_bytes().decode("utf-8", "replace")
        stderr = err_path.read_bytes().decode("utf-8", "replace")
        try:
            fields = report.read_text().split()
            code, wall, cpu, maxrss = int(fields[0]), float(fields[1]), float(fields[2]), \
                float(fields[3])
        except (OSError, ValueError, IndexError):
            raise BenchmarkError(
                f"the timing wrapper failed (exit {proc.returncode}): {' '.join(command)}\n"
                + stderr[-500:]
            ) from None
    # Linux reports ru_maxrss in KiB (macOS in bytes).
    divisor = 1024 * 1024 if sys.platform == "darwin" else 1024
    run = Run(wall, maxrss / divisor, code, cpu, stdout, stderr)
    if code not in ok_codes:
        tail = "\n".join(stderr.strip().splitlines()[-5:])
        raise BenchmarkError(f"exit {code}: {' '.join(command)}\n{tail}")
    return run


def measure(
    command: Sequence[str],
    *,
    runs: int = 5,
    warmup: int = 1,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    ok_codes: Sequence[int] = (0,),
    timeout_s: float = 900.0,
) -> Measurement:
    """`warmup` untimed runs (page cache, .pyc files), then `runs` timed ones."""
    if runs < 1:
        raise ValueError("runs must be >= 1")
    for _ in range(warmup):
        run_once(command, env=env, cwd=cwd, ok_codes=ok_codes, timeout_s=timeout_s)
    timed = tuple(
        run_once(command, env=env, cwd=cwd, ok_codes=ok_codes, timeout_s=timeout_s)
        for _ in range(runs)
    )
    return Measurement(tuple(command), timed)


def venv_python() -> str:
    """The interpreter running this benchmark (the project's .venv when run via make bench)."""
    return sys.executable


def inspect_exe() -> str:
    """The `inspect` console script beside the running interpreter, else on PATH."""
    beside = Path(sys.executable).parent / "inspect"
    if beside.exists():
        return str(beside)
    found = shutil.which("inspect")
    if not found:
        raise BenchmarkError("the `inspect` command is not installed (run `make setup`)")
    return found


def cache_dir(name: str) -> Path:
    """Where benchmarks keep generated model files between runs (outside the repository).

    KI_BENCH_CACHE overrides the location; the default lives in the system temp folder.
    """
    root = Path(os.environ.get("KI_BENCH_CACHE") or Path(tempfile.gettempdir()) / "ki-bench")
    path = root / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def machine_description() -> str:
    """One line naming the hardware and software the figures were measured on."""
    cpu = platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith(("model name", "cpu model")):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    blas = ", ".join(
        f"{k}={os.environ[k]}" for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ
    )
    return (
        f"{os.cpu_count()} cores ({cpu}){mem}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}" + (f", {blas}" if blas else "")
    )


def package_version(name: str) -> str:
    """Installed version of a distribution, read from metadata (imports nothing heavy)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub-flavoured Markdown table; numbers right-aligned."""
    cells = [[str(c) for c in row] for row in rows]
    numeric = [
        all(_looks_numeric(row[i]) for row in cells) if cells else False
        for i in range(len(headers))
    ]
    lines = ["| " + " | ".join(headers) + " |"]
    lines.append("| " + " | ".join("---:" if n else "---" for n in numeric) + " |")
    lines += ["| " + " | ".join(row) + " |" for row in cells]
    return "\n".join(lines) + "\n"


def _looks_numeric(text: str) -> bool:
    try:
        float(text.rstrip("×x%").replace(",", ""))
    except ValueError:
        return False
    return True


def write_result(name: str, text: str) -> Path:
    """Write benchmarks/results/NAME atomically (a half-written table must never be committed)."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    target = RESULTS_DIR / name
    tmp = target.with_suffix(target.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)
    return target


def git_commit() -> str:
    """The commit measured, marked `+dirty` when the package's code differs from it."""
    def git(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True,
                              check=False)

    head = git("rev-parse", "--short", "HEAD")
    if head.returncode != 0:
        return "unknown"
    dirty = git("diff", "--quiet", "HEAD", "--", "inspector", "rules").returncode != 0
    return head.stdout.strip() + ("+dirty" if dirty else "")
