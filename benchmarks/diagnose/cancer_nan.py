"""Breast-cancer classifier on data with missing measurements left as NaN (2% of the cells)."""

import keras
import numpy as np
from keras import layers

from ._data import cancer


def build():
    inputs = keras.Input((30,), name="measurements")
    x = layers.Dense(32, activation="relu", name="hidden")(inputs)
    outputs = layers.Dense(1, activation="sigmoid", name="benign")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


build_fixed = build


def _holes() -> np.ndarray:
    x, _ = cancer()
    return np.random.default_rng(1).uniform(size=x.shape) < 0.02


def data():
    x, y = cancer()
    return np.where(_holes(), np.nan, x).astype("float32"), y


def data_fixed():
    x, y = cancer()
    return np.where(_holes(), 0.0, x).astype("float32"), y  # imputed with the column mean (0)
