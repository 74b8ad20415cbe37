"""Write the interactive pages of the fixtures and of ResNet50 into docs/examples/, and the README's
screenshots of ResNet50's page (light and dark) taken in the distribution's headless Chromium.

Run from the repository root: `.venv/bin/python scripts/page_examples.py` (builds ResNet50 with
weights=None once, so it imports Keras; the pages themselves never do)."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from browser import chromium, console_errors, open_page

import inspector

EXAMPLES = REPO / "docs" / "examples"
FIXTURE_PAGES = ["siamese_shared_lstm", "siamese_unshared_lstm", "nested_submodel", "inception_module",
                 "residual_projection", "three_outputs_weighted", "bias_before_bn"]


def resnet50(folder: Path) -> Path:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    path = folder / "resnet50.keras"
    keras.applications.ResNet50(weights=None).save(path)
    return path


def shoot(page: Path, png: Path, fragment: str = "", dark: bool = False) -> None:
    with chromium(width=1440, height=1000) as driver:
        open_page(driver, page, fragment)
        if fragment:  # one step back from the selected layer: its closed neighbour blocks show too
            driver.find_element("id", "zoom-out").click()
            driver.execute_script("document.activeElement.blur()")
        if dark:
            driver.find_element("id", "theme").click()  # auto -> light
            driver.find_element("id", "theme").click()  # light -> dark
        errors = console_errors(driver)
        if errors:
            raise SystemExit(f"{page}: console errors: {errors}")
        driver.save_screenshot(str(png))
    print(png.relative_to(REPO))


def main() -> None:
    os.chdir(REPO)  # pages name their model by the path given: keep it relative
    for name in FIXTURE_PAGES:
        out = EXAMPLES / f"{name}.html"
        inspector.render(f"fixtures/{name}.keras", out, lint=True)
        print(out.relative_to(REPO))
    with tempfile.TemporaryDirectory() as tmp:
        model = resnet50(Path(tmp))
        page = EXAMPLES / "resnet50.html"
        cwd = Path.cwd()
        os.chdir(tmp)  # the page then names the file resnet50.keras, not a temporary folder
        try:
            inspector.render("resnet50.keras", page, lint=True, collapse=("auto",))
        finally:
            os.chdir(cwd)
        print(page.relative_to(REPO), f"{page.stat().st_size:,} bytes", model.name)
    shoot(page, EXAMPLES / "resnet50_page.png")
    shoot(page, EXAMPLES / "resnet50_page_selected.png", "#conv3_block2_2_conv")
    shoot(page, EXAMPLES / "resnet50_page_selected_dark.png", "#conv3_block2_2_conv", dark=True)


if __name__ == "__main__":
    main()
