"""`inspect export`: every fixture, three keras.applications models, a Keras 2 LSTM file Keras 3
cannot load as it is, and a model with a dynamic sequence length convert to ONNX and agree with
Keras within 1e-4; names survive; a Lambda is refused by name; a mismatch fails with exit 1.

Conversions cost seconds each, so every export runs in this one process (TensorFlow is imported
once) and the applications get small input shapes.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
pytest.importorskip("tf2onnx")
pytest.importorskip("onnxruntime")
onnx = pytest.importorskip("onnx")

from inspector.cli import main
from inspector.engine import lint_graph, select_rules
from inspector.errors import UnsupportedError
from inspector.export import export_onnx
from inspector.loaders import load_path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
KERAS_FIXTURES = sorted(p.name for p in FIXTURES.glob("*.keras") if not p.name.startswith("lambda_"))


def _fixture(name: str) -> Path:
    path = FIXTURES / name
    if not path.exists():
        pytest.skip(f"fixture {name} has not been built (run fixtures/build.py)")
    return path


def _names(proto) -> tuple[list[str], list[str]]:
    return [i.name for i in proto.graph.input], [o.name for o in proto.graph.output]


def _assert_verified(result, tolerance: float = 1e-4) -> None:
    v = result.verification
    assert v is not None and v.checker == "passed"
    assert v.passed, v.failures
    assert len(v.runs) >= 3 and {r.batch for r in v.runs} >= {1, 3, 8}
    assert all(0 <= d <= tolerance for d in v.max_abs_diff.values()), v.max_abs_diff


@pytest.mark.parametrize("name", KERAS_FIXTURES)
def test_every_fixture_exports_verifies_keeps_names_and_lints_connected(name, tmp_path):
    path = _fixture(name)
    stored = load_path(path)  # our own reading of the file: the names Keras gave its inputs/outputs
    out = tmp_path / (path.stem + ".onnx")
    result = export_onnx(path, out, converter="tf2onnx")
    _assert_verified(result)
    proto = onnx.load(str(out))
    assert _names(proto) == (list(stored.input_names), list(stored.output_names))
    meta = {p.key: p.value for p in proto.metadata_props}
    assert meta["source"] == name and meta["exported_by"].startswith("keras-inspector ")
    assert meta["keras_version"] and meta["tf2onnx_version"]
    # the batch dimension stays dynamic
    assert all(i.type.tensor_type.shape.dim[0].dim_param == "batch" for i in proto.graph.input)
    # the exported graph reads back through the ONNX loader and has no dead node; the fixture
    # built with an idle input keeps it, and unused-input says so on the ONNX file as on the .keras
    onnx_graph = load_path(out)
    assert lint_graph(onnx_graph, select_rules(["disconnected-graph"], None)) == []
    idle = lint_graph(onnx_graph, select_rules(["unused-input"], None))
    assert [f.layers for f in idle] == ([("metadata",)] if name == "unused_input.keras" else [])


def test_two_input_and_three_output_models_keep_their_names(tmp_path):
    qa = export_onnx(_fixture("qa_two_inputs.keras"), tmp_path / "qa.onnx", verify=False)
    assert [t.name for t in qa.inputs] == ["text", "question"]
    assert [t.name for t in qa.outputs] == ["answer"]
    three = export_onnx(_fixture("three_outputs_weighted.keras"), tmp_path / "three.onnx", verify=False)
    assert [t.name for t in three.inputs] == ["posts"]
    assert [t.name for t in three.outputs] == ["age", "income", "gender"]  # the model's order
    assert _names(onnx.load(str(tmp_path / "three.onnx")))[1] == ["age", "income", "gender"]


def test_keras2_lstm_file_is_translated_rebuilt_and_verified(tmp_path):
    path = _fixture("siamese_shared_lstm_k2.h5")
    result = export_onnx(path, tmp_path / "siamese.onnx", converter="tf2onnx")
    assert result.how == "legacy"
    assert "time_major" in result.keras_error
    assert any("shared_lstm (LSTM): dropped time_major=False" in t for t in result.translations)
    _assert_verified(result)
    assert [t.name for t in result.inputs] == ["left", "right"]
    proto = onnx.load(str(tmp_path / "siamese.onnx"))
    meta = {p.key: p.value for p in proto.metadata_props}
    assert meta["loaded_by"] == "legacy" and "time_major" in meta["translations"]


def test_keras2_nested_model_call_indices_are_renumbered(tmp_path):
    result = export_onnx(_fixture("nested_submodel_k2.h5"), tmp_path / "nested.onnx", converter="tf2onnx")
    assert result.how == "legacy"
    assert any("encoder (nested model)" in t for t in result.translations)
    _assert_verified(result)


def test_keras3_h5_loads_without_translation(tmp_path):
    result = export_onnx(_fixture("qa_two_inputs.h5"), tmp_path / "qa.onnx", converter="tf2onnx")
    assert result.how == "keras" and result.translations == ()
    _assert_verified(result)


@pytest.mark.parametrize("name", ["lambda_layer.keras", "lambda_layer.h5"])
def test_lambda_bytecode_is_refused_by_layer_name_even_with_custom_objects(name, tmp_path):
    path = _fixture(name)
    with pytest.raises(UnsupportedError, match="layer 'double' is a Lambda holding serialized Python bytecode"):
        export_onnx(path, tmp_path / "x.onnx")
    module = tmp_path / "objs.py"
    module.write_text("def double(t):\n    return t * 2.0\n")
    result = CliRunner().invoke(main, ["export", str(path), "-o", str(tmp_path / "x.onnx"),
                                       "--custom-objects", str(module)])
    assert result.exit_code == 2
    assert "layer 'double' is a Lambda" in result.output
    assert not (tmp_path / "x.onnx").exists()


def test_custom_class_needs_the_users_module(tmp_path, keras):
    module = tmp_path / "my_layers.py"
    module.write_text(textwrap.dedent("""
        import keras

        @keras.saving.register_keras_serializable(package="inspector_test")
        class Scale(keras.layers.Layer):
            def __init__(self, factor=2.0, **kwargs):
                super().__init__(**kwargs)
                self.factor = factor

            def call(self, x):
                return x * self.factor

            def get_config(self):
                return {**super().get_config(), "factor": self.factor}
    """))
    import importlib.util

    spec = importlib.util.spec_from_file_location("my_layers", module)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    x = keras.Input((4,), name="features")
    y = keras.layers.Dense(2, name="score")(mod.Scale(3.0, name="scaled")(x))
    saved = tmp_path / "custom.keras"
    keras.Model(x, y).save(saved)
    keras.saving.get_custom_objects().pop("inspector_test>Scale")  # as in a fresh process
    with pytest.raises(UnsupportedError, match="layer 'scaled' is a custom class 'Scale'.*--custom-objects"):
        export_onnx(saved, tmp_path / "custom.onnx")
    result = export_onnx(saved, tmp_path / "custom.onnx", custom_objects=str(module))
    _assert_verified(result)


def test_dynamic_sequence_length_is_kept_and_verified_on_two_lengths(tmp_path):
    builder = tmp_path / "seq_builder.py"
    builder.write_text(textwrap.dedent("""
        import keras

        def build():
            tokens = keras.Input((None,), dtype="int32", name="tokens")
            h = keras.layers.Embedding(30, 8, name="embed")(tokens)
            h = keras.layers.Conv1D(8, 3, padding="same", activation="relu", name="conv")(h)
            h = keras.layers.GRU(6, name="gru")(h)
            return keras.Model(tokens, keras.layers.Dense(2, name="logits")(h), name="seq")
    """))
    out = tmp_path / "seq.onnx"
    result = export_onnx(f"{builder}:build", out)
    assert result.how == "builder"
    _assert_verified(result)
    lengths = {r.input_shapes["tokens"][1] for r in result.verification.runs}
    assert len(lengths) == 2
    assert result.verification.int_range == 30
    dims = onnx.load(str(out)).graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_param for d in dims] == ["batch", "tokens_dim1"]
    assert onnx.load(str(out)).graph.name == "seq"


def test_cli_report_and_exit_1_naming_the_output_above_tolerance(tmp_path):
    path = _fixture("three_outputs_unweighted.keras")
    out = tmp_path / "three.onnx"
    ok = CliRunner().invoke(main, ["export", str(path), "-o", str(out)])
    assert ok.exit_code == 0, ok.output
    assert "Inputs:\n  posts: int32[batch, 50]" in ok.output
    assert "onnx.checker (full_check) passed" in ok.output
    assert "PASSED: largest difference per output age" in ok.output
    strict = CliRunner().invoke(main, ["export", str(path), "-o", str(out), "--tolerance", "1e-12"])
    assert strict.exit_code == 1
    failures = [line for line in strict.stdout.splitlines() if "output 'age' differs from Keras by" in line]
    assert len(failures) == 1 and failures[0].startswith("  - ")  # in the report, once
    assert "differs" not in strict.stderr  # stderr says it failed, without repeating the report
    assert strict.stderr.startswith(f"inspect: export: {path}: verification FAILED (")


def test_cli_refuses_what_it_cannot_export(tmp_path):
    runner = CliRunner()
    json_model = runner.invoke(main, ["export", str(_fixture("dense_functional.json")), "-o", str(tmp_path / "x.onnx")])
    assert json_model.exit_code == 2 and "holds no weights" in json_model.output
    bad_out = runner.invoke(main, ["export", str(_fixture("dense_functional.keras")), "-o", str(tmp_path / "x.txt")])
    assert bad_out.exit_code == 2 and "must end in .onnx" in bad_out.output


# A builder goes through tf2onnx, which needs 6.8 GiB for ResNet50 and 9.8 GiB for InceptionV3 (grappler's
# constant folding; benchmarks/export_bench.py measures it): MobileNetV2 (1.4 GiB) covers the route here,
# and tests/test_native_export.py checks every application against Keras through the native exporter.
APPLICATIONS = [("MobileNetV2", (32, 32, 3))]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "shape"), APPLICATIONS)
def test_keras_applications_export_and_verify(name, shape, tmp_path):
    builder = tmp_path / "apps.py"
    builder.write_text(textwrap.dedent(f"""
        import keras

        def build():
            # logits, not softmax: a near-uniform softmax would hide differences
            return keras.applications.{name}(weights=None, input_shape={shape!r}, classes=10,
                                             classifier_activation=None)
    """))
    result = export_onnx(f"{builder}:build", tmp_path / f"{name}.onnx")
    _assert_verified(result)
    assert [t.name for t in result.outputs] == ["predictions"]


def test_legacy_translation_is_data_only_and_refuses_time_major_true():
    from inspector.export.legacy import translate_config

    lstm = {"class_name": "LSTM", "config": {"name": "rnn", "units": 4, "time_major": True}}
    config = {"class_name": "Sequential", "config": {"name": "s", "layers": [lstm]}}
    with pytest.raises(UnsupportedError, match="'rnn' .*time_major=True"):
        translate_config(config, "m.h5")
    lstm["config"]["time_major"] = False
    depthwise = {"class_name": "DepthwiseConv2D", "config": {"name": "dw", "groups": 1, "kernel_size": [3, 3]}}
    config["config"]["layers"].append(depthwise)
    translated, notes = translate_config(config, "m.h5")
    assert "time_major" not in translated["config"]["layers"][0]["config"]
    assert "groups" not in translated["config"]["layers"][1]["config"]
    assert lstm["config"]["time_major"] is False  # the stored config is left as it was
    assert notes == ["rnn (LSTM): dropped time_major=False (Keras 3 RNNs are always batch-major)",
                     "dw (DepthwiseConv2D): dropped groups=1 (Keras 3 depthwise convolutions take no groups)"]


def test_real_keras2_siamese_with_a_shared_nested_model_exports(tmp_path, corpus_dir):
    """A public Keras 2 file: one nested conv model called on three inputs; its weights are stored
    by inner layer inside the nested model's group."""
    path = corpus_dir / "AdityaDutt__Bird-Song-Classification__siamese.h5"
    if not path.exists():
        pytest.skip("corpus file missing")
    result = export_onnx(path, tmp_path / "siamese.onnx", converter="tf2onnx")
    assert result.how == "legacy"
    assert "model (nested model): call indices renumbered from 1 (Keras 2) to 0 (Keras 3)" in result.translations
    _assert_verified(result)
    assert len(result.inputs) == 3


