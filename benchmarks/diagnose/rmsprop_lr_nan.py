"""Sequence classifier (GRU) with RMSprop(learning_rate=10)."""

import keras
from keras import layers

from ._data import sequences


def _model(learning_rate: float) -> keras.Model:
    inputs = keras.Input((20, 3), name="series")
    x = layers.GRU(16, name="gru")(inputs)
    outputs = layers.Dense(4, activation="softmax", name="peak_quarter")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def build():
    return _model(10.0)


def build_fixed():
    return _model(1e-2)


data = data_fixed = sequences
