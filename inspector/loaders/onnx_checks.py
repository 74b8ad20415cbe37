"""Checks of an ONNX model's dimensions before anything reads its shapes.

The IR says a dimension is a non-negative value or a symbol. A negative stored dimension (some
exporters write -1 for a dynamic axis) is read as unknown, as ONNX Runtime and Netron show it,
instead of printing shapes like (-5, 4) and feeding it to shape inference, where a negative
dimension on a sliced axis aborts the process (onnx/onnx#8481; inference runs in a forked child
anyway, see onnx_infer.py). An initializer, which must have a real shape, with a negative one is
refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from inspector.errors import LoadError


def check_dimensions(path: Path, model) -> list[str]:
    """Refuse negative initializer dims; clear negative value dims in place, in every graph and
    subgraph, so that nothing downstream (our shapes, shape inference) sees them. Returns the
    notes to show."""
    cleared: list[str] = []
    for graph in _graphs(model):
        for init in graph.initializer:
            if any(d < 0 for d in init.dims):
                raise LoadError(path, f"initializer {init.name!r} has a negative dimension "
                                      f"{list(init.dims)}: the file is invalid")
        for value in list(graph.input) + list(graph.output) + list(graph.value_info):
            if not value.type.HasField("tensor_type") or not value.type.tensor_type.HasField("shape"):
                continue
            for dim in value.type.tensor_type.shape.dim:
                if dim.HasField("dim_value") and dim.dim_value < 0:
                    dim.ClearField("dim_value")
                    cleared.append(value.name)
    if not cleared:
        return []
    names = list(dict.fromkeys(cleared))
    return [f"negative dimensions read as unknown in {len(names)} value(s): " + ", ".join(names[:5])
            + (" ..." if len(names) > 5 else "")]


def _graphs(model) -> Iterator:
    """The main graph and every subgraph (If branches, Loop and Scan bodies), also those inside
    model-local functions; iterative, so a deep nest cannot exhaust the stack."""
    stack = [model.graph] + [g for func in model.functions for node in func.node for g in _subgraphs(node)]
    while stack:
        graph = stack.pop()
        yield graph
        for node in graph.node:
            stack.extend(_subgraphs(node))


def _subgraphs(node) -> list:
    from onnx import AttributeProto

    graphs = []
    for attr in node.attribute:
        if attr.type == AttributeProto.GRAPH:
            graphs.append(attr.g)
        elif attr.type == AttributeProto.GRAPHS:
            graphs.extend(attr.graphs)
    return graphs
