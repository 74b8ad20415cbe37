"""Healthy: multi-label tags with independent sigmoids and binary cross-entropy."""

import keras
from keras import layers

from ._data import multilabel


def build():
    inputs = keras.Input((20,), name="features")
    x = layers.Dense(64, activation="relu", name="hidden")(inputs)
    outputs = layers.Dense(5, activation="sigmoid", name="tags")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["binary_accuracy"])
    return model


data = multilabel
