"""Tensor operations stored as layers: tf.keras 2.4+ ``TFOpLambda``/``SlicingOpLambda`` (one
class for every TF function, named by ``config.function``, its constant arguments kept with the
call) and Keras 3 operations (``ExpandDims``, ``Mean``... their constants in the config).

Shapes follow TensorFlow's static shape functions, which tf_keras runs to build these layers and
which Keras 3's ``compute_output_spec`` matches: numpy broadcasting where an unknown dimension
against a known one above 1 is that one, concatenation that merges unknown dimensions with known
ones. A function not listed here, or an argument held in a tensor, leaves the shape unknown.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

from inspector.shapes.common import Shape, _all, _first, _int, _int_list, _Outputs, _Unknown

# tf.keras' stand-in for a first argument that is no tensor (`1.0 - x`); the loader keeps that
# constant among the call's arguments under this name
K2_CONSTANT = "_CONSTANT_VALUE"


def _dims(a: int | None, b: int | None, broadcast: bool) -> int | None:
    """One dimension of two shapes that must agree (or broadcast, when 1 meets another)."""
    if broadcast and a == 1:
        return b
    if broadcast and b == 1:
        return a
    if a is None or b is None:
        return b if a is None else a
    if a != b:
        raise _Unknown(f"dimensions {a} and {b} do not match")
    return a


def broadcast_shapes(shapes: Sequence[Shape]) -> Shape:
    """Numpy broadcasting of full shapes, as TensorFlow and Keras 3 infer it statically."""
    rank = max(len(s) for s in shapes)
    out: list[int | None] = [1] * rank
    for shape in shapes:
        padded = (1,) * (rank - len(shape)) + tuple(shape)
        out = [_dims(a, b, broadcast=True) for a, b in zip(out, padded)]
    return tuple(out)


def _merged(shapes: Sequence[Shape]) -> list[int | None]:
    """Shapes that must be equal, unknown dimensions taking a known one's value."""
    if len({len(s) for s in shapes}) != 1:
        raise _Unknown("ranks differ")
    out = list(shapes[0])
    for shape in shapes[1:]:
        out = [_dims(a, b, broadcast=False) for a, b in zip(out, shape)]
    return out


def _constant_shape(value: object) -> Shape:
    """The shape of a constant argument: a number is a scalar, nested lists a tensor."""
    if isinstance(value, (bool, int, float)):
        return ()
    if isinstance(value, list) and value:
        inner = {_constant_shape(v) for v in value}
        if len(inner) == 1:
            return (len(value), *inner.pop())
    raise _Unknown(f"constant {value!r}")


def _operands(inputs: list[Shape | None], args: Mapping, names: Sequence[str], count: int) -> list[Shape]:
    """The shapes of an operation's `count` operands: its tensors, then its constants."""
    shapes = _all(inputs) if inputs else []
    constants = [args[n] for n in (K2_CONSTANT, *names) if n in args and args[n] is not None]
    shapes += [_constant_shape(c) for c in constants]
    if len(shapes) != count:
        raise _Unknown("operands")
    return shapes


def _axis_in(axis: object, rank: int) -> int:
    a = _int(axis)
    if not -rank <= a < rank:
        raise _Unknown(f"axis {a} out of range for rank {rank}")
    return a % rank


# -- the rules, each over (input shapes, the arguments that shape them) ---------------------------
def _same(inputs: list[Shape | None], args: Mapping) -> Shape:
    if len(inputs) != 1:
        raise _Unknown("one tensor expected")
    return _first(inputs, min_ndim=0)


def _binary(inputs: list[Shape | None], args: Mapping) -> Shape:
    return broadcast_shapes(_operands(inputs, args, ("y", "other"), 2))


def _where(inputs: list[Shape | None], args: Mapping) -> Shape:
    if len(inputs) == 1 and args.get("x") is None and args.get("y") is None and K2_CONSTANT not in args:
        return (None, len(_first(inputs, min_ndim=0)))  # the coordinates of the true elements
    return broadcast_shapes(_operands(inputs, args, ("x", "y"), 3))


