"""Which layer of the new model is which layer of the old one.

Deterministic, in four steps, each linear in the number of calls:

1. **Name**: layers of the same name are the same layer, except names Keras made up
   (`dense_3`, `activation_97`, `input_1`): Keras renumbers those, so in two builds
   `activation_7` may be two different layers. They are matched by place (steps 2 to 4), their
   name only breaking ties, and by name last (step 5).
2. **Ends**: model inputs, then model outputs of the same class, still unmatched are paired by
   position.
3. **Neighbours**: sweeping the new graph in topological order, an unmatched layer is paired with
   the unmatched old layer of the same class whose first call reads from the same (already
   matched) layers; then the same sweep backwards over the layers each first call feeds. Rounds
   repeat while they find pairs, first accepting only candidates with the same configuration,
   then any; so a renamed chain (`dense_3` → `dense_7`) is matched from both of its ends, and a
   layer inserted in front of a chain is found as added rather than shifting every pair by one.
   Among several candidates the one whose other-way neighbours agree wins, then the one of the
   same name, then the first in file order.
4. **Leftovers**: layers still unmatched with the same class and the same configuration are
   paired in topological order (a renamed layer whose neighbours also changed); then step 3
   runs once more from the pairs they anchored.
5. **Names again**: a Keras-made name still unmatched on both sides, with the same class.

What stays unmatched is added (new side) or removed (old side).
"""

from __future__ import annotations

import re
from collections import defaultdict, deque
from dataclasses import dataclass

from inspector.diff.canonical import canonical_config, fingerprint
from inspector.graph import ModelGraph

MAX_ROUNDS = 4


@dataclass(frozen=True)
class Matching:
    """New layer name -> old layer name, how each pair was found, and what is left over."""

    pairs: dict[str, str]
    how: dict[str, str]  # new name -> "name", "input", "output", "neighbours" or "config"
    added: tuple[str, ...]  # new layers with no old counterpart, in file order
    removed: tuple[str, ...]  # old layers with no new counterpart, in file order

    def old_to_new(self) -> dict[str, str]:
        return {old: new for new, old in self.pairs.items()}


class _Side:
    """One graph's per-layer facts the matcher keys on, computed once."""

    def __init__(self, graph: ModelGraph):
        self.graph = graph
        self.order = layers_in_graph_order(graph)
        self.rank = {name: i for i, name in enumerate(self.order)}
        self.cls = {layer.name: layer.class_name for layer in graph.layers}
        self.config = {layer.name: fingerprint(canonical_config(layer.config)) for layer in graph.layers}
        self.up: dict[str, tuple[str, ...]] = {}
        self.down: dict[str, tuple[str, ...]] = {}
        for layer in graph.layers:
            if layer.calls:
                first = layer.calls[0]
                self.up[layer.name] = tuple(graph.call(c).layer for c in graph.predecessors(first))
                self.down[layer.name] = tuple(graph.call(c).layer for c in graph.successors(first))


def keras_made(name: str, class_name: str) -> bool:
    """A name Keras generated: the class in snake case (as keras.src.utils.naming spells it,
    `Conv2D` → `conv2d`), or Keras 2's `input` for an InputLayer, with an optional `_N`."""
    snake = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", re.sub(r"\W+", "", class_name))
    snake = re.sub(r"([a-z])([A-Z])", r"\1_\2", snake).lower()
    base = re.sub(r"_\d+$", "", name)
    return base == snake or (class_name == "InputLayer" and base == "input")


def layers_in_graph_order(graph: ModelGraph) -> list[str]:
    """Layer names in the order of their first call, then the layers never called."""
    seen = dict.fromkeys(c.layer for c in graph.calls)
    seen.update(dict.fromkeys(layer.name for layer in graph.layers))
    return list(seen)


