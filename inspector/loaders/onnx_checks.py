"""Checks an ONNX model gets before any of it reaches the onnx library's native code.

ONNX shape inference is C++ that trusts its input: a negative dimension on a sliced axis makes
`std::clamp` assert and abort the whole process (SIGABRT, onnx/onnx#8481, onnx 1.21 to 1.23),
which no `except` can catch. The IR says a dimension is a non-negative value or a symbol, so a
negative stored dimension is read as unknown (ORT and Netron show dynamic axes the same way),
and an initializer, which must have a real shape, with a negative one is refused.
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
