"""Output length along one axis of windows (convolution, pooling, transposed convolution), and
the split of a spatial input into spatial dims and channels."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from inspector.shapes.common import Shape, _channels_first, _Unknown


def _conv_len(size: int | None, k: int, padding: str, stride: int, dilation: int = 1) -> int | None:
    """Output length of a convolution or pooling window along one axis (Keras' rule)."""
    if size is None:
        return None
    dk = (k - 1) * dilation + 1
    if padding in ("same", "causal"):
        length = size
    elif padding == "valid":
        length = size - dk + 1
    elif padding == "full":  # Keras 1/2 Theano-era mode
        length = size + dk - 1
    else:
        raise _Unknown(f"padding {padding!r}")
    if stride <= 0:
        raise _Unknown("stride")
    out = (length + stride - 1) // stride
    if out <= 0:
        raise _Unknown("output size would be zero or negative")
    return out


def _deconv_len(
    size: int | None, k: int, padding: str, stride: int, output_padding: int | None, dilation: int
) -> int | None:
    """Output length of a transposed convolution along one axis (Keras' rule)."""
    if size is None:
        return None
    dk = (k - 1) * dilation + 1
    if output_padding is None:
        if padding == "valid":
            return size * stride + max(dk - stride, 0)
        if padding == "same":
            return size * stride
        if padding == "full":
            return size * stride - (stride + dk - 2)
        raise _Unknown(f"padding {padding!r}")
    pad = {"same": dk // 2, "valid": 0, "full": dk - 1}.get(padding)
    if pad is None:
        raise _Unknown(f"padding {padding!r}")
    return (size - 1) * stride + dk - 2 * pad + output_padding


def _split(config: Mapping, x: Shape, rank: int) -> tuple[Shape, int | None, bool]:
    """(spatial dims, channels, channels_first) of an input of a spatial layer."""
    if len(x) != rank + 2:
        raise _Unknown(f"expected rank {rank + 2}, got {len(x)}")
    cf = _channels_first(config)
    return (x[2:], x[1], cf) if cf else (x[1:-1], x[-1], cf)


def _join(
    batch: int | None, spatial: Sequence[int | None], channels: int | None, cf: bool
) -> Shape:
    return (batch, channels, *spatial) if cf else (batch, *spatial, channels)
