"""Iris classifier whose layers were all frozen (`trainable = False`, a transfer-learning loop that
also froze the new head): nothing can fit."""

import keras
from keras import layers

from ._data import iris


def _model(freeze_head: bool) -> keras.Model:
    inputs = keras.Input((4,), name="measurements")
    hidden = layers.Dense(32, activation="relu", name="hidden")
    head = layers.Dense(3, activation="softmax", name="species")
    outputs = head(hidden(inputs))
    hidden.trainable = False
    head.trainable = not freeze_head
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def build():
    return _model(freeze_head=True)


def build_fixed():
    return _model(freeze_head=False)


data = data_fixed = iris
