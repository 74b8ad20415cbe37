"""Healthy: diabetes progression regressed on its raw scale (25-346) with a linear output."""

import keras
from keras import layers

from ._data import diabetes


def build():
    inputs = keras.Input((10,), name="features")
    x = layers.Dense(64, activation="relu", name="hidden1")(inputs)
    x = layers.Dense(32, activation="relu", name="hidden2")(x)
    outputs = layers.Dense(1, name="progression")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss="mse", metrics=["mae"])
    return model


data = diabetes
