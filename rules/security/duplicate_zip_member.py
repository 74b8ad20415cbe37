"""S107 duplicate-zip-member: two members of one name, with different content, in a .keras archive."""

from __future__ import annotations

from collections.abc import Iterator

from inspector.engine import RuleOptions, Violation, rule
from inspector.graph import ModelGraph, Payload
from inspector.rules import _examples as ex

_MLP = ex.dense_chain("mlp", [16])


@rule(
    "S107", "duplicate-zip-member", "error", security_severity=7.5,
    invalid=[ex.carrying(_MLP, Payload("duplicate-member", "zip member config.json",
                                       "2 members named config.json with different content"))],
    valid=[_MLP],
)
def duplicate_zip_member(graph: ModelGraph, opts: RuleOptions) -> Iterator[Violation]:
    """
    ## What it does
    Reports a `.keras` archive holding several members under one name (two `config.json`, two
    `model.weights.npz`) whose contents differ.

    ## Why it matters
    Readers disagree about which copy wins: Python's `zipfile`, so Keras, reads the last one;
    `unzip`, file browsers and some scanners see the first. A scanner that approves the harmless
    copy has not checked the one Keras loads. No Keras version writes such an archive.

    ## Example
    ```python
    zf.writestr("config.json", harmless)
    zf.writestr("config.json", malicious)   # zipfile warns "Duplicate name" and writes it anyway
    ```

    ## How to fix
    Do not load the file. Ask for a file saved by Keras itself; keras-inspector reads the member
    Keras would read and checks every copy for payloads.
    """
    for p in graph.source.payloads:
        if p.kind == "duplicate-member":
            yield Violation(f"{p.place}: {p.detail}")
