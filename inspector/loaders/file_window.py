"""A read-only window onto part of an open file: a `.keras` zip member stored uncompressed, read
in place by the HDF5 readers and, from path and offsets, by the h5py child (hdf5_probe)."""

from __future__ import annotations

import io
from pathlib import Path


class FileWindow(io.RawIOBase):
    """A read-only file over bytes [start, start+size) of another open file (`path`), e.g. a
    zip member stored uncompressed: read in place, and by the h5py child from path and offsets."""

    def __init__(self, raw, start: int, size: int, path: str | Path):
        self.raw, self.start, self.size, self.pos, self.path = raw, start, size, 0, path

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.pos, io.SEEK_END: self.size}[whence]
        self.pos = max(0, base + offset)
        return self.pos

    def tell(self) -> int:
        return self.pos

    def readinto(self, buffer) -> int:
        n = max(0, min(len(buffer), self.size - self.pos))
        if n == 0:
            return 0
        self.raw.seek(self.start + self.pos)
        data = self.raw.read(n)
        buffer[: len(data)] = data
        self.pos += len(data)
        return len(data)
