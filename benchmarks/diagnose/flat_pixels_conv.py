"""Digits CNN expecting 8x8x1 images, fed the flat 64-pixel rows."""

import keras
from keras import layers

from ._data import digits, digits_images


def build():
    inputs = keras.Input((8, 8, 1), name="image")
    x = layers.Conv2D(16, 3, padding="same", activation="relu", name="conv")(inputs)
    x = layers.Flatten(name="flatten")(x)
    outputs = layers.Dense(10, activation="softmax", name="digit")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


build_fixed = build
data = digits
data_fixed = digits_images