def match_layers(old: ModelGraph, new: ModelGraph) -> Matching:
    m = _Matcher(_Side(old), _Side(new))
    b = m.b
    for name in b.order:
        if name in m.a.cls and not keras_made(name, b.cls[name]):
            m.pair(name, name, "name")
    for method, old_ends, new_ends in (("input", old.input_names, new.input_names),
                                       ("output", old.output_names, new.output_names)):
        for old_end, new_end in zip(old_ends, new_ends):
            if new_end not in m.pairs and old_end not in m.taken and m.a.cls[old_end] == b.cls[new_end]:
                m.pair(new_end, old_end, method)
    m.neighbours(strict=True)
    m.neighbours(strict=False)
    m.leftovers()
    m.neighbours(strict=False)  # what the leftovers anchored (a changed layer next to them)
    for name in b.order:  # step 5: a Keras-made name left over on both sides, same class
        if name not in m.pairs and name in m.a.cls and name not in m.taken and m.a.cls[name] == b.cls[name]:
            m.pair(name, name, "name")
    added = tuple(layer.name for layer in new.layers if layer.name not in m.pairs)
    removed = tuple(layer.name for layer in old.layers if layer.name not in m.taken)
    return Matching(m.pairs, m.how, added, removed)


class _Matcher:
    """The pairs found so far, and the steps that add to them."""

    def __init__(self, a: _Side, b: _Side):
        self.a, self.b = a, b
        self.pairs: dict[str, str] = {}
        self.how: dict[str, str] = {}
        self.taken: set[str] = set()
        self.directions = []  # (old layers by (class, neighbours), new layers' links, the other way's links)
        for old_links, new_links, other in ((a.up, b.up, (a.down, b.down)), (a.down, b.down, (a.up, b.up))):
            index: dict[tuple, list[str]] = defaultdict(list)
            for name in a.order:
                if old_links.get(name):
                    index[(a.cls[name], old_links[name])].append(name)
            self.directions.append((index, new_links, other))

    def pair(self, new_name: str, old_name: str, method: str) -> None:
        self.pairs[new_name], self.how[new_name] = old_name, method
        self.taken.add(old_name)

    def same(self, new_name: str, old_name: str) -> bool:
        a, b = self.a, self.b
        return (a.cls[old_name], a.config[old_name]) == (b.cls[new_name], b.config[new_name])

    def neighbours(self, strict: bool) -> None:
        """Step 3: forward then backward sweeps, in rounds while they find pairs."""
        b = self.b
        for _ in range(MAX_ROUNDS):
            found = len(self.pairs)
            for (index, links, other), sweep in zip(self.directions, (b.order, b.order[::-1])):
                for name in sweep:
                    neighbours = links.get(name)
                    if name in self.pairs or not neighbours or any(n not in self.pairs for n in neighbours):
                        continue
                    key = (b.cls[name], tuple(self.pairs[n] for n in neighbours))
                    free = [o for o in index.get(key, ()) if o not in self.taken]
                    if strict:
                        free = [o for o in free if self.same(name, o)]
                    if free:
                        self.pair(name, min(free, key=lambda o: self._rank(name, o, other)), "neighbours")
            if len(self.pairs) == found:
                break

    def _rank(self, name: str, candidate: str, other: tuple[dict, dict]) -> tuple:
        """Among old layers in the same place one way, prefer (in this order) the same
        configuration, agreement on the other way's already matched neighbours (NASNet applies
        several identical ReLUs to one tensor; what each feeds tells them apart), the same name,
        then file order."""
        old_links, new_links = other
        theirs, mine = old_links.get(candidate, ()), new_links.get(name, ())
        agree = len(theirs) == len(mine) and all(
            self.pairs.get(n, theirs[i]) == theirs[i] for i, n in enumerate(mine))
        return (not self.same(name, candidate), not agree, candidate != name, self.a.rank[candidate])

    def leftovers(self) -> None:
        """Step 4: same class and configuration, in graph order."""
        queues: dict[tuple[str, str], deque[str]] = defaultdict(deque)
        for name in self.a.order:
            if name not in self.taken:
                queues[(self.a.cls[name], self.a.config[name])].append(name)
        for name in self.b.order:
            if name not in self.pairs:
                queue = queues.get((self.b.cls[name], self.b.config[name]))
                if queue:
                    self.pair(name, queue.popleft(), "config")
