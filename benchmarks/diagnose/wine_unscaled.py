"""Wine classifier (SGD) on raw measurements (proline ~750, hue ~1): the scales differ 1000x."""

import keras
from keras import layers

from ._data import wine


def build():
    model = keras.Sequential([
        keras.Input((13,), name="chemistry"),
        layers.Dense(32, activation="relu", name="hidden"),
        layers.Dense(3, activation="softmax", name="cultivar"),
    ])
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


build_fixed = build


def data():
    return wine(raw=True)


def data_fixed():
    return wine()
