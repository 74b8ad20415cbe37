"""Nested models are not the model: rules judge a nested model's outputs and inputs as the whole
model's only where the outer model returns them (or feeds them) as they are. Keras-built models,
saved and read back, and the corpus file that showed the fault."""

from __future__ import annotations

import inspector
from inspector.engine import all_rules, select_rules
from inspector.run import lint_target


def _lint(keras, model, tmp_path, select=None):
    path = tmp_path / f"{model.name}.keras"
    model.save(path)
    rules = select_rules(select, None) if select else all_rules()
    return [(f.code, f.layers) for f in lint_target(str(path), rules)]


def test_noise_at_the_end_of_a_nested_augmentation_block_is_not_after_the_output(keras, tmp_path):
    layers = keras.layers
    augment = keras.Sequential([layers.RandomFlip("horizontal"), layers.GaussianNoise(0.1)], name="augment")
    inputs = keras.Input((32, 32, 3))
    x = layers.Conv2D(8, 3, activation="relu")(augment(inputs))
    x = layers.GlobalAveragePooling2D()(x)
    model = keras.Model(inputs, layers.Dense(10, activation="softmax", name="digit")(x), name="augmented")
    model.compile(loss="sparse_categorical_crossentropy")
    assert _lint(keras, model, tmp_path, ["A107"]) == []


def test_dropout_ending_a_nested_block_that_feeds_dense_layers_is_not_after_the_output(keras, tmp_path):
    layers = keras.layers
    block = keras.Sequential([keras.Input((16,)), layers.Dense(32, activation="relu"), layers.Dropout(0.5)],
                             name="block")
    inputs = keras.Input((16,))
    x = layers.Dense(16, activation="relu")(block(inputs))
    model = keras.Model(inputs, layers.Dense(3, activation="softmax", name="label")(x), name="stacked")
    model.compile(loss="categorical_crossentropy")
    assert _lint(keras, model, tmp_path) == []


def test_a_nested_head_the_model_returns_is_judged_as_the_output(keras, tmp_path):
    """The other side: a head written as a Sequential IS the model's output, so dropout after its
    softmax is reported (inside it), and so is binary cross-entropy on its 10-way softmax,
    keyed by the outer name Keras gives the output."""
    layers = keras.layers
    head = keras.Sequential([keras.Input((32,)), layers.Dense(10, activation="softmax", name="scores"),
                             layers.Dropout(0.5, name="late_dropout")], name="head")
    inputs = keras.Input((16,))
    model = keras.Model(inputs, head(layers.Dense(32, activation="relu")(inputs)), name="with_head")
    model.compile(loss="binary_crossentropy")
    found = _lint(keras, model, tmp_path, ["A107", "L101"])
    assert ("A107", ("head/late_dropout", "head/scores")) in found
    assert ("L101", ("head/late_dropout", "head/scores")) in found


def test_a_softmax_inside_a_nested_block_is_no_output_for_the_loss_rules(keras, tmp_path):
    layers = keras.layers
    gate = keras.Sequential([keras.Input((16,)), layers.Dense(16, activation="softmax")], name="gate")
    inputs = keras.Input((16,))
    x = layers.Multiply()([inputs, gate(inputs)])
    model = keras.Model(inputs, layers.Dense(1, name="value")(x), name="gated_regression")
    model.compile(loss="mse")
    assert _lint(keras, model, tmp_path, ["L"]) == []


def test_a_nested_model_fed_a_feature_map_has_no_channels_first_input(keras, tmp_path):
    """(None, 4, 16, 16) inside the model is a strided feature map (4 rows, 16 channels), not
    4-channel images; the same shape as the model's own input is reported."""
    layers = keras.layers
    inner = keras.Sequential([keras.Input((4, 16, 16)), layers.Conv2D(8, 3, padding="same")], name="inner")
    inputs = keras.Input((8, 32, 3))
    x = inner(layers.Conv2D(16, 3, strides=2, padding="same")(inputs))
    model = keras.Model(inputs, layers.GlobalAveragePooling2D()(x), name="feature_map")
    assert _lint(keras, model, tmp_path, ["A108"]) == []
    outer = keras.Sequential([keras.Input((3, 32, 32)), keras.Sequential(
        [keras.Input((3, 32, 32)), layers.Conv2D(8, 3)], name="stem")], name="images")
    assert [code for code, _ in _lint(keras, outer, tmp_path, ["A108"])] == ["A108"]


def test_corpus_augmentation_block_is_quiet(corpus_dir):
    """wiznetmaker's age/gender model: Sequential(RandomFlip, RandomRotation, RandomZoom,
    RandomContrast, RandomBrightness, GaussianNoise) before MobileNet: no output of the model."""
    path = corpus_dir / ("wiznetmaker__Embedded-Age-Gender-Detection-with-Raspberry-Pi-Pico-WIZnet-"
                         "Ethernet-HAT__age_gender_model.h5")
    graph = inspector.load(path)
    assert graph.layer("sequential_2").subgraph.layers[-1].class_name == "GaussianNoise"
    assert [f for f in lint_target(str(path), all_rules()) if f.code == "A107"] == []
