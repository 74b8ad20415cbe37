"""Reading the user's data sample into arrays named after the model's inputs and outputs.

DATA is an `.npz` (read with `allow_pickle=False`: object arrays are refused, never unpickled) or a
`module:function` reference whose function returns what `model.fit` accepts: `(x, y)`, a dict of
arrays by name, lists by position, a `tf.data.Dataset` or a `keras.utils.PyDataset` (the first
batches, up to `max_rows`). Targets of shape `(n,)` for an `(n, 1)` output are what Keras trains
on without a word, so they are accepted and given their column. Anything else the user can get
wrong is an InspectorError naming DATA and the reason, in one line.
"""

from __future__ import annotations

import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inspector.errors import InspectorError, LoadError, one_line
from inspector.graph import ModelGraph

MAX_ROWS = 100_000  # read from a dataset or generator at most this many rows


@dataclass(frozen=True)
class Sample:
    """The data, per model input and per model output, in the graph's order; equal row counts."""

    inputs: Mapping[str, Any]
    targets: Mapping[str, Any]
    source: str

    @property
    def rows(self) -> int:
        return len(next(iter(self.inputs.values())))

    def arrays(self) -> dict[str, Any]:
        return {**self.inputs, **self.targets}


def load_sample(data: Any, graph: ModelGraph, need_targets: bool = True, max_rows: int = MAX_ROWS) -> Sample:
    """The sample behind `data` (a path, a `module:function` reference, or what such a function
    returns), checked against the model's input and output names."""
    from inspector import is_builder_reference

    if isinstance(data, (str, Path)):
        where = str(data)
        if isinstance(data, str) and is_builder_reference(data):
            value = _call_data_function(data)
            return _from_value(value, graph, where, need_targets, max_rows)
        return _from_npz(Path(data), graph, need_targets)
    return _from_value(data, graph, "<data>", need_targets, max_rows)


def _call_data_function(ref: str) -> Any:
    from inspector.loaders.python_builder import resolve_builder

    function = resolve_builder(ref)
    try:
        return function()
    except Exception as exc:  # noqa: BLE001 - the user's code failed: one line, not a traceback
        frames = traceback.extract_tb(exc.__traceback__)
        at = f" (at {Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
        raise LoadError(ref, f"the data function raised {type(exc).__name__}: {one_line(exc)}{at}") from None


def _from_npz(path: Path, graph: ModelGraph, need_targets: bool) -> Sample:
    import numpy as np

    try:
        with np.load(path, allow_pickle=False) as npz:
            names = list(npz.files)
            arrays = {}
            for name in names:
                arrays[name] = npz[name]
    except FileNotFoundError:
        raise LoadError(path, "no such data file") from None
    except ValueError as exc:  # object arrays (pickles) are refused by allow_pickle=False
        raise LoadError(path, f"not a plain .npz of numeric arrays: {one_line(exc)}") from None
    except (OSError, EOFError) as exc:
        raise LoadError(path, f"not a readable .npz file: {one_line(exc)}") from None
    return _from_mapping(arrays, graph, str(path), need_targets)


def _from_mapping(arrays: Mapping[str, Any], graph: ModelGraph, where: str, need_targets: bool) -> Sample:
    """Arrays by name: the model's input and output names; or `x`/`y` for a one-input,
    one-output model (the names most samples are saved under)."""
    inputs, outputs = list(graph.input_names), list(graph.output_names)
    names = list(arrays)
    if len(inputs) == 1 and inputs[0] not in arrays:
        alias = next((a for a in ("x", "X", "inputs", "features") if a in arrays), None)
        if alias is not None:
            arrays = {**arrays, inputs[0]: arrays[alias]}
    if len(outputs) == 1 and outputs[0] not in arrays:
        alias = next((a for a in ("y", "Y", "targets", "labels") if a in arrays), None)
        if alias is not None:
            arrays = {**arrays, outputs[0]: arrays[alias]}
    wanted = inputs + (outputs if need_targets else [])
    missing = [n for n in wanted if n not in arrays]
    if missing:
        raise LoadError(where, f"the data lacks arrays named {', '.join(missing)} (the model's inputs and "
                               f"outputs are {', '.join(inputs + outputs)}; the data holds "
                               f"{', '.join(names) or 'no arrays'})")
    return _checked({n: arrays[n] for n in inputs}, {n: arrays[n] for n in outputs if n in arrays}, graph, where)


def _from_value(value: Any, graph: ModelGraph, where: str, need_targets: bool, max_rows: int) -> Sample:
    """What a data function returned, in any layout `model.fit` accepts."""
    if isinstance(value, Mapping):
        return _from_mapping(dict(value), graph, where, need_targets)
    if _is_dataset(value) or _is_pydataset(value) or _is_iterator(value):
        x, y = _take_batches(value, where, max_rows)
    elif isinstance(value, (tuple, list)) and len(value) in (2, 3) and not _is_array(value):
        x, y = value[0], value[1]  # (x, y) or (x, y, sample_weight)
    else:
        raise LoadError(where, f"the data function returned a {type(value).__name__}; return (x, y), a dict of "
                               "arrays by input and output name, a tf.data.Dataset or a keras.utils.PyDataset")
    inputs = _by_name(x, graph.input_names, where, "inputs")
    targets = _by_name(y, graph.output_names, where, "targets") if y is not None else {}
    if need_targets and not targets:
        raise LoadError(where, "the data holds no targets (y): a diagnosis trains the model on them")
    return _checked(inputs, targets, graph, where)


