"""What the opt-in taste rules (family T) share: the previous layer of a kind on a call's path."""

from __future__ import annotations

from collections.abc import Callable

from inspector.graph import Call, Layer, ModelGraph
from inspector.kinds import NORMALIZATION_LAYERS, PASS_THROUGH_LAYERS
from inspector.rules._util import first_input_producers, unwrapped


def previous(graph: ModelGraph, call: Call, wanted: Callable[[Layer], bool]) -> Call | None:
    """The nearest call before `call`, along first inputs, whose layer `wanted` accepts,
    passing only through activations, dropout, reshaping, pooling, merges and normalization;
    None when some other layer (a Dense between two convolutions, a custom layer) comes first."""
    for producer in first_input_producers(graph, call, 500):
        layer = graph.layer(producer.layer)
        cls = unwrapped(layer)[0]
        if wanted(layer):
            return producer
        if cls not in PASS_THROUGH_LAYERS and cls not in NORMALIZATION_LAYERS:
            return None
    return None
