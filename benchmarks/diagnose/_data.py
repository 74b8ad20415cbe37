"""The data every benchmark program trains on: scikit-learn's bundled sets (no download) and small
generated sets, shuffled with a fixed seed, so each program sees the same rows on every run."""

from __future__ import annotations

import numpy as np

SEED = 0


def _shuffled(x, y):
    order = np.random.default_rng(SEED).permutation(len(x))
    return x[order], y[order]


def standardized(x: np.ndarray) -> np.ndarray:
    """Each column to mean 0, standard deviation 1 (constant columns left at 0)."""
    std = x.std(0)
    return ((x - x.mean(0)) / np.where(std == 0, 1, std)).astype("float32")


def digits() -> tuple[np.ndarray, np.ndarray]:
    """1797 8x8 digits as 64 pixels in [0, 1] and labels 0-9."""
    from sklearn.datasets import load_digits

    d = load_digits()
    return _shuffled((d.data / 16.0).astype("float32"), d.target.astype("int32"))


def digits_images() -> tuple[np.ndarray, np.ndarray]:
    x, y = digits()
    return x.reshape(-1, 8, 8, 1), y


def iris() -> tuple[np.ndarray, np.ndarray]:
    """150 flowers, 4 standardized measurements, 3 classes."""
    from sklearn.datasets import load_iris

    d = load_iris()
    return _shuffled(standardized(d.data), d.target.astype("int32"))


def wine(raw: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """178 wines, 13 chemical measurements (raw: magnitudes from 0.1 to 1680), 3 classes."""
    from sklearn.datasets import load_wine

    d = load_wine()
    x = d.data.astype("float32") if raw else standardized(d.data)
    return _shuffled(x, d.target.astype("int32"))


def cancer(raw: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """569 tumours, 30 measurements (raw: magnitudes up to 4254), malignant 0 / benign 1."""
    from sklearn.datasets import load_breast_cancer

    d = load_breast_cancer()
    x = d.data.astype("float32") if raw else standardized(d.data)
    return _shuffled(x, d.target.astype("float32"))


def diabetes() -> tuple[np.ndarray, np.ndarray]:
    """442 patients, 10 standardized features, disease progression 25-346 (raw)."""
    from sklearn.datasets import load_diabetes

    d = load_diabetes()
    return _shuffled(standardized(d.data), d.target.astype("float32"))


def one_hot(y: np.ndarray, classes: int) -> np.ndarray:
    return np.eye(classes, dtype="float32")[y]


def sequences(n: int = 1200, steps: int = 20, features: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Noisy sequences; the class (0-3) is the quarter of the sequence where feature 0 peaks."""
    rng = np.random.default_rng(SEED)
    x = rng.normal(0, 0.5, (n, steps, features)).astype("float32")
    y = rng.integers(0, 4, n).astype("int32")
    quarter = steps // 4
    for i, k in enumerate(y):
        x[i, k * quarter:(k + 1) * quarter, 0] += 2.0
    return x, y


def images(n: int = 600, side: int = 16, channels: int = 3, classes: int = 4,
           scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Noise images with a bright square in the quadrant named by the class (0-3), in [0, scale]."""
    rng = np.random.default_rng(SEED)
    x = rng.uniform(0, 0.4, (n, side, side, channels)).astype("float32")
    y = rng.integers(0, classes, n).astype("int32")
    half = side // 2
    for i, k in enumerate(y):
        r, c = divmod(int(k) % 4, 2)
        x[i, r * half + 2:(r + 1) * half - 2, c * half + 2:(c + 1) * half - 2, :] += 0.6
    return x * scale, y


def multilabel(n: int = 1500, features: int = 20, labels: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian features; each of the `labels` tags is on when its own linear score is positive
    (about half the rows carry two tags or more)."""
    rng = np.random.default_rng(SEED)
    x = rng.normal(0, 1, (n, features)).astype("float32")
    w = rng.normal(0, 1, (features, labels))
    y = (x @ w > 0.5).astype("float32")
    return x, y


def imbalanced(n: int = 2000, features: int = 10, minority: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """A binary task where the rare class (10% of rows) is separable on a few features."""
    rng = np.random.default_rng(SEED)
    y = (rng.uniform(size=n) < minority).astype("float32")
    x = rng.normal(0, 1, (n, features)).astype("float32")
    x[:, :3] += 2.0 * y[:, None]
    return x, y
