"""`inspect diagnose` says nothing on correct programs: an adapted Normalization layer that scales
raw inputs inside the model, outputs returned as a dict, a small conv net that needs more than 300
steps to memorise 32 examples. Real tiny models on scikit-learn data, trained for seconds."""

from __future__ import annotations

import pytest

import inspector

pytest.importorskip("sklearn")


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits

    data = load_digits()
    return (data.data[:600] / 16.0).astype("float32"), data.target[:600]


def test_raw_inputs_scaled_by_an_adapted_normalization_layer_are_not_d111(keras):
    """Raw wine columns (spreads 0.12 to 314): the model's own Normalization scales them. The
    probe's copies must keep the adapted statistics (set_weights alone does not apply them)."""
    from sklearn.datasets import load_wine

    x, y = load_wine(return_X_y=True)
    x = x.astype("float32")
    keras.utils.set_random_seed(0)
    norm = keras.layers.Normalization(name="standardize")
    norm.adapt(x)
    inputs = keras.Input((13,), name="chemistry")
    hidden = keras.layers.Dense(32, activation="relu", name="hidden")(norm(inputs))
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax", name="cultivar")(hidden))
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")

    from inspector.probe.data import load_sample
    from inspector.probe.run import probe

    graph = inspector.load(model)
    measured = probe(graph, model, load_sample((x, y), graph), budget=120)
    assert measured.baseline.loss_before < 2.0  # standardised inputs: near ln(3), not raw-scale logits
    assert measured.baseline.accuracy_after >= 0.95
    assert inspector.diagnose(model, (x, y), select=["D"]) == []


def test_dict_outputs_train_and_get_no_finding(keras, digits):
    """A model returning {"digit": ..., "even": ...}, compiled with dict losses, on dict data."""
    keras.utils.set_random_seed(0)
    inputs = keras.Input((64,), name="pixels")
    trunk = keras.layers.Dense(64, activation="relu", name="trunk")(inputs)
    model = keras.Model(inputs, {"digit": keras.layers.Dense(10, activation="softmax", name="digit")(trunk),
                                 "even": keras.layers.Dense(1, activation="sigmoid", name="even")(trunk)})
    model.compile(optimizer="adam", loss={"digit": "sparse_categorical_crossentropy", "even": "binary_crossentropy"})
    x, y = digits
    data = {"pixels": x}, {"digit": y, "even": (y % 2 == 0).astype("float32")}
    assert inspector.diagnose(model, data, select=["D"]) == []


def test_a_small_conv_net_that_memorises_slowly_is_not_d134(keras, digits):
    """16 filters and global pooling: 84% of 32 examples after 300 steps, all of them by 600."""
    from inspector.probe.data import load_sample
    from inspector.probe.run import probe

    keras.utils.set_random_seed(0)
    inputs = keras.Input((8, 8, 1), name="image")
    x = keras.layers.Conv2D(16, 3, padding="same", activation="relu", name="conv")(inputs)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    model = keras.Model(inputs, keras.layers.Dense(10, activation="softmax", name="digit")(x))
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    images = (digits[0].reshape(-1, 8, 8, 1), digits[1])
    graph = inspector.load(model)
    measured = probe(graph, model, load_sample(images, graph), budget=120)
    assert measured.memorise.complete and measured.memorise.accuracy_after >= 0.99
    assert measured.memorise.steps in (600, 900)  # stopped at the first check where it had them
    assert "D134" not in {f.code for f in inspector.diagnose(model, images, select=["D"])}


def test_frozen_model_still_cannot_fit_32_examples(keras, digits):
    """The other side: every layer frozen, nothing moves in 900 steps: D134, naming the frozen
    layers, with the 32 examples learned once they are trainable."""
    model = keras.Sequential([keras.Input((64,), name="x"), keras.layers.Dense(32, activation="relu", name="hidden"),
                              keras.layers.Dense(10, activation="softmax", name="y")])
    for layer in model.layers:
        layer.trainable = False
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    [d134] = [f for f in inspector.diagnose(model, (digits[0], digits[1]), select=["D"]) if f.code == "D134"]
    assert d134.layers == ("hidden", "y")
    assert "with trainable=True on 'hidden', 'y': loss" in d134.message
    assert d134.message.endswith("-> 100%)")
