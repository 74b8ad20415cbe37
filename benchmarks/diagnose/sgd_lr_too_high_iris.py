"""Iris classifier with SGD(learning_rate=5.0), momentum 0.9: the loss jumps around."""

import keras
from keras import layers

from ._data import iris


def _model(learning_rate: float) -> keras.Model:
    inputs = keras.Input((4,), name="measurements")
    x = layers.Dense(32, activation="relu", name="hidden")(inputs)
    outputs = layers.Dense(3, activation="softmax", name="species")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate, momentum=0.9),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def build():
    return _model(5.0)


def build_fixed():
    return _model(0.05)


data = data_fixed = iris
