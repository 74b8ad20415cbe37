"""The package as an index would serve it: `python -m build` once per test session, then the wheel
(with the onnx extra) in a fresh virtual environment, for tests/test_package.py and test_action.py.

No editable install and no source tree on sys.path: the tests run its console script from a
temporary folder. Dependencies come through the machine's pip configuration (its indexes, its cache),
the package itself only from the wheel built here."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import venv
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Installed:
    dist: Path  # the sdist and the wheel
    env: Path  # the virtual environment

    @property
    def bin(self) -> Path:
        return self.env / "bin"

    def environ(self) -> dict[str, str]:
        """The process environment of a user of this venv: its bin first, nothing of this checkout."""
        env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
        repo_bin = str(Path(sys.executable).parent)
        path = [p for p in env.get("PATH", "").split(os.pathsep) if p and p != repo_bin]
        env["PATH"] = os.pathsep.join([str(self.bin), *path])
        env["VIRTUAL_ENV"] = str(self.env)
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        return env

    def run(self, *args: str, cwd: Path, check: bool = False) -> subprocess.CompletedProcess:
        done = subprocess.run(list(args), cwd=cwd, env=self.environ(), capture_output=True, text=True,
                              timeout=600, check=False)
        if check and done.returncode != 0:
            raise AssertionError(f"{' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
        return done


def _pip(python: Path, *args: str) -> None:
    subprocess.run([str(python), "-m", "pip", "--disable-pip-version-check", "--no-input", *args],
                   check=True, capture_output=True, text=True, timeout=900)


@functools.cache
def installed(root: Path) -> Installed:
    """Build the sdist and the wheel from this checkout into `root`/dist and install the wheel,
    with the onnx extra, into the fresh venv `root`/venv (once per process)."""
    dist, env = root / "dist", root / "venv"
    subprocess.run([sys.executable, "-m", "build", "--outdir", str(dist), str(REPO)], check=True,
                   capture_output=True, text=True, timeout=900)
    venv.EnvBuilder(with_pip=True, clear=True).create(env)
    [wheel] = dist.glob("keras_inspector-*.whl")
    _pip(env / "bin" / "python", "install", f"{wheel}[onnx]")
    return Installed(dist, env)
