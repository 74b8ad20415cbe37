"""Digits classifier trained with categorical_crossentropy on integer labels 0-9 (one-hot wanted)."""

import keras
from keras import layers

from ._data import digits


def _model(loss: str) -> keras.Model:
    inputs = keras.Input((64,), name="pixels")
    x = layers.Dense(64, activation="relu", name="hidden")(inputs)
    outputs = layers.Dense(10, activation="softmax", name="digit")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
    return model


def build():
    return _model("categorical_crossentropy")


def build_fixed():
    return _model("sparse_categorical_crossentropy")


data = data_fixed = digits
