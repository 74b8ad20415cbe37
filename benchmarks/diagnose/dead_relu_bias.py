"""Digits MLP whose hidden ReLU layer starts with bias -5: every unit outputs 0 on every input and
gets no gradient (dead from the first step)."""

import keras
from keras import layers

from ._data import digits


def _model(bias: float) -> keras.Model:
    inputs = keras.Input((64,), name="pixels")
    x = layers.Dense(64, activation="relu", name="hidden",
                     bias_initializer=keras.initializers.Constant(bias))(inputs)
    outputs = layers.Dense(10, activation="softmax", name="digit")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def build():
    return _model(-5.0)


def build_fixed():
    return _model(0.0)


data = data_fixed = digits
