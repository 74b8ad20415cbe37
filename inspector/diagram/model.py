"""The drawing model: what a diagram shows, decided once, so DOT and Mermaid cannot disagree.

One node per layer *call* (a shared layer's calls are separate nodes tied together by a
"same weights" link), nested models expanded into clusters or drawn as one node, repeated blocks
collapsed into one node each, an optional layer range, and lint findings attached to the nodes
that hold the offending layers. Renderers only turn this into text.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from inspector.diagram.blocks import detect_blocks, is_auto_name
from inspector.diagram.theme import family_of
from inspector.errors import InspectorError, UsageError
from inspector.graph import ModelGraph, Shape
from inspector.summary import format_shape

MAX_NODES = 2000
"""Nodes one picture draws at most. Past a few thousand boxes a drawing is unreadable and
Graphviz's layout takes minutes to hours, so a larger one is refused in one line naming the ways
to draw it (Netron asks before drawing a graph of over 1,400 nodes; keras' plot_model has
`layer_range`). Every keras.applications model (NASNetLarge: 1,041 layers) is under it."""


class DiagramTooLarge(InspectorError):
    """More nodes than RenderOptions.max_nodes: a part, a collapsed drawing or a higher limit."""


@dataclass(frozen=True)
class RenderOptions:
    show_shapes: bool = True
    show_params: bool = True
    rankdir: str = "TB"
    depth: int = 0  # nested-model levels to expand; -1 expands all
    collapse: tuple[str, ...] = ()  # layer-name prefixes, or "auto" for detected blocks
    start: str | None = None  # --from
    stop: str | None = None  # --to
    findings: tuple[Any, ...] = ()  # engine Findings (code, name, severity, layers)
    theme: str = "auto"
    max_nodes: int | None = MAX_NODES  # None: no limit


@dataclass(frozen=True)
class Node:
    id: str  # unique and stable: the call path (`encoder/dense[0]`) or `block:NAME`
    name: str
    class_name: str
    kind: str  # "input", "layer", "model" (a nested model drawn as one node) or "block"
    family: str
    params: int | None
    cluster: str | None = None  # id of the innermost enclosing cluster
    is_output: bool = False
    shared_key: str | None = None  # the layer path, when this is one of several calls
    call_number: int = 0  # 1-based among the shared layer's drawn calls
    call_count: int = 1
    layer_count: int = 1  # layers inside a block or a collapsed nested model
    layers: tuple[str, ...] = ()  # layer paths this node draws (`outer/inner` when nested)
    findings: tuple[tuple[str, str], ...] = ()  # (code, severity), worst first
    change: str | None = None  # in a diff picture: "added", "changed" or "removed"
    change_note: str = ""  # what changed, e.g. "units, activation"


@dataclass(frozen=True)
class Edge:
    src: str
    dst: str
    label: str = ""


@dataclass(frozen=True)
class Cluster:
    id: str
    label: str
    parent: str | None


@dataclass(frozen=True)
class LegendEntry:
    code: str
    name: str
    severity: str
    layers: tuple[str, ...]


@dataclass(frozen=True)
class Diagram:
    name: str
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    clusters: tuple[Cluster, ...]
    shared: tuple[tuple[str, tuple[str, ...]], ...]  # layer path -> its node ids, in call order
    legend: tuple[LegendEntry, ...]
    options: RenderOptions = field(default_factory=RenderOptions)

    def node(self, node_id: str) -> Node:
        return next(n for n in self.nodes if n.id == node_id)

    def nesting(self) -> Iterator[tuple[str, int, Node | Cluster]]:
        """The cluster tree in drawing order, as ("node" | "open" | "close", depth, item) events:
        each renderer turns the same walk into its own syntax, so DOT and Mermaid nest alike."""
        children: dict[str | None, list[Cluster]] = defaultdict(list)
        for c in self.clusters:
            children[c.parent].append(c)
        members: dict[str | None, list[Node]] = defaultdict(list)
        for n in self.nodes:
            members[n.cluster].append(n)

        def walk(cluster: str | None, depth: int) -> Iterator[tuple[str, int, Node | Cluster]]:
            for n in members[cluster]:
                yield "node", depth, n
            for child in children[cluster]:
                yield "open", depth, child
                yield from walk(child.id, depth + 1)
                yield "close", depth, child

        return walk(None, 0)


_SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}


# -- flattening: calls (and expanded nested calls) into nodes and edges ------------------------
@dataclass
class _Flat:
    nodes: list[Node] = field(default_factory=list)
    edges: list[tuple[str, str, Shape | None]] = field(default_factory=list)
    clusters: list[Cluster] = field(default_factory=list)


def _flatten(
    graph: ModelGraph,
    ids: tuple[str, ...],
    names: tuple[str, ...],
    cluster: str | None,
    depth: int,
    bound: dict[str, tuple[str, Shape | None]],
    out: _Flat,
) -> dict[str, tuple[str, Shape | None]]:
    where = dict(bound)  # tensor id -> (node id drawing its producer, shape)
    for call in graph.calls:
        layer = graph.layer(call.layer)
        if layer.is_input and bound and all(t in bound for t in call.outputs):
            continue  # an inner model's input: the outer tensor flows straight in
        sub = layer.subgraph
        step = layer.name if len(layer.calls) <= 1 else call.id
        if (
            sub is not None
            and depth != 0
            and len(sub.inputs) == len(call.inputs)
            and len(sub.outputs) == len(call.outputs)
        ):
            cid = "/".join(ids + (step,))
            badge = f" · call {layer.calls.index(call.id) + 1} of {len(layer.calls)}" if layer.is_shared else ""
            out.clusters.append(Cluster(cid, f"{layer.name} ({layer.class_name}){badge}", cluster))
            inner_bound = {t_in: where[t] for t_in, t in zip(sub.inputs, call.inputs)}
            inner = _flatten(sub, ids + (step,), names + (layer.name,), cid, depth - 1, inner_bound, out)
            for t_out, t_in in zip(call.outputs, sub.outputs):
                where[t_out] = (inner[t_in][0], graph.tensors[t_out].shape)
            continue
        node_id = "/".join(ids + (call.id,))
        path = "/".join(names + (layer.name,))
        nested = sub is not None
        out.nodes.append(
            Node(
                id=node_id,
                name=layer.name,
                class_name=layer.class_name,
                kind="input" if layer.is_input else "model" if nested else "layer",
                family=family_of(layer.class_name, nested),
                params=layer.params,
                cluster=cluster,
                shared_key=path if layer.is_shared else None,
                layer_count=sum(1 for _ in sub.walk()) if nested else 1,
                layers=(path,),
            )
        )
        for t in dict.fromkeys(call.inputs):
            src, shape = where[t]
            out.edges.append((src, node_id, shape))
        for t in call.outputs:
            where[t] = (node_id, graph.tensors[t].shape)
    return where


def build_diagram(graph: ModelGraph, options: RenderOptions | None = None) -> Diagram:
    """The drawing of `graph` under `options`; raises UsageError for an unknown --from/--to layer."""
    options = options or RenderOptions()
    flat = _Flat()
    where = _flatten(graph, (), (), None, options.depth, {}, flat)
    output_nodes = {where[t][0] for t in graph.outputs}
    nodes = [replace(n, is_output=n.id in output_nodes) for n in flat.nodes]
    edges = [(s, d, shape) for s, d, shape in flat.edges]

    keep = _select_range(graph.source.path, nodes, edges, options.start, options.stop)
    if keep is not None:
        nodes = [n for n in nodes if n.id in keep]
        edges = [e for e in edges if e[0] in keep and e[1] in keep]

    nodes = _mark_shared(nodes)
    nodes = _attach_findings(nodes, options.findings)
    if options.collapse:
        nodes, edges = _collapse(nodes, edges, options.collapse)
    check_size(graph.source.path, len(nodes), options.max_nodes)

    used = {n.cluster for n in nodes}
    clusters = [c for c in flat.clusters if c.id in used or any(_inside(u, c.id) for u in used if u)]
    seen: set[tuple[str, str]] = set()
    final_edges = []
    for src, dst, shape in edges:
        if (src, dst) in seen or src == dst:
            continue
        seen.add((src, dst))
        label = format_shape(shape) if options.show_shapes and shape is not None else ""
        final_edges.append(Edge(src, dst, label))
    shared: dict[str, list[str]] = defaultdict(list)
    for n in nodes:
        if n.shared_key is not None and n.kind != "block":
            shared[n.shared_key].append(n.id)
    legend = tuple(
        LegendEntry(f.code, f.name, f.severity, tuple(f.layers))
        for f in sorted(options.findings, key=lambda f: (_SEVERITY_RANK.get(f.severity, 3), f.code))
    )
    return Diagram(
        name=graph.name,
        nodes=tuple(nodes),
        edges=tuple(final_edges),
        clusters=tuple(clusters),
        shared=tuple((k, tuple(v)) for k, v in shared.items() if len(v) > 1),
        legend=legend,
        options=options,
    )


def check_size(where: str, nodes: int, limit: int | None, what: str = "the diagram") -> None:
    """Refuse a drawing of more than `limit` nodes, naming the ways to draw the model."""
    if limit is not None and nodes > limit:
        raise DiagramTooLarge(where, f"{what} has {nodes:,} nodes, over the {limit:,} drawn at most: draw part "
                                     "of it (render --from/--to LAYER), collapse repeated blocks (--collapse auto) "
                                     "or raise the limit (--max-nodes N)")


def _inside(cluster: str, ancestor: str) -> bool:
    return cluster.startswith(ancestor + "/")


def _match(node: Node, name: str) -> bool:
    return name in (node.name, node.id, *node.layers)


def _select_range(where: str, nodes: list[Node], edges, start: str | None, stop: str | None) -> set[str] | None:
    if start is None and stop is None:
        return None
    succ: dict[str, list[str]] = defaultdict(list)
    pred: dict[str, list[str]] = defaultdict(list)
    for s, d, _ in edges:
        succ[s].append(d)
        pred[d].append(s)

    def reach(seeds: list[str], step) -> set[str]:
        seen = set(seeds)
        stack = list(seeds)
        while stack:
            for nxt in step[stack.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return seen

    keep = {n.id for n in nodes}
    for option, name, step in (("--from", start, succ), ("--to", stop, pred)):
        if name is None:
            continue
        seeds = [n.id for n in nodes if _match(n, name)]
        if not seeds:
            raise UsageError(where, f"{option} {name}: the model has no layer of that name")
        keep &= reach(seeds, step)
    if not keep:
        raise UsageError(where, f"no path from {start} to {stop}: --to must come after --from")
    return keep


def _mark_shared(nodes: list[Node]) -> list[Node]:
    counts: dict[str, int] = defaultdict(int)
    for n in nodes:
        if n.shared_key is not None:
            counts[n.shared_key] += 1
    numbered: dict[str, int] = defaultdict(int)
    out = []
    for n in nodes:
        if n.shared_key is None or counts[n.shared_key] < 2:
            out.append(replace(n, shared_key=None) if n.shared_key is not None else n)
            continue
        numbered[n.shared_key] += 1
        out.append(replace(n, call_number=numbered[n.shared_key], call_count=counts[n.shared_key]))
    return out


def _attach_findings(nodes: list[Node], findings: Sequence[Any]) -> list[Node]:
    if not findings:
        return nodes
    by_layer: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for f in findings:
        for layer in f.layers:
            by_layer[layer].add((f.code, f.severity))
    # a finding on a nested model's inner layer marks the collapsed model node too: by the
    # layer's ancestors, so a finding over thousands of layers costs no search per node
    inside: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for path, hits in by_layer.items():
        parts = path.split("/")
        for depth in range(1, len(parts)):
            inside["/".join(parts[:depth])] |= hits
    out = []
    for n in nodes:
        hits = set().union(*(by_layer.get(p, set()) | inside.get(p, set()) for p in n.layers))
        out.append(replace(n, findings=_sort_findings(hits)) if hits else n)
    return out


def _sort_findings(hits) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(hits, key=lambda h: (_SEVERITY_RANK.get(h[1], 3), h[0])))


def _collapse(nodes: list[Node], edges, collapse: Sequence[str]):
    """Replace each block's member nodes by one node; edges are re-pointed and de-duplicated."""
    block_of: dict[str, str] = {}  # node id -> block label
    prefixes = [p for p in collapse if p != "auto"]
    for n in nodes:
        if n.kind == "input":
            continue
        for p in prefixes:
            if n.name == p or (n.name.startswith(p) and not n.name[len(p)].isalnum()) or n.id.startswith(p + "/"):
                block_of[n.id] = p
                break
    if "auto" in collapse:
        by_cluster: dict[str | None, list[Node]] = defaultdict(list)
        for n in nodes:
            by_cluster[n.cluster].append(n)
        succ: dict[str, list[str]] = defaultdict(list)
        for s, d, _ in edges:
            succ[s].append(d)
        for cluster, members in by_cluster.items():
            local = {n.id: i for i, n in enumerate(members)}
            names = [n.name for n in members]
            auto = [n.kind != "input" and is_auto_name(n.name, n.class_name) for n in members]
            successors = [[local[d] for d in succ[n.id] if d in local] for n in members]
            for i, label in detect_blocks(names, auto, successors).items():
                nid = members[i].id
                if nid not in block_of and members[i].kind != "input":
                    block_of[nid] = label if cluster is None else f"{cluster}/{label}"
    if not block_of:
        return nodes, edges
    blocks: dict[str, list[Node]] = defaultdict(list)
    for n in nodes:
        if n.id in block_of:
            blocks[block_of[n.id]].append(n)
    out: list[Node] = []
    emitted: set[str] = set()
    for n in nodes:
        label = block_of.get(n.id)
        if label is None:
            out.append(n)
            continue
        if label in emitted:
            continue
        emitted.add(label)
        members = blocks[label]
        seen_layers: dict[str, int | None] = {}
        for m in members:
            for path in m.layers:
                seen_layers.setdefault(path, m.params)  # a shared layer's weights count once
        params = None if any(v is None for v in seen_layers.values()) else sum(seen_layers.values())  # type: ignore[arg-type]
        clusters = {m.cluster for m in members}
        out.append(
            Node(
                id=f"block:{label}",
                name=label,
                class_name="block",
                kind="block",
                family="block",
                params=params,
                cluster=clusters.pop() if len(clusters) == 1 else None,
                is_output=any(m.is_output for m in members),
                layer_count=sum(m.layer_count for m in members),
                layers=tuple(seen_layers),
                findings=_sort_findings({h for m in members for h in m.findings}),
            )
        )
    rename = {nid: f"block:{label}" for nid, label in block_of.items()}
    new_edges = [(rename.get(s, s), rename.get(d, d), shape) for s, d, shape in edges]
    return out, new_edges
