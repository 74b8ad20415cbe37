"""Healthy: a breast-cancer classifier with a linear output and binary cross-entropy from logits."""

import keras
from keras import layers

from ._data import cancer


def build():
    model = keras.Sequential([
        keras.Input((30,), name="measurements"),
        layers.Dense(32, activation="relu", name="hidden1"),
        layers.Dropout(0.2, name="dropout"),
        layers.Dense(16, activation="relu", name="hidden2"),
        layers.Dense(1, name="benign_logit"),
    ])
    model.compile(optimizer="adam", loss=keras.losses.BinaryCrossentropy(from_logits=True),
                  metrics=[keras.metrics.BinaryAccuracy(threshold=0.0)])
    return model


data = cancer
