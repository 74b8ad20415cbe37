"""`inspect render -o model.html`: the interactive page, loaded in the distribution's headless
Chromium. Every layer must be in the DOM, search must select, a block must open in place, the
side panel must show the file's shapes and parameters, and the console must stay clean.

Without a browser these tests skip on a workstation but fail in CI (CI=true)."""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from browser import chromium, console_errors, missing, open_page

from inspector import load
from inspector.diagram import RenderOptions
from inspector.diagram.html import to_html
from inspector.engine import all_rules, lint_graph
from inspector.summary import format_shape

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures"
PAGE_FIXTURES = ["siamese_shared_lstm", "nested_submodel", "inception_module", "residual_projection",
                 "three_outputs_weighted", "bias_before_bn"]


def page(model, out: Path, lint: bool = True, collapse: tuple[str, ...] = ()) -> Path:
    graph = model if not isinstance(model, (str, Path)) else load(model)
    findings = tuple(lint_graph(graph, all_rules())) if lint else ()
    out.write_bytes(to_html(graph, RenderOptions(collapse=collapse, findings=findings), str(out), linted=lint))
    return out


def layer_paths(graph) -> set[str]:
    return {"/".join((*prefix, layer.name)) for prefix, layer in graph.walk()}


@pytest.fixture(scope="module")
def browser():
    reason = missing()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"no browser in CI: {reason}")
        pytest.skip(reason)
    with chromium() as driver:
        yield driver


def drawn_layers(driver) -> set[str]:
    """The layer of every node element in the page (shown or in a closed block)."""
    return set(driver.execute_script("""
        var data = JSON.parse(document.getElementById('model-data').textContent);
        return Array.from(document.querySelectorAll('#canvas g.node')).map(function (g) {
          return data.nodes[g.id.slice(5)]; }).filter(function (n) { return n.kind !== 'block'; })
          .map(function (n) { return n.layers[0]; });"""))


def selected(driver) -> str | None:
    return driver.execute_script("var s = document.querySelector('#canvas g.node.selected');"
                                 "return s ? s.id.slice(5) : null;")


def panel(driver) -> str:
    return driver.find_element("id", "details").text


# -- without a browser -----------------------------------------------------------------------------
def test_page_is_self_contained_and_byte_identical(tmp_path: Path) -> None:
    first = page(FIXTURES / "siamese_unshared_lstm.keras", tmp_path / "a.html").read_bytes()
    again = page(FIXTURES / "siamese_unshared_lstm.keras", tmp_path / "b.html").read_bytes()
    assert first == again
    text = first.decode()
    # no fetch at view time: no external script, style, image or font; only SVG namespace URIs
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", text)
    assert set(re.findall(r"https?://[^\s\"')]+", text)) <= {"http://www.w3.org/2000/svg",
                                                            "http://www.w3.org/1999/xlink"}
    assert '"code":"W101"' in text and "weight-sharing-opportunity" in text  # findings and rule docs


def test_cli_writes_the_page_and_reports_errors(tmp_path: Path) -> None:
    out = tmp_path / "model.html"
    r = subprocess.run([sys.executable, "-m", "inspector", "render", str(FIXTURES / "nested_submodel.keras"),
                        "-o", str(out), "--lint"], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"{out}: ") and out.read_bytes().startswith(b"<!DOCTYPE html>")
    bad = tmp_path / "not_a_model.keras"
    bad.write_bytes(b"nope")
    r = subprocess.run([sys.executable, "-m", "inspector", "render", str(bad), "-o", str(tmp_path / "x.html")],
                       capture_output=True, text=True, check=False)
    assert r.returncode == 2 and r.stderr.startswith(f"inspect: error: {bad}:") and "Traceback" not in r.stderr


# -- in the browser --------------------------------------------------------------------------------
@pytest.mark.parametrize("name", PAGE_FIXTURES)
def test_fixture_page_has_every_layer_and_no_console_error(name: str, browser, tmp_path: Path) -> None:
    graph = load(FIXTURES / f"{name}.keras")
    open_page(browser, page(graph, tmp_path / f"{name}.html"))
    assert drawn_layers(browser) == layer_paths(graph)
    assert browser.find_element("id", "details").text.startswith(graph.name)
    assert console_errors(browser) == []


