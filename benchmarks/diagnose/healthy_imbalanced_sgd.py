"""Healthy: the 10%-positive detector with a working optimizer (SGD with momentum)."""

import keras
from keras import layers

from ._data import imbalanced


def build():
    inputs = keras.Input((10,), name="features")
    x = layers.Dense(16, activation="relu", name="hidden")(inputs)
    outputs = layers.Dense(1, activation="sigmoid", name="rare")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9), loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model


data = imbalanced