def test_real_keras1_file_says_why_neither_converter_can_export_it(tmp_path, corpus_dir):
    """A public Keras 1.1.2 file: the native converter has no Convolution2D and Keras cannot read
    Keras 1 configs. Both reasons, in one line, and not Keras' own 'pop expected at most 1 argument'."""
    path = corpus_dir / "KonduitAI__dl4j-test-resources__src_main_resources_keras_simple_cnn_tf_model.h5"
    if not path.exists():
        pytest.skip("corpus file missing")
    result = CliRunner().invoke(main, ["export", str(path), "-o", str(tmp_path / "cnn.onnx")])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(
        f"inspect: error: {path}: layer 'convolution2d_1' is a Convolution2D, which the native converter does "
        "not support (and 1 more), and the tf2onnx fallback failed: Keras cannot load it: it was saved by "
        "Keras 1.1.2, whose layer configs neither Keras 3 nor tf_keras reads (")
    assert "known legacy form" not in result.stderr


def test_real_file_with_nan_weights_fails_verification_saying_keras_computes_nan_too(tmp_path, corpus_dir):
    """A public Keras 3 .h5 saved after training diverged: its Dense weights are NaN. The export is
    faithful, so the report says Keras' outputs are NaN too, and compares what agrees as 0."""
    path = corpus_dir / "Gangaraj-13__deep_learning_assignment1__multi_output_model.h5"
    if not path.exists():
        pytest.skip("corpus file missing")
    result = export_onnx(path, tmp_path / "nan.onnx")
    v = result.verification
    assert not v.passed
    assert all(r.error.endswith("hold NaN or infinity, and so do Keras' own on the same inputs: the model in "
                                "the file computes them") for r in v.runs)
    assert v.max_abs_diff == {"management_output": 0.0, "severity_output": 0.0, "diagnosis_output": 0.0}


