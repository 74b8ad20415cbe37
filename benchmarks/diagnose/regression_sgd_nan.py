"""Diabetes regression on raw targets (25-346) with SGD(0.01): the squared errors' gradients blow
the weights up and the loss becomes NaN within the first epoch."""

import keras
from keras import layers

from ._data import diabetes


def _model(optimizer) -> keras.Model:
    inputs = keras.Input((10,), name="features")
    x = layers.Dense(64, activation="relu", name="hidden1")(inputs)
    x = layers.Dense(64, activation="relu", name="hidden2")(x)
    outputs = layers.Dense(1, name="progression")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=optimizer, loss="mse")
    return model


def build():
    return _model(keras.optimizers.SGD(0.01))


def build_fixed():
    return _model(keras.optimizers.Adam(0.01))


data = data_fixed = diabetes
