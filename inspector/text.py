"""Text written to files and handed to Graphviz."""

from __future__ import annotations


def utf8(text: str) -> bytes:
    """`text` as valid UTF-8. A name from a damaged file can hold a lone surrogate (HDF5 bytes
    read with surrogateescape, a `\\udcf8` JSON escape) that strict encoding refuses; it is written
    as its escape, so a page, a diagram or Graphviz gets valid text and the damage stays visible."""
    return text.encode("utf-8", "backslashreplace")
