"""Healthy: keras.applications EfficientNetB0 (weights=None, 32x32x3, 4 classes) on 0-255 images:
EfficientNet rescales its own inputs, so raw pixels are what it expects."""

import keras

from ._data import images


def build():
    model = keras.applications.EfficientNetB0(weights=None, input_shape=(32, 32, 3), classes=4)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def data():
    return images(n=400, side=32, scale=255.0)
