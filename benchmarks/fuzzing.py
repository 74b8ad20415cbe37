"""Seeded damage to real model files: six classes of damage, as a stranger's file can carry them:
bytes (flips, truncation, splices), JSON edits of the model config (in .json, in a .keras zip, in
an HDF5 attribute), HDF5 attribute and link edits, zip tricks, ONNX edits, and damaged SavedModel
protobufs. The same seed gives the same files.

fuzz_harness.py runs `inspect` on them and holds it to its robustness invariant. Used by
tests/test_fuzz.py (a CI-sized run) and benchmarks/fuzz_bench.py (the large one).
"""

from __future__ import annotations

import copy
import json
import random
import re
import shutil
import sys
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

DAMAGE = ("bytes", "json", "hdf5", "zip", "onnx", "savedmodel")
GROW = (500, 5_000, 50_000)  # layers a `grow` edit adds: past the 2,000 nodes a diagram draws


@dataclass(frozen=True)
class Case:
    path: Path
    damage: str  # one of DAMAGE
    how: str  # what was done, for the report
    origin: Path | None = None  # the undamaged file it was made from (`inspect diff` compares the two)


# --------------------------------------------------------------------------- seeds


def seed_files(fixtures: Path, work: Path) -> dict[str, list[Path]]:
    """The fixture files and SavedModel folders by container, and two small ONNX graphs built
    with onnx.helper."""
    seeds = {
        "keras": sorted(fixtures.glob("*.keras")),
        "h5": sorted(fixtures.glob("*.h5")),
        "json": [p for p in sorted(fixtures.glob("*.json")) if p.name != "manifest.json"],
        "onnx": _onnx_seeds(work),
        "savedmodel": sorted(p.parent for p in fixtures.glob("*/saved_model.pb")),
    }
    return seeds


def _onnx_seeds(work: Path) -> list[Path]:
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    def init(name, *shape):
        return numpy_helper.from_array(np.ones(shape, np.float32), name)

    mlp = helper.make_graph(
        [helper.make_node("Gemm", ["x", "w1", "b1"], ["h"], name="dense"),
         helper.make_node("Relu", ["h"], ["r"], name="relu"),
         helper.make_node("Gemm", ["r", "w2", "b2"], ["logits"], name="out"),
         helper.make_node("Softmax", ["logits"], ["y"], name="softmax")],
        "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3])],
        [init("w1", 8, 16), init("b1", 16), init("w2", 16, 3), init("b2", 3)])
    ints = lambda name, *v: numpy_helper.from_array(np.array(v, np.int64), name)
    conv = helper.make_graph(
        [helper.make_node("Conv", ["img", "k"], ["c"], name="conv", pads=[1, 1, 1, 1]),
         helper.make_node("Slice", ["c", "starts", "ends", "axes"], ["s"], name="crop"),
         helper.make_node("Reshape", ["s", "flat"], ["f"], name="flatten"),
         helper.make_node("MatMul", ["f", "w"], ["y"], name="dense")],
        "conv", [helper.make_tensor_value_info("img", TensorProto.FLOAT, [1, 2, 6, 6])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 5])],
        [init("k", 4, 2, 3, 3), ints("starts", 0), ints("ends", 4), ints("axes", 2), ints("flat", 1, -1),
         init("w", 96, 5)])
    paths = []
    for graph in (mlp, conv):
        path = work / f"seed_{graph.name}.onnx"
        onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
        paths.append(path)
    return paths


# --------------------------------------------------------------------------- cases


def make_cases(fixtures: Path, work: Path, count: int, seed: int) -> list[Case]:
    """`count` damaged files in `work`, the damage classes taking turns."""
    work.mkdir(parents=True, exist_ok=True)
    seeds = seed_files(fixtures, work)
    rng = random.Random(seed)
    cases = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate members it is asked for
        for i in range(count):
            damage = DAMAGE[i % len(DAMAGE)]
            cases.append(MUTATORS[damage](rng, seeds, work / f"case{i:05d}"))
    return cases


