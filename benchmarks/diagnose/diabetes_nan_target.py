"""Diabetes regression whose target column has missing records read as NaN (every 50th row)."""

import keras
import numpy as np
from keras import layers

from ._data import diabetes


def build():
    inputs = keras.Input((10,), name="features")
    x = layers.Dense(32, activation="relu", name="hidden")(inputs)
    outputs = layers.Dense(1, name="progression")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse")
    return model


build_fixed = build


def _with_gaps():
    x, y = diabetes()
    y = y.copy()
    y[::50] = np.nan  # records whose value was lost
    return x, y


def data():
    return _with_gaps()


def data_fixed():
    x, y = _with_gaps()
    keep = np.isfinite(y)
    return x[keep], y[keep]
