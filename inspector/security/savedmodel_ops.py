"""TensorFlow ops in `saved_model.pb` that reach outside the tensors, read without TensorFlow.

A SavedModel's graph runs when the model is called (serving, `tf.saved_model.load(...)(x)`,
tf_keras loading it): an op that reads or writes files or calls back into Python does that on the
caller's machine. The protobuf is walked field by field (SavedModel.meta_graphs ->
MetaGraphDef.graph_def -> GraphDef.node and library.function[].node_def -> NodeDef.op), as
modelscan does with TensorFlow's own parser. Checkpoint ops every SavedModel holds
(SaveV2, RestoreV2, MergeV2Checkpoints) are part of saving itself and are not reported.
"""

from __future__ import annotations

from collections import defaultdict

from inspector.graph import Payload
from inspector.loaders import protobuf

UNSAFE_OPS = {
    "ReadFile": "reads any file", "WriteFile": "writes any file",
    "MatchingFiles": "lists the file system", "ImmutableConst": "maps a file into memory",
    "PyFunc": "calls Python", "PyFuncStateless": "calls Python", "EagerPyFunc": "calls Python",
    "WholeFileReader": "reads files", "WholeFileReaderV2": "reads files",
    "TextLineReader": "reads files", "TextLineReaderV2": "reads files",
    "FixedLengthRecordReader": "reads files", "FixedLengthRecordReaderV2": "reads files",
    "TFRecordReader": "reads files", "TFRecordReaderV2": "reads files",
    "CreateSummaryFileWriter": "writes files", "WriteRawProtoSummary": "writes files",
    "LoadAndRemapMatrix": "reads checkpoint files it is told",
}


def savedmodel_payloads(data: bytes) -> tuple[Payload, ...]:
    """One payload per unsafe op type in the serialized SavedModel, naming where it occurs.
    Raises ValueError or IndexError on a corrupt protobuf."""
    places: dict[str, list[str]] = defaultdict(list)
    for meta_field, meta in protobuf.fields(data):
        if meta_field != 2 or not isinstance(meta, bytes):
            continue
        for graph_field, graph in protobuf.fields(meta):
            if graph_field != 2 or not isinstance(graph, bytes):
                continue
            for field, value in protobuf.fields(graph):
                if field == 1 and isinstance(value, bytes):
                    _note(places, value, "graph")
                elif field == 2 and isinstance(value, bytes):
                    for lib_field, function in protobuf.fields(value):
                        if lib_field == 1 and isinstance(function, bytes):
                            _function(places, function)
    return tuple(
        Payload("tf-op", "saved_model.pb " + ", ".join(where[:3]) + (f" and {len(where) - 3} more" if len(where) > 3 else ""),
                f"TensorFlow op {op} ({UNSAFE_OPS[op]}) in the graph: it runs whenever the model is called")
        for op, where in sorted(places.items()))


def _function(places: dict[str, list[str]], function: bytes) -> None:
    name = "?"
    nodes = []
    for field, value in protobuf.fields(function):
        if field == 1 and isinstance(value, bytes):  # OpDef signature: its name is field 1
            name = next((v.decode("utf-8", "replace") for f, v in protobuf.fields(value) if f == 1 and isinstance(v, bytes)), name)
        elif field == 3 and isinstance(value, bytes):
            nodes.append(value)
    for node in nodes:
        _note(places, node, f"function {name}")


def _note(places: dict[str, list[str]], node: bytes, where: str) -> None:
    fields = {f: v for f, v in protobuf.fields(node) if f in (1, 2) and isinstance(v, bytes)}
    op = fields.get(2, b"").decode("utf-8", "replace")
    if op in UNSAFE_OPS:
        places[op].append(f"{where} node {fields.get(1, b'').decode('utf-8', 'replace')!r}")
