"""Digits MLP with tanh units initialized with standard deviation 5: every unit sits at +-1, where
tanh's gradient is zero."""

import keras
from keras import layers

from ._data import digits


def _model(initializer) -> keras.Model:
    inputs = keras.Input((64,), name="pixels")
    x = layers.Dense(64, activation="tanh", kernel_initializer=initializer, name="hidden1")(inputs)
    x = layers.Dense(64, activation="tanh", kernel_initializer=initializer, name="hidden2")(x)
    outputs = layers.Dense(10, activation="softmax", name="digit")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def build():
    return _model(keras.initializers.RandomNormal(stddev=5.0, seed=0))


def build_fixed():
    return _model("glorot_uniform")


data = data_fixed = digits
