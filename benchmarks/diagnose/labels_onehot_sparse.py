"""Iris classifier given one-hot labels but compiled with sparse_categorical_crossentropy."""

import keras
from keras import layers

from ._data import iris, one_hot


def _model(loss: str) -> keras.Model:
    model = keras.Sequential([
        keras.Input((4,), name="measurements"),
        layers.Dense(16, activation="relu", name="hidden"),
        layers.Dense(3, activation="softmax", name="species"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss=loss, metrics=["accuracy"])
    return model


def build():
    return _model("sparse_categorical_crossentropy")


def build_fixed():
    return _model("categorical_crossentropy")


def data():
    x, y = iris()
    return x, one_hot(y, 3)


data_fixed = data
