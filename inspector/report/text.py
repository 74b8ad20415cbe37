"""`path:layer: CODE name message`, one finding a line, then one summary line."""

from __future__ import annotations

from collections import Counter

from inspector.report import LintRun


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def summary_line(run: LintRun) -> str:
    files = _plural(len(run.files), "file")
    tail = f" ({_plural(len(run.errors), 'file')} could not be read)" if run.errors else ""
    if not run.findings:
        return f"No findings in {files}{tail}."
    by = Counter(f.severity for f in run.findings)
    parts = [f"{by[s]} {s}" if s == "info" else _plural(by[s], s)
             for s in ("error", "warning", "info") if by[s]]
    with_findings = len({f.path for f in run.findings})
    return (f"Found {_plural(len(run.findings), 'finding')} ({', '.join(parts)}) "
            f"in {with_findings} of {files}{tail}.")


def format_text(run: LintRun) -> str:
    lines = [str(f) for f in run.findings]
    if run.files and len(run.errors) >= len(run.files):
        # Nothing was read: each error is already one `inspect: error:` line on stderr, and a
        # "No findings in 1 file" would claim a check that never happened.
        return ""
    lines.append(summary_line(run))
    return "\n".join(lines) + "\n"
