"""Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate and Dot.

Elementwise merges read every input in the first input's layout, so a residual Add between two
channels-first branches stays channels-first; Concatenate maps its axis through that layout."""

from __future__ import annotations

import numpy as np

from inspector.export.native.emitter import Value, identity
from inspector.export.native.registry import LayerCall, converts

ELEMENTWISE = {"Add": "Add", "Subtract": "Sub", "Multiply": "Mul", "Maximum": "Max", "Minimum": "Min",
               "Average": "Sum"}


def _aligned(call: LayerCall) -> tuple[list[str], tuple[int, ...]]:
    """Every input in one layout: the first input's when all have its rank, else Keras'."""
    first = call.inputs[0]
    perm = first.perm if all(v.rank == first.rank for v in call.inputs) else identity(first.rank)
    names = [call.em.layout(v, perm) if v.rank == len(perm) else call.em.keras(v) for v in call.inputs]
    return names, perm


@converts(*ELEMENTWISE, inputs=None)
def elementwise(call: LayerCall) -> list[Value]:
    names, perm = _aligned(call)
    em = call.em
    op = ELEMENTWISE[call.layer.class_name]
    if op in ("Sub",):
        out = em.op(op, names[:2], call.name)
    elif op in ("Sum", "Max", "Min"):
        out = em.op(op, names, call.name)
    else:
        out = names[0]
        for i, other in enumerate(names[1:]):
            out = em.op(op, [out, other], call.name if i == len(names) - 2 else f"{call.name}_{i}")
    if call.layer.class_name == "Average":
        out = em.op("Div", [out, em.const(float(len(names)), f"{call.name}_n")], f"{call.name}_mean")
    return [Value(out, perm, call.inputs[0].dtype, call.inputs[0].mask)]


@converts("Concatenate", inputs=None)
def concatenate(call: LayerCall) -> list[Value]:
    names, perm = _aligned(call)
    axis = int(call.get("axis", -1)) % len(perm)
    out = call.em.op("Concat", names, call.name, axis=perm.index(axis))
    return [Value(out, perm, call.inputs[0].dtype)]


@converts("Dot", inputs=2)
def dot(call: LayerCall) -> list[Value]:
    """keras.ops batch_dot over the given axes, as one Einsum (after L2 normalisation if asked)."""
    em = call.em
    x, y = call.inputs[:2]
    axes = call.get("axes", -1)
    ax = list(axes) if isinstance(axes, (list, tuple)) else [axes, axes]
    ax = [int(ax[0]) % x.rank, int(ax[1]) % y.rank]
    names = [em.keras(x), em.keras(y)]
    if call.get("normalize", False):
        for i, a in enumerate(ax):
            sq = em.reduce("ReduceSum", em.op("Mul", [names[i], names[i]], f"{call.name}_sq{i}"), [a],
                           f"{call.name}_ss{i}", keepdims=True)
            inv = em.op("Reciprocal", [em.op("Sqrt", [em.op("Max", [sq, em.const(1e-12, "eps12")],
                                                            f"{call.name}_cl{i}")], f"{call.name}_n{i}")],
                        f"{call.name}_inv{i}")
            names[i] = em.op("Mul", [names[i], inv], f"{call.name}_unit{i}")
    letters = iter("cdefghijklmnopqrstuvwxyz")
    xs = ["b"] + [next(letters) for _ in range(x.rank - 1)]
    ys = ["b"] + [next(letters) for _ in range(y.rank - 1)]
    ys[ax[1]] = xs[ax[0]]
    out_letters = [c for i, c in enumerate(xs) if i != ax[0]] + [c for i, c in enumerate(ys) if i not in (0, ax[1])]
    out = em.op("Einsum", names, f"{call.name}_einsum", equation=f"{''.join(xs)},{''.join(ys)}->{''.join(out_letters)}")
    rank = len(out_letters)
    if rank == 1:  # Keras keeps a (batch, 1) result for two vectors
        out = em.op("Unsqueeze", [out, em.ints(np.array([1]), "axis1")], call.name)
        rank = 2
    return [Value(out, identity(rank))]
