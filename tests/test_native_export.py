"""The native ONNX converter: every trained fixture and every keras.applications model of the
session against Keras within 1e-4 on batches 1, 3 and 8; tf2onnx's export as a second opinion;
recurrent, masked and every other supported class on small Keras-built models (random weights,
never trained); probe lengths from shape inference; and `inspect export` in an install where
TensorFlow cannot be imported.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from inspector.cli import main
from inspector.engine import lint_graph, select_rules
from inspector.errors import UnsupportedError
from inspector.export import export_onnx
from inspector.export.native import convert_graph, supported_classes
from inspector.export.probe import probes
from inspector.export.verify import keras_reference, masks_zero, smallest_vocab, verify_onnx
from inspector.loaders import load_path, sniff

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
MODEL_FILES = sorted(p.name for p in [*FIXTURES.glob("*.keras"), *FIXTURES.glob("*.h5")]
                     if not p.name.startswith("lambda_"))
TOLERANCE = 1e-4


def _fixture(name: str) -> Path:
    path = FIXTURES / name
    if not path.exists():
        pytest.skip(f"fixture {name} has not been built (run fixtures/build.py)")
    return path


def _native_vs(model, path: Path, also: tuple[str, ...] = ()):
    """Convert `path` natively (exposing the tensors `also` as extra outputs) and verify its
    outputs against the live Keras `model` on the probes."""
    graph = load_path(path)
    proto, ins, outs = convert_graph(graph, path, sniff(path), also=also)
    v = verify_onnx(proto, ins, outs, probes(graph, ins), keras_reference(model), TOLERANCE,
                    smallest_vocab(graph), padded=masks_zero(graph))
    return proto, v


def _assert_parity(v) -> None:
    assert v.checker == "passed" and v.reference == "Keras"
    assert v.passed, v.failures
    assert {r.batch for r in v.runs} >= {1, 3, 8}
    assert v.max_abs_diff and all(0 <= d <= TOLERANCE for d in v.max_abs_diff.values()), v.max_abs_diff


@pytest.mark.parametrize("name", MODEL_FILES)
def test_every_fixture_exports_natively_and_matches_keras(name, tmp_path, keras):
    path = _fixture(name)
    out = tmp_path / "model.onnx"
    result = export_onnx(path, out, converter="native")
    assert result.converter == "native" and result.fallback is None
    _assert_parity(result.verification)
    proto = onnx.load(str(out))
    stored = load_path(path)
    assert [i.name for i in proto.graph.input] == list(stored.input_names)
    assert [o.name for o in proto.graph.output] == list(stored.output_names)
    assert all(i.type.tensor_type.shape.dim[0].dim_param == "batch" for i in proto.graph.input)
    meta = {p.key: p.value for p in proto.metadata_props}
    assert meta["source"] == name and meta["converter"] == "native" and meta["keras_version"]
    # the export reads back through the ONNX loader under the same names, with no dead node
    back = load_path(out)
    assert (back.input_names, back.output_names) == (stored.input_names, stored.output_names)
    assert lint_graph(back, select_rules(["disconnected-graph"], None)) == []


def test_the_application_models_match_keras(application_name, keras, keras_applications):
    app = keras_applications(application_name)
    graph = load_path(app.keras)
    head = graph.producer(graph.outputs[0])
    features = head.inputs[0]
    proto, v = _native_vs(app.model, app.keras, also=(features,))
    _assert_parity(v)
    # a softmax over 10 classes of an untrained model is near uniform and would hide differences:
    # the features the classifier reads are compared too, relative to their scale (untrained,
    # EfficientNetB0's are ~1e-8, ResNet50's ~0.2); every model measured within 3e-6 of it
    x = np.random.default_rng(2).standard_normal((3, *app.model.input_shape[1:])).astype("float32")
    want = np.asarray(keras.Model(app.model.inputs, app.model.get_layer(head.layer).input)([x]))
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    got = session.run([features], {proto.graph.input[0].name: x})[0]
    scale = float(np.max(np.abs(want)))
    assert scale > 0 and np.max(np.abs(want - got)) <= TOLERANCE * scale
    # channels-last in and out, channels-first inside: transposes only at the edges of conv chains
    transposes = sum(n.op_type == "Transpose" for n in proto.graph.node)
    convs = sum(n.op_type == "Conv" for n in proto.graph.node)
    assert proto.graph.input[0].type.tensor_type.shape.dim[3].dim_value == 3
    assert transposes <= 2 < convs, (transposes, convs)


@pytest.mark.parametrize("name", ["ResNet50", "MobileNetV2"])
def test_application_h5_files_match_keras(name, keras_applications):
    app = keras_applications(name)
    _assert_parity(_native_vs(app.model, app.h5)[1])


def _outputs(path: Path, feeds: dict) -> list:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, feeds)


@pytest.mark.parametrize("name", ["three_outputs_weighted.keras", "siamese_shared_lstm.keras",
                                  "residual_projection.h5"])
def test_tf2onnx_agrees_with_the_native_export(name, tmp_path):
    """A second opinion that does not share the native converter's reading of the file."""
    pytest.importorskip("tf2onnx")
    path = _fixture(name)
    native = export_onnx(path, tmp_path / "native.onnx", converter="native", verify=False)
    other = export_onnx(path, tmp_path / "tf2onnx.onnx", converter="tf2onnx", verify=False)
    assert (native.converter, other.converter) == ("native", "tf2onnx")
    rng = np.random.default_rng(1)
    feeds = {}
    for t in native.inputs:
        shape = [5 if d == "batch" else d for d in t.shape]
        feeds[t.name] = (rng.integers(0, 10, shape).astype(t.dtype) if t.dtype.startswith("int")
                         else rng.standard_normal(shape).astype(t.dtype))
    for a, b in zip(_outputs(native.output, feeds), _outputs(other.output, feeds)):
        assert a.shape == b.shape and np.max(np.abs(a - b)) <= TOLERANCE


