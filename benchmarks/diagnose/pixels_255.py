"""Image classifier fed raw 0-255 pixels, trained with SGD."""

import keras
from keras import layers

from ._data import images


def build():
    inputs = keras.Input((16, 16, 3), name="image")
    x = layers.Conv2D(16, 3, activation="relu", name="conv1")(inputs)
    x = layers.MaxPooling2D(name="pool1")(x)
    x = layers.Conv2D(32, 3, activation="relu", name="conv2")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    outputs = layers.Dense(4, activation="softmax", name="quadrant")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


build_fixed = build


def data():
    return images(scale=255.0)


def data_fixed():
    return images()
