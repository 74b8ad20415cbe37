"""Builders that Keras refuses with "Computed output size would be zero or negative"."""

import keras
from keras import layers


def too_many_pools() -> keras.Model:
    """Four Conv + MaxPooling blocks on 8x8 digits: the fourth pooling has a 1x1 map to pool."""
    x = inputs = keras.Input((8, 8, 1), name="digits")
    for i, filters in enumerate((16, 32, 64, 64), 1):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"conv{i}")(x)
        x = layers.MaxPooling2D(name=f"pool{i}")(x)
    x = layers.Flatten(name="flatten")(x)
    return keras.Model(inputs, layers.Dense(10, activation="softmax", name="digit")(x))


def valid_kernel_too_large() -> keras.Model:
    """A Sequential whose second 'valid' 5x5 convolution meets a 2x2 map (only the height
    is too small for it: width 12 leaves room)."""
    return keras.Sequential([
        keras.Input((10, 12, 3), name="image"),
        layers.Conv2D(8, 5, name="conv1"),
        layers.MaxPooling2D((3, 1), name="pool1"),
        layers.Conv2D(8, 5, name="conv2"),
        layers.Flatten(),
        layers.Dense(1, activation="sigmoid", name="score"),
    ])


def too_many_pools_tf_keras():
    """The same four poolings in tf.keras (Keras 2), which says "Negative dimension size"."""
    import tf_keras

    x = inputs = tf_keras.Input((8, 8, 1), name="digits")
    for i in range(1, 5):
        x = tf_keras.layers.Conv2D(8, 3, padding="same", name=f"conv{i}")(x)
        x = tf_keras.layers.MaxPooling2D(name=f"pool{i}")(x)
    x = tf_keras.layers.Flatten(name="flatten")(x)
    return tf_keras.Model(inputs, tf_keras.layers.Dense(10, name="digit")(x))
