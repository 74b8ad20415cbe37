"""The git recipes, with the real git in a temporary repository: `summary --textconv` behind
`git diff`, `git log -p` and `git show`, and `inspect diff --base REF` as a CI job runs it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=repo,
                          capture_output=True, text=True, check=True)
    return done.stdout


def inspect(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "inspector", *args], cwd=repo, capture_output=True, text=True,
                          check=False)


@pytest.fixture()
def repo(tmp_path, fixtures_dir) -> Path:
    """A repository whose model.keras went from two unshared LSTMs to one shared LSTM."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / ".gitattributes").write_text("*.keras diff=keras\n*.h5 diff=keras\n")
    # the README recipe, with this interpreter standing in for the `inspect` script
    git(repo, "config", "diff.keras.textconv", f"{sys.executable} -m inspector summary --textconv")
    shutil.copy(fixtures_dir / "siamese_unshared_lstm.keras", repo / "model.keras")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "unshared")
    git(repo, "checkout", "-q", "-b", "share")
    shutil.copy(fixtures_dir / "siamese_shared_lstm.keras", repo / "model.keras")
    return repo


def test_textconv_makes_git_diff_log_and_show_readable(repo):
    diff = git(repo, "diff", "model.keras")
    assert "Binary files" not in diff
    assert "-layer left_lstm (LSTM) params 1,600" in diff
    assert "+layer shared_lstm (LSTM) params 1,600, shared ×2" in diff
    assert "+  call 1: right[0]:0 -> (None, 16)" in diff
    git(repo, "commit", "-q", "-am", "share the LSTM")
    for shown in (git(repo, "log", "-p", "-1"), git(repo, "show", "HEAD")):
        assert "+layer shared_lstm (LSTM) params 1,600, shared ×2" in shown
        assert "-layer right_lstm (LSTM) params 1,600" in shown
    assert "Binary files" in git(repo, "show", "--no-textconv", "HEAD")


def test_textconv_is_stable_and_path_free(repo, fixtures_dir):
    first = inspect(repo, "summary", "--textconv", "model.keras")
    copy = repo / "elsewhere.keras"
    shutil.copy(repo / "model.keras", copy)
    second = inspect(repo, "summary", "--textconv", str(copy))
    assert first.returncode == 0 and first.stdout == second.stdout
    assert "model.keras" not in first.stdout
    assert "  units = 16" in first.stdout.splitlines()


def test_ci_recipe_diffs_against_main(repo):
    """What the CI job in the README runs: every changed model against main, as Markdown."""
    git(repo, "commit", "-q", "-am", "share the LSTM")
    changed = git(repo, "diff", "--name-only", "--diff-filter=d", "main...HEAD", "--", "*.keras", "*.h5").split()
    assert changed == ["model.keras"]
    report = inspect(repo, "diff", "--base", "main", *changed, "--format", "markdown", "--exit-code")
    assert report.returncode == 1, report.stderr
    assert report.stdout.startswith("### Model diff: `main:model.keras` → `model.keras`")
    assert "now call 2 of shared_lstm: shares its weights" in report.stdout
    as_json = json.loads(inspect(repo, "diff", "--base", "main", "model.keras", "--format", "json").stdout)
    assert [d["old"]["path"] for d in as_json] == ["main:model.keras"]
    assert inspect(repo, "diff", "--base", "HEAD", "model.keras", "--exit-code").returncode == 0


def test_base_reports_new_files_and_bad_refs(repo, fixtures_dir):
    shutil.copy(fixtures_dir / "dense_functional.keras", repo / "new.keras")
    done = inspect(repo, "diff", "--base", "main", "new.keras", "--exit-code")
    assert (done.returncode, done.stdout) == (1, "new.keras: new file, not in main\n")
    bad = inspect(repo, "diff", "--base", "no-such-branch", "model.keras")
    assert bad.returncode == 2
    assert bad.stderr.startswith("inspect: error: model.keras: cannot read it at no-such-branch:")
    (repo / "junk.h5").write_bytes(b"not a model")
    git(repo, "add", "junk.h5")
    git(repo, "commit", "-q", "-m", "junk")
    shutil.copy(fixtures_dir / "dense_functional.h5", repo / "junk.h5")
    junk = inspect(repo, "diff", "--base", "HEAD", "junk.h5")
    assert junk.returncode == 2
    assert junk.stderr.startswith("inspect: error: HEAD:junk.h5: not a model file")  # not the temp copy


def test_textconv_of_an_unreadable_file_keeps_git_diff_working(repo):
    """A failing textconv aborts `git diff`; a damaged model is shown as one line and a hash."""
    (repo / "model.keras").write_bytes(b"PK\x03\x04 truncated")
    diff = git(repo, "diff", "model.keras")
    assert "+unreadable model: " in diff
    assert "-layer left_lstm (LSTM) params 1,600" in diff
