"""W101 weight-sharing-opportunity on the fixtures, the corpus, keras.applications and a long graph."""

from __future__ import annotations

import pytest

import inspector
from inspector.engine import get_rule, lint_graph
from inspector.graph import Source
from inspector.loaders.keras_config import parse_model
from inspector.rules import _examples as ex

RULE = "weight-sharing-opportunity"


def findings(target):
    graph = target if isinstance(target, inspector.ModelGraph) else inspector.load(target)
    return lint_graph(graph, [get_rule(RULE)])


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_unshared_siamese_is_reported_with_the_saving(fixtures_dir, suffix):
    (finding,) = findings(fixtures_dir / f"siamese_unshared_lstm{suffix}")
    assert finding.code == "W101"
    assert finding.layers == ("left_lstm", "right_lstm")
    assert "'left_lstm' = 'right_lstm' (LSTM)" in finding.message
    assert "'left', 'right'" in finding.message
    assert "save 1,600 parameters" in finding.message  # one LSTM(16) on 8 features


@pytest.mark.parametrize("stem", [
    "siamese_shared_lstm", "qa_two_inputs", "inception_module", "residual_identity",
    "residual_projection", "three_outputs_unweighted", "three_outputs_weighted", "nested_submodel",
    "unused_input", "dense_functional",
])
@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_silent_on_fixtures_without_the_mistake(fixtures_dir, stem, suffix):
    assert findings(fixtures_dir / f"{stem}{suffix}") == []


def test_silent_on_keras2_shared_siamese(fixtures_dir):
    assert findings(fixtures_dir / "siamese_shared_lstm_k2.h5") == []


def test_corpus_files_are_silent(corpus_dir):
    """Bird-Song's siamese calls one nested model three times: already shared."""
    checked = 0
    for path in sorted(corpus_dir.iterdir()):
        if path.suffix not in (".h5", ".hdf5", ".keras"):
            continue
        try:
            graph = inspector.load(path)
        except inspector.InspectorError:
            continue  # a subclassed model: nothing to lint
        assert findings(graph) == [], path.name
        checked += 1
    bird = inspector.load(corpus_dir / "AdityaDutt__Bird-Song-Classification__siamese.h5")
    assert bird.layer("model").is_shared
    assert checked >= 10


APPLICATIONS = {
    "VGG16": {"include_top": False, "input_shape": (32, 32, 3)},
    "ResNet50": {"classes": 10, "input_shape": (32, 32, 3)},
    "MobileNetV2": {"classes": 10, "input_shape": (96, 96, 3)},
    "InceptionV3": {"classes": 10, "input_shape": (75, 75, 3)},
    "DenseNet121": {"classes": 10, "input_shape": (32, 32, 3)},
    "EfficientNetB0": {"classes": 10, "input_shape": (32, 32, 3)},
    "Xception": {"classes": 10, "input_shape": (71, 71, 3)},
    "NASNetMobile": {"classes": 10, "input_shape": (32, 32, 3)},
}


@pytest.mark.parametrize("name", [pytest.param(n, marks=[pytest.mark.slow] if n == "NASNetMobile" else []) for n in APPLICATIONS])
def test_keras_applications_are_silent(keras, name):
    """Many parallel branches, residual adds and NASNet's identical-looking cells: none is an
    unshared Siamese pair (their twin branches start from the same tensor or differ)."""
    model = getattr(keras.applications, name)(weights=None, **APPLICATIONS[name])
    try:
        assert findings(inspector.load(model)) == []
    finally:
        keras.backend.clear_session()


def _long_graph(blocks: int):
    """Two towers of `blocks` Dense layers each (different widths, so not twins), merged, plus
    one unshared twin pair at the end: a graph of about 2 * blocks layers."""
    m = ex.Functional("long")
    a_in, b_in = m.input("a", (None, 8)), m.input("b", (None, 8))
    a, b = a_in, b_in
    for i in range(blocks):
        a = m.add(ex.layer("Dense", f"a_{i}", units=8), a)
        b = m.add(ex.layer("Dense", f"b_{i}", units=9), b)
    merged = m.add(ex.layer("Concatenate", "merged"), a, b)
    c, d = m.input("c", (None, 4)), m.input("d", (None, 4))
    twins = [m.add(ex.layer("Dense", f"twin_{s}", units=4), t) for s, t in (("c", c), ("d", d))]
    pair = m.add(ex.layer("Add", "pair"), *twins)
    return m.build([a_in, b_in, c, d], [merged, pair])