def test_a_nan_on_one_side_only_is_a_nan_difference_never_dropped():
    import math

    import numpy as np

    from inspector.export.verify import Run, Verification, _max_abs_diff

    assert math.isnan(_max_abs_diff(np, np.array([1.0, np.nan]), np.array([1.0, 2.0])))
    assert _max_abs_diff(np, np.array([np.inf, np.nan, 1.0]), np.array([np.inf, np.nan, 1.5])) == 0.5
    runs = (Run(1, {}, {"y": float("nan")}), Run(3, {}, {"y": 0.0}))  # max(0.0, nan) is 0.0 in Python
    v = Verification("passed", 1e-4, runs, None)
    assert math.isnan(v.max_abs_diff["y"]) and not v.passed


def test_live_model_through_the_public_api(tmp_path, keras):
    import inspector

    x = keras.Input((5,), name="features")
    model = keras.Model(x, keras.layers.Dense(3, name="scores")(x), name="live_mlp")
    result = inspector.export_onnx(model, tmp_path / "live.onnx")
    assert result.how == "live" and result.metadata["source"] == "<live model live_mlp>"
    assert [t.name for t in result.inputs] == ["features"] and [t.name for t in result.outputs] == ["scores"]
    _assert_verified(result)


def test_a_runtime_that_refuses_the_model_is_a_failed_verification(tmp_path, keras):
    from inspector.export.common import ExportResult
    from inspector.export.probe import Probe
    from inspector.export.report import format_report
    from inspector.export.tf2onnx_route import convert
    from inspector.export.verify import keras_reference, verify_onnx

    x = keras.Input((3,), name="features")
    model = keras.Model(x, keras.layers.Dense(2, name="scores")(x))
    proto, in_names, out_names = convert(model, None, "<test>")
    # an op no runtime knows: onnxruntime refuses the whole model when it opens a session
    proto.graph.node.append(onnx.helper.make_node("Mystery", ["features"], ["mystery"], domain="com.example"))
    proto.opset_import.append(onnx.helper.make_opsetid("com.example", 1))
    v = verify_onnx(proto, in_names, out_names, [Probe(1, {"features": (1, 3)})], keras_reference(model))
    assert not v.passed and v.runs == ()
    assert any(f.startswith("onnxruntime cannot load the exported model: ") and "Mystery" in f
               for f in v.failures), v.failures
    assert "  - onnxruntime cannot load the exported model" in format_report(
        ExportResult("<test>", tmp_path / "m.onnx", 15, (), (), "live", (), None, 0, {}, v))


