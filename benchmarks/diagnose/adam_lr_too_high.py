"""Digits MLP with Adam(learning_rate=1.0): a thousand times the usual step."""

import keras
from keras import layers

from ._data import digits


def _model(learning_rate: float) -> keras.Model:
    inputs = keras.Input((64,), name="pixels")
    x = layers.Dense(128, activation="relu", name="hidden1")(inputs)
    x = layers.Dense(64, activation="relu", name="hidden2")(x)
    outputs = layers.Dense(10, activation="softmax", name="digit")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def build():
    return _model(1.0)


def build_fixed():
    return _model(1e-3)


data = data_fixed = digits
