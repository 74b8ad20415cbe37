"""Healthy: a two-layer LSTM classifying where in a sequence the peak lies."""

import keras
from keras import layers

from ._data import sequences


def build():
    inputs = keras.Input((20, 3), name="series")
    x = layers.LSTM(32, return_sequences=True, name="lstm1")(inputs)
    x = layers.LSTM(16, name="lstm2")(x)
    outputs = layers.Dense(4, activation="softmax", name="peak_quarter")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(0.005), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


data = sequences
