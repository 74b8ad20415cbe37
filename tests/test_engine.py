"""The engine: registry, selection by code/name/family, options, context, file discovery."""

from __future__ import annotations

from pathlib import Path

import pytest

from inspector.engine import (
    Finding,
    RuleOptions,
    Violation,
    all_rules,
    get_rule,
    lint_graph,
    resolve_options,
    rule,
    select_rules,
)
from inspector.errors import LoadError, UsageError
from inspector.graph import Source
from inspector.loaders.keras_config import parse_model
from inspector.rules import _examples as ex
from inspector.targets import discover


def test_all_rules_sorted_by_code_and_found_by_code_or_name():
    rules = all_rules()
    assert [r.code for r in rules] == sorted(r.code for r in rules)
    assert get_rule("N101").name == "missing-normalization"
    assert get_rule("n101") is get_rule("missing-normalization")
    with pytest.raises(UsageError, match="no rule named 'no-such-rule'"):
        get_rule("no-such-rule")


def test_select_by_code_name_and_family_prefix():
    codes = lambda rules: {r.code for r in rules}
    everything = codes(r for r in all_rules() if r.default)
    assert codes(select_rules(None, None)) == everything
    assert codes(select_rules(["N"], None)) == {c for c in everything if c.startswith("N")}
    assert codes(select_rules(["N10"], ["N102"])) == {c for c in everything if c.startswith("N10")} - {"N102"}
    assert codes(select_rules(["unsafe-lambda", "G101"], None)) == {"S101", "G101"}
    assert codes(select_rules(None, ["S", "missing-normalization"])) == {
        c for c in everything if not c.startswith("S")} - {"N101"}
    assert codes(select_rules(["ALL"], None)) == everything


def test_opt_in_rules_run_only_when_named():
    """The taste family T is off by default: a selector must name its code, name or family."""
    codes = lambda rules: {r.code for r in rules}
    taste = [r for r in all_rules() if r.family == "T"]
    assert taste and all(not r.default for r in taste)
    for unnamed in (select_rules(None, None), select_rules(["ALL"], None), select_rules(None, ["N101"])):
        assert not codes(taste) & codes(unnamed)
    assert codes(select_rules(["T"], None)) == codes(taste)
    for selector in ("T101", "shrinking-filters", "t101"):
        assert codes(select_rules([selector], None)) == {"T101"}, selector
    assert codes(select_rules(["N", "T"], None)) >= codes(taste)


def test_unknown_selector_is_a_usage_error():
    with pytest.raises(UsageError, match="unknown rule selector 'missing-normalisation'"):
        select_rules(["missing-normalisation"], None)
    with pytest.raises(UsageError, match="'Z'"):
        select_rules(None, ["Z"])


def test_options_merge_defaults_and_reject_unknown_or_mistyped():
    r = get_rule("missing-normalization")
    assert resolve_options(r, None) == {"depth": 16, "sigmoid-depth": 4}
    assert resolve_options(r, {"depth": 6}) == {"depth": 6, "sigmoid-depth": 4}
    with pytest.raises(UsageError, match="has no option 'deep'"):
        resolve_options(r, {"deep": 6})
    with pytest.raises(UsageError, match="must be a number"):
        resolve_options(r, {"depth": "six"})
    with pytest.raises(UsageError, match="integer"):
        resolve_options(r, {"depth": 4.5})


def test_rule_options_expose_values_and_context():
    opts = RuleOptions({"depth": 4, "min-classes": 3}, {"measured_losses": {"age": 3.2}})
    assert opts["depth"] == 4 and opts.min_classes == 3 and dict(opts) == {"depth": 4, "min-classes": 3}
    assert opts.context["measured_losses"] == {"age": 3.2}
    with pytest.raises(AttributeError):
        _ = opts.nothing


def test_finding_reads_like_a_linter_line():
    f = Finding("m.keras", "N101", "missing-normalization", "warning", "4 weight layers", ("dense", "d2"))
    assert str(f) == "m.keras:dense: N101 missing-normalization 4 weight layers"
    assert "m.keras:dense: N101" in repr(f)
    assert str(Finding("m.h5", "L102", "unbalanced-loss-weights", "warning", "x")) == \
        "m.h5: L102 unbalanced-loss-weights x"
    assert f.as_dict()["layers"] == ["dense", "d2"]


def test_rule_decorator_validates_identity():
    with pytest.raises(ValueError, match="capital letter"):
        rule("n1", "x", "warning")
    with pytest.raises(ValueError, match="kebab-case"):
        rule("X901", "Bad_Name", "warning")
    with pytest.raises(ValueError, match="severity"):
        rule("X901", "bad-severity", "fatal")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="clashes"):
        rule("N101", "another-name", "warning")(lambda graph, opts: iter(()))


