"""Model builders from chapter 7 of Deep Learning with Python, for `inspect lint file.py:function`.

Each function takes no arguments and builds (does not train) a model. Two of them are the
chapter's mistakes: `unrelated_input` is refused by Keras 3 with an error that names nothing, and
`unused_input` is accepted silently.
"""

from __future__ import annotations

import keras
from keras import layers


def functional_dense() -> keras.Model:
    """7.1.1: Input(64) -> Dense 32 -> Dense 32 -> softmax 10."""
    inputs = keras.Input(shape=(64,), name="pixels")
    x = layers.Dense(32, activation="relu", name="hidden_1")(inputs)
    x = layers.Dense(32, activation="relu", name="hidden_2")(x)
    outputs = layers.Dense(10, activation="softmax", name="digit")(x)
    model = keras.Model(inputs, outputs, name="functional_dense")
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy")
    return model


def unrelated_input() -> keras.Model:
    """7.1.1: `Model(unrelated_input, output_tensor)`: the output is computed from `pixels`,
    but the model declares `unrelated` as its input. Keras 3 raises
    ``Output with path `` is not connected to `inputs` ``."""
    pixels = keras.Input(shape=(64,), name="pixels")
    unrelated = keras.Input(shape=(32,), name="unrelated")
    x = layers.Dense(32, activation="relu", name="hidden")(pixels)
    output = layers.Dense(10, activation="softmax", name="digit")(x)
    return keras.Model(unrelated, output, name="unrelated_input")


def unused_input() -> keras.Model:
    """`Model([a, b], f(a))`: Keras 3 accepts it, and input `extra` is never used."""
    text = keras.Input(shape=(64,), name="text")
    extra = keras.Input(shape=(8,), name="extra")
    x = layers.Dense(16, activation="relu", name="hidden")(text)
    output = layers.Dense(1, activation="sigmoid", name="score")(x)
    return keras.Model([text, extra], output, name="unused_input")


def siamese_unshared() -> keras.Model:
    """7.1.5 done wrong: two LSTMs with one configuration, one per input, never shared."""
    left = keras.Input(shape=(10, 8), name="left")
    right = keras.Input(shape=(10, 8), name="right")
    merged = layers.Concatenate(name="merged")(
        [layers.LSTM(16, name="left_lstm")(left), layers.LSTM(16, name="right_lstm")(right)]
    )
    output = layers.Dense(1, activation="sigmoid", name="same")(merged)
    return keras.Model([left, right], output, name="siamese_unshared")


def not_a_model() -> list:
    """A builder that returns something else, to check the error message."""
    return [1, 2, 3]


def broken() -> keras.Model:
    """A builder whose own code fails."""
    raise RuntimeError("the dataset path is not configured")