def test_nested_model_opens_in_place_and_shows_its_layers(browser, tmp_path: Path) -> None:
    graph = load(FIXTURES / "nested_submodel.keras")
    outer = next(layer for layer in graph.layers if layer.subgraph is not None)
    inner = next(layer for layer in outer.subgraph.layers if not layer.is_input)
    open_page(browser, page(graph, tmp_path / "nested.html"))
    host = browser.find_element("css selector", f'g.node[id="node:{outer.name}[0]"]')
    view = browser.find_element("css selector", f'g.view[data-view="{outer.name}[0]"]')
    assert not view.is_displayed()
    host.click()
    assert view.is_displayed() and not host.is_displayed()
    node = view.find_element("css selector", f'g.node[id="node:{outer.name}[0]/{inner.name}[0]"]')
    assert node.is_displayed()
    node.click()
    text = panel(browser)
    assert text.startswith(inner.name) and f"{outer.name}/{inner.name}" in text
    assert browser.current_url.endswith(f"#{outer.name}/{inner.name}")
    assert console_errors(browser) == []


def test_expand_nested_opens_the_nested_models_when_the_page_loads(browser, tmp_path: Path) -> None:
    graph = load(FIXTURES / "nested_submodel.keras")
    out = tmp_path / "nested.html"
    out.write_bytes(to_html(graph, RenderOptions(depth=-1)))
    open_page(browser, out)
    views = browser.find_elements("css selector", "g.view")
    assert len(views) == 3 and all(v.is_displayed() for v in views)  # the page, encoder, its projector
    browser.find_element("id", "stage").send_keys("c")  # collapse all
    assert [v.is_displayed() for v in views] == [True, False, False]


def test_onnx_model_page(browser, tmp_path: Path) -> None:
    from test_onnx_loader import _mlp, _save

    path = _save(_mlp(), tmp_path / "mlp.onnx")
    graph = load(path)
    open_page(browser, page(graph, tmp_path / "mlp.html"))
    assert drawn_layers(browser) == layer_paths(graph)
    assert console_errors(browser) == []


@pytest.fixture(scope="module")
def resnet_page(keras_applications, tmp_path_factory) -> tuple:
    graph = load(keras_applications("ResNet50").keras)
    out = page(graph, tmp_path_factory.mktemp("page") / "resnet50.html", collapse=("auto",))
    return graph, out


def test_resnet50_page_is_small(resnet_page) -> None:
    _, out = resnet_page
    assert out.stat().st_size < 1_000_000  # the bound is 2 MB


def test_resnet50_search_finds_and_selects_inside_a_closed_block(browser, resnet_page) -> None:
    graph, out = resnet_page
    open_page(browser, out)
    assert drawn_layers(browser) == layer_paths(graph)
    view = browser.find_element("css selector", 'g.view[data-view="block:conv3_block2"]')
    assert not view.is_displayed()
    box = browser.find_element("id", "search")
    box.send_keys("conv3_block2_2_c")
    assert browser.find_element("id", "search-count").text == "1 found"
    marked = browser.find_elements("css selector", "#canvas g.node.match")  # the closed block holding it
    assert [m.get_attribute("id") for m in marked] == ["node:block:conv3_block2"]
    box.send_keys("\n")
    assert selected(browser) == "conv3_block2_2_conv[0]"
    assert view.is_displayed()  # the block opened to show it
    assert browser.current_url.endswith("#conv3_block2_2_conv")
    # the side panel shows what the file says
    layer = graph.layer("conv3_block2_2_conv")
    call = graph.call(layer.calls[0])
    text = panel(browser)
    assert text.startswith("conv3_block2_2_conv\nConv2D")
    assert format_shape(graph.tensors[call.outputs[0]].shape) in text
    assert format_shape(graph.tensors[call.inputs[0]].shape) in text
    assert f"{layer.params:,}" in text
    for w in layer.weights:
        assert w.name in text and format_shape(w.shape) in text
    assert "N102" in text  # its finding, with the rule's documentation a click away
    browser.find_element("xpath", "//section[@id='details']//button[text()='rule documentation']").click()
    assert "bias-before-normalization" in browser.find_element("id", "rule-title").text
    browser.find_element("css selector", "#rule-doc button").click()
    assert console_errors(browser) == []


def test_resnet50_click_opens_a_block_in_place(browser, resnet_page) -> None:
    _, out = resnet_page
    open_page(browser, out)
    block = browser.find_element("css selector", 'g.node[id="node:block:conv2_block1"]')
    below = browser.find_element("css selector", 'g.node[id="node:block:conv2_block2"]')
    before = below.rect["y"]
    block.click()
    view = browser.find_element("css selector", 'g.view[data-view="block:conv2_block1"]')
    assert view.is_displayed() and not block.is_displayed()
    frame = view.find_element("css selector", "rect.frame").rect
    members = view.find_elements("css selector", "g.node")
    assert {m.get_attribute("id") for m in members} >= {"node:conv2_block1_1_conv[0]", "node:conv2_block1_out[0]"}
    for m in members:  # inside the frame, which pushed the rest of the drawing down
        r = m.rect
        assert frame["x"] <= r["x"] and r["x"] + r["width"] <= frame["x"] + frame["width"] + 1
        assert frame["y"] <= r["y"] and r["y"] + r["height"] <= frame["y"] + frame["height"] + 1
    assert below.rect["y"] > before and below.rect["y"] >= frame["y"] + frame["height"] - 1
    assert "Close" in panel(browser)
    browser.find_element("css selector", 'g.view[data-view="block:conv2_block1"] > text.frame-label').click()
    assert not view.is_displayed() and block.is_displayed()
    assert console_errors(browser) == []


