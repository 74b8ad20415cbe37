"""A reader that goes away (`inspect rule NAME | head -5`) is not an error: every command stops
quietly, with nothing on stderr and exit 1, as click's standalone mode does (a `lint` cut short
never reads as a pass). Real pipes: the command's stdout is a pipe whose reading end is closed."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def _into_closed_pipe(*args: str) -> subprocess.CompletedProcess:
    """`inspect ARGS` writing into a pipe nobody reads any more: every write raises EPIPE."""
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run([sys.executable, "-m", "inspector", *args], stdout=write, stderr=subprocess.PIPE,
                              text=True, timeout=300, check=False)
    finally:
        os.close(write)


@pytest.mark.parametrize("args", [
    ["rule", "missing-normalization"],
    ["rules"],
    ["rules", "--format", "json"],
    ["summary", "{fixtures}/siamese_shared_lstm.keras"],
    ["lint", "{fixtures}"],
    ["lint", "--output-format", "sarif", "{fixtures}/unused_input.keras"],
    ["diff", "{fixtures}/dense_functional.keras", "{fixtures}/unused_input.keras", "--no-lint"],
])
def test_a_closed_pipe_stops_the_command_quietly(fixtures_dir, args):
    done = _into_closed_pipe(*(a.format(fixtures=fixtures_dir) for a in args))
    assert done.stderr == ""
    assert done.returncode == 1


def test_head_reads_the_first_lines_and_the_command_ends_quietly():
    """Through a shell, as users type it: `head` takes its lines and exits; `inspect` says nothing."""
    script = f"{sys.executable} -m inspector rules | head -3; echo \"status ${{PIPESTATUS[0]}}\" >&2"
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=300, check=False)
    assert len(done.stdout.splitlines()) == 3
    # the rule list may fit in the pipe's buffer before head exits (status 0), or not (status 1):
    # either way nothing but the status line reaches stderr
    assert done.stderr.strip() in ("status 0", "status 1")
