"""LSTM over 20 steps of 3 features, fed series laid out (samples, features, steps)."""

import keras
import numpy as np
from keras import layers

from ._data import sequences


def build():
    inputs = keras.Input((20, 3), name="series")
    x = layers.LSTM(16, name="lstm")(inputs)
    outputs = layers.Dense(4, activation="softmax", name="peak_quarter")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


build_fixed = build


def data():
    x, y = sequences()
    return np.transpose(x, (0, 2, 1)).copy(), y


data_fixed = sequences
