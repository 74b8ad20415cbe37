"""Finding repeated blocks by layer name, so a 700-layer model collapses into readable cells.

Keras applications name the layers of a block with a numbered prefix (`conv2_block1_1_conv`,
`block2a_expand_conv`, `block_3_depthwise`) or a numbered suffix (NASNet: `normal_add_1_0`,
`separable_conv_1_reduction_left1_stem_1`). A candidate key is such a prefix or suffix; a naming
pattern (the key with digits replaced by `#`) counts only when its groups are contiguous runs of
the topological order AND at least two of them hold the same set of member names around the key,
i.e. the block really repeats. Patterns are then taken greedily by (repeats × block size), which
picks ResNet's `conv2_block1` over both `conv2` (stages differ in block count) and
`conv2_block1_1` (smaller).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence

_NUM = re.compile(r"\d+[a-z]?(?![a-z])")  # `block2b` is block # too
_HAS_DIGIT = re.compile(r"\d")
_GAP = 12  # members further apart than this in topological order start a new block


def _candidates(name: str) -> list[tuple[str, str, str, str]]:
    """(side, pattern, key, rest) for each numbered prefix and suffix of `name`."""
    tokens = name.split("_")
    out = []
    for k in range(1, len(tokens)):
        head, tail = "_".join(tokens[:k]), "_".join(tokens[k:])
        if _HAS_DIGIT.search(tokens[k - 1]):
            out.append(("prefix", _NUM.sub("#", head), head, tail))
        # a suffix key is a bare number (`_0`) or a word and a number (`_stem_1`, `_reduce_4`)
        if tokens[-1].isdigit() and (k == len(tokens) - 1 or (k == len(tokens) - 2 and tokens[k].isalpha())):
            out.append(("suffix", _NUM.sub("#", tail), tail, head))
    return out


def is_auto_name(name: str, class_name: str) -> bool:
    """True for names Keras made up (`activation_97` for an Activation): they carry no block."""
    base = re.sub(r"_\d+$", "", name)
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", class_name).lower()
    return base == snake


def detect_blocks(
    names: Sequence[str],
    auto: Sequence[bool] | None = None,
    successors: Sequence[Sequence[int]] | None = None,
) -> dict[int, str]:
    """Block label per position in `names` (topological order); unmatched positions are absent.

    `auto` marks names Keras generated; such a layer joins the block all its `successors`
    (positions) belong to, e.g. NASNet's `activation_97` in front of a cell's separable convs.
    """
    auto = auto or [False] * len(names)
    runs: dict[tuple[str, str], list[tuple[str, list[tuple[int, str]]]]] = defaultdict(list)
    members: dict[tuple[str, str, str], list[tuple[int, str]]] = defaultdict(list)
    for pos, name in enumerate(names):
        if auto[pos]:
            continue
        for side, pattern, key, rest in _candidates(name):
            members[(side, pattern, key)].append((pos, rest))
    for (side, pattern, key), found in members.items():
        run: list[tuple[int, str]] = []
        for pos, rest in found:
            if run and pos - run[-1][0] > _GAP:
                runs[(side, pattern)].append((key, run))
                run = []
            run.append((pos, rest))
        runs[(side, pattern)].append((key, run))

    scored = []
    for (side, pattern), found in runs.items():
        found = [(key, run) for key, run in found if len(run) >= 2]
        signatures = Counter(frozenset(rest for _, rest in run) for _, run in found)
        if not signatures:
            continue
        signature, repeats = signatures.most_common(1)[0]
        if side == "suffix" and pattern != "#" and len(found) >= 2:
            # a named cell family (`_stem_1`, `_stem_2`) is a block by its name, even when
            # its cells differ inside (NASNet's first stem cell has no adjust branch)
            repeats, signature = len(found), frozenset(rest for _, run in found for _, rest in run)
        elif repeats < 2 or (side == "prefix" and len({key for key, _ in found}) < 3):
            continue  # a prefix numbered 1 and 2 only (`separable_conv_1/2`) is a layer role, not a block
        scored.append((-(repeats * len(signature)), side, pattern, found))
    # `stem_#` before `#`: a named cell family is more specific than the bare numbering
    scored.sort(key=lambda s: (s[2] == "#", s[0], s[1], s[2]))

    block: dict[int, str] = {}
    for _, side, _pattern, found in scored:
        for key, run in found:
            free = [pos for pos, _ in run if pos not in block]
            if len(free) < 2:
                continue
            label = key if side == "prefix" else _suffix_label(key, [names[p] for p in free])
            for pos in free:
                block[pos] = label
    if successors is not None:
        for pos in range(len(names) - 1, -1, -1):
            if pos in block or not (auto[pos] or names[pos].startswith("adjust_")):
                continue
            owners = {block.get(s) for s in successors[pos]}
            if len(owners) == 1 and None not in owners:
                block[pos] = owners.pop()  # type: ignore[assignment]
    return block


def _suffix_label(key: str, names: Sequence[str]) -> str:
    """`normal_*_0`: the word most members share, then the numbered suffix."""
    counts: Counter[str] = Counter()
    for name in names:
        counts.update({t for t in name[: -len(key)].split("_") if t.isalpha() and len(t) > 2})
    word = min(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0] if counts else ""
    return f"{word}_*_{key}" if word else f"*_{key}"
