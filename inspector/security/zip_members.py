"""Zip archives that say two things: several members under one name with different content.

Python's zipfile (so Keras) reads the last member of a name, `unzip` and other tools the first or
ask; a scanner that checks one of them passes a file whose other copy is the one loaded.
"""

from __future__ import annotations

import zipfile
from collections import defaultdict

from inspector.graph import Payload


def duplicate_members(infos: list[zipfile.ZipInfo]) -> list[Payload]:
    """One payload per name held by members whose content differs (by CRC-32 and size)."""
    by_name: dict[str, list[zipfile.ZipInfo]] = defaultdict(list)
    for info in infos:
        by_name[info.filename].append(info)
    found = []
    for name, same in by_name.items():
        if len(same) > 1 and len({(i.CRC, i.file_size) for i in same}) > 1:
            found.append(Payload("duplicate-member", f"zip member {name}",
                                 f"{len(same)} members named {name} with different content: Keras (Python's "
                                 "zipfile) reads the last, other unzip tools and scanners may read the first"))
    return found
