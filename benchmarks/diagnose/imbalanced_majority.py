"""A rare-class detector (10% positives) trained with SGD(1e-3): accuracy sits at 90%, the
majority-class rate, because the model says "negative" to everything."""

import keras
from keras import layers

from ._data import imbalanced


def _model(optimizer) -> keras.Model:
    inputs = keras.Input((10,), name="features")
    x = layers.Dense(16, activation="relu", name="hidden")(inputs)
    outputs = layers.Dense(1, activation="sigmoid", name="rare")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=optimizer, loss="binary_crossentropy", metrics=["accuracy"])
    return model


def build():
    return _model(keras.optimizers.SGD(1e-3))


def build_fixed():
    return _model(keras.optimizers.Adam(1e-2))


data = data_fixed = imbalanced