def test_a_keras_run_failing_without_a_message_is_reported_by_its_type(tmp_path, keras):
    import tensorflow as tf

    import inspector

    class FailsWhenRun(keras.layers.Layer):
        """Traces fine (Keras and tf2onnx trace symbolically), raises a bare error when run eagerly."""

        def call(self, t):
            if tf.executing_eagerly():
                raise RuntimeError()
            return t * 2.0

    x = keras.Input((4,), name="features")
    model = keras.Model(x, FailsWhenRun(name="doubles")(x))
    keras.config.disable_traceback_filtering()  # else Keras adds a message of its own
    try:
        result = inspector.export_onnx(model, tmp_path / "fails.onnx")
    finally:
        keras.config.enable_traceback_filtering()
    v = result.verification
    assert not v.passed
    assert {r.error for r in v.runs} == {"RuntimeError: RuntimeError"}


def test_legacy_renumbering_treats_any_model_config_as_a_nested_model_like_the_loader():
    """A nested model of a custom class (a config with its own layers) is renumbered too, as the
    graph loader does, not only Model/Functional/Sequential."""
    from inspector.export.legacy import translate_config

    inner = {"name": "enc", "layers": [
        {"class_name": "InputLayer", "name": "raw", "config": {"name": "raw", "batch_input_shape": [None, 4]},
         "inbound_nodes": []},
        {"class_name": "Dense", "name": "proj", "config": {"name": "proj", "units": 2},
         "inbound_nodes": [[["raw", 0, 0, {}]]]}],
        "input_layers": [["raw", 0, 0]], "output_layers": [["proj", 0, 0]]}
    config = {"class_name": "Functional", "config": {"name": "outer", "layers": [
        {"class_name": "InputLayer", "name": "x", "config": {"name": "x", "batch_input_shape": [None, 4]},
         "inbound_nodes": []},
        {"class_name": "CustomEncoder", "name": "enc", "config": inner, "inbound_nodes": [[["x", 0, 0, {}]]]},
        {"class_name": "Dense", "name": "head", "config": {"name": "head", "units": 1},
         "inbound_nodes": [[["enc", 1, 0, {}]]]}],
        "input_layers": [["x", 0, 0]], "output_layers": [["head", 0, 0]]}}
    translated, notes = translate_config(config, "m.h5")
    assert "enc (nested model): call indices renumbered from 1 (Keras 2) to 0 (Keras 3)" in notes
    assert translated["config"]["layers"][2]["inbound_nodes"] == [[["enc", 0, 0, {}]]]
    assert config["config"]["layers"][2]["inbound_nodes"] == [[["enc", 1, 0, {}]]]  # the stored one is kept


