"""`inspect diff` on real pairs: a model and its fix, a Keras 2 file and its Keras 3 twin, a
renamed re-save built here with Keras, a builder reference, ONNX files; its JSON schema and
its diagram."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from inspector.cli import main
from inspector.diff import diff
from inspector.diff.report import counts, diff_dict, format_markdown, format_text, is_derived

REPO = Path(__file__).resolve().parents[1]


def run(*args: str):
    return CliRunner().invoke(main, ["diff", *args])


def test_sharing_fix_is_seen_as_sharing(fixtures_dir):
    d = diff(fixtures_dir / "siamese_unshared_lstm.keras", fixtures_dir / "siamese_shared_lstm.keras")
    assert d.differs
    assert d.matching.pairs["shared_lstm"] == "left_lstm"  # matched by place, not by name
    (shared,) = [x for x in d.layers if x.name == "shared_lstm"]
    assert [(c.what, c.old, c.new) for c in shared.changes] == [("calls", 1, 2)]
    (gone,) = d.of_status("removed")
    assert (gone.name, gone.note) == ("right_lstm", "now call 2 of shared_lstm: shares its weights")
    assert d.totals["params"] == (3233, 1633)
    assert [f.name for f in d.fixed] == ["weight-sharing-opportunity"] and d.introduced == ()
    text = format_text(d)
    assert "~ shared_lstm (LSTM)  was left_lstm" in text and "1 → 2 (now shared)" in text
    assert "- right_lstm (LSTM)  now call 2 of shared_lstm" in text


def test_unsharing_is_the_reverse(fixtures_dir):
    d = diff(fixtures_dir / "siamese_shared_lstm.keras", fixtures_dir / "siamese_unshared_lstm.keras")
    (added,) = d.of_status("added")
    assert (added.name, added.note) == ("right_lstm", "was call 2 of shared_lstm: now has its own weights")
    assert [f.name for f in d.introduced] == ["weight-sharing-opportunity"]


def test_loss_weights_fix(fixtures_dir):
    d = diff(fixtures_dir / "three_outputs_unweighted.keras", fixtures_dir / "three_outputs_weighted.keras")
    assert d.layers == () and d.differs
    # per output; no weight means 1, so income (1 → 1.0) did not change
    assert [(c.what, c.old, c.new) for c in d.model] == [
        ("loss_weight.age", 1.0, 0.25), ("loss_weight.gender", 1.0, 10.0)]
    assert [f.name for f in d.fixed] == ["unbalanced-loss-weights"]
    assert "same layers, training configuration differs" in format_text(d)
    assert run(str(fixtures_dir / "three_outputs_unweighted.keras"), str(fixtures_dir / "three_outputs_weighted.keras"),
               "--exit-code").exit_code == 1


def test_activation_moved_into_the_convolutions(fixtures_dir):
    """bn_before_activation → bn_after_activation: every layer renamed, the ReLU layers folded
    into the convolutions; the convolutions are still paired (by their place next to the
    BatchNormalizations), not reported as removed and added."""
    d = diff(fixtures_dir / "bn_before_activation.keras", fixtures_dir / "bn_after_activation.keras")
    assert d.renames == (("block_1_conv", "conv_1"), ("block_1_bn", "bn_1"), ("block_2_conv", "conv_2"),
                         ("block_2_bn", "bn_2"))
    assert [x.name for x in d.of_status("removed")] == ["block_1_relu", "block_2_relu"]
    assert d.of_status("added") == ()
    conv_2 = next(x for x in d.layers if x.name == "conv_2")
    assert [(c.what, c.old, c.new) for c in conv_2.changes] == [
        ("config.activation", "linear", "relu"), ("config.use_bias", False, True), ("params", 2304, 2320),
        ("inputs", ["block_1_relu (removed)"], ["bn_1"])]


@pytest.mark.parametrize("stem", ["dense_functional", "qa_two_inputs", "siamese_shared_lstm",
                                  "three_outputs_unweighted", "nested_submodel"])
def test_keras2_file_and_its_keras3_twin_have_the_same_architecture(fixtures_dir, stem):
    """What really differs is serialization: dtype policies, initializer bookkeeping, keys one
    era writes and the other does not (listed in a note, never as a change)."""
    d = diff(fixtures_dir / f"{stem}_k2.h5", fixtures_dir / f"{stem}.keras")
    assert not d.differs, format_text(d)
    assert d.layers == () and d.renames == ()
    assert d.notes and "config keys stored by one era only are not compared" in d.notes[0]
    assert run(str(fixtures_dir / f"{stem}_k2.h5"), str(fixtures_dir / f"{stem}.keras"), "--exit-code").exit_code == 0


def test_same_era_keeps_one_sided_keys(fixtures_dir):
    d = diff(fixtures_dir / "dense_functional.h5", fixtures_dir / "dense_functional.keras")
    assert not d.differs and d.notes == ()


@pytest.fixture(scope="module")
def resaved(keras, tmp_path_factory):
    """One model saved twice in one session (Keras renumbers dense → dense_3), and a variant."""
    folder = tmp_path_factory.mktemp("resaved")

    def build(units: int):
        inputs = keras.Input((16,))
        x = keras.layers.Dense(units, activation="relu")(inputs)
        x = keras.layers.Dense(8, activation="relu")(x)
        return keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(x))

    for name, units in (("a", 32), ("b", 32), ("c", 64)):
        build(units).save(folder / f"{name}.keras")
    keras.backend.clear_session()
    inputs = keras.Input((16,))  # the same model with a Dense(16) inserted first, numbered afresh
    x = keras.layers.Dense(16, activation="relu")(inputs)
    x = keras.layers.Dense(32, activation="relu")(x)
    x = keras.layers.Dense(8, activation="relu")(x)
    keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(x)).save(folder / "inserted.keras")
    keras.backend.clear_session()
    build(32).save(folder / "fresh.keras")  # dense, dense_1, dense_2 again
    keras.backend.clear_session()
    for name, act in (("activation", keras.layers.Activation("relu", name="act")), ("relu", keras.layers.ReLU(name="act"))):
        inputs = keras.Input((4,), name="x")
        hidden = keras.layers.Dense(4, name="hidden")
        model = keras.Model(inputs, act(hidden(inputs)))
        model.save(folder / f"{name}.keras")
        if name == "relu":
            hidden.trainable = False
            model.save(folder / "frozen.keras")
    for units in (8, 12):  # a nested encoder whose inner layer widens
        inputs = keras.Input((16,), name="features")
        encoder = keras.Sequential([keras.Input((16,)), keras.layers.Dense(units, name="inner")], name="encoder")
        outputs = keras.layers.Dense(3, name="head")(encoder(inputs))
        keras.Model(inputs, outputs).save(folder / f"nested_{units}.keras")
    return folder


def test_renamed_resave_is_no_architectural_change(resaved):
    d = diff(resaved / "a.keras", resaved / "b.keras")
    assert not d.differs and d.layers == ()
    assert len(d.renames) == 4 and all(old != new for old, new in d.renames)
    assert set(d.matching.how.values()) <= {"input", "output", "neighbours"}
    assert run(str(resaved / "a.keras"), str(resaved / "b.keras"), "--exit-code").exit_code == 0


def test_renamed_and_widened(resaved):
    d = diff(resaved / "a.keras", resaved / "c.keras")
    changed = [x for x in d.layers if x.changes]
    first = changed[0]
    assert first.renamed and ("config.units", 32, 64) in [(c.what, c.old, c.new) for c in first.changes]
    assert {c.what for c in changed[1].changes} == {"params"}  # the next Dense only follows
    text = format_text(d)
    assert "config.units  32 → 64" in text
    assert "1 more layer changed only in output shape or parameter count" in text
    assert run(str(resaved / "a.keras"), str(resaved / "c.keras"), "--exit-code").exit_code == 1


def test_layer_inserted_in_front_is_added_not_a_shift(resaved):
    """Both files number their Dense layers from `dense`: the names collide, the layers do not."""
    d = diff(resaved / "fresh.keras", resaved / "inserted.keras")
    assert [(x.status, x.name) for x in d.of_status("added")] == [("added", "dense")]
    assert d.of_status("removed") == ()
    assert d.renames == (("dense", "dense_1"), ("dense_1", "dense_2"), ("dense_2", "dense_3"))
    (rewired,) = [x for x in d.layers if x.status == "changed"]
    assert rewired.name == "dense_1"
    assert [(c.what, c.old, c.new) for c in rewired.changes] == [("inputs", ["input_layer"], ["dense"])]


def test_class_and_trainable_changes(resaved):
    d = diff(resaved / "activation.keras", resaved / "relu.keras")
    (act,) = d.layers
    assert act.name == "act" and ("class", "Activation", "ReLU") in [(c.what, c.old, c.new) for c in act.changes]
    frozen = diff(resaved / "relu.keras", resaved / "frozen.keras")
    (hidden,) = frozen.layers
    assert [(c.what, c.old, c.new) for c in hidden.changes] == [("trainable", True, False)]
    assert frozen.totals["trainable_params"] == (20, 0) and frozen.totals["params"] == (20, 20)


def test_change_inside_a_nested_model(resaved):
    d = diff(resaved / "nested_8.keras", resaved / "nested_12.keras")
    inner = next(x for x in d.layers if x.name == "encoder/inner")
    assert (inner.status, inner.old_name) == ("changed", "encoder/inner")
    assert ("config.units", 8, 12) in [(c.what, c.old, c.new) for c in inner.changes]
    assert "~ encoder/inner (Dense)" in format_text(d)
    # encoder's own shape and count follow, the head's count follows; only the input is untouched
    assert counts(d) == {"changed": 3, "added": 0, "removed": 0, "renamed": 0, "unchanged": 1}


def test_builder_reference_against_the_shipped_file(fixtures_dir):
    """`inspect diff model.keras module:builder`: the layers are the same; the builder compiles
    with another optimizer and loss than the trained file was, and the diff says exactly that."""
    d = diff(fixtures_dir / "dense_functional.keras", str(REPO / "tests/builders/chapter7.py") + ":functional_dense")
    assert d.layers == ()
    assert {c.what: (c.old, c.new) for c in d.model} == {
        "loss.digit": ("sparse_categorical_crossentropy", "categorical_crossentropy"),
        "metrics": (["accuracy"], []),
        "optimizer": ("Adam", "RMSprop"),
    }


def _onnx_mlp(path: Path, widths: list[int]) -> Path:
    onnx = pytest.importorskip("onnx")
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits, prev, dim = [], [], "x", 8
    for i, width in enumerate(widths):
        inits.append(numpy_helper.from_array(np.zeros((dim, width), np.float32), f"W{i}"))
        nodes.append(helper.make_node("MatMul", [prev, f"W{i}"], [f"h{i}"], name=f"dense{i}"))
        nodes.append(helper.make_node("Relu", [f"h{i}"], [f"a{i}"], name=f"relu{i}"))
        prev, dim = f"a{i}", width
    nodes.append(helper.make_node("Identity", [prev], ["y"], name="head"))
    graph = helper.make_graph(nodes, "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", dim])], initializer=inits)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    return path


def test_onnx_files(tmp_path):
    old = _onnx_mlp(tmp_path / "old.onnx", [8, 8])
    new = _onnx_mlp(tmp_path / "new.onnx", [8, 8, 8])
    d = diff(old, new)
    assert sorted(x.name for x in d.of_status("added")) == ["dense2", "relu2"]
    assert d.totals["params"] == (128, 192)
    assert not diff(old, _onnx_mlp(tmp_path / "same.onnx", [8, 8])).differs
    wider = diff(old, _onnx_mlp(tmp_path / "wider.onnx", [8, 16, 8]))
    dense1 = next(x for x in wider.layers if x.name == "dense1")  # its weights define its width
    assert ("weight_shapes", [[8, 8]], [[8, 16]]) in [(c.what, c.old, c.new) for c in dense1.changes]
    assert "~ dense1 (MatMul)" in format_text(wider)


def _documented_keys(section: str) -> list[str]:
    text = (REPO / "docs/diff-schema.md").read_text()
    block = text.split(f"<!-- {section} -->")[1].split("<!-- end -->")[0]
    return re.findall(r"^\| `([a-z_]+)` \|", block, re.MULTILINE)


def test_json_follows_the_documented_schema(fixtures_dir):
    result = run(str(fixtures_dir / "siamese_unshared_lstm.keras"), str(fixtures_dir / "siamese_shared_lstm.h5"),
                 "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["schema"] == "keras-inspector/diff/v1"
    assert list(doc) == _documented_keys("top")
    for layer in doc["layers"]:
        assert list(layer) == _documented_keys("layer")
        for change in layer["changes"]:
            assert list(change) == _documented_keys("change")
    assert doc["layers"][0]["changes"] == [{"what": "calls", "old": 1, "new": 2, "absent": None}]
    assert doc["renamed"] == [{"old": "left_lstm", "new": "shared_lstm", "matched_by": "neighbours"}]
    assert list(doc["findings"]["fixed"][0]) == ["path", "code", "name", "severity", "message", "layers"]
    assert doc == diff_dict(diff(fixtures_dir / "siamese_unshared_lstm.keras", fixtures_dir / "siamese_shared_lstm.h5"))


def test_markdown_is_a_pull_request_comment(fixtures_dir):
    md = format_markdown(diff(fixtures_dir / "siamese_unshared_lstm.keras", fixtures_dir / "siamese_shared_lstm.keras"))
    assert md.startswith("### Model diff:")
    assert "| ~ | `shared_lstm` (LSTM) was `left_lstm` | calls | 1 → 2 (now shared) |" in md
    assert "| params | 3,233 | 1,633 | -1,600 |" in md
    assert "- fixed: **W101** weight-sharing-opportunity" in md


def test_diagram_marks_the_changes(fixtures_dir, tmp_path):
    out = tmp_path / "diff.dot"
    result = run(str(fixtures_dir / "siamese_unshared_lstm.keras"), str(fixtures_dir / "siamese_shared_lstm.keras"),
                 "-o", str(out))
    assert result.exit_code == 0, result.output
    dot = out.read_text()
    assert '"removed:right_lstm"' in dot and "now call 2 of shared_lstm" in dot
    assert re.search(r'"removed:right_lstm" -> "merged\[0\]" \[style=dashed', dot)
    assert "changed: now shared" in dot and "changed: inputs" in dot
    assert '"legend:diff"' in dot
    mmd = tmp_path / "diff.mmd"
    assert run(str(fixtures_dir / "siamese_unshared_lstm.keras"), str(fixtures_dir / "siamese_shared_lstm.keras"),
               "-o", str(mmd)).exit_code == 0
    assert re.search(r"n\d+ -\.-> n\d+", mmd.read_text()) and "stroke-dasharray:5 4" in mmd.read_text()
    lr = tmp_path / "lr.dot"
    assert run(str(fixtures_dir / "siamese_unshared_lstm.keras"), str(fixtures_dir / "siamese_shared_lstm.keras"),
               "-o", str(lr), "--rankdir", "LR", "--no-shapes").exit_code == 0
    assert "rankdir=LR" in lr.read_text() and "(None, 16)" not in lr.read_text()  # the render options apply
    svg = tmp_path / "diff.svg"
    assert run(str(fixtures_dir / "siamese_unshared_lstm.keras"), str(fixtures_dir / "siamese_shared_lstm.keras"),
               "-o", str(svg)).exit_code == 0
    assert svg.read_text().count("<g id=\"node:") >= 6


def test_bad_input_is_one_line(fixtures_dir, tmp_path):
    result = run(str(tmp_path / "missing.h5"), str(fixtures_dir / "dense_functional.keras"))
    assert result.exit_code == 2
    assert result.output.strip().startswith(f"inspect: error: {tmp_path / 'missing.h5'}:")
    assert run(str(fixtures_dir / "dense_functional.keras")).exit_code == 2


def test_an_html_picture_is_refused_in_one_line_not_an_internal_error(fixtures_dir, tmp_path):
    """`render -o x.html` writes the interactive page, so a user tries `diff -o x.html`: it was
    'internal error ValueError: unknown format: html' (Graphviz asked for it)."""
    page = tmp_path / "diff.html"
    result = run(str(fixtures_dir / "siamese_unshared_lstm.keras"), str(fixtures_dir / "siamese_shared_lstm.keras"),
                 "-o", str(page))
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        (f"inspect: error: {page}: the diff picture is written as .svg, .png, .pdf, .dot, .mmd or .md; the "
        "interactive .html page is `inspect render NEW -o PAGE.html`")]
    assert not page.exists()


def test_nasnet_resave_and_renumbered_twin(keras_applications, keras, tmp_path):
    """771 calls. Against its own re-save every layer pairs by name; against a 3-class twin whose
    auto-named layers Keras numbered differently (activation_3 → activation_10) every renamed
    layer is still paired, consistently, and the head is the one change."""
    app = keras_applications("NASNetMobile")
    same = diff(app.h5, app.keras, lint=False)
    assert not same.differs and len(same.matching.pairs) == 771
    from conftest import APPLICATIONS

    for _ in range(7):  # takes activation, activation_1... so the twin's auto-names shift by 7
        keras.layers.Activation("relu")
    twin = keras.applications.NASNetMobile(weights=None, input_shape=APPLICATIONS["NASNetMobile"], classes=3)
    twin.save(tmp_path / "twin.keras")
    keras.backend.clear_session()
    d = diff(app.keras, tmp_path / "twin.keras", lint=False)
    assert d.of_status("added") == () and d.of_status("removed") == ()
    assert [x.name for x in d.layers if not is_derived(x)] == ["predictions"]
    assert len(d.renames) > 150 and set(d.matching.how.values()) >= {"name", "neighbours"}
    offsets = {int(new.rsplit("_", 1)[1]) - int(old.rsplit("_", 1)[1])
               for old, new in d.renames if old.startswith("activation_") and new.startswith("activation_")}
    assert len(offsets) == 1  # activation_k → activation_(k + n) for one n: no pair crossed over


test_nasnet_resave_and_renumbered_twin = pytest.mark.slow(test_nasnet_resave_and_renumbered_twin)
