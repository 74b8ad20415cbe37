"""Healthy: keras.applications MobileNetV2 (weights=None, 32x32x3, 4 classes) on generated images
scaled to [-1, 1], the range MobileNetV2 expects."""

import keras

from ._data import images


def build():
    model = keras.applications.MobileNetV2(weights=None, input_shape=(32, 32, 3), classes=4)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def data():
    x, y = images(n=400, side=32)
    return x * 2.0 - 1.0, y
