"""Six ReLU layers initialized with standard deviation 1 (He wants ~0.18 for 64 inputs): the
activations grow ~5x per layer and the gradients explode."""

import keras
from keras import layers

from ._data import digits


def _model(initializer) -> keras.Model:
    inputs = keras.Input((64,), name="pixels")
    x = inputs
    for i in range(1, 7):
        x = layers.Dense(64, activation="relu", kernel_initializer=initializer, name=f"dense_{i}")(x)
    outputs = layers.Dense(10, activation="softmax", name="digit")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def build():
    return _model(keras.initializers.RandomNormal(stddev=1.0, seed=0))


def build_fixed():
    return _model("he_normal")


data = data_fixed = digits
