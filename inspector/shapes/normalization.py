"""Weights of the normalization layers (their outputs keep the input shape)."""

from __future__ import annotations

from collections.abc import Mapping

from inspector.shapes.common import Shape, _axis, _first, _int_list, _w, _Weights


def _batchnorm_weights(config: Mapping, inputs: list[Shape | None]) -> _Weights:
    x = _first(inputs)
    axis = config.get("axis", -1)
    axes = (
        [_axis(a, len(x)) for a in axis]
        if isinstance(axis, (list, tuple))
        else [_axis(axis, len(x))]
    )
    if len(axes) == 1:
        shape: tuple[int | None, ...] = (x[axes[0]],)
    else:  # tf.keras 2 with several axes keeps a broadcastable full-rank parameter
        shape = tuple(x[i] if i in axes else 1 for i in range(len(x)))
    if "mode" in config and "center" not in config:  # Keras 1
        return [
            _w("gamma", *shape),
            _w("beta", *shape),
            _w("running_mean", *shape, trainable=False),
            _w("running_std", *shape, trainable=False),
        ]
    specs = []
    if config.get("scale", True):
        specs.append(_w("gamma", *shape))
    if config.get("center", True):
        specs.append(_w("beta", *shape))
    specs += [
        _w("moving_mean", *shape, trainable=False),
        _w("moving_variance", *shape, trainable=False),
    ]
    if config.get("renorm"):
        specs += [
            _w(n, *shape, trainable=False)
            for n in ("moving_stddev", "renorm_mean", "renorm_stddev")
        ]
    return specs


def _norm_param_shape(config: Mapping, x: Shape) -> tuple[int | None, ...]:
    axis = config.get("axis", -1)
    if isinstance(axis, (list, tuple)):
        return tuple(x[_axis(a, len(x))] for a in sorted(axis, key=lambda a: _axis(a, len(x))))
    return (x[_axis(axis, len(x))],)


def _layernorm_weights(config: Mapping, inputs: list[Shape | None]) -> _Weights:
    shape = _norm_param_shape(config, _first(inputs))
    rms = bool(config.get("rms_scaling"))
    specs = []
    if config.get("scale", True) or rms:
        specs.append(_w("gamma", *shape))
    if config.get("center", True) and not rms:
        specs.append(_w("beta", *shape))
    return specs


def _rmsnorm_weights(config: Mapping, inputs: list[Shape | None]) -> _Weights:
    return [_w("scale", *_norm_param_shape(config, _first(inputs)))]


def _groupnorm_weights(config: Mapping, inputs: list[Shape | None]) -> _Weights:
    x = _first(inputs)
    dim = x[_axis(config.get("axis", -1), len(x))]
    specs = []
    if config.get("scale", True):
        specs.append(_w("gamma", dim))
    if config.get("center", True):
        specs.append(_w("beta", dim))
    return specs


def _normalization_weights(config: Mapping, inputs: list[Shape | None]) -> _Weights:
    """Normalization adapts mean/variance (plus a count) unless they were given as arguments."""
    if config.get("mean") is not None:
        return []
    x = _first(inputs)
    axis = config.get("axis", -1)
    keep = sorted(_axis(a, len(x)) for a in ([] if axis is None else _int_list(axis)))
    shape = tuple(x[d] for d in keep)
    return [
        _w("mean", *shape, trainable=False),
        _w("variance", *shape, trainable=False),
        _w("count", trainable=False),
    ]