def _concat(inputs: list[Shape | None], args: Mapping) -> Shape:
    shapes = _all(inputs)
    axis = _axis_in(args.get("axis", 0), len(shapes[0]))
    sizes = [s[axis] for s in shapes]
    out = _merged([s[:axis] + s[axis + 1 :] for s in shapes])
    out.insert(axis, None if None in sizes else sum(sizes))  # type: ignore[arg-type]
    return tuple(out)


def _stack(inputs: list[Shape | None], args: Mapping) -> Shape:
    shapes = _all(inputs)
    out = _merged(shapes)
    out.insert(_axis_in(args.get("axis", 0), len(out) + 1), len(shapes))
    return tuple(out)


def _reduce(inputs: list[Shape | None], args: Mapping) -> Shape:
    x = _same(inputs, args)
    axis = args.get("axis", args.get("reduction_indices"))
    keep = bool(args.get("keepdims", args.get("keep_dims")) or False)
    axes = range(len(x)) if axis is None else [_axis_in(a, len(x)) for a in _int_list(axis)]
    if len(set(axes)) != len(axes):
        raise _Unknown("an axis reduced twice")
    if keep:
        return tuple(1 if i in axes else d for i, d in enumerate(x))
    return tuple(d for i, d in enumerate(x) if i not in axes)


def _arg_reduce(inputs: list[Shape | None], args: Mapping) -> Shape:
    x = _same(inputs, args)
    axis = _axis_in(args.get("axis", args.get("dimension")) or 0, len(x))
    if args.get("keepdims"):
        return tuple(1 if i == axis else d for i, d in enumerate(x))
    return x[:axis] + x[axis + 1 :]


