"""`inspect diagnose` for real: tiny Keras models, written with a fault, probed on scikit-learn data.

Each probe trains copies of a model for a few hundred steps on a CPU (seconds each); the checks
are on what it found and on both figures it printed, never on times."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

import inspector
from inspector.cli import main

pytest.importorskip("sklearn")


def _mlp(keras, features, units, activation, loss, optimizer="adam", hidden=32, name_in="x", name_out="y"):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((features,), name=name_in),
                              keras.layers.Dense(hidden, activation="relu", name="hidden"),
                              keras.layers.Dense(units, activation=activation, name=name_out)])
    model.compile(optimizer=optimizer, loss=loss)
    return model


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits

    data = load_digits()
    return (data.data[:600] / 16.0).astype("float32"), data.target[:600]


@pytest.fixture(scope="module")
def cancer():
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    x = data.data.astype("float32")
    return ((x - x.mean(0)) / x.std(0)).astype("float32"), data.target


@pytest.fixture(scope="module")
def integer_labels_model(keras, digits, tmp_path_factory):
    """Integer digit labels with categorical_crossentropy: Keras refuses them, the sparse loss learns."""
    folder = tmp_path_factory.mktemp("cce")
    _mlp(keras, 64, 10, "softmax", "categorical_crossentropy").save(folder / "model.keras")
    np.savez(folder / "sample.npz", x=digits[0], y=digits[1])
    return folder / "model.keras", folder / "sample.npz"


def _diagnose(*args):
    return CliRunner().invoke(main, ["diagnose", *map(str, args)])


def test_integer_labels_with_categorical_crossentropy_is_d101_with_both_figures(integer_labels_model):
    model, data = integer_labels_model
    result = _diagnose(model, "--data", data, "--output-format", "json")
    assert result.exit_code == 1, result.output
    findings = json.loads(result.stdout)
    [d101] = [f for f in findings if f["code"] == "D101"]
    assert d101["layers"] == ["y"]
    message = d101["message"]
    assert message.startswith("integer class labels (0 to 9, 10 classes) with loss 'categorical_crossentropy'")
    assert "as given: Keras refuses to train: Arguments `target` and `output` must have the same rank" in message
    assert "with loss='sparse_categorical_crossentropy': loss " in message
    after = float(message.split("with loss='sparse_categorical_crossentropy': loss ")[1].split(" -> ")[1].split()[0])
    assert after < 1.5  # from ln(10) = 2.3 at chance
    assert not [f for f in findings if f["code"].startswith("D") and f["code"] != "D101"]


def test_the_probe_is_deterministic_for_a_seed(integer_labels_model):
    model, data = integer_labels_model
    first = inspector.diagnose(str(model), str(data), seed=3, select=["D"])
    again = inspector.diagnose(str(model), str(data), seed=3, select=["D"])
    assert [f.message for f in first] == [f.message for f in again]
    assert first


def test_healthy_classifier_gets_no_data_finding(keras, digits, tmp_path):
    model = _mlp(keras, 64, 10, "softmax", "sparse_categorical_crossentropy")
    findings = inspector.diagnose(model, (digits[0], digits[1]), select=["D"])
    assert findings == []


def test_sgd_at_1e6_is_d121_and_the_range_test_names_a_working_rate(keras, digits):
    model = _mlp(keras, 64, 10, "softmax", "sparse_categorical_crossentropy",
                 optimizer=keras.optimizers.SGD(learning_rate=1e-6))
    findings = inspector.diagnose(model, {"x": digits[0], "y": digits[1]}, select=["D"])
    [finding] = findings
    assert finding.code == "D121"
    assert finding.message.startswith("learning_rate=1e-06 is too low for sgd on this model and data: as given: ")
    assert "with learning_rate=0.1: loss" in finding.message or "with learning_rate=0.01: loss" in finding.message


def test_one_unit_softmax_on_binary_targets_is_d102(keras, cancer):
    """breast cancer labels 0/1 on Dense(1, softmax): the output is 1 whatever the input."""
    model = _mlp(keras, 30, 1, "softmax", "binary_crossentropy")
    findings = inspector.diagnose(model, (cancer[0], cancer[1]), select=["D102"])
    [finding] = findings
    assert finding.layers == ("y",)
    assert finding.message.startswith("0/1 targets on a one-unit softmax")
    assert "with y: activation='sigmoid': loss" in finding.message


def test_channels_first_images_are_d114_with_the_transpose(keras, digits):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((8, 8, 1), name="image"),
                              keras.layers.Conv2D(4, 3, activation="relu", name="conv"),
                              keras.layers.GlobalAveragePooling2D(name="pool"),
                              keras.layers.Dense(10, activation="softmax", name="digit")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    images = digits[0].reshape(-1, 1, 8, 8)  # channels first
    [finding] = inspector.diagnose(model, (images, digits[1]), select=["D114"], budget=20)
    assert finding.layers == ("image",)
    assert finding.message.startswith("input 'image': channels first: the data is (1, 8, 8) per example where "
                                      "the model reads (8, 8, 1); x = np.transpose(x, (0, 2, 3, 1)); with it: loss")


@pytest.mark.parametrize(("arrays", "reason"), [
    ({"x": np.zeros((4, 64), "float32")},
     "the data lacks arrays named y (the model's inputs and outputs are x, y; the data holds x)"),
    ({"x": np.zeros((0, 64), "float32"), "y": np.zeros((0,))}, "array 'x' is empty"),
    ({"x": np.array(["a"] * 4), "y": np.zeros(4)}, "array 'x' has dtype <U1, not a number type"),
    ({"x": np.zeros((4, 64), "float32"), "y": np.zeros(5)}, "the arrays hold different numbers of examples: x 4, y 5"),
])
def test_bad_data_is_one_line_and_exit_2(integer_labels_model, tmp_path, arrays, reason):
    model, _ = integer_labels_model
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    result = _diagnose(model, "--data", path)
    assert result.exit_code == 2
    assert result.stderr == f"inspect: error: {path}: {reason}\n"


def test_object_arrays_are_refused_not_unpickled(integer_labels_model, tmp_path):
    model, _ = integer_labels_model
    path = tmp_path / "pickled.npz"
    np.savez(path, x=np.array([{"a": 1}] * 4, dtype=object), y=np.zeros(4))
    result = _diagnose(model, "--data", path)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"inspect: error: {path}: not a plain .npz of numeric arrays: ")
    assert "allow_pickle" in result.stderr and result.stderr.count("\n") == 1


def test_a_data_function_that_raises_is_one_line(integer_labels_model, tmp_path):
    model, _ = integer_labels_model
    (tmp_path / "brokendata.py").write_text("def load():\n    raise FileNotFoundError('train.csv')\n")
    result = _diagnose(model, "--data", f"{tmp_path / 'brokendata.py'}:load")
    assert result.exit_code == 2
    assert result.stderr == (f"inspect: error: {tmp_path / 'brokendata.py'}:load: the data function raised "
                             "FileNotFoundError: train.csv (at brokendata.py:2)\n")


def test_data_layouts_fit_accepts(keras, digits):
    """(n,) targets for an (n, 1) output, lists by position, dicts by name, a tf.data.Dataset."""
    import tensorflow as tf

    from inspector.probe.data import load_sample

    graph = inspector.load(_mlp(keras, 64, 1, "sigmoid", "binary_crossentropy"))
    binary = (digits[1] % 2).astype("int64")
    for data in ((digits[0], binary), ([digits[0]], [binary]), {"x": digits[0], "y": binary},
                 tf.data.Dataset.from_tensor_slices((digits[0], binary)).batch(50)):
        sample = load_sample(data, graph)
        assert sample.inputs["x"].shape == (600, 64) and sample.targets["y"].shape == (600, 1)
        assert (sample.targets["y"][:, 0] == binary).all()


def test_lint_data_takes_targets_without_their_column(keras, tmp_path, cancer):
    """Keras trains an (n, 1) output on (n,) targets; `lint --data` used to refuse them (same rank)."""
    model = _mlp(keras, 30, 1, "sigmoid", "binary_crossentropy")
    model.save(tmp_path / "m.keras")
    np.savez(tmp_path / "s.npz", x=cancer[0], y=cancer[1])
    result = CliRunner().invoke(main, ["lint", str(tmp_path / "m.keras"), "--data", str(tmp_path / "s.npz")])
    assert result.exit_code == 0, result.output + result.stderr
    assert result.stdout == "No findings in 1 file.\n"


def test_lint_callback_diagnoses_before_the_first_step(keras, digits):
    """The callback runs the same checks on copies of the model: the real fit never starts."""
    from inspector.keras import LintCallback, LintFailure

    model = _mlp(keras, 64, 10, "softmax", "categorical_crossentropy")
    before = [w.copy() for w in model.get_weights()]
    callback = LintCallback(data=(digits[0], digits[1]), diagnose=True, select=["D"], fail_on="error")
    with pytest.raises(LintFailure, match="D101 label-encoding-mismatch: integer class labels"):
        model.fit(digits[0], digits[1], epochs=1, verbose=0, callbacks=[callback])
    assert all((a == b).all() for a, b in zip(before, model.get_weights()))  # the user's model is untouched


def test_progress_lines_go_to_a_terminal(tmp_path):
    """A person at a terminal sees what the probe is doing; a log or a pipe gets the findings and
    the probe's notes, not lines that change with the clock (tests/test_readme.py compares the
    diagnosis example's whole output, stderr too)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    evidence = Path(__file__).resolve().parents[1] / "fixtures" / "evidence"
    command = [sys.executable, "-m", "inspector", "diagnose", str(evidence / "unscaled-inputs.faulty.keras"),
               "--data", str(evidence / "unscaled-inputs.faulty.npz"), "--select", "D111"]
    leader, follower = os.openpty()
    try:
        seen = subprocess.run(command, stdout=subprocess.PIPE, stderr=follower, timeout=300, check=False)
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal's other end is closed: all was read
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(leader)
    assert seen.returncode == 1 and b"D111 unscaled-inputs" in seen.stdout
    assert "inspect: diagnose: training the model as given" in b"".join(chunks).decode()


