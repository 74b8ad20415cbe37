"""Recurrent layers and cells: SimpleRNN, LSTM, GRU (and CuDNN twins), generic RNN, ConvLSTM."""

from __future__ import annotations

from collections.abc import Mapping

from inspector.shapes.common import (
    Shape,
    _bias,
    _first,
    _get,
    _int,
    _layer_ref,
    _OutFn,
    _Outputs,
    _Unknown,
    _w,
    _WeightFn,
    _Weights,
)
from inspector.shapes.convolution import _conv_params, _conv_spatial, _filters
from inspector.shapes.lengths import _join, _split

_GATES = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3, "CuDNNLSTM": 4, "CuDNNGRU": 3}
_STATES = {"SimpleRNN": 1, "LSTM": 2, "GRU": 1, "CuDNNLSTM": 2, "CuDNNGRU": 1}
_CELL_KIND = {"SimpleRNNCell": "SimpleRNN", "LSTMCell": "LSTM", "GRUCell": "GRU"}


def _units(config: Mapping) -> int:
    return _int(_get(config, "units", "output_dim"))


def _sequence_outputs(config: Mapping, x: Shape, step: Shape, n_states: int) -> _Outputs:
    """Outputs of a recurrent layer whose per-step output is ``(batch, *step)``."""
    time_major = bool(config.get("time_major"))
    batch, steps = (x[1], x[0]) if time_major else (x[0], x[1])
    if config.get("return_sequences"):
        main: Shape = (steps, batch, *step) if time_major else (batch, steps, *step)
    else:
        main = (batch, *step)
    outs: _Outputs = [main]
    if config.get("return_state"):
        outs += [(batch, *step)] * n_states
    return outs


def _rnn_out(kind: str) -> _OutFn:
    def outputs(config: Mapping, inputs: list[Shape | None]) -> _Outputs:
        x = _first(inputs, ndim=3)
        return _sequence_outputs(config, x, (_units(config),), _STATES[kind])

    return outputs


def _rnn_cell_weights(kind: str, config: Mapping, input_dim: int | None) -> _Weights:
    units = _units(config)
    if "units" not in config and "output_dim" in config:  # Keras 1
        if kind == "SimpleRNN":
            return [_w("W", input_dim, units), _w("U", units, units), _w("b", units)]
        gates = _GATES[kind]
        if config.get("consume_less") == "gpu":
            return [
                _w("W", input_dim, gates * units),
                _w("U", units, gates * units),
                _w("b", gates * units),
            ]
        order = "icfo" if kind == "LSTM" else "zrh"
        specs = []
        for g in order:
            specs += [
                _w(f"W_{g}", input_dim, units),
                _w(f"U_{g}", units, units),
                _w(f"b_{g}", units),
            ]
        return specs
    gates = _GATES[kind]
    specs = [_w("kernel", input_dim, gates * units), _w("recurrent_kernel", units, gates * units)]
    if kind == "CuDNNLSTM":
        specs.append(_w("bias", 8 * units))
    elif kind == "CuDNNGRU":
        specs.append(_w("bias", 6 * units))
    elif config.get("use_bias", True):
        if kind == "GRU" and config.get("reset_after", False):
            specs.append(_w("bias", 2, 3 * units))
        else:
            specs.append(_w("bias", gates * units))
    return specs


def _rnn_weights(kind: str) -> _WeightFn:
    def weights(config: Mapping, inputs: list[Shape | None]) -> _Weights:
        x = _first(inputs, ndim=3)
        return _rnn_cell_weights(kind, config, x[-1])

    return weights


def _generic_cells(config: Mapping) -> list[tuple[str, Mapping]]:
    cell = config.get("cell")
    if isinstance(cell, list):
        refs = [_layer_ref(c) for c in cell]
    else:
        cls, cfg = _layer_ref(cell)
        refs = (
            [_layer_ref(c) for c in cfg.get("cells", [])]
            if cls == "StackedRNNCells"
            else [(cls, cfg)]
        )
    if not refs or any(cls not in _CELL_KIND for cls, _ in refs):
        raise _Unknown("RNN cell")
    return refs


def _generic_rnn_out(config: Mapping, inputs: list[Shape | None]) -> _Outputs:
    """``keras.layers.RNN`` over built-in cells: output of the last cell, states of all."""
    x = _first(inputs, ndim=3)
    cells = _generic_cells(config)
    outs = _sequence_outputs({**config, "return_state": False}, x, (_units(cells[-1][1]),), 0)
    if config.get("return_state"):
        for cls, cfg in cells:
            outs += [(x[0], _units(cfg))] * _STATES[_CELL_KIND[cls]]
    return outs


def _generic_rnn_weights(config: Mapping, inputs: list[Shape | None]) -> _Weights:
    dim = _first(inputs, ndim=3)[-1]
    specs: _Weights = []
    for cls, cfg in _generic_cells(config):
        specs += _rnn_cell_weights(_CELL_KIND[cls], cfg, dim)
        dim = _units(cfg)
    return specs


def _conv_lstm_out(rank: int) -> _OutFn:
    def outputs(config: Mapping, inputs: list[Shape | None]) -> _Outputs:
        x = _first(inputs, ndim=rank + 3)
        step = (x[0], *x[2:])
        spatial, _, cf = _split(config, step, rank)
        state = _join(None, _conv_spatial(config, spatial, rank), _filters(config), cf)[1:]
        return _sequence_outputs(config, x, state, 2)

    return outputs


def _conv_lstm_weights(rank: int) -> _WeightFn:
    def weights(config: Mapping, inputs: list[Shape | None]) -> _Weights:
        if "nb_filter" in config:
            raise _Unknown("Keras 1 ConvLSTM2D weights")
        x = _first(inputs, ndim=rank + 3)
        _, channels, _ = _split(config, (x[0], *x[2:]), rank)
        p = _conv_params(config, rank)
        f = _filters(config)
        specs = [
            _w("kernel", *p.kernel, channels, 4 * f),
            _w("recurrent_kernel", *p.kernel, f, 4 * f),
        ]
        return specs + ([_w("bias", 4 * f)] if _bias(config) else [])

    return weights
