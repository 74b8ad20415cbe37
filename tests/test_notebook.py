"""examples/notebook.ipynb run by a real Jupyter kernel (nbclient + ipykernel), its outputs checked,
then exported to HTML by nbconvert and opened in the distribution's Chromium: each model page
inline in its own sandboxed frame, every layer drawn, no script error.

The notebook builds a live keras.Model, so the kernel imports TensorFlow (about 10 s). Without a
browser the browser test skips on a workstation and fails in CI (CI=true)."""

from __future__ import annotations

import html
import os
import re
from pathlib import Path

import pytest
from browser import chromium, console_errors, missing

import inspector
from inspector import load

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "examples" / "notebook.ipynb"
UNSHARED = REPO / "fixtures" / "siamese_unshared_lstm.keras"
LIVE_LAYERS = {"pixels", "conv", "pool", "digit"}  # the live model the notebook builds


@pytest.fixture(scope="module")
def executed():
    """The notebook after a real kernel ran every cell, from its own folder as Jupyter does."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    pytest.importorskip("tensorflow")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    return nb


def rich(cell) -> dict:
    """The cell's one display (or result): its mime bundle."""
    shown = [o for o in cell.outputs if o.output_type in ("display_data", "execute_result")]
    assert len(shown) == 1, cell.outputs
    assert not [o for o in cell.outputs if o.output_type == "error"]
    return shown[0]["data"]


def srcdoc(markup: str) -> str:
    match = re.fullmatch(r'<iframe [^>]*sandbox="allow-scripts" srcdoc="([^"]*)"[^>]*></iframe>', markup)
    assert match, markup[:300]
    return html.unescape(match.group(1))


def code_cells(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code"]


def test_every_cell_displays_html_and_text(executed, monkeypatch) -> None:
    show, lint, summary, diff, live, live_lint = code_cells(executed)
    page = srcdoc(rich(show)["text/html"])
    monkeypatch.chdir(NOTEBOOK.parent)  # where the kernel ran
    assert page == inspector.page("../fixtures/" + UNSHARED.name).html  # `inspect render --lint -o x.html`
    assert rich(show)["text/plain"].startswith('Model: "siamese_unshared_lstm" (Functional)')

    assert "W101" in rich(lint)["text/html"] and "weight-sharing-opportunity" in rich(lint)["text/html"]
    assert rich(lint)["text/plain"].endswith("1 finding (1 warning).")

    table = rich(summary)["text/html"]
    assert "shared_lstm[1]" in table and "shared with shared_lstm[0]" in table and "1,633" in table
    assert rich(summary)["text/plain"].startswith('Model: "siamese_shared_lstm"')

    report = rich(diff)["text/html"]
    assert "~ shared_lstm (LSTM)  was left_lstm" in html.unescape(report)
    assert "Findings: 0 introduced, 1 fixed" in rich(diff)["text/plain"]

    live_page = srcdoc(rich(live)["text/html"])
    assert '"name":"no_flatten"' in live_page and "height:420px" in rich(live)["text/html"]
    assert "A102" in rich(live_lint)["text/html"]  # the Dense on the pooled feature map


def test_exported_notebook_draws_each_page_in_chromium(executed, tmp_path: Path) -> None:
    reason = missing()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"no browser in CI: {reason}")
        pytest.skip(reason)
    from nbconvert import HTMLExporter
    from selenium.webdriver.support.ui import WebDriverWait

    body, _ = HTMLExporter().from_notebook_node(executed)
    out = tmp_path / "notebook.html"
    out.write_text(body, encoding="utf-8")
    expected = [{"/".join((*p, layer.name)) for p, layer in load(UNSHARED).walk()}, LIVE_LAYERS]
    with chromium() as driver:
        driver.get(out.as_uri())
        frames = driver.find_elements("css selector", "iframe.keras-inspector-page")
        assert len(frames) == 2
        for frame, layers in zip(frames, expected):
            driver.switch_to.frame(frame)
            WebDriverWait(driver, 30).until(
                lambda d: d.execute_script("return document.documentElement.dataset.ready === 'true'"))
            drawn = set(driver.execute_script("""
                var data = JSON.parse(document.getElementById('model-data').textContent);
                return Array.from(document.querySelectorAll('#canvas g.node')).map(function (g) {
                  return data.nodes[g.id.slice(5)]; }).filter(function (n) { return n.kind !== 'block'; })
                  .map(function (n) { return n.layers[0]; });"""))
            assert drawn == layers
            # the frame is its own document: the notebook's page is out of its reach
            assert driver.execute_script("try { return parent.document.title; } catch (e) { return 'blocked'; }") \
                == "blocked"
            driver.switch_to.default_content()
        # nbconvert's template links require.js and MathJax from a CDN, unreachable offline: not ours
        errors = [e for e in console_errors(driver) if "cdnjs.cloudflare.com" not in e]
        assert errors == []


def test_outside_a_notebook_results_stay_plain(capsys) -> None:
    """In a terminal `show` prints the summary and findings; the results stay a list and a dict."""
    import json

    from inspector.summary import summary_dict

    inspector.show(UNSHARED)
    printed = capsys.readouterr().out
    assert printed.startswith('Model: "siamese_unshared_lstm" (Functional)')
    assert "W101 weight-sharing-opportunity" in printed and printed.rstrip().endswith("1 finding (1 warning).")
    summary = inspector.summarize(UNSHARED)
    assert summary == summary_dict(load(UNSHARED)) and json.loads(json.dumps(summary)) == summary
    findings = inspector.lint(UNSHARED)
    assert isinstance(findings, list) and [f.code for f in findings] == ["W101"]
    assert repr(findings).startswith("[<Finding ")
    assert inspector.lint(REPO / "fixtures" / "dense_functional.keras")._repr_html_().startswith(
        '<div style="font-weight:600;margin:4px 0">No findings</div>')