def _reshape(inputs: list[Shape | None], args: Mapping) -> Shape:
    x = _same(inputs, args)
    target = [_int(d) for d in _int_list(args.get("shape", args.get("newshape")))]
    if target.count(-1) > 1 or any(d < -1 for d in target):
        raise _Unknown("target shape")
    if -1 not in target:
        return tuple(target)
    known = 1
    for d in target:
        known *= d if d != -1 else 1
    total = None if None in x else math.prod(x)
    if total is None or known == 0 or total % known:
        return tuple(None if d == -1 else d for d in target)
    return tuple(total // known if d == -1 else d for d in target)


def _expand_dims(inputs: list[Shape | None], args: Mapping) -> Shape:
    x = list(_same(inputs, args))
    x.insert(_axis_in(args.get("axis"), len(x) + 1), 1)
    return tuple(x)


def _squeeze(inputs: list[Shape | None], args: Mapping) -> Shape:
    x = _same(inputs, args)
    axis = args.get("axis", args.get("squeeze_dims"))
    if axis is None:
        if None in x:
            raise _Unknown("which unknown dimensions are 1")
        return tuple(d for d in x if d != 1)
    axes = {_axis_in(a, len(x)) for a in _int_list(axis)}
    if any(x[a] not in (1, None) for a in axes):
        raise _Unknown("squeezing a dimension that is not 1")
    return tuple(d for i, d in enumerate(x) if i not in axes)


def _transpose(inputs: list[Shape | None], args: Mapping) -> Shape:
    x = _same(inputs, args)
    perm = args.get("perm", args.get("axes"))
    order = list(reversed(range(len(x)))) if perm is None else [_int(p) for p in _int_list(perm)]
    if sorted(order) != list(range(len(x))):
        raise _Unknown("not a permutation")
    return tuple(x[p] for p in order)


def _matmul(inputs: list[Shape | None], args: Mapping) -> Shape:
    a, b = _operands(inputs, {}, (), 2)
    if len(a) < 2 or len(b) < 2:
        raise _Unknown("matmul of a vector")
    if args.get("transpose_a") or args.get("adjoint_a"):
        a = (*a[:-2], a[-1], a[-2])
    if args.get("transpose_b") or args.get("adjoint_b"):
        b = (*b[:-2], b[-1], b[-2])
    _dims(a[-1], b[-2], broadcast=False)
    return (*broadcast_shapes([a[:-2], b[:-2]]), a[-2], b[-1])


def _one_hot(inputs: list[Shape | None], args: Mapping) -> Shape:
    x = list(_same(inputs, args))
    axis = _int(args.get("axis", -1))
    x.insert(len(x) if axis == -1 else _axis_in(axis, len(x) + 1), _int(args.get("depth")))
    return tuple(x)


def _clip(inputs: list[Shape | None], args: Mapping) -> Shape:
    """`tf.clip_by_value(t, lo, hi)` keeps `t`'s shape; only scalar bounds are read here."""
    bounds = [args.get("clip_value_min"), args.get("clip_value_max")]
    if any(_constant_shape(b) != () for b in bounds):
        raise _Unknown("clip bounds that are tensors")
    return _same(inputs, args)


def _getitem(inputs: list[Shape | None], args: Mapping) -> Shape:
    """`x[...]` as SlicingOpLambda stores its `slice_spec`: `{start, stop, step}` for a slice,
    an int for an index, null for `tf.newaxis`, `{"class_name": "__ellipsis__"}` for `...`."""
    x = _same(inputs, args)
    spec = args.get("slice_spec")
    items = list(spec) if isinstance(spec, (list, tuple)) else [spec]
    ellipsis = [i for i, item in enumerate(items) if _is_ellipsis(item)]
    consumed = sum(1 for item in items if item is not None and not _is_ellipsis(item))
    if len(ellipsis) > 1 or consumed > len(x):
        raise _Unknown("slice spec")
    if not ellipsis:
        items.append({"class_name": "__ellipsis__"})
    out: list[int | None] = []
    dim = 0
    for item in items:
        if item is None:
            out.append(1)
        elif _is_ellipsis(item):
            span = len(x) - consumed
            out.extend(x[dim : dim + span])
            dim += span
        elif isinstance(item, Mapping) and set(item) == {"start", "stop", "step"}:
            out.append(_slice_length(x[dim], item["start"], item["stop"], item["step"]))
            dim += 1
        else:
            index = _int(item)
            if x[dim] is not None and not -x[dim] <= index < x[dim]:
                raise _Unknown("index out of range")
            dim += 1
    return tuple(out)


def _is_ellipsis(item: object) -> bool:
    return isinstance(item, Mapping) and item.get("class_name") == "__ellipsis__"


def _slice_length(size: int | None, start: object, stop: object, step: object) -> int | None:
    bounds = [None if v is None else _int(v) for v in (start, stop, step)]
    if bounds[2] == 0:
        raise _Unknown("slice step 0")
    if size is None:
        return None
    return len(range(*slice(*bounds).indices(size)))


_Rule = Callable[[list[Shape | None], Mapping], Shape]

UNARY = (
    "abs", "acos", "asin", "atan", "ceil", "cos", "cosh", "elu", "erf", "exp", "expm1", "floor",
    "gelu", "identity", "is_finite", "is_inf", "is_nan", "l2_normalize", "leaky_relu", "log",
    "log1p", "log_sigmoid", "log_softmax", "logical_not", "negative", "reciprocal", "relu",
    "relu6", "round", "rsqrt", "selu", "sigmoid", "sign", "silu", "sin", "sinh", "softmax",
    "softplus", "softsign", "sqrt", "square", "stop_gradient", "swish", "tan", "tanh", "cast",
    "dropout", "zeros_like", "ones_like",
)  # fmt: skip
BINARY = (
    "add", "add_v2", "subtract", "multiply", "truediv", "divide", "divide_no_nan", "floordiv",
    "floormod", "mod", "pow", "maximum", "minimum", "squared_difference", "greater",
    "greater_equal", "less", "less_equal", "equal", "not_equal", "eq", "ne", "logical_and",
    "logical_or", "logical_xor", "atan2", "multiply_no_nan",
)  # fmt: skip
REDUCTIONS = ("sum", "mean", "max", "min", "prod", "any", "all", "std", "variance", "logsumexp",
              "euclidean_norm")

TF_FUNCTIONS: dict[str, _Rule] = {
    **dict.fromkeys(UNARY, _same),
    **dict.fromkeys(BINARY, _binary),
    **{f"reduce_{r}": _reduce for r in REDUCTIONS},
    "argmax": _arg_reduce, "argmin": _arg_reduce, "where": _where, "where_v2": _where,
    "concat": _concat, "stack": _stack, "reshape": _reshape, "expand_dims": _expand_dims,
    "squeeze": _squeeze, "transpose": _transpose, "matmul": _matmul, "one_hot": _one_hot,
    "getitem": _getitem, "clip_by_value": _clip,
}  # fmt: skip
TF_NAMESPACES = ("compat.v1.", "__operators__.", "math.", "nn.", "linalg.", "dtypes.")


def tf_op_lambda(config: Mapping, arguments: Mapping, inputs: list[Shape | None]) -> _Outputs:
    """TFOpLambda and SlicingOpLambda: the TF function the config names, on the call's tensors
    and the constant arguments stored with the call."""
    function = config.get("function")
    if not isinstance(function, str):
        raise _Unknown("no function")
    for namespace in TF_NAMESPACES:
        function = function.removeprefix(namespace)
    rule = TF_FUNCTIONS.get(function)
    if rule is None:
        raise _Unknown(f"TF function {function!r}")
    if K2_CONSTANT in arguments and rule not in (_binary, _where):
        raise _Unknown("a constant among the tensors")  # `tf.concat([x, [[1.0]]], 1)`
    return [rule(inputs, arguments)]


def _keras3_arg_reduce(inputs: list[Shape | None], config: Mapping) -> Shape:
    """`ops.argmax(x)` with no axis flattens `x` first (TensorFlow's takes axis 0)."""
    if config.get("axis") is None:
        raise _Unknown("argmax over the flattened tensor")
    return _arg_reduce(inputs, config)


KERAS3_OPERATIONS: dict[str, _Rule] = {
    "ExpandDims": _expand_dims, "Squeeze": _squeeze, "Transpose": _transpose, "Stack": _stack,
    "Matmul": _matmul, "Argmax": _keras3_arg_reduce,
    "Argmin": _keras3_arg_reduce,
    **dict.fromkeys(("Sum", "Mean", "Max", "Min", "Prod", "Any", "All", "Std", "Var"), _reduce),
    **dict.fromkeys(("Cast", "Negative", "Abs", "Exp", "Log", "Sqrt", "Square", "Sigmoid", "Relu",
                     "Tanh", "LogicalNot", "Sign", "Round", "Floor", "Ceil", "Reciprocal"), _same),
}  # fmt: skip
"""Keras 3 operations with a shape rule. Binary operations and `Where` have none: Keras 3 stores a
constant operand (`ops.not_equal(tokens, 0)`) nowhere the loader reads, so their output shape
is known only where Keras stored it, on the tensors later layers read."""


def keras3_operation(rule: _Rule) -> Callable[[Mapping, list[Shape | None]], _Outputs]:
    """A Keras 3 operation keeps its constants in its config (`axis`, `newshape`...)."""
    return lambda config, inputs: [rule(inputs, config)]


def keras3_reshape(config: Mapping, inputs: list[Shape | None]) -> _Outputs:
    """``ops.reshape`` (``newshape``), stored under the class name of the Reshape layer."""
    return [_reshape(inputs, {"shape": config.get("newshape")})]
