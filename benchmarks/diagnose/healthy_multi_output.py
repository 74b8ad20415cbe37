"""Healthy: one digits trunk, two heads: the digit (10-way softmax) and whether it is even
(sigmoid), with data as dicts named after the inputs and outputs."""

import keras
from keras import layers

from ._data import digits


def build():
    inputs = keras.Input((64,), name="pixels")
    x = layers.Dense(64, activation="relu", name="trunk")(inputs)
    digit = layers.Dense(10, activation="softmax", name="digit")(x)
    even = layers.Dense(1, activation="sigmoid", name="even")(x)
    model = keras.Model(inputs, {"digit": digit, "even": even})
    model.compile(optimizer="adam",
                  loss={"digit": "sparse_categorical_crossentropy", "even": "binary_crossentropy"},
                  metrics={"digit": "accuracy", "even": "accuracy"})
    return model


def data():
    x, y = digits()
    return {"pixels": x}, {"digit": y, "even": (y % 2 == 0).astype("float32")}
