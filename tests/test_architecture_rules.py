"""A102 A103 A104 W102 L101 L103 on real Keras models: each fault as people write it (Stack Overflow
questions, GitHub fixes) is found, with the same findings from .keras, .h5, JSON and the live
model; the deliberate look-alikes (linear bottlenecks, attention, per-timestep heads, generators,
segmentation, zero-initialized classifiers) and the keras.applications models stay silent."""

from __future__ import annotations

import pytest

import inspector

CODES = ["A102", "A103", "A104", "W102", "L101", "L103"]


def _found(target) -> list[tuple[str, tuple[str, ...]]]:
    return sorted((f.code, f.layers) for f in inspector.lint(target, select=CODES))


# -- the faults, as Keras builds them -------------------------------------------------------------
def conv_dense_no_flatten(keras):
    layers = keras.layers
    inputs = keras.Input((28, 28, 1))
    x = layers.Conv2D(32, 3, activation="relu", name="conv")(inputs)
    x = layers.MaxPooling2D(name="pool")(x)
    x = layers.Dense(64, activation="relu", name="hidden")(x)
    outputs = layers.Dense(10, activation="softmax", name="digit")(x)
    model = keras.Model(inputs, outputs)
    model.compile(loss="categorical_crossentropy")
    return model, [("A102", ("hidden", "pool", "digit"))]


def text_cnn_no_global_pooling(keras):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((100,), dtype="int32"), layers.Embedding(5000, 32, name="embed"),
        layers.Conv1D(64, 5, activation="relu", name="conv"), layers.MaxPooling1D(4, name="pool"),
        layers.Dense(1, activation="sigmoid", name="sentiment")])
    model.compile(loss="binary_crossentropy")
    return model, [("A102", ("sentiment", "pool"))]


def pretrained_base_no_pooling(keras):
    layers = keras.layers
    base = keras.Sequential([
        keras.Input((32, 32, 3)), layers.Conv2D(16, 3, activation="relu"), layers.MaxPooling2D(),
        layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D()], name="base")
    inputs = keras.Input((32, 32, 3))
    x = layers.Dense(128, activation="relu", name="hidden")(base(inputs))
    outputs = layers.Dense(5, activation="softmax", name="flower")(x)
    model = keras.Model(inputs, outputs)
    model.compile(loss="sparse_categorical_crossentropy")
    return model, [("A102", ("hidden", "base", "flower"))]


def mlp_without_activations(keras):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((784,)), layers.Dense(128, name="hidden_1"), layers.Dropout(0.2, name="drop"),
        layers.Dense(64, name="hidden_2"), layers.Dense(10, activation="softmax", name="digit")])
    model.compile(loss="sparse_categorical_crossentropy")
    return model, [("A103", ("hidden_1", "drop", "hidden_2", "digit"))]  # one pattern, folded


def relu_twice_softmax_twice(keras):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((20,)), layers.Dense(64, activation="relu", name="hidden"),
        layers.Activation("relu", name="relu"), layers.Dense(10, activation="softmax", name="scores"),
        layers.Activation("softmax", name="probabilities")])
    model.compile(loss="categorical_crossentropy")
    return model, [("A104", ("hidden", "relu")), ("A104", ("scores", "probabilities"))]


def zeros_kernel(keras):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((64,)), layers.Dense(64, activation="relu", kernel_initializer="zeros", name="hidden"),
        layers.Dense(10, activation="softmax", kernel_initializer="zeros", name="digit")])
    model.compile(loss="sparse_categorical_crossentropy")
    return model, [("W102", ("hidden",))]


def mse_on_softmax_relu_after_bn(keras):
    layers = keras.layers
    inputs = keras.Input((32,))
    h = layers.Dense(16, activation="relu", name="hidden")(inputs)
    kind = layers.Dense(5, activation="softmax", name="kind")(h)
    score = layers.Dense(3, name="score_dense")(h)
    score = layers.BatchNormalization(name="score_bn")(score)
    score = layers.Activation("relu", name="score")(score)
    model = keras.Model(inputs, [kind, score])
    model.compile(loss={"kind": "mse", "score": "categorical_crossentropy"})
    return model, [("L101", ("score", "score_dense")), ("L103", ("kind",))]


FAULTS = [conv_dense_no_flatten, text_cnn_no_global_pooling, pretrained_base_no_pooling,
          mlp_without_activations,
          relu_twice_softmax_twice, zeros_kernel, mse_on_softmax_relu_after_bn]


@pytest.mark.parametrize("build", FAULTS, ids=lambda f: f.__name__)
def test_fault_found_alike_in_every_format(keras, build, tmp_path):
    model, expected = build(keras)
    model.save(tmp_path / "m.keras")
    model.save(tmp_path / "m.h5")
    (tmp_path / "m.json").write_text(model.to_json())
    assert _found(model) == sorted(expected)
    for suffix in (".keras", ".h5", ".json"):
        assert _found(tmp_path / f"m{suffix}") == sorted(expected), suffix


