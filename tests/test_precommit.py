"""The real pre-commit program runs this repository's hooks in a fresh git repository.

The hook source is this repository at its committed HEAD (pre-commit installs hooks from a
commit), with the light core dependencies only: the test also checks TensorFlow is not among them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
PRE_COMMIT = Path(sys.executable).with_name("pre-commit")

pytestmark = pytest.mark.skipif(not PRE_COMMIT.exists(), reason="pre-commit is not installed")


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def user_repo(tmp_path_factory):
    head = _git(ROOT, "rev-parse", "HEAD").stdout.strip()
    if not head or _git(ROOT, "cat-file", "-e", f"{head}:.pre-commit-hooks.yaml").returncode:
        pytest.skip("the hooks file is not committed in this checkout")
    repo = tmp_path_factory.mktemp("user_repo")
    home = tmp_path_factory.mktemp("pre_commit_home")
    _git(repo, "init", "-q")
    _git(repo, "config", "user.email", "dev@example.com")
    _git(repo, "config", "user.name", "dev")
    (repo / ".pre-commit-config.yaml").write_text(
        "repos:\n"
        f"  - repo: {ROOT}\n"
        f"    rev: {head}\n"
        "    hooks:\n"
        "      - id: inspector-lint\n"
        "      - id: inspector-docs\n"
        "        args: [--output, docs/models]\n"
    )
    env = {**os.environ, "PRE_COMMIT_HOME": str(home)}
    env.pop("VIRTUAL_ENV", None)
    installed = subprocess.run([str(PRE_COMMIT), "install"], cwd=repo, env=env, capture_output=True, text=True,
                               check=False)
    assert installed.returncode == 0, installed.stderr
    _git(repo, "add", ".pre-commit-config.yaml")
    return repo, env, home


def _commit(repo: Path, env: dict, message: str) -> tuple[int, str]:
    """git commit with the hooks; git prints hook output on stderr, so both are returned as one."""
    done = subprocess.run(["git", "commit", "-m", message], cwd=repo, env=env, capture_output=True, text=True,
                          check=False)
    return done.returncode, done.stdout + done.stderr


def test_clean_model_commits_and_docs_are_generated(user_repo):
    repo, env, home = user_repo
    shutil.copy(FIXTURES / "dense_functional.keras", repo / "classifier.keras")
    _git(repo, "add", "classifier.keras")
    code, output = _commit(repo, env, "add a clean model")
    # like a formatter, the docs hook writes the page and fails the first time
    assert code == 1, output
    assert re.search(r"keras-inspector lint\.+Passed", output), output
    assert re.search(r"keras-inspector docs\.+Failed", output), output
    page = repo / "docs" / "models" / "classifier.md"
    assert page.exists() and "dense_functional" in page.read_text()
    _git(repo, "add", "docs")
    code, output = _commit(repo, env, "add a clean model with its docs")
    assert code == 0, output
    # the hook environment has the light core only
    pythons = list(home.glob("repo*/py_env-*/bin/python"))
    assert pythons, "pre-commit made no Python environment"
    probe = subprocess.run([str(pythons[0]), "-c", "import importlib.util as u; print(u.find_spec('tensorflow'))"],
                           capture_output=True, text=True, check=False)
    assert probe.stdout.strip() == "None"


def test_faulty_model_is_refused_with_the_finding(user_repo):
    repo, env, _ = user_repo
    shutil.copy(FIXTURES / "unused_input.h5", repo / "two_inputs.h5")
    _git(repo, "add", "two_inputs.h5")
    code, output = _commit(repo, env, "add a model with an unused input")
    assert code == 1
    assert re.search(r"keras-inspector lint\.+Failed", output), output
    assert "two_inputs.h5:metadata: G102 unused-input input 'metadata' is declared but no output depends on it" in output
    assert "unused input" not in _git(repo, "log", "--oneline").stdout



def test_model_with_only_info_notes_commits(user_repo):
    """The hooks use the default --fail-on (warning): a model whose only finding is an info note
    (bias-before-normalization) passes the lint hook and is committed."""
    repo, env, _ = user_repo
    # what an earlier test left (a refused model, staged, and the pages the docs hook wrote for
    # it) goes away: pre-commit stashes an unstaged index.md, and restoring it would undo the
    # hook's rewrite of the index, as it would for a user with uncommitted docs
    _git(repo, "reset", "-q")
    _git(repo, "checkout", "--", ".")
    _git(repo, "clean", "-fdq")
    shutil.copy(FIXTURES / "bias_before_bn.h5", repo / "bias.h5")
    _git(repo, "add", "bias.h5")
    code, output = _commit(repo, env, "add a model with a redundant bias")  # the docs hook writes its page
    assert re.search(r"keras-inspector lint\.+Passed", output), output
    _git(repo, "add", "docs")
    code, output = _commit(repo, env, "add a model with a redundant bias, and its docs")
    assert code == 0, output
    assert re.search(r"keras-inspector lint\.+Passed", output), output
    assert "redundant bias" in _git(repo, "log", "--oneline", "-1").stdout
