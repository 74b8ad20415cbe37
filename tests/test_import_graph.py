"""No import circles inside the package: two modules that need each other are one module in two
files, and a lazy import only hides the circle from the interpreter (scripts/import_graph.py)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "import_graph.py"


def _script():
    spec = importlib.util.spec_from_file_location("import_graph", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_package_has_no_import_cycle():
    graph = _script()
    found = graph.cycles(graph.import_graph())
    assert found == [], "import circles: " + "; ".join(
        " -> ".join(graph.shortest_circle(graph.import_graph(), c)) for c in found)


def test_the_seams_issue_19_named_stay_cut():
    edges = _script().import_graph()
    assert "inspector.rules.security.unsafe_lambda" not in edges["inspector.export.tf2onnx_route"]
    assert not any(m.startswith("inspector.rules.") for name, targets in edges.items()
                   if name.startswith("inspector.export") for m in targets), "export imports no rule"
    assert "inspector.security.lambdas" in edges["inspector.rules.security.unsafe_lambda"]
    assert "inspector.security.lambdas" in edges["inspector.security.config_scan"]
    assert "inspector.loaders.savedmodel" not in edges["inspector.security.savedmodel_ops"]


def test_a_circle_is_found_through_lazy_and_relative_imports(tmp_path):
    """The detector itself: a circle closed by an import inside a function, written relatively."""
    package = tmp_path / "inspector"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("from inspector.a import run\n")
    (package / "a.py").write_text("def run():\n    from inspector.sub import b\n    return b\n")
    (package / "sub" / "__init__.py").write_text("")
    (package / "sub" / "b.py").write_text("from .. import a\nimport inspector.sub.c\n")
    (package / "sub" / "c.py").write_text("def f():\n    from inspector import sub\n")
    graph = _script()
    edges = graph.import_graph({"inspector": package})
    assert edges["inspector.a"] == {"inspector.sub.b"}
    assert edges["inspector.sub.b"] == {"inspector.a", "inspector.sub.c"}
    assert edges["inspector.sub.c"] == set(), "a call back into an enclosing package is not an edge"
    assert graph.cycles(edges) == [["inspector.a", "inspector.sub.b"]]
    assert graph.shortest_circle(edges, ["inspector.a", "inspector.sub.b"]) == [
        "inspector.a", "inspector.sub.b", "inspector.a"]


def test_the_script_prints_the_graph_and_exits_0_without_cycles():
    done = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout
    lines = done.stdout.splitlines()
    assert "inspector.export.route -> " in "\n".join(lines)
    assert lines[-1].endswith("0 cycles")
