"""The README works as written: every ```console block is run, command by command, in a fresh copy
of the repository (its tracked files, committed anew in a git repository of their own), with this
checkout's .venv first on PATH, and its output must be what the README shows.

- `$ ` starts a command (bash; `$?` is the previous command's exit code); the lines up to the next
  `$ ` are its output, stdout and stderr together. A `...` line stands for any lines.
- Timings (`Time: load 0.0 s, ...`) are compared without their numbers.
- A file a command writes that the repository also holds (a picture under docs/examples/) must be
  byte-identical to the committed one: the picture matches the command above it.
- An HTML comment right before a block says how to run it: `<!-- readme: tf -->` needs TensorFlow
  (skipped without it, run in CI); `<!-- readme: light -->` runs in the light install, the built
  wheel with the onnx extra in a fresh venv (tests/built_package.py); `<!-- readme: subset -->` shows
  some of the output lines, in order, and the last; `<!-- readme: skip REASON -->` is not run.

Outputs change when rules or messages do: `KI_UPDATE_README=1 pytest tests/test_readme.py` rewrites
the README's outputs (and copies the pictures the commands wrote) instead of failing. Review the diff.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
UPDATE = os.environ.get("KI_UPDATE_README") == "1"
BLOCK = re.compile(r"(?:<!-- readme: (\w+)(?: ([^>]*?))? -->\n)?```console\n(.*?)```", re.DOTALL)
TIMES = re.compile(r"\d+(?:\.\d+)? s\b")


@dataclass(frozen=True)
class Command:
    line: str  # what follows `$ `
    output: tuple[str, ...]


@dataclass(frozen=True)
class Block:
    number: int
    line: int  # in the README, for messages
    mode: str | None
    reason: str | None
    text: str  # the block's body as it stands in the README
    commands: tuple[Command, ...]


def parse(text: str) -> list[Block]:
    blocks = []
    for number, m in enumerate(BLOCK.finditer(text)):
        commands: list[tuple[str, list[str]]] = []
        for raw in m.group(3).splitlines():
            if raw.startswith("$ "):
                commands.append((raw[2:], []))
            elif commands:
                commands[-1][1].append(raw)
        blocks.append(Block(number, text[:m.start(3)].count("\n") + 1, m.group(1), m.group(2), m.group(3),
                            tuple(Command(c, tuple(o)) for c, o in commands)))
    return blocks


BLOCKS = parse(README.read_text(encoding="utf-8"))


def relative(lines: list[str], workspace: Path) -> list[str]:
    """The output as the README shows it: paths relative to the repository's root."""
    return [line.replace(str(workspace) + "/", "").replace(str(workspace), ".").rstrip() for line in lines]


def normal(lines: list[str] | tuple[str, ...]) -> list[str]:
    """Lines to compare: timings without their numbers."""
    return [TIMES.sub("N s", line) if line.startswith("Time: ") else line.rstrip() for line in lines]


def matches(expected: list[str], actual: list[str], subset: bool) -> bool:
    if subset:  # the shown lines appear in this order, and the last line is the output's last
        it = iter(actual[:-1])
        shown = [e for e in expected[:-1] if e != "..."]
        return bool(actual) and all(any(a == e for a in it) for e in shown) and actual[-1] == expected[-1]
    pattern = "".join("(?:.*\n)*?" if e == "..." else re.escape(e) + "\n" for e in expected)
    return re.fullmatch(pattern, "".join(a + "\n" for a in actual)) is not None


def updated(expected: list[str], actual: list[str], subset: bool) -> list[str]:
    """The output to write back: the actual one, keeping the README's elisions where it has them."""
    if subset:  # each shown line replaced by the actual line for the same file, layer and rule
        keys = {line.split(" ", 2)[0] + line.split(" ", 2)[1]: line for line in actual if ": " in line}
        shown = [keys.get(e.split(" ", 2)[0] + e.split(" ", 2)[1], e) if ": " in e and e != "..." else e
                 for e in expected[:-1]]
        return shown + actual[-1:]
    if "..." not in expected:
        return actual
    head = expected.index("...")
    tail = len(expected) - 1 - expected[::-1].index("...")
    after = len(expected) - tail - 1
    middle = expected[head:tail + 1] if expected.count("...") > 1 else ["..."]
    return actual[:head] + middle + (actual[len(actual) - after:] if after else [])


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    """A fresh clone, as a user has it: the tracked files of this checkout (as they are now, so an
    uncommitted README change is tested too) committed into a new git repository."""
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    root = tmp_path_factory.mktemp("readme") / "keras-inspector"
    for name in filter(None, tracked.decode().split("\0")):
        source = REPO / name
        if source.is_file():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, root / name)
    env = environment(None)
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "a fresh clone"]):
        subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)
    return root


def environment(light) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    first = light.bin if light is not None else Path(sys.executable).parent
    env["PATH"] = os.pathsep.join([str(first), env.get("PATH", "")])
    env.update(TF_CPP_MIN_LOG_LEVEL="3", GIT_AUTHOR_NAME="dev", GIT_AUTHOR_EMAIL="dev@example.com",
               GIT_COMMITTER_NAME="dev", GIT_COMMITTER_EMAIL="dev@example.com", GIT_CONFIG_GLOBAL="/dev/null",
               GIT_PAGER="cat", PAGER="cat")
    return env


@pytest.fixture(scope="module")
def light(tmp_path_factory):
    from built_package import installed

    pytest.importorskip("build")
    return installed(tmp_path_factory.getbasetemp() / "built-package")


def _id(block: Block) -> str:
    first = block.commands[0].line if block.commands else ""
    return f"L{block.line}-" + re.sub(r"[^\w.-]+", "_", first)[:50]


@pytest.mark.parametrize("block", [b for b in BLOCKS if b.commands], ids=_id)
def test_readme_console_block(block: Block, workspace: Path, request) -> None:
    if block.mode == "skip":
        pytest.skip(block.reason or "marked skip in the README")
    if block.mode == "tf":
        pytest.importorskip("tensorflow")
    env = environment(request.getfixturevalue("light") if block.mode == "light" else None)
    committed = {p: p.read_bytes() for p in (REPO / "docs" / "examples").iterdir() if p.is_file()}
    failures, rewritten, status = [], [], 0
    for command in block.commands:
        done = subprocess.run(["bash", "-c", f"(exit {status}); {command.line}"], cwd=workspace, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600, check=False)
        status = done.returncode
        raw = relative(done.stdout.splitlines(), workspace)
        actual, expected = normal(raw), normal(command.output)
        subset = block.mode == "subset"
        same = matches(expected, actual, subset)
        if not same:
            failures.append(f"$ {command.line}\n--- README\n" + "\n".join(expected) + "\n+++ actual\n"
                            + "\n".join(actual))
        rewritten.append("$ " + command.line)
        rewritten += list(command.output) if same else updated(list(command.output), raw, subset)
    stale = [p for p, data in committed.items() if (workspace / p.relative_to(REPO)).read_bytes() != data]
    if UPDATE:
        for p in stale:
            shutil.copy2(workspace / p.relative_to(REPO), p)
        if failures:
            text = README.read_text(encoding="utf-8")
            README.write_text(text.replace("```console\n" + block.text, "```console\n" + "\n".join(rewritten) + "\n",
                                           1), encoding="utf-8")
        return
    assert not stale, f"README line {block.line}: the committed {', '.join(map(str, stale))} differ from what the command writes"
    assert not failures, f"README line {block.line}:\n" + "\n\n".join(failures)
