"""Diabetes progression (25-346) regressed through a sigmoid output, which cannot exceed 1."""

import keras
from keras import layers

from ._data import diabetes


def _model(activation: str) -> keras.Model:
    inputs = keras.Input((10,), name="features")
    x = layers.Dense(32, activation="relu", name="hidden")(inputs)
    outputs = layers.Dense(1, activation=activation, name="progression")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse")
    return model


def build():
    return _model("sigmoid")


def build_fixed():
    return _model("linear")


data = data_fixed = diabetes