def test_a_run_on_the_reused_copy_is_the_run_a_fresh_copy_makes(keras, digits):
    """Learning-rate trials retrain the copy run as given, reset: with Dropout and
    BatchNormalization (seed generators, moving statistics) the figures match a fresh copy's."""
    from inspector.probe.data import Sample
    from inspector.probe.fixes import Setting
    from inspector.probe.run import Clock, _Trainer

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((64,), name="x"), keras.layers.Dense(32, activation="relu", name="hidden"),
                              keras.layers.BatchNormalization(name="norm"), keras.layers.Dropout(0.3, name="drop"),
                              keras.layers.Dense(10, activation="softmax", name="y")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    graph = inspector.load(model)
    trainer = _Trainer(graph, model, 0, Clock(600), 50)
    sample = Sample({"x": digits[0][:256]}, {"y": digits[1][:256]}, "digits")
    trainer.run(Setting(), sample, keep=True)
    faster = Setting("learning_rate=0.1", learning_rate=0.1)
    assert trainer.reusable(faster)
    reused = trainer.run(faster, sample)
    trainer._start = None  # the same setting on a fresh copy
    fresh = trainer.run(faster, sample)
    assert (reused.loss_before, reused.loss_after, reused.accuracy_after) == \
        (fresh.loss_before, fresh.loss_after, fresh.accuracy_after)
    assert reused.loss_after < reused.loss_before


