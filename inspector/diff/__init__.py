"""`inspect diff OLD NEW`: what changed between two models, layer by layer.

`match` pairs the layers, `compare` lists the changes, `report` prints them (text, Markdown,
JSON), `picture` draws the new model with the changes marked, `textconv` is the one-model text
form git diffs, and `git` reads a model as it was at a revision.
"""

from __future__ import annotations

from typing import Any

from inspector.diff.compare import Change, LayerDiff, ModelDiff, diff_graphs

__all__ = ["Change", "LayerDiff", "ModelDiff", "diff", "diff_at", "diff_graphs"]


def diff(old: Any, new: Any, lint: bool = True, rules: Any = None, options: Any = None) -> ModelDiff:
    """Load two targets (files, builder references, live models, graphs) and compare them;
    with `lint`, also say which findings `rules` (default: all, with `options` by rule name)
    the change introduces and which it fixes."""
    from inspector import load

    a, b = load(old), load(new)
    findings = None
    if lint:
        from inspector.engine import all_rules, lint_graph

        chosen = all_rules() if rules is None else rules
        findings = (lint_graph(a, chosen, options), lint_graph(b, chosen, options))
    return diff_graphs(a, b, findings)


def diff_at(ref: str, paths: Any, **options: Any) -> tuple[list[ModelDiff], list[str]]:
    """Each of `paths` against its committed version at git revision `ref` (what a CI job
    reviewing a pull request runs); returns the comparisons and the paths `ref` does not have.
    `options` are `diff`'s."""
    from inspector.diff.git import load_at

    results, added = [], []
    for path in paths:
        before = load_at(ref, path)
        if before is None:
            added.append(path)
        else:
            results.append(diff(before, path, **options))
    return results, added