# -- layer classes beyond the fixtures, on small Keras-built models ---------------------------
def _recurrent(keras):
    layers = keras.layers
    seq = keras.Input((12, 6), name="seq")
    a = layers.GRU(8, return_sequences=True, name="gru_seq")(seq)
    b = layers.GRU(5, reset_after=False, go_backwards=True, recurrent_activation="hard_sigmoid", name="gru_back")(a)
    c = layers.SimpleRNN(4, return_sequences=True, go_backwards=True, name="rnn_back")(seq)
    d = layers.Bidirectional(layers.LSTM(3, return_sequences=True), name="bi_seq")(c)
    e = layers.Bidirectional(layers.GRU(3), merge_mode="sum", name="bi_sum")(d)
    f = layers.Bidirectional(layers.SimpleRNN(2), merge_mode="ave", name="bi_ave")(a)
    g = layers.Bidirectional(layers.LSTM(2, recurrent_activation="hard_sigmoid"), merge_mode="mul", name="bi_mul")(a)
    h, hs, cs = layers.LSTM(4, return_state=True, name="lstm_state")(seq)
    return keras.Model(seq, [b, e, f, g, layers.Concatenate(name="states")([h, hs, cs])], name="recurrent")


def _masked(keras):
    layers = keras.layers
    ids = keras.Input((None,), dtype="int32", name="ids")
    x = layers.Embedding(30, 6, mask_zero=True, name="embed")(ids)
    s = layers.LSTM(5, return_sequences=True, name="lstm_masked")(x)
    last = layers.GRU(4, name="gru_masked")(s)
    bi = layers.Bidirectional(layers.LSTM(3), name="bi_masked")(x)
    mean = layers.GlobalAveragePooling1D(name="mean_masked")(x)
    return keras.Model(ids, [last, bi, mean], name="masked")


