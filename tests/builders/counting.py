"""A builder that counts its calls: `inspect lint --data` must run user code once per lint."""

from __future__ import annotations

import keras
from keras import layers

CALLS: list[int] = []


def compiled_regressor() -> keras.Model:
    """Input `x` (4 features) -> Dense 1 named `y`, compiled with mse; records each call."""
    CALLS.append(1)
    inputs = keras.Input(shape=(4,), name="x")
    outputs = layers.Dense(1, name="y")(inputs)
    model = keras.Model(inputs, outputs, name="counting")
    model.compile(optimizer="sgd", loss="mse")
    return model