def _by_name(value: Any, names: Sequence[str], where: str, what: str) -> dict[str, Any]:
    """x or y as `model.fit` takes it: one array for one name, a list by position, a dict by name."""
    names = list(names)
    if isinstance(value, Mapping):
        missing = [n for n in names if n not in value]
        if missing:
            raise LoadError(where, f"the {what} lack {', '.join(missing)} (the model's {what} are "
                                   f"{', '.join(names)}; the data has {', '.join(map(str, value)) or 'none'})")
        return {n: value[n] for n in names}
    if isinstance(value, (list, tuple)) and not _is_array(value):
        if len(value) != len(names):
            raise LoadError(where, f"the {what} are a list of {len(value)} arrays; the model has {len(names)} "
                                   f"({', '.join(names)})")
        return dict(zip(names, value))
    if len(names) != 1:
        raise LoadError(where, f"the model has {len(names)} {what} ({', '.join(names)}); give a list or a dict")
    return {names[0]: value}


def _checked(inputs: dict[str, Any], targets: dict[str, Any], graph: ModelGraph, where: str) -> Sample:
    """Numeric, non-empty arrays with one row count; `(n,)` targets of `(n, 1)` outputs get their column."""
    import numpy as np

    checked: dict[str, dict[str, Any]] = {"inputs": {}, "targets": {}}
    for kind, group in (("inputs", inputs), ("targets", targets)):
        for name, value in group.items():
            try:
                array = np.asarray(value)
            except Exception as exc:  # noqa: BLE001 - a ragged list, a tensor that will not convert
                raise LoadError(where, f"array {name!r} is not an array: {one_line(exc)}") from None
            if array.dtype == object:
                raise LoadError(where, f"array {name!r} holds Python objects, not numbers")
            if array.dtype.kind not in "biuf":
                raise LoadError(where, f"array {name!r} has dtype {array.dtype}, not a number type")
            if array.ndim == 0:
                raise LoadError(where, f"array {name!r} is a single value, not one row per example")
            if array.shape[0] == 0 or array.size == 0:
                raise LoadError(where, f"array {name!r} is empty")
            checked[kind][name] = array
    counts = {n: len(a) for group in checked.values() for n, a in group.items()}
    if len(set(counts.values())) > 1:
        raise LoadError(where, "the arrays hold different numbers of examples: "
                               + ", ".join(f"{n} {c}" for n, c in counts.items()))
    targets_out = {n: _with_column(a, graph, n) for n, a in checked["targets"].items()}
    return Sample(checked["inputs"], targets_out, where)


def _with_column(target: Any, graph: ModelGraph, output: str) -> Any:
    """`(n,)` targets for an output of rank 2 become `(n, 1)` when the output has one unit, as
    Keras reads them; sparse labels for a many-unit output stay as they are."""
    shape = output_shape(graph, output)
    if target.ndim == 1 and shape is not None and len(shape) == 2 and shape[-1] == 1:
        return target.reshape(-1, 1)
    return target


def output_shape(graph: ModelGraph, output: str) -> tuple | None:
    """The stored shape of output `output` (batch axis first), or None when unknown."""
    try:
        tensor = graph.outputs[list(graph.output_names).index(output)]
        return tuple(graph.tensor(tensor).shape) if graph.tensor(tensor).shape is not None else None
    except (ValueError, KeyError, IndexError):
        return None


def _take_batches(source: Any, where: str, max_rows: int) -> tuple[Any, Any]:
    """Concatenate the first batches of a dataset, PyDataset or iterator of (x, y) batches."""
    import numpy as np

    xs: list[Any] = []
    ys: list[Any] = []
    rows = 0
    try:
        if _is_pydataset(source):
            count = len(source)
            batches = (source[i] for i in range(count))
        else:
            batches = iter(source.as_numpy_iterator() if hasattr(source, "as_numpy_iterator") else source)
        for batch in batches:
            if not isinstance(batch, (tuple, list)) or len(batch) < 1:
                raise LoadError(where, f"a batch is a {type(batch).__name__}, not (x, y)")
            xs.append(batch[0])
            ys.append(batch[1] if len(batch) > 1 else None)
            rows += len(np.asarray(_first(batch[0])))
            if rows >= max_rows:
                break
    except InspectorError:
        raise
    except Exception as exc:  # noqa: BLE001 - the user's dataset failed while we read it
        raise LoadError(where, f"reading the dataset raised {type(exc).__name__}: {one_line(exc)}") from None
    if not xs:
        raise LoadError(where, "the dataset yields no batches")
    return _concat(xs, where), (None if any(y is None for y in ys) else _concat(ys, where))


def _first(value: Any) -> Any:
    if isinstance(value, Mapping):
        return next(iter(value.values()))
    if isinstance(value, (list, tuple)) and not _is_array(value):
        return value[0]
    return value


def _concat(parts: list[Any], where: str) -> Any:
    import numpy as np

    first = parts[0]
    try:
        if isinstance(first, Mapping):
            return {k: np.concatenate([np.asarray(p[k]) for p in parts]) for k in first}
        if isinstance(first, (list, tuple)) and not _is_array(first):
            return [np.concatenate([np.asarray(p[i]) for p in parts]) for i in range(len(first))]
        return np.concatenate([np.asarray(p) for p in parts])
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise LoadError(where, f"the batches do not stack into one sample: {one_line(exc)}") from None


def _is_array(value: Any) -> bool:
    """A list of numbers (one array) rather than a list of arrays (one per input)."""
    return bool(value) and all(isinstance(v, (int, float, bool)) for v in value)


def _is_dataset(value: Any) -> bool:
    return type(value).__module__.startswith("tensorflow") and hasattr(value, "as_numpy_iterator")


def _is_pydataset(value: Any) -> bool:
    return any(c.__name__ == "PyDataset" for c in type(value).__mro__) and hasattr(value, "__getitem__")


def _is_iterator(value: Any) -> bool:
    return hasattr(value, "__next__")
