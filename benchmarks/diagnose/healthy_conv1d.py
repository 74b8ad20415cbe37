"""Healthy: a Conv1D sequence classifier with one-hot labels and categorical cross-entropy."""

import keras
from keras import layers

from ._data import one_hot, sequences


def build():
    inputs = keras.Input((20, 3), name="series")
    x = layers.Conv1D(32, 5, padding="same", activation="relu", name="conv")(inputs)
    x = layers.Conv1D(32, 5, padding="same", activation="relu", name="conv2")(x)
    x = layers.Flatten(name="flatten")(x)
    outputs = layers.Dense(4, activation="softmax", name="peak_quarter")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def data():
    x, y = sequences()
    return x, one_hot(y, 4)