def _damage_bytes(rng: random.Random, seeds, stem: Path) -> Case:
    src = rng.choice(seeds["keras"] + seeds["h5"] + seeds["json"] + seeds["onnx"])
    data, op = _damaged(rng, src.read_bytes())
    path = stem.with_suffix(src.suffix)
    path.write_bytes(data)
    return Case(path, "bytes", f"{op} {src.name}", src)


def _damaged(rng: random.Random, original: bytes) -> tuple[bytes, str]:
    data = bytearray(original)
    op = rng.choice(["flip", "truncate", "zero", "splice", "insert"])
    if op == "flip":
        for _ in range(rng.randint(1, 32)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    elif op == "truncate":
        del data[rng.randrange(1, len(data)):]
    elif op == "zero":
        at = rng.randrange(len(data))
        end = min(len(data), at + rng.randint(1, 4096))
        data[at:end] = bytes(end - at)
    elif op == "splice":
        a, b = sorted(rng.randrange(len(data)) for _ in range(2))
        at = rng.randrange(len(data))
        data[at:at] = data[a:b]
    else:
        at = rng.randrange(len(data))
        data[at:at] = rng.randbytes(rng.randint(1, 64))
    return bytes(data), op


# -- JSON edits --------------------------------------------------------------------------------


def _containers(value, out: list) -> list:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, (dict, list)):
            out.append(item)
            stack.extend(item.values() if isinstance(item, dict) else item)
    return out


def _nest(depth: int):
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


RAW = "\0raw:"  # a string _dumps writes unquoted: Python cannot make a 5,001-digit int
STRANGE_VALUES: list[Callable[[random.Random], object]] = [
    lambda r: RAW + "9" * r.choice([20, 400, 5001]),  # written as a bare number by _dumps
    lambda r: r.choice([-1, 0, -(2**63), 2**63, 2**31]),
    lambda r: r.choice([float("nan"), float("inf"), float("-inf"), 1e308, -0.0, 0.5]),
    lambda r: r.choice(["", "x" * 10_000, "../../etc/passwd", "\u0000", "keras.layers>Dense"]),
    lambda r: r.choice([None, True, [], {}]),
    lambda r: _nest(r.choice([150, 3000])),
    lambda r: {"class_name": r.choice(["Dense", "Bidirectional", "Sequential", "Functional", "Lambda"]),
               "config": {}},
]


def _edit_config(rng: random.Random, config: dict) -> tuple[dict, str]:
    config = copy.deepcopy(config)
    edits = []
    for _ in range(rng.randint(1, 3)):
        op = rng.choice(["value", "value", "delete", "wrap", "nest", "index", "class", "duplicate", "grow"])
        containers = _containers(config, [])
        target = rng.choice(containers)
        if op == "value" or (op == "delete" and not isinstance(target, dict)):
            value = rng.choice(STRANGE_VALUES)(rng)
            if isinstance(target, dict) and target:
                target[rng.choice(list(target))] = value
            elif isinstance(target, list) and target:
                target[rng.randrange(len(target))] = value
            edits.append(f"value {type(value).__name__}")
        elif op == "delete" and target:
            del target[rng.choice(list(target))]
            edits.append("delete")
        elif op in ("wrap", "class", "duplicate"):
            layers = [c for c in containers if isinstance(c, dict) and isinstance(c.get("config"), dict)
                      and "class_name" in c]
            if not layers:
                continue
            layer = rng.choice(layers)
            if op == "wrap":
                depth = rng.choice([3, 25, 60])
                inner = {"class_name": layer["class_name"], "config": layer["config"]}
                for _ in range(depth):
                    inner = {"class_name": rng.choice(["Bidirectional", "TimeDistributed"]),
                             "config": {"name": f"w{rng.randrange(10**6)}", "layer": inner}}
                layer["class_name"], layer["config"] = inner["class_name"], inner["config"]
                edits.append(f"wrap x{depth}")
            elif op == "class":
                layer["class_name"] = rng.choice(["Conv2D", "LSTM", "MultiHeadAttention", "Reshape",
                                                  "Concatenate", "Embedding", "Nope", "os>system"])
                edits.append(f"class {layer['class_name']}")
            else:
                parent = next((c for c in containers if isinstance(c, list) and any(x is layer for x in c)), None)
                if parent is not None:
                    parent.append(layer)  # written out twice by json: no copy of a deep value
                    edits.append("duplicate layer")
        elif op == "grow":  # a small file holding tens of thousands of layers (a zip deflates them)
            lists = [c for c in containers if isinstance(c, list) and len(c) > 1
                     and all(isinstance(x, dict) and isinstance(x.get("config"), dict) for x in c)]
            layers = rng.choice(lists) if lists else None
            named = [x for x in layers or () if isinstance(x["config"].get("name"), str)]
            if named:
                edits.append(f"grow x{_grow(rng, layers, rng.choice(named))}")
        elif op == "nest":
            depth = rng.choice([5, 40, 300])
            for i in range(depth):
                config = {"class_name": "Sequential", "config": {"name": f"s{i}", "layers": [config]}}
            edits.append(f"nest x{depth}")
        elif op == "index":
            refs = [c for c in containers if isinstance(c, list) and len(c) in (3, 4)
                    and isinstance(c[0], str) and all(isinstance(x, int) for x in c[1:3])]
            if refs:
                ref = rng.choice(refs)
                ref[rng.choice([1, 2])] = rng.choice([10_000_000, -1, 2**40])
                edits.append("ref index")
    return config, ", ".join(edits) or "none"


