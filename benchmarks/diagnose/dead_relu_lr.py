"""CNN on generated images with SGD(learning_rate=2.0): the first large steps push the ReLU
units' biases negative and most die."""

import keras
from keras import layers

from ._data import images


def _model(learning_rate: float) -> keras.Model:
    inputs = keras.Input((16, 16, 3), name="image")
    x = layers.Conv2D(16, 3, activation="relu", name="conv1")(inputs)
    x = layers.MaxPooling2D(name="pool")(x)
    x = layers.Conv2D(32, 3, activation="relu", name="conv2")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(32, activation="relu", name="dense")(x)
    outputs = layers.Dense(4, activation="softmax", name="quadrant")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def build():
    return _model(2.0)


def build_fixed():
    return _model(0.05)


data = data_fixed = images