@pytest.mark.parametrize("build", FAULTS, ids=lambda f: f.__name__)
def test_fault_found_alike_in_a_keras_2_file(keras, build, tmp_path):
    tf_keras = pytest.importorskip("tf_keras")
    model, expected = build(tf_keras)
    model.save(tmp_path / "m.h5")
    assert _found(tmp_path / "m.h5") == sorted(expected)


# -- what looks alike but is meant -----------------------------------------------------------------
def transformer_block(keras):
    layers = keras.layers
    inputs = keras.Input((16, 32))
    a = layers.MultiHeadAttention(4, 8)(inputs, inputs)
    x = layers.LayerNormalization()(layers.Add()([inputs, a]))
    f = layers.Dense(64, activation="relu")(x)
    f = layers.Dense(32)(f)
    x = layers.LayerNormalization()(layers.Add()([x, f]))
    q = layers.Dense(32)(x)  # a projection read by a dot product, not by a weight layer
    scores = layers.Dot(axes=2)([q, x])
    outputs = layers.Dense(5, activation="softmax")(layers.GlobalAveragePooling1D()(scores))
    model = keras.Model(inputs, outputs)
    model.compile(loss="sparse_categorical_crossentropy")
    return model


def per_timestep_tagger(keras):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((40,), dtype="int32"), layers.Embedding(1000, 32),
        layers.Conv1D(64, 3, padding="same", activation="relu"),
        layers.LSTM(64, return_sequences=True), layers.Dense(89, activation="softmax")])
    model.compile(loss="sparse_categorical_crossentropy")
    return model


def segmentation(keras):
    layers = keras.layers
    inputs = keras.Input((32, 32, 3))
    x = layers.Conv2D(16, 3, padding="same", activation="relu")(inputs)
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(32, 3, padding="same", activation="relu")(x)
    x = layers.UpSampling2D()(x)
    outputs = layers.Dense(4, activation="softmax")(x)  # a class per pixel
    model = keras.Model(inputs, outputs)
    model.compile(loss="sparse_categorical_crossentropy")
    return model


def autoencoder_and_factorization(keras):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((784,)), layers.Dense(128, activation="relu"), layers.Dense(16, name="code"),
        layers.Dense(128, activation="relu"), layers.Dense(784, activation="sigmoid")])
    model.compile(loss="mse")  # sigmoid + mse: regressing pixels in [0, 1]
    return model


def dcgan_generator(keras):
    layers = keras.layers
    return keras.Sequential([
        keras.Input((128,)), layers.Dense(8 * 8 * 128), layers.Reshape((8, 8, 128)),
        layers.Conv2DTranspose(128, 4, strides=2, padding="same"), layers.LeakyReLU(0.2),
        layers.Conv2D(3, 5, padding="same", activation="sigmoid")])


def separable_and_bottleneck(keras):
    layers = keras.layers
    inputs = keras.Input((32, 32, 16))
    x = layers.DepthwiseConv2D(3, padding="same")(inputs)
    x = layers.Conv2D(32, 1, activation="relu")(x)
    y = layers.Conv2D(64, 1, activation="relu")(x)
    y = layers.DepthwiseConv2D(3, padding="same", activation="relu")(y)
    y = layers.Conv2D(32, 1)(y)  # linear bottleneck
    y = layers.BatchNormalization()(y)
    x = layers.Add()([x, y])
    outputs = layers.Dense(10, kernel_initializer="zeros", activation="softmax")(
        layers.GlobalAveragePooling2D()(x))
    model = keras.Model(inputs, outputs)
    model.compile(loss="categorical_crossentropy")
    return model


@pytest.mark.parametrize("build", [
    transformer_block, per_timestep_tagger, segmentation, autoencoder_and_factorization,
    dcgan_generator, separable_and_bottleneck,
], ids=lambda f: f.__name__)
def test_deliberate_designs_are_silent(keras, build):
    assert _found(build(keras)) == []


def test_applications_are_silent(keras_applications, application_name):
    app = keras_applications(application_name)
    for path in (app.keras, app.h5):
        assert _found(path) == [], path


def test_a_fault_repeated_in_every_block_is_one_finding(keras):
    layers = keras.layers
    blocks = [layer for i in range(4) for layer in (
        layers.Dense(32, activation="relu", name=f"dense_{i}"), layers.ReLU(name=f"relu_{i}"))]
    model = keras.Sequential([keras.Input((16,)), *blocks, layers.Dense(3, activation="softmax")])
    (finding,) = inspector.lint(model, select=["A104"])
    assert finding.message.startswith("the same activation (relu) applied twice in a row: 4 places")
    assert finding.layers == tuple(name for i in range(4) for name in (f"dense_{i}", f"relu_{i}"))
