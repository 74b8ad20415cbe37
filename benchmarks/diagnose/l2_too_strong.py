"""Digits MLP with an L2 penalty of 1.0 on every kernel: the penalty outweighs the data and the
model cannot fit even one batch."""

import keras
from keras import layers

from ._data import digits


def _model(l2: float) -> keras.Model:
    reg = keras.regularizers.L2(l2)
    inputs = keras.Input((64,), name="pixels")
    x = layers.Dense(64, activation="relu", kernel_regularizer=reg, name="hidden")(inputs)
    outputs = layers.Dense(10, activation="softmax", kernel_regularizer=reg, name="digit")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def build():
    return _model(1.0)


def build_fixed():
    return _model(1e-4)


data = data_fixed = digits