def _everything_else(keras):
    layers = keras.layers
    img = keras.Input((16, 16, 3), name="img")
    x = layers.Conv2D(4, 3, padding="same", dilation_rate=2, activation="gelu")(img)
    x = layers.SeparableConv2D(6, 3, strides=2, padding="same", activation="swish")(x)
    x = layers.DepthwiseConv2D(3, depth_multiplier=2, padding="valid", activation="relu6")(x)
    x = layers.LayerNormalization()(x)
    x = layers.ZeroPadding2D(((1, 2), (0, 1)))(x)
    x = layers.Cropping2D(((0, 1), (1, 0)))(x)
    x = layers.UpSampling2D(2)(x)
    x = layers.AveragePooling2D(3, strides=2, padding="same")(x)
    x = layers.LeakyReLU(0.1)(x)
    x = layers.ELU()(x)
    x = layers.ReLU(max_value=3.0, negative_slope=0.1, threshold=0.2)(x)
    p = layers.Reshape((-1, 4))(layers.Permute((3, 1, 2))(x))
    flat = layers.Flatten()(x)
    v = layers.Dense(8, activation="selu")(flat)
    w = layers.Dense(8, activation="softplus")(flat)
    merged = [layers.Subtract()([v, w]), layers.Average()([v, w]), layers.Maximum()([v, w]),
              layers.Minimum()([v, w]), layers.Dot(axes=1, normalize=True)([v, w]),
              layers.Dot(axes=(2, 2))([layers.RepeatVector(3)(v), layers.RepeatVector(5)(w)])]
    seq = keras.Input((20, 3), name="seq")
    y = layers.Conv1D(4, 3, padding="causal", dilation_rate=2, activation="tanh")(seq)
    y = layers.SeparableConv1D(4, 3, padding="same")(y)
    y = layers.ZeroPadding1D((1, 2))(y)
    y = layers.Cropping1D((2, 1))(y)
    y = layers.UpSampling1D(2)(y)
    y = layers.AveragePooling1D(2)(y)
    y = layers.GlobalAveragePooling1D()(layers.Softmax(axis=1)(y))
    return keras.Model([img, seq], [*merged, p, y, layers.Activation("hard_sigmoid")(v),
                                    layers.Activation("mish")(w)], name="everything_else")


@pytest.mark.parametrize("build", [_recurrent, _masked, _everything_else])
def test_layer_families_match_keras(build, tmp_path, keras):
    model = build(keras)
    path = tmp_path / f"{model.name}.keras"
    model.save(path)
    _assert_parity(_native_vs(model, path)[1])


def test_a_mask_becomes_sequence_lengths_on_padded_batches(tmp_path, keras):
    """Rows padded at the end to different lengths agree with Keras only if the padding is
    skipped: every recurrent node reads the mask as its sequence_lens."""
    model = _masked(keras)
    path = tmp_path / "masked.keras"
    model.save(path)
    proto, v = _native_vs(model, path)
    _assert_parity(v)
    recurrent = [n for n in proto.graph.node if n.op_type in ("LSTM", "GRU")]
    assert len(recurrent) == 3 and all(len(n.input) == 5 and n.input[4] for n in recurrent)
    ids = np.array([[3, 4, 5, 0, 0, 0], [7, 0, 0, 0, 0, 0]], np.int32)
    got = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"ids": ids})
    trimmed = np.asarray(model(ids[:1, :3])[1])
    assert np.max(np.abs(got[1][:1] - trimmed)) <= TOLERANCE  # the padding changed nothing


# -- probe shapes --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def text_model(keras, tmp_path_factory) -> Path:
    """The chapter's three-output text model: Embedding, five Conv1D of kernel 5, two MaxPooling1D
    of 5, over posts of any length."""
    layers = keras.layers
    posts = keras.Input((None,), dtype="int32", name="posts")
    x = layers.Embedding(256, 16)(posts)
    for i, pool in enumerate([False, True, False, True, False]):
        x = layers.Conv1D(16, 5, activation="relu", name=f"conv_{i}")(x)
        if pool:
            x = layers.MaxPooling1D(5)(x)
    x = layers.Dense(16, activation="relu")(layers.GlobalMaxPooling1D()(x))
    model = keras.Model(posts, [layers.Dense(1, name="age")(x), layers.Dense(10, activation="softmax", name="income")(x),
                                layers.Dense(1, activation="sigmoid", name="gender")(x)])
    path = tmp_path_factory.mktemp("text") / "text.keras"
    model.save(path)
    return path


