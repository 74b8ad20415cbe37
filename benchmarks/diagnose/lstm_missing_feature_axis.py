"""LSTM over univariate series given as (samples, steps) where it needs (samples, steps, 1)."""

import keras
from keras import layers

from ._data import sequences


def build():
    inputs = keras.Input((20, 1), name="series")
    x = layers.LSTM(16, name="lstm")(inputs)
    outputs = layers.Dense(4, activation="softmax", name="peak_quarter")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


build_fixed = build


def data():
    x, y = sequences(features=1)
    return x[:, :, 0], y


def data_fixed():
    return sequences(features=1)
