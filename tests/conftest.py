"""Shared paths, the `slow` marker and the keras.applications models, built once per session,
for the loader, graph, corpus, lint, render and CLI tests."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures"
CORPUS = REPO.parent / "shared" / "corpus"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-snapshots", action="store_true", default=False,
                     help="rewrite tests/snapshots/ from what the code produces now, instead of comparing")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: builds large Keras models (seconds each); CI still runs them")


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    if not (FIXTURES / "manifest.json").is_file():
        pytest.skip("fixtures/ has not been built (run fixtures/build.py)")
    return FIXTURES


@pytest.fixture(scope="session")
def manifest(fixtures_dir: Path) -> dict:
    return json.loads((fixtures_dir / "manifest.json").read_text())


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"corpus folder {CORPUS} is missing")
    return CORPUS


@pytest.fixture(scope="session")
def keras():
    """Keras 3, imported once per session and only by tests that compare against it."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    return pytest.importorskip("keras")


APPLICATIONS = {  # name -> input shape: small (weights=None allows any), so building stays fast
    "VGG16": (32, 32, 3),
    "ResNet50": (32, 32, 3),
    "MobileNetV2": (32, 32, 3),
    "InceptionV3": (75, 75, 3),
    "DenseNet121": (32, 32, 3),
    "EfficientNetB0": (32, 32, 3),
    "Xception": (71, 71, 3),
    "NASNetMobile": (32, 32, 3),
}
"""The keras.applications models the tests inspect; each is built with its classifier top,
`classes=10` and `weights=None` (nothing is downloaded)."""
SLOW_APPLICATIONS = {"NASNetMobile"}  # builds and saves in ~10 s, as long as the others together


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test taking `application_name` runs once per model in APPLICATIONS (the slow ones marked
    `slow`), so no test file keeps its own list."""
    if "application_name" in metafunc.fixturenames:
        metafunc.parametrize("application_name", [
            pytest.param(name, marks=[pytest.mark.slow] if name in SLOW_APPLICATIONS else [])
            for name in APPLICATIONS
        ])


@dataclass(frozen=True)
class Application:
    """One keras.applications model saved both ways, and the live model it was saved from."""

    name: str
    keras: Path  # the .keras zip
    h5: Path  # the legacy HDF5 file
    model: Any  # the keras.Model, for tests that compare the inspector with Keras itself

    def path(self, fmt: str) -> Path:
        """The file of one format, "keras" or "h5"."""
        return {"keras": self.keras, "h5": self.h5}[fmt]


@pytest.fixture(scope="session")
def keras_applications(keras, tmp_path_factory) -> Callable[[str], Application]:
    """`get(name) -> Application`: each model in APPLICATIONS is built and saved on first request
    and kept for the whole session, so the loader, lint and render tests build it once between
    them (ResNet50 or NASNetMobile takes seconds to build and save) and a run that deselects the
    slow tests never builds the models only they use."""
    folder = tmp_path_factory.mktemp("applications")
    built: dict[str, Application] = {}

    def get(name: str) -> Application:
        if name not in built:
            model = getattr(keras.applications, name)(weights=None, input_shape=APPLICATIONS[name], classes=10)
            app = Application(name, folder / f"{name}.keras", folder / f"{name}.h5", model)
            model.save(app.keras)
            model.save(app.h5)
            keras.backend.clear_session()  # the next model's layer names start afresh
            built[name] = app
        return built[name]

    return get