def test_probe_lengths_come_from_shape_inference(text_model, tmp_path):
    # length L survives conv(4) conv(4) pool(5) conv conv pool(5) conv: ((L-8)//5-8)//5 - 4 >= 1
    out = CliRunner().invoke(main, ["export", str(text_model), "-o", str(tmp_path / "t.onnx")])
    assert out.exit_code == 0, out.output
    assert "posts[1,173]" in out.output and "posts[8,173]" in out.output and "posts[3,692]" in out.output
    assert "posts[1,172]" not in out.output
    mine = CliRunner().invoke(main, ["export", str(text_model), "-o", str(tmp_path / "t.onnx"),
                                     "--input-shape", "posts=3,500"])
    assert mine.exit_code == 0, mine.output
    assert [line.split(":")[0].strip() for line in mine.output.splitlines() if line.startswith("  posts[")] == [
        "posts[1,500]", "posts[3,500]", "posts[8,500]"]


def test_bad_input_shapes_are_usage_errors(text_model, tmp_path):
    runner = CliRunner()
    for value, said in [("posts=3", "the input has 2 dimensions (batch first), 1 given"), ("tweets=3,500", "names no input 'tweets'"),
                        ("posts=3,x", "expected NAME=D1,D2")]:
        result = runner.invoke(main, ["export", str(text_model), "-o", str(tmp_path / "t.onnx"), "--input-shape", value])
        assert result.exit_code == 2 and said in result.output, result.output


# -- what the native converter cannot do ---------------------------------------------------------
def _decoder(folder: Path) -> Path:
    """A model with a layer class the native converter lacks (Conv2DTranspose)."""
    keras = pytest.importorskip("keras")
    code = keras.Input((8, 8, 4), name="code")
    up = keras.layers.Conv2DTranspose(8, 3, strides=2, padding="same", name="upsample")(code)
    image = keras.layers.Conv2D(1, 3, padding="same", activation="sigmoid", name="image")(up)
    path = folder / "decoder.keras"
    keras.Model(code, image, name="decoder").save(path)
    return path


LAMBDA_REFUSAL = ("layer 'double' is a Lambda holding serialized Python bytecode, which this tool never "
                  "executes (not even with --custom-objects)")


def test_native_names_the_missing_layer_class_and_auto_falls_back(tmp_path):
    with pytest.raises(UnsupportedError, match=r"layer 'upsample' is a Conv2DTranspose, which the native converter "
                                               r"does not support \(--converter auto falls back to tf2onnx"):
        export_onnx(_decoder(tmp_path), tmp_path / "x.onnx", converter="native")
    assert "Lambda" not in supported_classes() and {"LSTM", "Conv2D", "Bidirectional"} <= set(supported_classes())
    # bytecode is refused as such by every route: no converter would export it without running it
    for converter in ("native", "auto"):
        with pytest.raises(UnsupportedError, match=LAMBDA_REFUSAL.replace("(", r"\(").replace(")", r"\)")):
            export_onnx(_fixture("lambda_layer.keras"), tmp_path / "l.onnx", converter=converter)


def test_a_keras2_file_with_implicit_masks_matches_tf_keras(tmp_path):
    """tf.keras 2 leaves masks implicit and names Bidirectional weights forward_gru/backward_gru."""
    tf_keras = pytest.importorskip("tf_keras")
    layers = tf_keras.layers
    ids = tf_keras.Input((None,), dtype="int32", name="ids")
    x = layers.Embedding(30, 6, mask_zero=True)(ids)
    seq = layers.Bidirectional(layers.GRU(3))(layers.LSTM(5, return_sequences=True)(x))
    img = tf_keras.Input((12, 12, 3), name="img")
    y = layers.BatchNormalization()(layers.Conv2D(4, 3, padding="same")(img))
    y = layers.SeparableConv2D(5, 3, strides=2, padding="same", activation="relu")(y)
    y = layers.GlobalMaxPooling2D()(layers.DepthwiseConv2D(3)(y))
    model = tf_keras.Model([ids, img], [seq, layers.GlobalAveragePooling1D()(x), y])
    path = tmp_path / "k2.h5"
    model.save(path)
    proto, ins, outs = convert_graph(load_path(path), path, "h5")
    assert ins == ["ids", "img"]
    rng = np.random.default_rng(0)
    tokens = rng.integers(1, 30, (3, 9)).astype("int32")
    tokens[0, 5:], tokens[1, 2:] = 0, 0
    image = rng.standard_normal((3, 12, 12, 3)).astype("float32")
    got = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"]).run(
        outs, {"ids": tokens, "img": image})
    for want, have in zip(model([tokens, image]), got):
        assert np.max(np.abs(np.asarray(want) - have)) <= TOLERANCE


