"""Digits CNN with Adadelta at its Keras default learning rate (0.001; Keras 1 used 1.0): no
progress where Adam learns."""

import keras
from keras import layers

from ._data import digits_images


def _model(optimizer) -> keras.Model:
    inputs = keras.Input((8, 8, 1), name="image")
    x = layers.Conv2D(16, 3, padding="same", activation="relu", name="conv")(inputs)
    x = layers.Flatten(name="flatten")(x)
    outputs = layers.Dense(10, activation="softmax", name="digit")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def build():
    return _model(keras.optimizers.Adadelta())


def build_fixed():
    return _model(keras.optimizers.Adam())


data = data_fixed = digits_images
