"""keras-inspector as a user gets it from a package index: `python -m build` makes the sdist and
the wheel, the wheel goes into a fresh virtual environment with the onnx extra (never TensorFlow),
and the CLI's main paths and the pre-commit hooks' commands run there, away from this checkout.
The metadata an index shows is checked too: license, URLs, classifiers, a description that
renders with links that lead somewhere."""

from __future__ import annotations

import email
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from built_package import REPO, installed

FIXTURES = REPO / "fixtures"

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot is needed for render")


@pytest.fixture(scope="module")
def pkg(tmp_path_factory):
    pytest.importorskip("build")
    return installed(tmp_path_factory.getbasetemp() / "built-package")


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A user's folder with two models in it; no source tree anywhere near."""
    shutil.copy(FIXTURES / "unused_input.keras", tmp_path / "unused_input.keras")
    shutil.copy(FIXTURES / "three_outputs_weighted.keras", tmp_path / "three.keras")
    return tmp_path


def test_the_venv_runs_the_wheel_not_this_checkout(pkg, work: Path) -> None:
    done = pkg.run("python", "-c", "import inspector, sys; print(inspector.__file__);"
                   f"print(any(p.startswith({str(REPO)!r}) for p in sys.path))", cwd=work, check=True)
    where, on_path = done.stdout.split()
    assert Path(where).is_relative_to(pkg.env) and on_path == "False"
    assert pkg.run("python", "-c", "import tensorflow", cwd=work).returncode == 1  # the light install
    assert pkg.run("inspect", "--version", cwd=work, check=True).stdout.strip() == "keras-inspector, version 0.1.0"


def test_lint_rule_render_export_from_the_wheel(pkg, work: Path) -> None:
    lint = pkg.run("inspect", "lint", ".", cwd=work)
    assert lint.returncode == 1, lint.stderr
    assert "unused_input.keras:metadata: G102 unused-input" in lint.stdout

    rule = pkg.run("inspect", "rule", "dense-on-feature-map", cwd=work, check=True)
    assert rule.stdout.startswith("# A102 dense-on-feature-map") and "## Why it matters" in rule.stdout
    assert "## Evidence" in rule.stdout and "96.7%" in rule.stdout  # the evidence JSON shipped in the wheel

    render = pkg.run("inspect", "render", "unused_input.keras", "-o", "x.html", "--lint", cwd=work, check=True)
    page = (work / "x.html").read_text()
    assert render.stdout.startswith("x.html:") and '"name":"unused_input"' in page and "<script src=" not in page

    export = pkg.run("inspect", "export", "three.keras", "-o", "three.onnx", cwd=work, check=True)
    assert "native converter" in export.stdout and "PASSED" in export.stdout
    assert "TensorFlow is not installed" in export.stdout  # verified with onnxruntime alone


def test_pre_commit_hooks_commands_from_the_wheel(pkg, work: Path) -> None:
    """Each hook of .pre-commit-hooks.yaml, its entry and args as pre-commit runs them on a staged
    model, in the venv the wheel went into."""
    hooks = {h["id"]: h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"inspector-lint", "inspector-docs"}
    for hook in hooks.values():
        assert re.search(hook["files"], "unused_input.keras") and "tensorflow" not in hook["additional_dependencies"]

    def run(hook_id: str) -> subprocess.CompletedProcess:
        hook = hooks[hook_id]
        return pkg.run(*hook["entry"].split(), *hook.get("args", []), "unused_input.keras", cwd=work)

    lint = run("inspector-lint")
    assert lint.returncode == 1 and "G102 unused-input" in lint.stdout
    first, second = run("inspector-docs"), run("inspector-docs")
    assert first.returncode == 1, first.stdout + first.stderr  # wrote the pages: fails once, like a formatter
    assert second.returncode == 0, second.stdout + second.stderr
    assert (work / "docs" / "models" / "unused_input.md").is_file()


def test_index_metadata(pkg) -> None:
    [wheel] = pkg.dist.glob("*.whl")
    with zipfile.ZipFile(wheel) as z:
        meta = email.message_from_bytes(z.read("keras_inspector-0.1.0.dist-info/METADATA"))
        names = z.namelist()
    assert meta["License-Expression"] == "MIT" and "keras_inspector-0.1.0.dist-info/licenses/LICENSE" in names
    assert meta["Requires-Python"] == ">=3.10"
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL"))
    assert {"Homepage", "Source", "Issues", "Documentation"} <= set(urls)
    from trove_classifiers import classifiers

    assert meta.get_all("Classifier") and set(meta.get_all("Classifier")) <= classifiers
    extras = set(meta.get_all("Provides-Extra"))
    assert {"tf", "onnx"} <= extras
    onnx = [r for r in meta.get_all("Requires-Dist") if 'extra == "onnx"' in r]
    assert {r.split(">=")[0] for r in onnx} == {"onnx", "onnxruntime", "tf2onnx"}  # as the README says

    description = meta.get_payload()
    assert meta["Description-Content-Type"] == "text/markdown"
    assert description.startswith("# keras-inspector")
    # every link and picture leads somewhere from an index page: absolute, or an anchor on the page
    targets = re.findall(r"!?\[[^\]]*\]\(([^)\s]+)\)", description)
    assert targets and all(re.match(r"https://|#", t) for t in targets), [t for t in targets if not t.startswith(("https://", "#"))]
    source = urls["Source"]
    assert f"({source}/blob/v0.1.0/docs/rules.md)" in description
    assert "(https://raw.githubusercontent.com/" in description  # pictures as files, not pages
    check = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", *map(str, pkg.dist.iterdir())],
                           capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stdout + check.stderr


def test_every_package_folder_is_listed_for_the_wheel() -> None:
    """setuptools packs only the packages pyproject.toml lists (rules/ is mapped to
    inspector.rules); a new folder left out installs a wheel that fails on first import."""
    import tomllib

    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {"inspector." + ".".join(p.parent.relative_to(REPO / "inspector").parts)
               for p in (REPO / "inspector").rglob("__init__.py")} | {
        ".".join(("inspector", "rules", *p.parent.relative_to(REPO / "rules").parts))
        for p in (REPO / "rules").rglob("__init__.py")}
    on_disk = {name.rstrip(".") for name in on_disk}
    assert listed == on_disk