def _grow(rng: random.Random, layers: list, layer: dict) -> int:
    """Copies of `layer` renamed, after it in `layers`: a chain in a Sequential, siblings reading
    the same inputs in a functional model (the widest drawing there is)."""
    count = rng.choice(GROW)
    name = layer["config"]["name"]
    text = json.dumps(layer)
    at = next(i for i, x in enumerate(layers) if x is layer) + 1
    layers[at:at] = [json.loads(text.replace(json.dumps(name), json.dumps(f"{name}_g{i}"))) for i in range(count)]
    return count


def _dumps(value) -> str:
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, 20_000))  # the deep values are the point
    try:
        return re.sub(r'"\\u0000raw:(\d+)"', r"\1", json.dumps(value))
    finally:
        sys.setrecursionlimit(old)


def _damage_json(rng: random.Random, seeds, stem: Path) -> Case:
    container = rng.choice(["json", "keras", "h5"])
    src = rng.choice(seeds[container])
    if container == "json":
        config, how = _edit_config(rng, json.loads(src.read_text()))
        path = stem.with_suffix(".json")
        path.write_text(_dumps(config))
    elif container == "keras":
        with zipfile.ZipFile(src) as z:
            members = {i.filename: z.read(i) for i in z.infolist()}
        config, how = _edit_config(rng, json.loads(members["config.json"]))
        members["config.json"] = _dumps(config).encode()
        path = stem.with_suffix(".keras")
        with zipfile.ZipFile(path, "w") as z:
            for name, data in members.items():
                z.writestr(name, data)
    else:
        import h5py

        path = stem.with_suffix(".h5")
        shutil.copyfile(src, path)
        with h5py.File(path, "r+") as f:
            key = "model_config" if rng.random() < 0.8 or "training_config" not in f.attrs else "training_config"
            config, how = _edit_config(rng, json.loads(f.attrs[key]))
            try:
                f.attrs[key] = _dumps(config)
            except (OSError, RuntimeError):  # over HDF5's 64 KiB for an attribute: a grown config
                how += " (too large for the attribute: not written)"
    return Case(path, "json", f"{how} in {src.name}", src)


# -- HDF5 attribute edits ----------------------------------------------------------------------


def _damage_hdf5(rng: random.Random, seeds, stem: Path) -> Case:
    import h5py

    src = rng.choice(seeds["h5"])
    path = stem.with_suffix(".h5")
    shutil.copyfile(src, path)
    with h5py.File(path, "r+") as f:
        groups = [f] + [f[name] for name in _group_names(f)]
        group = rng.choice(groups)
        where = group.name  # read while the file is open
        attr = rng.choice(list(group.attrs) or ["model_config"])
        op = rng.choice(["delete", "int", "floats", "bytes", "names", "cycle", "soft", "external", "dataset"])
        try:
            _edit_hdf5(rng, f, group, attr, op)
        except OSError:  # h5py refuses some edits (an attribute over 64 KiB): delete instead
            op = "delete"
            if attr in group.attrs:
                del group.attrs[attr]
    return Case(path, "hdf5", f"{op} {attr!r} on {where} of {src.name}", src)