def test_ten_thousand_layers_in_one_pass():
    config = _long_graph(5000)
    graph = parse_model(config, Source("<long>", "json"))
    assert len(graph.layers) > 10_000
    (finding,) = findings(graph)
    assert finding.layers == ("twin_c", "twin_d")
    assert "save 20 parameters" in finding.message


def _two_branch_onnx(path, op: str):
    """Two inputs, each through its own `op` node with its own initializer, concatenated."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    def weight(name):
        if op == "MatMul":
            return helper.make_tensor(name, TensorProto.FLOAT, [4, 4], [0.5] * 16)
        return helper.make_tensor(name, TensorProto.INT64, [1], [1])  # Squeeze axes

    nodes, inits = [], []
    for side in ("left", "right"):
        inits.append(weight(f"{side}_w"))
        nodes.append(helper.make_node(op, [side, f"{side}_w"], [f"{side}_out"], name=f"{side}_{op}"))
    nodes.append(helper.make_node("Concat", ["left_out", "right_out"], ["joined"], axis=-1, name="joined"))
    shape = [None, 1, 4] if op == "Squeeze" else [None, 4]
    graph = helper.make_graph(
        nodes, "twins",
        [helper.make_tensor_value_info(s, TensorProto.FLOAT, shape) for s in ("left", "right")],
        [helper.make_tensor_value_info("joined", TensorProto.FLOAT, None)], inits,
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 15)]), path)
    return path


def test_onnx_twin_constants_are_not_weights(tmp_path):
    """tf2onnx gives every Squeeze its own int64 axes initializer: not a missed Siamese."""
    from inspector import lint

    assert lint(_two_branch_onnx(tmp_path / "squeeze.onnx", "Squeeze"), select=["W101"]) == []
    found = lint(_two_branch_onnx(tmp_path / "matmul.onnx", "MatMul"), select=["W101"])
    assert [f.layers for f in found] == [("left_MatMul", "right_MatMul")]
    assert "sharing would save 16 parameters" in found[0].message


def test_per_scale_detection_heads_are_not_a_siamese_pair(keras, tmp_path):
    """A detector on images of any size: one trunk, three strided stages, a class head and a box
    head on each scale, each its own layers (YOLO's design). The feature maps' shapes are all
    (None, None, None, 16), so only where they come from tells them apart from a Siamese pair:
    one input, one trunk. Not reported (see the W101 docstring's measurement); the same heads
    on two images, one stage each, still are."""
    layers = keras.layers
    image = keras.Input((None, None, 3), name="image")
    outputs, h = [], image
    for k in range(3):
        h = layers.Conv2D(16, 3, strides=2, padding="same", activation="relu", name=f"stage_{k}")(h)
        for kind, units in (("class", 4), ("box", 4)):
            x = layers.Conv2D(16, 3, padding="same", activation="relu", name=f"{kind}_conv_{k}")(h)
            outputs.append(layers.Conv2D(units, 1, name=f"{kind}_{k}")(x))
    path = tmp_path / "detector.keras"
    keras.Model(image, outputs, name="detector").save(path)
    assert findings(path) == []

    left, right = keras.Input((None, None, 3), name="left"), keras.Input((None, None, 3), name="right")
    codes = [layers.Conv2D(16, 3, name=f"encoder_{side}")(x) for side, x in (("l", left), ("r", right))]
    pair = tmp_path / "pair.keras"
    keras.Model([left, right], layers.Subtract()(codes), name="pair").save(pair)
    assert [f.layers for f in findings(pair)] == [("encoder_l", "encoder_r")]


def test_two_unshared_heads_on_each_side_of_a_pair_are_one_finding(keras, tmp_path):
    """A class head and a box head written twice for two inputs: one missed sharing, one finding."""
    layers = keras.layers
    left, right = keras.Input((8,), name="left"), keras.Input((8,), name="right")
    outputs = [layers.Dense(units, name=f"{kind}_{side}")(x) for side, x in (("l", left), ("r", right))
               for kind, units in (("class", 3), ("box", 4))]
    path = tmp_path / "two_heads.keras"
    keras.Model([left, right], outputs, name="two_heads").save(path)
    (finding,) = findings(path)
    assert set(finding.layers) == {"class_l", "class_r", "box_l", "box_r"}
    assert ": 2 places (" in finding.message
