"""`inspect docs`: pages with diagram, summary, I/O, training and findings; byte-identical reruns;
`--check` exits 1 on stale or missing files and 0 when the folder is up to date."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import inspector
from inspector.diagram import RenderOptions
from inspector.docs_page import build_docs, page_names
from inspector.errors import UsageError
from inspector.summary import format_markdown

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures"
MODELS = [str(FIXTURES / "siamese_shared_lstm.keras"), str(FIXTURES / "three_outputs_weighted.keras"),
          str(FIXTURES / "bias_before_bn.h5")]


def docs(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "inspector", "docs", *args], check=False, capture_output=True,
                          text=True, env=env)


def test_page_contents() -> None:
    files = build_docs(MODELS, RenderOptions(), lint=True)
    assert sorted(files) == ["bias_before_bn.html", "bias_before_bn.md", "bias_before_bn.svg", "index.md",
                             "siamese_shared_lstm.html", "siamese_shared_lstm.md", "siamese_shared_lstm.svg",
                             "three_outputs_weighted.html", "three_outputs_weighted.md", "three_outputs_weighted.svg"]
    page = files["three_outputs_weighted.md"].decode()
    assert "![three_outputs_weighted architecture](three_outputs_weighted.svg)" in page
    assert "[Open the interactive diagram](three_outputs_weighted.html)" in page
    assert b'"code":"N102"' in files["bias_before_bn.html"]  # the page carries the findings
    assert "```mermaid\n%% three_outputs_weighted" in page
    # the summary table is inspector.summary's, not a copy
    table = format_markdown(inspector.load(MODELS[1])).splitlines()[4:]
    assert "\n".join(table[:3]) in page
    assert "| output | gender | `(None, 1)` | float32 | binary_crossentropy | 10 |" in page
    assert "- Loss `age`: `mse` × 0.25" in page
    assert "## Lint findings" in page
    bias = files["bias_before_bn.md"].decode()
    assert "`N102` bias-before-normalization" in bias
    assert b"N102" in files["bias_before_bn.svg"]
    assert b"shared" in files["siamese_shared_lstm.svg"]
    assert "[siamese_shared_lstm](siamese_shared_lstm.md)" in files["index.md"].decode()


def test_page_names_disambiguate_same_stem() -> None:
    assert page_names(["a/model.keras", "b/model.h5", "c/other.keras"]) == ["model-keras", "model-h5", "other"]
    assert page_names(["a/model.keras", "b/model.keras", "c/other.keras"]) == ["a-model", "b-model", "other"]
    assert page_names(["x/a/m.keras", "x/a/m.h5", "y/b/m.keras"]) == ["a-m-keras", "a-m-h5", "b-m-keras"]
    with pytest.raises(UsageError, match="like the page of x/a/m.keras"):
        page_names(["x/a/m.keras", "y/a/m.keras"])
    with pytest.raises(UsageError, match="like the page of a/m.keras"):
        page_names(["a/m.keras", "a/m.keras"])
    with pytest.raises(UsageError, match="index"):
        page_names(["models/index.keras", "other.h5"])


def test_same_file_name_in_two_folders_gets_two_pages(tmp_path: Path) -> None:
    """`inspect docs a/model.keras b/model.keras` wrote one page for both and linked both index
    rows to it: the parent folder now tells them apart."""
    for folder, fixture in (("a", "dense_functional.keras"), ("b", "qa_two_inputs.keras")):
        (tmp_path / folder).mkdir()
        shutil.copy(FIXTURES / fixture, tmp_path / folder / "model.keras")
    out = tmp_path / "docs"
    r = docs(str(tmp_path / "a" / "model.keras"), str(tmp_path / "b" / "model.keras"), "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in out.iterdir()) == ["a-model.html", "a-model.md", "a-model.svg", "b-model.html",
                                                      "b-model.md", "b-model.svg", "index.md"]
    assert (out / "a-model.md").read_text().startswith("# dense_functional\n")
    assert (out / "b-model.md").read_text().startswith("# qa_two_inputs\n")
    index = (out / "index.md").read_text()
    assert "[dense_functional](a-model.md)" in index and "[qa_two_inputs](b-model.md)" in index
    # the same folder name twice cannot be told apart: an error, not a silently shared page
    (tmp_path / "c" / "a").mkdir(parents=True)
    shutil.copy(FIXTURES / "dense_functional.keras", tmp_path / "c" / "a" / "model.keras")
    clash = tmp_path / "c" / "a" / "model.keras"
    r = docs(str(tmp_path / "a" / "model.keras"), str(clash), "-o", str(tmp_path / "d2"))
    assert r.returncode == 2
    assert r.stderr == (f"inspect: error: {clash}: its page would be a-model-keras.md, like the page of "
                        f"{tmp_path / 'a' / 'model.keras'}: rename one of the files\n")
    assert not (tmp_path / "d2").exists()


def test_reruns_are_byte_identical_and_check_detects_drift(tmp_path: Path) -> None:
    out = tmp_path / "docs"
    r = docs(*MODELS, "-o", str(out))
    assert r.returncode == 0, r.stderr
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    assert len(first) == 10
    r = docs(*MODELS, "-o", str(out))
    assert r.returncode == 0 and "0 of 10 files written" in r.stdout
    assert {p.name: p.read_bytes() for p in out.iterdir()} == first
    assert docs(*MODELS, "-o", str(out), "--check").returncode == 0

    (out / "siamese_shared_lstm.md").write_text("edited by hand\n")
    (out / "bias_before_bn.svg").unlink()
    r = docs(*MODELS, "-o", str(out), "--check")
    assert r.returncode == 1
    assert r.stdout.splitlines() == [f"{out / 'bias_before_bn.svg'}: missing",
                                     f"{out / 'siamese_shared_lstm.md'}: stale"]
    assert not (out / "bias_before_bn.svg").exists()  # --check writes nothing

    # a different drawing option is drift too
    docs(*MODELS, "-o", str(out))
    assert docs(*MODELS, "-o", str(out), "--check", "--rankdir", "LR").returncode == 1
    assert docs(*MODELS, "-o", str(out), "--check").returncode == 0


def test_bad_model_is_one_line_error(tmp_path: Path) -> None:
    bad = tmp_path / "not_a_model.keras"
    bad.write_text("hello")
    r = docs(str(bad), "-o", str(tmp_path / "d"))
    assert r.returncode == 2 and r.stderr.startswith("inspect: error:") and "Traceback" not in r.stderr


def test_an_unreadable_model_does_not_cost_the_others_their_pages(tmp_path: Path) -> None:
    """As lint does: the bad file is one error line and exit 2, the good one still gets its page."""
    models = tmp_path / "models"
    models.mkdir()
    shutil.copy(FIXTURES / "dense_functional.keras", models / "good.keras")
    (models / "bad.keras").write_text("hello")
    out = tmp_path / "docs"
    r = docs(str(models), "-o", str(out))
    assert r.returncode == 2
    assert r.stderr.splitlines() == [line for line in r.stderr.splitlines() if line.startswith(
        f"inspect: error: {models / 'bad.keras'}: ")] and len(r.stderr.splitlines()) == 1
    assert (out / "good.md").exists() and not (out / "bad.md").exists()
    again = docs(str(models), "-o", str(out), "--check")
    assert again.returncode == 2 and "up to date" in again.stdout


def test_fail_on_change_writes_then_fails_like_a_formatter(tmp_path: Path) -> None:
    out = tmp_path / "docs"
    model = str(FIXTURES / "dense_functional.keras")
    first = docs(model, "-o", str(out), "--fail-on-change")
    assert first.returncode == 1
    assert f"{out / 'dense_functional.md'}: rewritten" in first.stdout.splitlines()
    assert (out / "dense_functional.md").exists() and (out / "dense_functional.svg").exists()
    assert "[dense_functional](dense_functional.md)" in (out / "index.md").read_text()  # one page: listed too
    again = docs(model, "-o", str(out), "--fail-on-change")
    assert again.returncode == 0 and "0 of 4 files written" in again.stdout


def test_check_passes_with_another_graphviz_version(tmp_path: Path) -> None:
    """Graphviz writes its version into every SVG; pages made on one machine must not be stale on
    a machine whose `dot` is another version. The other version is a wrapper around the real dot."""
    real = shutil.which("dot")
    if real is None:
        pytest.skip("Graphviz is not installed")
    out = tmp_path / "docs"
    model = str(FIXTURES / "nested_submodel.keras")
    assert docs(model, "-o", str(out), "--expand-nested").returncode == 0
    svg = (out / "nested_submodel.svg").read_bytes()
    assert b"graphviz version" not in svg and b"<!--" not in svg
    ET.fromstring(svg)  # still a well-formed SVG
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "dot").write_text(f"#!/bin/sh\n{real} \"$@\" | sed 's/graphviz version [0-9.]* ([0-9.]*)/"
                              "graphviz version 99.1.0 (20991231.0000)/'\n")
    (fake / "dot").chmod(0o755)
    env = dict(os.environ, PATH=f"{fake}{os.pathsep}{os.environ['PATH']}")
    other = subprocess.run(["dot", "-Tsvg"], input="digraph { a }", capture_output=True, text=True, env=env,
                           check=True).stdout
    assert "graphviz version 99.1.0" in other  # the wrapper does stand in for another version
    r = docs(model, "-o", str(out), "--expand-nested", "--check", env=env)
    assert r.returncode == 0, r.stdout + r.stderr


def test_docs_without_graphviz_fall_back_to_mermaid(tmp_path: Path) -> None:
    """No `dot` on PATH: the pages are still written, with the Mermaid diagram inline and no SVG,
    and stderr says so once (not once per model)."""
    env = dict(os.environ, PATH=str(tmp_path / "empty"))
    out = tmp_path / "docs"
    models = MODELS[:2]
    r = docs(*models, "-o", str(out), env=env)
    assert r.returncode == 0, r.stderr
    assert r.stderr.count("inspect: warning:") == 1
    assert r.stderr.startswith(f"inspect: warning: {out}: the Graphviz `dot` program is not installed")
    assert sorted(p.name for p in out.iterdir()) == ["index.md", "siamese_shared_lstm.md", "three_outputs_weighted.md"]
    page = (out / "siamese_shared_lstm.md").read_text()
    assert ".svg" not in page and "<details>" not in page
    mermaid = page.split("## Diagram\n\n```mermaid\n", 1)[1].split("```", 1)[0]
    assert mermaid.startswith("%% siamese_shared_lstm") and "same weights" in mermaid
    assert docs(*models, "-o", str(out), "--check", env=env).returncode == 0
    # with Graphviz back, the picture returns (so the docs are stale until regenerated)
    assert docs(*models, "-o", str(out), "--check").returncode == 1


def test_index_is_the_same_whichever_models_a_run_was_given(tmp_path: Path) -> None:
    """pre-commit passes only the staged models, maybe in batches: the index lists every page
    already in the folder (recognised by its marker) plus the new ones, sorted by page name."""
    together, apart = tmp_path / "together", tmp_path / "apart"
    assert docs(*MODELS, "-o", str(together)).returncode == 0
    (apart).mkdir()
    (apart / "notes.md").write_text("# Notes written by hand\n")  # not a page of this tool: not indexed
    for model in reversed(MODELS):  # one model per run, in another order
        r = docs(model, "-o", str(apart))
        assert r.returncode == 0, r.stderr
    index = (apart / "index.md").read_text()
    assert index == (together / "index.md").read_text()
    links = re.findall(r"\]\(([^)]+)\.md\)", index)
    assert links == sorted(Path(m).stem for m in MODELS) and "notes" not in index
    for model in MODELS:  # each batch alone finds its pages and the index up to date
        r = docs(model, "-o", str(apart), "--check")
        assert r.returncode == 0, r.stdout + r.stderr
    assert docs(*MODELS, "-o", str(apart), "--check").returncode == 0
    # a damaged index is stale whichever batch checks it
    (apart / "index.md").write_text("stale\n")
    r = docs(MODELS[0], "-o", str(apart), "--check")
    assert r.returncode == 1 and r.stdout == f"{apart / 'index.md'}: stale\n"


def test_separate_runs_never_overwrite_another_models_page(tmp_path: Path) -> None:
    """pre-commit splits runs: `docs a/model.keras` then `docs b/model.keras` into one folder wrote
    b's page over a's `model.md`. The markers record each page's model (relative to the current
    directory), so b gets its own page, and a's reruns reuse a's page untouched."""
    for folder, fixture in (("a", "dense_functional.keras"), ("b", "qa_two_inputs.keras")):
        (tmp_path / folder).mkdir()
        shutil.copy(FIXTURES / fixture, tmp_path / folder / "model.keras")
    a, b, out = "a/model.keras", "b/model.keras", "docs"

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "inspector", "docs", *args, "-o", out], cwd=tmp_path,
                              check=False, capture_output=True, text=True)

    assert run(a).returncode == 0
    r = run(b)
    assert r.returncode == 0, r.stderr
    folder = tmp_path / out
    assert sorted(p.name for p in folder.iterdir()) == ["b-model.html", "b-model.md", "b-model.svg", "index.md",
                                                        "model.html", "model.md", "model.svg"]
    assert (folder / "model.md").read_text().startswith("# dense_functional\n")
    assert (folder / "b-model.md").read_text().startswith("# qa_two_inputs\n")
    assert '"path": "a/model.keras"' in (folder / "model.md").read_text()
    index = (folder / "index.md").read_text()
    assert "[dense_functional](model.md)" in index and "[qa_two_inputs](b-model.md)" in index
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    r = run(a)
    assert r.returncode == 0 and r.stdout.startswith("0 of 4 files written"), r.stdout + r.stderr
    # the same model spelled absolutely is still the same model: its page (and the index row)
    # would show the path as given, but no second page is made for it
    r = run(str(tmp_path / "a" / "model.keras"), "--check")
    assert r.returncode == 1 and r.stdout == f"{out}/index.md: stale\n{out}/model.html: stale\n{out}/model.md: stale\n"
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    for model in (a, b, f"./{b}"):
        r = run(model, "--check")
        assert r.returncode == 0, r.stdout + r.stderr
    r = run(a, b, "--check")  # the two together keep the names the separate runs chose
    assert r.returncode == 0, r.stdout + r.stderr


def test_page_names_keep_existing_pages() -> None:
    existing = {"model": {"model": "x", "file": "a/model.keras", "path": "a/model.keras", "class": "Functional",
                          "layers": "3", "parameters": "10"}}
    assert page_names(["a/model.keras"], existing) == ["model"]
    assert page_names(["b/model.keras"], existing) == ["b-model"]
    assert page_names(["b/model.keras", "a/model.keras"], existing) == ["b-model", "model"]
    assert page_names(["c/other.keras"], existing) == ["other"]
    # a page written before markers recorded `path` is matched by its `file`
    old = {"model": {k: v for k, v in existing["model"].items() if k != "path"}}
    assert page_names(["b/model.keras"], old) == ["b-model"]
    taken = {**existing, "b-model": {**existing["model"], "file": "z/b-model.keras", "path": "z/b-model.keras"},
             "b-model-keras": {**existing["model"], "file": "y/b-model.keras", "path": "y/b-model.keras"}}
    with pytest.raises(UsageError, match="the page of a/model.keras in the output folder"):
        page_names(["b/model.keras"], taken)


def test_a_folder_stands_for_the_models_in_it(tmp_path) -> None:
    """`inspect docs models/ -o docs/models` was 'directory is not a SavedModel': lint and scan
    take folders, docs now does too (searched as they search it)."""
    models = tmp_path / "models"
    (models / "sub").mkdir(parents=True)
    shutil.copy(FIXTURES / "dense_functional.keras", models)
    shutil.copy(FIXTURES / "unused_input.h5", models / "sub")
    (models / "notes.txt").write_text("not a model")
    out = tmp_path / "docs"
    done = docs(str(models), "-o", str(out), "--no-lint")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.glob("*.md")) == ["dense_functional.md", "index.md", "unused_input.md"]
    empty = tmp_path / "empty"
    empty.mkdir()
    done = docs(str(empty), "-o", str(out))
    assert done.returncode == 2
    assert done.stderr.splitlines() == [f"inspect: error: {empty}: no model files found"]
