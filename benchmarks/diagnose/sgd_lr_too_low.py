"""Digits MLP with SGD(learning_rate=1e-5): the weights barely move."""

import keras
from keras import layers

from ._data import digits


def _model(learning_rate: float) -> keras.Model:
    model = keras.Sequential([
        keras.Input((64,), name="pixels"),
        layers.Dense(64, activation="relu", name="hidden"),
        layers.Dense(10, activation="softmax", name="digit"),
    ])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def build():
    return _model(1e-5)


def build_fixed():
    return _model(0.1)


data = data_fixed = digits
