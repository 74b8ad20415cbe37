"""Multi-label tags (several on per row) predicted with a softmax, which makes them compete."""

import keras
from keras import layers

from ._data import multilabel


def _model(activation: str, loss: str) -> keras.Model:
    inputs = keras.Input((20,), name="features")
    x = layers.Dense(64, activation="relu", name="hidden")(inputs)
    outputs = layers.Dense(5, activation=activation, name="tags")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss=loss)
    return model


def build():
    return _model("softmax", "categorical_crossentropy")


def build_fixed():
    return _model("sigmoid", "binary_crossentropy")


data = data_fixed = multilabel