def test_resnet50_expand_all_keeps_blocks_apart(browser, resnet_page) -> None:
    _, out = resnet_page
    open_page(browser, out)
    browser.find_element("id", "expand-all").click()
    frames, strays = browser.execute_script("""
        var frames = [], strays = [];
        document.querySelectorAll('#canvas g.view[data-view^="block:"]').forEach(function (v) {
          var f = v.querySelector(':scope > rect.frame').getBoundingClientRect();
          frames.push([f.left, f.top, f.right, f.bottom]);
          v.querySelectorAll(':scope > g.content > g.node').forEach(function (n) {
            var r = n.getBoundingClientRect();
            if (r.left < f.left - 0.5 || r.right > f.right + 0.5 || r.top < f.top - 0.5 || r.bottom > f.bottom + 0.5)
              strays.push(n.id);
          });
        });
        return [frames, strays];""")
    blocks = browser.find_elements("css selector", '#canvas g.node[id^="node:block:"]')
    assert len(frames) == len(blocks) == 17  # conv1 and the 16 residual blocks, all open...
    assert strays == []  # ...with their calls inside their frames
    frames.sort(key=lambda f: f[1])
    for upper, lower in itertools.pairwise(frames):
        assert upper[3] <= lower[1] + 0.5  # stacked, never overlapping
    assert console_errors(browser) == []


def test_resnet50_url_fragment_and_keyboard(browser, resnet_page) -> None:
    from selenium.webdriver.common.keys import Keys

    graph, out = resnet_page
    open_page(browser, out, "#conv2_block3_out")
    assert selected(browser) == "conv2_block3_out[0]"
    node = browser.find_element("css selector", 'g.node[id="node:conv2_block3_out[0]"]').rect
    stage = browser.find_element("id", "stage").rect
    assert stage["x"] <= node["x"] and node["x"] + node["width"] <= stage["x"] + stage["width"]  # in view
    stage_el = browser.find_element("id", "stage")
    stage_el.send_keys("n")  # the next call in order
    assert selected(browser) == graph.successors("conv2_block3_out[0]")[0]
    stage_el.send_keys(Keys.ESCAPE)
    assert selected(browser) is None and "#" not in browser.current_url
    stage_el.send_keys("/")
    assert browser.switch_to.active_element.get_attribute("id") == "search"
    browser.switch_to.active_element.send_keys("predictions", Keys.ENTER)
    assert selected(browser) == "predictions[0]"
    edges = browser.find_elements("css selector", "#canvas g.edge.selected")  # its edges stand out
    assert [(e.get_attribute("data-src"), e.get_attribute("data-dst")) for e in edges] == [
        ("avg_pool[0]", "predictions[0]")]
    # the colour scheme, from the keyboard too: auto -> light -> dark
    stage_el.send_keys("t", "t")
    assert browser.execute_script("return document.documentElement.dataset.theme") == "dark"
    assert browser.execute_script("return getComputedStyle(document.body).backgroundColor") == "rgb(13, 17, 23)"
    stage_el.send_keys("t")
    # the findings list selects a layer
    browser.find_element("css selector", "#findings button.finding").click()
    first = browser.execute_script("return JSON.parse(document.getElementById('model-data').textContent)"
                                   ".findings[0].layers[0]")
    assert selected(browser) == f"{first}[0]"
    assert console_errors(browser) == []


@pytest.mark.slow
def test_nasnetmobile_page_has_every_layer(browser, keras_applications, tmp_path: Path) -> None:
    graph = load(keras_applications("NASNetMobile").keras)
    out = page(graph, tmp_path / "nasnet.html", collapse=("auto",))
    open_page(browser, out)
    assert drawn_layers(browser) == layer_paths(graph)
    browser.find_element("id", "expand-all").click()
    hidden = browser.execute_script("return Array.from(document.querySelectorAll('#canvas g.node'))"
                                    ".filter(function (g) { return !g.classList.contains('expandable')"
                                    " && g.getBoundingClientRect().width === 0; }).length")
    assert hidden == 0  # every call is drawn once every block is open
    assert console_errors(browser) == []