def test_an_encoder_decoder_passing_states_matches_keras(tmp_path, keras):
    """The seq2seq pattern: the decoder LSTM starts from the encoder's final h and c (and a
    Bidirectional from four states, the forward layer's first)."""
    layers = keras.layers
    source, target = keras.Input((6, 4), name="source"), keras.Input((5, 3), name="target")
    _, h, c = layers.LSTM(8, return_state=True, name="encoder")(source)
    decoded = layers.LSTM(8, return_sequences=True, name="decoder")(target, initial_state=[h, c])
    gru = layers.GRU(8, name="gru_from_h")(target, initial_state=h)
    both = layers.Bidirectional(layers.LSTM(8, return_sequences=True), name="both")(target, initial_state=[h, c, c, h])
    model = keras.Model([source, target], [layers.Dense(3, name="next")(decoded), gru, both])
    path = tmp_path / "seq2seq.keras"
    model.save(path)
    _assert_parity(_native_vs(model, path)[1])


# -- the light install ---------------------------------------------------------------------------
LIGHT = Path(__file__).resolve().parents[1] / "benchmarks" / "without_tensorflow.py"


def _without_tensorflow(*args: str) -> subprocess.CompletedProcess:
    """`inspect ARGS` in a process where TensorFlow, Keras and tf2onnx cannot be imported."""
    return subprocess.run([sys.executable, str(LIGHT), *args], capture_output=True, text=True, timeout=300,
                          check=False)


def test_export_works_where_tensorflow_cannot_be_imported(tmp_path):
    out = tmp_path / "three.onnx"
    done = _without_tensorflow("export", str(_fixture("three_outputs_weighted.keras")), "-o", str(out))
    report = done.stdout
    assert done.returncode == 0, done.stderr
    assert "native converter" in report
    assert "no Keras reference was available: TensorFlow is not installed" in report
    assert "posts[8,50]: ran, finite outputs age[8,1], income[8,10], gender[8,1]" in report
    assert onnx.load(str(out)).graph.output[1].name == "income"
    # what only tf2onnx could convert says which extra to install, in one line
    decoder = _decoder(tmp_path)
    done = _without_tensorflow("export", str(decoder), "-o", str(tmp_path / "d.onnx"))
    assert done.returncode == 2
    expected = (f"inspect: error: {decoder}: layer 'upsample' is a Conv2DTranspose, which the native "
                "converter does not support, and the tf2onnx fallback needs TensorFlow, which is not installed: "
                "pip install 'keras-inspector[tf,onnx]'")
    assert done.stderr.strip().splitlines() == [expected]
    # a Lambda's bytecode is refused as with TensorFlow: installing it would not help
    done = _without_tensorflow("export", str(_fixture("lambda_layer.keras")), "-o", str(tmp_path / "l.onnx"))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[0].startswith(
        f"inspect: error: {_fixture('lambda_layer.keras')}: {LAMBDA_REFUSAL}")


def test_a_model_reading_an_undeclared_input_is_refused_in_one_line(tmp_path):
    """disconnected-graph's trained evidence model: 'hidden' reads the InputLayer 'pixels', which the
    model does not declare (Keras refuses to build it). No TensorFlow, so no fallback hides it."""
    path = FIXTURES / "evidence" / "disconnected-graph.faulty.keras"
    if not path.exists():
        pytest.skip("evidence model not built")
    done = _without_tensorflow("export", str(path), "-o", str(tmp_path / "d.onnx"))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        (f"inspect: error: {path}: layer 'hidden' reads 'pixels', which is not a declared input of the model, so no "
         "exported input could feed it (Keras refuses to build this model too; `inspect lint` shows the graph's "
         "fault)")]
    assert not (tmp_path / "d.onnx").exists()
