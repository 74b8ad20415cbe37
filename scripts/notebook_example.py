"""docs/examples/notebook.png: examples/notebook.ipynb run by a real kernel, exported to HTML by
nbconvert, and its first display (the interactive page of a fixture, inline) photographed in the
distribution's headless Chromium, with the layer the lint finding names selected.

    .venv/bin/python scripts/notebook_example.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))


def main() -> None:
    import nbclient
    import nbformat
    from browser import chromium
    from nbconvert import HTMLExporter
    from selenium.webdriver.support.ui import WebDriverWait

    notebook = REPO / "examples" / "notebook.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(notebook.parent)}}).execute()
    body, _ = HTMLExporter().from_notebook_node(nb)
    with tempfile.TemporaryDirectory() as tmp, chromium(width=1100, height=900) as driver:
        page = Path(tmp) / "notebook.html"
        page.write_text(body, encoding="utf-8")
        driver.get(page.as_uri())
        frame = driver.find_elements("css selector", "iframe.keras-inspector-page")[0]
        driver.switch_to.frame(frame)
        WebDriverWait(driver, 30).until(
            lambda d: d.execute_script("return document.documentElement.dataset.ready === 'true'"))
        node = driver.execute_script("""
            var data = JSON.parse(document.getElementById('model-data').textContent);
            return Array.from(document.querySelectorAll('#canvas g.node')).filter(function (g) {
              return data.nodes[g.id.slice(5)].name === 'left_lstm'; })[0];""")
        node.click()  # selected: its details and its finding in the side panel
        driver.switch_to.default_content()
        driver.execute_script("window.scrollTo(0, arguments[0].getBoundingClientRect().top + window.scrollY - 150);",
                              frame)
        out = REPO / "docs" / "examples" / "notebook.png"
        driver.save_screenshot(str(out))
        print(out)


if __name__ == "__main__":
    main()
