"""Eight tanh layers initialized with standard deviation 0.01: the signal and its gradient shrink
layer after layer, so the first layers never learn."""

import keras
from keras import layers

from ._data import digits


def _model(initializer) -> keras.Model:
    inputs = keras.Input((64,), name="pixels")
    x = inputs
    for i in range(1, 9):
        x = layers.Dense(64, activation="tanh", kernel_initializer=initializer, name=f"dense_{i}")(x)
    outputs = layers.Dense(10, activation="softmax", name="digit")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def build():
    return _model(keras.initializers.RandomNormal(stddev=0.01, seed=0))


def build_fixed():
    return _model("glorot_uniform")


data = data_fixed = digits