def _graph(layers: list) -> object:
    from inspector.graph import Source
    from inspector.loaders.keras_config import parse_model

    dense = {"class_name": "InputLayer", "config": {"name": "x", "batch_input_shape": [None, 3, 4]}}
    return parse_model({"class_name": "Sequential", "config": {"name": "s", "layers": [dense, *layers]}},
                       Source("m.h5", "h5"))


def test_user_code_check_finds_lambdas_as_the_unsafe_lambda_rule_does(keras):
    from inspector.export.tf2onnx_route import check_user_code

    wrapped = {"class_name": "TimeDistributed", "config": {"name": "td", "layer": {"class_name": "Lambda", "config": {
        "name": "inner", "function": ["4wEAAAAA", None, None], "function_type": "lambda"}}}}
    with pytest.raises(UnsupportedError, match="layer 'td' is a TimeDistributed holding serialized Python bytecode"):
        check_user_code(_graph([wrapped]), {}, "m.h5")
    # a named function, but its output_shape is bytecode: refused too, whatever the user passes
    shaped = {"class_name": "Lambda", "config": {"name": "double", "function": "double", "function_type": "function",
                                                 "output_shape": ["4wEAAAAA", None, None],
                                                 "output_shape_type": "lambda"}}
    with pytest.raises(UnsupportedError, match="layer 'double' is a Lambda holding serialized Python bytecode"):
        check_user_code(_graph([shaped]), {"double": abs}, "m.h5")
    named = {"class_name": "Lambda", "config": {"name": "double", "function": "double", "function_type": "function"}}
    with pytest.raises(UnsupportedError, match="calling the Python function 'double': pass --custom-objects"):
        check_user_code(_graph([named]), {}, "m.h5")
    check_user_code(_graph([named]), {"double": abs}, "m.h5")  # given: accepted


def test_custom_objects_and_a_builder_from_one_file_share_its_module(tmp_path):
    from inspector.export.tf2onnx_route import import_custom_objects
    from inspector.loaders.python_builder import resolve_builder

    module = tmp_path / "shared_defs.py"
    module.write_text("class Marker:\n    pass\n\n\ndef build():\n    return Marker\n")
    build = resolve_builder(f"{module}:build")
    objects = import_custom_objects(str(module))
    assert objects["build"] is build and objects["Marker"] is build()  # imported once, not twice


def test_a_failing_builder_is_named_with_its_file_and_line(tmp_path):
    builder = tmp_path / "broken_builder.py"
    builder.write_text("def build():\n    raise KeyError('units')\n")
    with pytest.raises(Exception, match=r"the builder raised KeyError: 'units' \(at broken_builder.py:2\)"):
        export_onnx(f"{builder}:build", tmp_path / "x.onnx")


def test_what_is_not_a_model_is_a_usage_error(tmp_path):
    from inspector.errors import UsageError
    from inspector.loaders.python_builder import is_keras_model

    assert not is_keras_model(42) and not is_keras_model("model.keras")
    with pytest.raises(UsageError, match="cannot export a int"):
        export_onnx(42, tmp_path / "x.onnx")
