"""The model's outputs, inputs and compile config as seen from any graph the engine hands a rule.

The engine runs each rule on the model and on every model nested in it (`opts.scope` says
where). A nested model's outputs are the model's outputs only where the outer model returns
them as they are; rules that judge outputs (their activation, their loss, what comes after the
last weight layer) read them here, so a nested augmentation block or feature extractor is not
taken for the model's head.
"""

from __future__ import annotations

from inspector.engine import RuleOptions
from inspector.graph import ModelGraph, TrainingConfig


def model_outputs(graph: ModelGraph, opts: RuleOptions) -> list[tuple[str, str]]:
    """(tensor, output name) for each output of `graph` that the whole model outputs; the name
    is the one the model's losses are keyed by (the outer layer's name for a nested head)."""
    outputs = opts.scope_of(graph).outputs
    return [(t, outputs[t]) for t in dict.fromkeys(graph.outputs) if t in outputs]


def model_inputs(graph: ModelGraph, opts: RuleOptions) -> list[str]:
    """The inputs of `graph` that are inputs of the whole model (what the user feeds it)."""
    inputs = opts.scope_of(graph).inputs
    return [t for t in graph.inputs if t in inputs]


def model_training(graph: ModelGraph, opts: RuleOptions) -> TrainingConfig | None:
    """The whole model's compile config (losses keyed by `model_outputs` names), or None."""
    return opts.scope_of(graph).training