def test_context_reaches_rules_and_findings_are_deduplicated():
    seen = {}

    def probe(graph, opts):
        seen.update(opts.context)
        yield Violation("same", ("output",))
        yield Violation("same", ("output",))

    from inspector.engine import Rule

    probe_rule = Rule("X999", "probe", "info", probe, {}, "", (), (), frozenset({"keras", "onnx"}))
    config = ex.dense_chain("m", [8])
    graph = parse_model(config, Source("<example>", "json"))
    findings = lint_graph(graph, [probe_rule], context={"measured_losses": {"output": 1.0}})
    assert seen == {"measured_losses": {"output": 1.0}}
    assert len(findings) == 1 and findings[0].severity == "info"


def test_violations_sharing_a_pattern_fold_into_one_finding_with_count_and_places():
    def repeated(graph, opts):
        yield Violation("one-off", ("output",))
        for i in range(5):
            yield Violation(f"conv{i} then bn{i}", (f"conv{i}", f"bn{i}"), pattern="bias before BN.")
        yield Violation("alone with its pattern", ("dense",), pattern="another fault")
        yield Violation("model-wide, first", pattern="model-wide fault")
        yield Violation("model-wide, second", pattern="model-wide fault")

    from inspector.engine import Rule

    probe_rule = Rule("X998", "repeated", "info", repeated, {}, "", (), (), frozenset({"keras"}))
    graph = parse_model(ex.dense_chain("m", [8]), Source("<example>", "json"))
    one_off, folded, alone, model_wide = lint_graph(graph, [probe_rule])
    assert one_off.message == "one-off" and alone.message == "alone with its pattern"
    assert model_wide.message == "model-wide fault: 2 places" and model_wide.layers == ()
    assert folded.message == "bias before BN: 5 places (conv0, conv1, conv2 and 2 more)"
    assert folded.layers == tuple(f"{k}{i}" for i in range(5) for k in ("conv", "bn"))
    assert folded.location == "<example>:conv0"


def test_discover_recurses_for_models_and_skips_other_json(tmp_path: Path):
    (tmp_path / "a.keras").write_bytes(b"PK\x03\x04")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.h5").write_bytes(b"")
    (tmp_path / "sub" / "arch.json").write_text('{"class_name": "Sequential", "config": {"layers": []}}')
    (tmp_path / "sub" / "manifest.json").write_text('{"fixtures": []}')
    (tmp_path / "sub" / "notes.txt").write_text("hi")
    saved = tmp_path / "saved"
    (saved / "variables").mkdir(parents=True)
    (saved / "saved_model.pb").write_bytes(b"")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "c.keras").write_bytes(b"")
    found = list(discover([str(tmp_path), "pkg.models:build", "missing.h5"]))
    rel = [str(Path(p).relative_to(tmp_path)) if p.startswith(str(tmp_path)) else p for p in found]
    assert rel == ["a.keras", "saved", "sub/arch.json", "sub/b.h5", "pkg.models:build", "missing.h5"]


def test_discover_ends_on_symlink_loops_and_lists_each_folder_once(tmp_path: Path):
    """`up -> ..` once made discovery walk ~40 levels deep (680 "files" for one model)."""
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "a.keras").write_bytes(b"PK\x03\x04")
    (tmp_path / "models" / "up").symlink_to("..", target_is_directory=True)
    (tmp_path / "models" / "again").symlink_to(tmp_path / "models", target_is_directory=True)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "b.h5").write_bytes(b"")
    (tmp_path / "models" / "linked").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    found = list(discover([str(tmp_path / "models")]))
    assert [str(Path(p).relative_to(tmp_path / "models")) for p in found] == ["a.keras", "linked/b.h5"]


def test_discover_yields_an_unreadable_folder_as_a_load_error(tmp_path: Path, monkeypatch):
    """An OSError listing one folder (PermissionError...) is reported in its place; the walk goes on."""
    (tmp_path / "locked").mkdir()
    (tmp_path / "open").mkdir()
    (tmp_path / "open" / "b.h5").write_bytes(b"")
    real_iterdir = Path.iterdir

    def iterdir(self):
        if self.name == "locked":
            raise PermissionError(13, "Permission denied", str(self))
        return real_iterdir(self)

    monkeypatch.setattr(Path, "iterdir", iterdir)
    found = list(discover([str(tmp_path)]))
    assert isinstance(found[0], LoadError)
    assert str(found[0]) == f"{tmp_path / 'locked'}: cannot list the folder: permission denied"
    assert found[1:] == [str(tmp_path / "open" / "b.h5")]


def test_rules_reference_is_up_to_date():
    """docs/rules.md and the README's rules section are generated from the docstrings;
    regenerate both with scripts/rules_doc.py."""
    import importlib.util

    script = Path(__file__).resolve().parents[1] / "scripts" / "rules_doc.py"
    spec = importlib.util.spec_from_file_location("rules_doc", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.TARGET.read_text(encoding="utf-8") == module.render(), "run scripts/rules_doc.py"
    readme = module.README.read_text(encoding="utf-8")
    assert readme == module.readme_text(), "the README's rules section is stale: run scripts/rules_doc.py"
    for each in module.all_rules():
        assert f"**{each.code} `{each.name}`**" in readme
