"""Wine classifier: integer labels 0-2 shaped (n, 1) with categorical_crossentropy."""

import keras
from keras import layers

from ._data import wine


def _model(loss: str) -> keras.Model:
    inputs = keras.Input((13,), name="chemistry")
    x = layers.Dense(32, activation="relu", name="dense_1")(inputs)
    outputs = layers.Dense(3, activation="softmax", name="cultivar")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss=loss, metrics=["accuracy"])
    return model


def build():
    return _model("categorical_crossentropy")


def build_fixed():
    return _model("sparse_categorical_crossentropy")


def data():
    x, y = wine()
    return x, y.reshape(-1, 1)


data_fixed = data
