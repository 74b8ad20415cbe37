"""Diabetes progression (integers 25-346) treated as class labels: a 347-way softmax with
sparse_categorical_crossentropy where a regression wants one linear unit and mse."""

import keras
from keras import layers

from ._data import diabetes


def build():
    inputs = keras.Input((10,), name="features")
    x = layers.Dense(64, activation="relu", name="hidden")(inputs)
    outputs = layers.Dense(347, activation="softmax", name="progression")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def build_fixed():
    inputs = keras.Input((10,), name="features")
    x = layers.Dense(64, activation="relu", name="hidden")(inputs)
    outputs = layers.Dense(1, name="progression")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse")
    return model


def data():
    x, y = diabetes()
    return x, y.astype("int32")


def data_fixed():
    return diabetes()
