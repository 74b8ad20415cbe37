"""What the opt-in taste rules (family T) share: the previous layer of a kind on a call's path."""

from __future__ import annotations

from collections.abc import Callable, Collection

from inspector.graph import Call, Layer, ModelGraph
from inspector.kinds import (
    ACTIVATION_LAYERS,
    CONCATENATE,
    DROPOUT_LAYERS,
    NORMALIZATION_LAYERS,
    PASS_THROUGH_LAYERS,
    RESHAPE_LAYERS,
)
from inspector.rules._util import first_input_producers, unwrapped

CONCATENATIONS = CONCATENATE | {"Merge"}
"""Merges that stack their inputs' features: the width after one is no single input's width."""


def previous(graph: ModelGraph, call: Call, wanted: Callable[[Layer], bool],
             through_concatenation: bool = True) -> Call | None:
    """The nearest call before `call`, along first inputs, whose layer `wanted` accepts,
    passing only through activations, dropout, reshaping, pooling, merges and normalization;
    None when some other layer (a Dense between two convolutions, a custom layer) comes first.
    Rules that compare widths pass `through_concatenation=False`: what a layer reads after a
    concatenation is all the stacked inputs, not the first one alone (DeepFM's 64-unit Dense
    reads seven 20-wide fields, not one)."""
    for producer in first_input_producers(graph, call, 500):
        layer = graph.layer(producer.layer)
        cls = unwrapped(layer)[0]
        if wanted(layer):
            return producer
        if cls not in PASS_THROUGH_LAYERS and cls not in NORMALIZATION_LAYERS:
            return None
        if cls in CONCATENATIONS and not through_concatenation:
            return None
    return None


def computes_an_output(graph: ModelGraph, call: Call, outputs: Collection[str]) -> bool:
    """Whether `call` computes one of the model's `outputs`, through activations, dropout and
    reshaping only: its width is the task's (the channels of the image a decoder rebuilds)."""
    frontier = [call]
    while frontier:
        current = frontier.pop()
        if any(t in outputs for t in current.outputs):
            return True
        for user in graph.successors(current.id):
            cls = unwrapped(graph.layer_of(user))[0]
            if cls in ACTIVATION_LAYERS or cls in DROPOUT_LAYERS or cls in RESHAPE_LAYERS:
                frontier.append(graph.call(user))
    return False