def _edit_hdf5(rng: random.Random, f, group, attr: str, op: str) -> None:
    import h5py
    import numpy as np

    if op == "delete" and attr in group.attrs:
        del group.attrs[attr]
    elif op == "int":
        group.attrs[attr] = rng.choice([0, -1, 2**62])
    elif op == "floats":
        group.attrs[attr] = np.array([np.nan, np.inf, 1.0])
    elif op == "bytes":
        group.attrs[attr] = np.void(rng.randbytes(rng.randint(1, 200)))
    elif op == "names":
        group.attrs[attr] = [n.encode() for n in rng.choice([["missing"], ["a"] * 5000, [""], ["../x"]])]
    elif op == "cycle" and group.name != "/":
        group[f"loop{rng.randrange(100)}"] = group.parent  # a hard link back up: a cycle
    elif op == "soft":
        group[f"soft{rng.randrange(100)}"] = h5py.SoftLink("/nowhere")
    elif op == "external":
        group[f"ext{rng.randrange(100)}"] = h5py.ExternalLink("/etc/passwd", "/x")
    elif op == "dataset":
        group.create_dataset(f"d{rng.randrange(100)}", shape=(rng.choice([0, 10**6, 2**31]),),
                             dtype="f4", chunks=True)


def _group_names(f) -> list[str]:
    import h5py

    names: list[str] = []
    f.visititems(lambda name, obj: names.append(name) if isinstance(obj, h5py.Group) else None)
    return names


# -- zip tricks --------------------------------------------------------------------------------