def test_weights_that_turn_nan_are_a_divergence_even_when_the_logged_loss_stays_finite(keras, digits):
    """Six ReLU layers drawn with stddev 1 under SGD(0.01): the weights are NaN within a few
    steps while the cross-entropy Keras logs stays finite (it clips its probabilities)."""
    keras.utils.set_random_seed(0)
    x = inputs = keras.Input((64,), name="x")
    for i in range(6):
        x = keras.layers.Dense(64, activation="relu", name=f"dense_{i + 1}",
                               kernel_initializer=keras.initializers.RandomNormal(stddev=1.0, seed=i))(x)
    model = keras.Model(inputs, keras.layers.Dense(10, activation="softmax", name="y")(x))
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="sparse_categorical_crossentropy")
    findings = inspector.diagnose(model, (digits[0] * 16, digits[1]), select=["D123"])
    [nan] = findings
    assert "the loss becomes NaN at step " in nan.message
    assert "it stays finite: loss" in nan.message


def test_a_builder_without_seeds_diagnoses_the_same_twice(tmp_path, monkeypatch):
    """The builder and the data function run after seeding with --seed: unseeded initial weights
    and a sampled data function give the same figures run after run."""
    (tmp_path / "unseeded.py").write_text(
        "import keras\nimport numpy as np\n\n"
        "def build():\n"
        "    model = keras.Sequential([keras.Input((4,), name='x'), keras.layers.Dense(1, name='y')])\n"
        "    model.compile(optimizer=keras.optimizers.SGD(1e-7), loss='mse')\n"
        "    return model\n\n"
        "def data():\n"
        "    x = np.random.rand(200, 4).astype('float32')\n"
        "    return x, x.sum(axis=1) * 3.0\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    first = inspector.diagnose("unseeded:build", "unseeded:data", select=["D"])
    again = inspector.diagnose("unseeded:build", "unseeded:data", select=["D"])
    assert first, "SGD at 1e-7 on this regression is too slow: D121"
    assert [f.message for f in first] == [f.message for f in again]


def test_outsized_starting_kernels_are_named_with_fresh_ones_tried(keras, digits):
    """Two tanh layers drawn with stddev 5 (28x He's scale for 64 inputs): D132 names both, with
    the run on the same layers drawn afresh by glorot_uniform."""
    keras.utils.set_random_seed(0)
    big = keras.initializers.RandomNormal(stddev=5.0, seed=0)
    model = keras.Sequential([keras.Input((64,), name="x"),
                              keras.layers.Dense(64, activation="tanh", kernel_initializer=big, name="hidden1"),
                              keras.layers.Dense(64, activation="tanh", kernel_initializer=big, name="hidden2"),
                              keras.layers.Dense(10, activation="softmax", name="y")])
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="sparse_categorical_crossentropy")
    [finding] = inspector.diagnose(model, (digits[0], digits[1]), select=["D132", "D133"])
    assert finding.code == "D132" and finding.layers == ("hidden1", "hidden2")
    assert "with kernel_initializer='glorot_uniform' on 'hidden1', 'hidden2': loss" in finding.message


def test_a_quantity_on_one_softmax_unit_per_value_is_d102_with_one_linear_unit(keras):
    """Diabetes progression (25-346) read as 347 classes: the regression tried has one unit."""
    from sklearn.datasets import load_diabetes

    data = load_diabetes()
    model = _mlp(keras, 10, 347, "softmax", "sparse_categorical_crossentropy", hidden=64)
    [finding] = inspector.diagnose(model, (data.data.astype("float32"), data.target.astype("int32")),
                                   select=["D102"])
    assert finding.layers == ("y",)
    assert "with y: units=1, activation='linear' with loss='mse' (targets standardised): loss" in finding.message


def test_a_fix_that_keras_trains_on_where_it_refused_the_model_is_reported(keras, digits):
    """8 softmax units for 10 digit classes: Keras refuses label 9; with 10 units it trains."""
    model = _mlp(keras, 64, 8, "softmax", "sparse_categorical_crossentropy")
    [finding] = inspector.diagnose(model, (digits[0], digits[1]), select=["D103"])
    assert finding.layers == ("y",)
    assert "as given: Keras refuses to train: Received a label value of 9" in finding.message
    assert "with y: units=10: loss" in finding.message
