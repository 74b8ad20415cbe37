"""Diabetes regression whose targets were log-transformed after a zero slipped in: -inf targets."""

import keras
import numpy as np
from keras import layers

from ._data import diabetes


def build():
    inputs = keras.Input((10,), name="features")
    x = layers.Dense(32, activation="relu", name="hidden")(inputs)
    outputs = layers.Dense(1, name="log_progression")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    return model


build_fixed = build


def _targets(drop_zeros: bool):
    x, y = diabetes()
    y = y.copy()
    y[::50] = 0.0  # a few records lost their value
    keep = y > 0 if drop_zeros else np.ones(len(y), bool)
    with np.errstate(divide="ignore"):
        return x[keep], np.log(y[keep]).astype("float32")


def data():
    return _targets(drop_zeros=False)


def data_fixed():
    return _targets(drop_zeros=True)