def _damage_zip(rng: random.Random, seeds, stem: Path) -> Case:
    src = rng.choice(seeds["keras"])
    with zipfile.ZipFile(src) as z:
        members = [(i.filename, z.read(i)) for i in z.infolist()]
    op = rng.choice(["duplicate", "deflate", "padded", "drop", "dir", "traversal", "sizes", "method",
                     "garbage", "nested"])
    path = stem.with_suffix(".keras")
    compression = zipfile.ZIP_DEFLATED if op in ("deflate", "padded") else zipfile.ZIP_STORED
    with zipfile.ZipFile(path, "w", compression=compression) as out:
        for name, data in members:
            if op == "drop" and name == rng.choice([m[0] for m in members]):
                continue
            if op == "garbage" and name.endswith(".h5"):
                data = rng.randbytes(len(data))
            if op == "nested" and name == "config.json":
                data = src.read_bytes()
            if op == "padded" and name.endswith(".h5"):
                data += bytes(rng.choice([1, 70]) * 2**20)  # inflates far past the bytes stored
            out.writestr(name, data)
        if op == "duplicate":
            name, data = rng.choice(members)
            out.writestr(name, data[: len(data) // 2] if name != "config.json" else b'{"class_name": 1}')
        elif op == "dir":
            out.writestr("layers/", b"")
        elif op == "traversal":
            out.writestr("../../outside.json", b"{}")
    data = bytearray(path.read_bytes())
    if op in ("sizes", "method"):
        central = data.rfind(b"PK\x01\x02")  # the last member's central directory entry
        if op == "sizes":
            data[central + 24:central + 28] = rng.choice([0, 1, 2**32 - 1]).to_bytes(4, "little")
        else:
            data[central + 10:central + 12] = rng.choice([1, 12, 14, 99]).to_bytes(2, "little")
        path.write_bytes(bytes(data))
    return Case(path, "zip", f"{op} in {src.name}", src)


# -- ONNX edits --------------------------------------------------------------------------------


def _damage_onnx(rng: random.Random, seeds, stem: Path) -> Case:
    import onnx
    from onnx import helper

    src = rng.choice(seeds["onnx"])
    model = onnx.load(str(src))
    g = model.graph
    op = rng.choice(["negative", "huge", "rank", "init_dims", "raw", "cycle", "dangling", "no_outputs",
                     "names", "domain", "attribute", "opset", "subgraphs", "value_info", "grow"])
    if op in ("negative", "huge", "value_info"):
        values = list(g.input) + list(g.output)
        if op == "value_info":
            values = [g.value_info.add()]
            values[0].name = rng.choice([n.output[0] for n in g.node])
            values[0].type.tensor_type.elem_type = 1
        for value in values:
            dims = value.type.tensor_type.shape.dim
            if not dims:
                dims.add()
            dims[rng.randrange(len(dims))].dim_value = rng.choice([-1, -7, 2**62]) if op != "huge" else 2**62
    elif op == "rank":
        for _ in range(rng.choice([50, 2000])):
            g.input[0].type.tensor_type.shape.dim.add().dim_value = 1
    elif op == "init_dims":
        init = rng.choice(g.initializer)
        init.dims[rng.randrange(len(init.dims))] = rng.choice([-3, 0, 2**40])
    elif op == "raw":
        init = rng.choice(g.initializer)
        init.raw_data = init.raw_data[: len(init.raw_data) // 3]
    elif op == "cycle":
        node = rng.choice(g.node)
        node.input[0] = node.output[0]
    elif op == "dangling":
        rng.choice(g.node).input.append("nobody_makes_this")
    elif op == "no_outputs":
        del g.output[:]
    elif op == "names":
        for node in g.node:
            node.name = rng.choice(["", "same", "x" * 5000])
    elif op == "domain":
        node = rng.choice(g.node)
        node.domain, node.op_type = rng.choice([("com.evil", "Exec"), ("", "NoSuchOp"), ("ai.onnx", "")])
    elif op == "attribute":
        node = rng.choice(g.node)
        node.attribute.append(helper.make_attribute(rng.choice(["axis", "pads", "transB", "perm"]),
                                                    rng.choice([-(2**40), "text", [1.5, 2.5], 2**40])))
    elif op == "opset":
        model.opset_import[0].version = rng.choice([0, 1, 10**6])
    elif op == "grow":  # tens of thousands of nodes: a chain on the output, or siblings of one input
        count, wide = rng.choice(GROW), rng.random() < 0.5
        last = g.output[0].name
        for i in range(count):
            g.node.append(helper.make_node("Relu", [g.input[0].name if wide else last], [f"g{i}"], name=f"g{i}"))
            last = last if wide else f"g{i}"
        op = f"grow x{count} {'wide' if wide else 'chain'}"
    else:  # If nodes nested in each other's branches
        leaf = helper.make_graph([], "leaf", [], [helper.make_tensor_value_info("y", 1, [1])])
        body = leaf
        for i in range(rng.choice([5, 20])):  # protobuf itself refuses much deeper
            node = helper.make_node("If", ["cond"], ["y"], name=f"if{i}", then_branch=body, else_branch=leaf)
            body = helper.make_graph([node], f"b{i}", [], [helper.make_tensor_value_info("y", 1, [1])])
        g.node.extend(body.node)
    path = stem.with_suffix(".onnx")
    path.write_bytes(model.SerializeToString())
    return Case(path, "onnx", f"{op} in {src.name}", src)


# -- SavedModel damage -------------------------------------------------------------------------


def _damage_savedmodel(rng: random.Random, seeds, stem: Path) -> Case:
    """Byte damage, or a protobuf field claiming gigabytes, in keras_metadata.pb or saved_model.pb
    (both read without TensorFlow by a small protobuf reader)."""
    src = rng.choice(seeds["savedmodel"])
    shutil.copytree(src, stem)
    target = stem / rng.choice(["keras_metadata.pb", "saved_model.pb"])
    data = target.read_bytes()
    if rng.random() < 0.3:
        at = rng.randrange(len(data))
        data, op = data[:at] + b"\x0a\xff\xff\xff\xff\x0f" + data[at:], "huge length"
    else:
        data, op = _damaged(rng, data)
    target.write_bytes(data)
    return Case(stem, "savedmodel", f"{op} {target.name} of {src.name}", src)


MUTATORS = {"bytes": _damage_bytes, "json": _damage_json, "hdf5": _damage_hdf5, "zip": _damage_zip,
            "onnx": _damage_onnx, "savedmodel": _damage_savedmodel}
