"""A small read-only reader of HDF5 *metadata*, in pure Python (struct and bytes only).

Why: inspecting a model reads only the group tree, dataset shapes and dtypes and a few string
attributes, never an array, yet `import h5py` (and numpy with it) was half the run time of
`inspect summary`. This module reads just those facts, seeking to the few bytes each needs.

It covers what h5py writes for Keras files of every era: superblocks 0 to 3 (after a userblock
too), object headers v1 and v2 with continuations, old-style groups (symbol table, v1 B-tree,
local heap) and new-style ones (link messages, or link info -> fractal heap + v2 B-tree), dense
attribute storage, the global heap for variable-length strings, and the datatypes Keras stores.
Anything else raises `Unsupported`; the caller then falls back to h5py (in a child process: the
HDF5 C library can crash on a damaged file). What no valid HDF5 file can look like (no signature,
a file shorter than its superblock says, a loop in a structure, a missing signature where the
format requires one, an address past the end, a string missing from its heap, a reserved
datatype code) raises `Corrupt`, which the caller reports without asking h5py. Every loop and every read is bounded, so a truncated or hostile file can
neither hang nor exhaust memory here. Checksums are not verified.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any, BinaryIO

SIGNATURE = b"\x89HDF\r\n\x1a\n"
MAX_DEPTH = 64  # group nesting, B-tree depth, fractal heap indirection
MAX_OBJECTS = 1_000_000  # links visited in one file
MAX_MESSAGES = 100_000  # messages in one object header, continuations included
MAX_READ = 1 << 30  # no single metadata structure of a model file comes near 1 GiB
PAGE = 4096

# Object header message types.
DATASPACE, LINK_INFO, DATATYPE, LINK, EXTERNAL_FILES, LAYOUT = 0x01, 0x02, 0x03, 0x06, 0x07, 0x08
ATTRIBUTE, CONTINUATION, SYMBOL_TABLE, ATTRIBUTE_INFO = 0x0C, 0x10, 0x11, 0x15
SHARED = 0x02  # message flag: the message lives elsewhere (committed or in a shared table)

HARD, SOFT, EXTERNAL = 0, 1, 64


class Unsupported(Exception):
    """Something this reader does not handle, or an inconsistency it cannot judge: use h5py instead."""


class Corrupt(Unsupported):
    """A file no valid HDF5 file can look like: report it, h5py would only fail (or crash) on it."""


def is_wanted(name: str, wanted: frozenset[str]) -> bool:
    """A wanted attribute, or one of the numbered chunks Keras 2 splits a long list attribute into
    (`weight_names0`, `weight_names1`, ... when one would pass the 64 KiB object header limit)."""
    if name in wanted:
        return True
    stem = name.rstrip("0123456789")
    return stem != name and stem in wanted


@dataclass(frozen=True)
class Link:
    """One link of the file as h5py's link visit reports it, with what the loaders need of its target."""

    name: str  # full path without the leading slash
    kind: int  # HARD, SOFT, EXTERNAL or another (user-defined) link class
    external: tuple[str, str] | None = None  # (file, object path) of an external link
    dataset: Dataset | None = None  # a hard link to a dataset
    group: bool = False  # a hard link to a group (or to a committed datatype, as h5py counts it)


@dataclass(frozen=True)
class Dataset:
    shape: tuple[int, ...]
    dtype: str  # as str(numpy.dtype) would spell it
    foreign: bool  # data in external files or a virtual layout: h5py would open other files


@dataclass(frozen=True)
class Metadata:
    """What was read: every link in visit order, and the wanted attributes of every group."""

    links: tuple[Link, ...]
    attrs: dict[str, dict[str, Any]]  # group path ("" = root) -> attribute name -> decoded value
    attr_names: dict[str, tuple[str, ...]]  # group path -> every attribute name it has


def read_metadata(fileobj: BinaryIO, wanted: frozenset[str]) -> Metadata:
    """Read the link tree and the `wanted` attributes of every group, or raise Unsupported.

    Attribute values come back as h5py gives them, in plain Python: a variable-length string as
    str, a fixed-length one as bytes (trailing NULs dropped), an array as a list.
    """
    try:
        return _File(fileobj, wanted).scan()
    except Unsupported:
        raise
    except (struct.error, IndexError, KeyError, ValueError, OverflowError, RecursionError, OSError,
            MemoryError, UnicodeDecodeError) as exc:
        raise Unsupported(f"inconsistent HDF5 structure: {type(exc).__name__}: {exc}") from None


class _Cursor:
    """Little-endian reads from a bytes buffer, every one bounds-checked."""

    __slots__ = ("buf", "lsize", "osize", "pos")

    def __init__(self, buf: bytes, osize: int, lsize: int, pos: int = 0):
        self.buf, self.pos, self.osize, self.lsize = buf, pos, osize, lsize

    def take(self, n: int) -> bytes:
        end = self.pos + n
        if n < 0 or end > len(self.buf):
            raise Unsupported("structure runs past its buffer")
        data = self.buf[self.pos:end]
        self.pos = end
        return data

    def uint(self, n: int) -> int:
        return int.from_bytes(self.take(n), "little")

    def u8(self) -> int:
        return self.uint(1)

    def u16(self) -> int:
        return self.uint(2)

    def u32(self) -> int:
        return self.uint(4)

    def addr(self) -> int | None:
        value = self.uint(self.osize)
        return None if value == (1 << (8 * self.osize)) - 1 else value

    def length(self) -> int:
        return self.uint(self.lsize)

    def skip(self, n: int) -> None:
        self.take(n)


@dataclass(frozen=True)
class _Type:
    cls: int
    size: int
    dtype: str | None  # numpy's name, when numpy has one for it
    vlen_string: bool = False
    fixed_string: bool = False
    fmt: str | None = None  # struct format of one numeric element


@dataclass(frozen=True)
class _Header:
    messages: tuple[tuple[int, int, bytes], ...]  # (type, flags, body)

    def first(self, kind: int) -> bytes | None:
        for mtype, flags, body in self.messages:
            if mtype == kind:
                if flags & SHARED:
                    raise Unsupported(f"shared object header message of type {kind}")
                return body
        return None

    def all(self, kind: int) -> list[bytes]:
        found = []
        for mtype, flags, body in self.messages:
            if mtype == kind:
                if flags & SHARED:
                    raise Unsupported(f"shared object header message of type {kind}")
                found.append(body)
        return found

    def has(self, kind: int) -> bool:
        return any(mtype == kind for mtype, _, _ in self.messages)



class _File:
    def __init__(self, fileobj: BinaryIO, wanted: frozenset[str]):
        self.f = fileobj
        self.wanted = wanted
        self.f.seek(0, 2)
        self.size = self.f.tell()
        self.base = 0
        self.osize = self.lsize = 8
        self._check_sizes()
        self.pages: dict[int, bytes] = {}
        self.headers: dict[int, _Header] = {}
        self.local_heaps: dict[int, bytes] = {}
        self.global_heaps: dict[int, dict[int, bytes]] = {}
        self.fractal_heaps: dict[int, _FractalHeap] = {}
        self.dtypes: dict[bytes, _Type] = {}

    # -- raw access -------------------------------------------------------------------------

    def at(self, addr: int | None, n: int) -> bytes:
        """n bytes at a file address (relative to the superblock's base), or Unsupported."""
        if addr is None or addr < 0 or n < 0 or n > MAX_READ:
            raise Unsupported("undefined or absurd address")
        pos = self.base + addr
        if pos + n > self.size:
            # Every address followed comes from a structure whose version and signature were checked,
            # and the file is as long as its superblock says: an address past its end is damage.
            raise Corrupt(f"address {addr}+{n} past the end of the file")
        if n == 0:
            return b""
        if n >= PAGE:
            return self._raw(pos, n)
        first, last = pos // PAGE, (pos + n - 1) // PAGE
        off = pos - first * PAGE
        if first == last:
            return self._page(first)[off:off + n]
        return (self._page(first) + self._page(last))[off:off + n]

    def _page(self, index: int) -> bytes:
        page = self.pages.get(index)
        if page is None:
            if len(self.pages) > 4096:  # at most 16 MiB cached
                self.pages.clear()
            page = self._raw(index * PAGE, min(PAGE, self.size - index * PAGE))
            self.pages[index] = page
        return page

    def _raw(self, pos: int, n: int) -> bytes:
        self.f.seek(pos)
        data = self.f.read(n)
        if data is None or len(data) != n:
            raise Unsupported("short read")
        return bytes(data)

    def cursor(self, addr: int | None, n: int) -> _Cursor:
        return _Cursor(self.at(addr, n), self.osize, self.lsize)

    def fit(self, addr: int | None, want: int) -> int:
        """How many of `want` bytes exist from addr on (for headers of not yet known length)."""
        if addr is None or addr < 0:
            raise Unsupported("undefined address")
        return max(0, min(want, self.size - self.base - addr))

    def undefined(self, value: int) -> bool:
        return value == (1 << (8 * self.osize)) - 1

    # -- superblock -------------------------------------------------------------------------

    def scan(self) -> Metadata:
        root = self._superblock()
        return self._visit(root)

    def _superblock(self) -> tuple[int, tuple[int, int] | None]:
        """The root group's object header address, and the B-tree and heap its v0/v1 symbol
        table entry caches (used when the header itself lacks them)."""
        offset = 0
        while True:
            if offset + 8 > self.size:
                raise Corrupt("no HDF5 signature")
            self.f.seek(offset)
            if self.f.read(8) == SIGNATURE:
                break
            offset = 512 if offset == 0 else offset * 2
        self.base = offset  # h5py writes the base address as where the superblock is
        head = self.at(0, self.fit(0, 256))
        c = _Cursor(head, 8, 8, 8)
        version = c.u8()
        if version in (0, 1):
            c.skip(3)  # free space, root symbol table entry, reserved
            if c.u8() != 0:
                raise Unsupported("shared header message format version")
            self.osize, self.lsize = c.u8(), c.u8()
            self._check_sizes()
            c.osize, c.lsize = self.osize, self.lsize
            c.skip(1 + 2 + 2 + 4)
            if version == 1:
                c.skip(4)
            c.addr()  # base address: we use where the signature is, as the library does
            c.addr()  # free space info
            self._check_eof(c.addr())
            c.addr()  # driver info
            c.addr()  # link name offset
            header = c.addr()
            cache_type = c.u32()
            c.skip(4)
            cache = (c.uint(self.osize), c.uint(self.osize)) if cache_type == 1 else None
            if header is None:
                raise Unsupported("no root object header")
            return header, cache
        if version in (2, 3):
            self.osize, self.lsize = c.u8(), c.u8()
            self._check_sizes()
            c.osize, c.lsize = self.osize, self.lsize
            c.skip(1)
            c.addr()  # base address
            c.addr()  # superblock extension (shared message tables etc.: shared flags refuse them)
            self._check_eof(c.addr())
            header = c.addr()
            if header is None:
                raise Unsupported("no root object header")
            return header, None
        raise Unsupported(f"superblock version {version}")

    def _check_eof(self, stored_eof: int | None) -> None:
        """The library's own test (H5F__super_read): a file shorter than the end of file its
        superblock records is truncated, and the library refuses to open it."""
        if stored_eof is not None and stored_eof > self.size:
            raise Corrupt(f"truncated: {self.size:,} bytes, the superblock says {stored_eof:,}")

    def _check_sizes(self) -> None:
        if self.osize not in (2, 4, 8) or self.lsize not in (2, 4, 8):
            raise Unsupported("unusual offset or length size")
        o, ln = _UINT[self.osize], _UINT[self.lsize]
        self.entry_format = f"<{o}{o}I20x"  # symbol table entry: name offset, header, cache type
        self.key_child_format = f"<{ln}{o}"  # group B-tree: heap offset key, child address

    # -- object headers ---------------------------------------------------------------------

    def header(self, addr: int) -> _Header:
        found = self.headers.get(addr)
        if found is None:
            found = self.headers[addr] = self._read_header(addr)
        return found

    def _read_header(self, addr: int) -> _Header:
        prefix = self.at(addr, self.fit(addr, 48))
        if prefix[:4] == b"OHDR":
            return self._header_v2(addr, prefix)
        if prefix[:1] == b"\x01":
            return self._header_v1(addr, prefix)
        raise Unsupported(f"no object header at {addr}")

    def _header_v1(self, addr: int, prefix: bytes) -> _Header:
        c = _Cursor(prefix, self.osize, self.lsize, 2)
        c.skip(2 + 4)  # message count (NIL and continuation messages included), reference count
        size = c.u32()
        messages: list[tuple[int, int, bytes]] = []
        blocks = [(addr + 16, size)]
        seen: set[int] = set()
        while blocks:
            start, length = blocks.pop(0)
            if start in seen or len(seen) > MAX_MESSAGES:
                raise Corrupt("object header continuation loop")
            seen.add(start)
            data = self.at(start, length)
            pos = 0
            while pos + 8 <= length:
                mtype, msize, mflags = struct.unpack_from("<HHB", data, pos)
                body = data[pos + 8:pos + 8 + msize]
                if len(body) != msize:
                    raise Unsupported("object header message runs past its block")
                pos += 8 + msize
                self._add_message(messages, mtype, mflags, body, blocks)
        return _Header(tuple(messages))

    def _header_v2(self, addr: int, prefix: bytes) -> _Header:
        c = _Cursor(prefix, self.osize, self.lsize, 4)
        if c.u8() != 2:
            raise Unsupported("object header version")
        flags = c.u8()
        if flags & 0x20:
            c.skip(16)
        if flags & 0x10:
            c.skip(4)
        chunk = c.uint(1 << (flags & 3))
        tracked = bool(flags & 0x04)
        messages: list[tuple[int, int, bytes]] = []
        blocks = [(addr + c.pos, chunk)]
        seen: set[int] = set()
        first = True
        while blocks:
            start, length = blocks.pop(0)
            if start in seen or len(seen) > MAX_MESSAGES:
                raise Corrupt("object header continuation loop")
            seen.add(start)
            if first:
                data = self.at(start, length)
                first = False
            else:  # OCHK signature, messages, checksum
                raw = self.at(start, length)
                if raw[:4] != b"OCHK" or length < 8:
                    raise Unsupported("bad object header continuation block")
                data = raw[4:-4]
            pos, hsize = 0, 6 if tracked else 4
            while pos + hsize <= len(data):
                mtype, msize, mflags = struct.unpack_from("<BHB", data, pos)
                body = data[pos + hsize:pos + hsize + msize]
                if len(body) != msize:
                    raise Unsupported("object header message runs past its chunk")
                pos += hsize + msize
                self._add_message(messages, mtype, mflags, body, blocks)
        return _Header(tuple(messages))

    def _add_message(self, messages: list, mtype: int, mflags: int, body: bytes, blocks: list) -> None:
        if len(messages) >= MAX_MESSAGES:
            raise Unsupported("too many object header messages")
        if mtype == CONTINUATION:
            c = _Cursor(body, self.osize, self.lsize)
            where, length = c.addr(), c.length()
            if where is None:
                raise Unsupported("undefined continuation")
            blocks.append((where, length))
        elif mtype != 0:
            messages.append((mtype, mflags, body))

    # -- groups -----------------------------------------------------------------------------

    def _visit(self, root: tuple[int, tuple[int, int] | None]) -> Metadata:
        """Every link, as H5Lvisit reports them by name: a group's links in byte order, each
        hard-linked group entered right after its link, and entered only once."""
        root_addr, cache = root
        links: list[Link] = []
        attrs: dict[str, dict[str, Any]] = {}
        names: dict[str, tuple[str, ...]] = {}
        visited = {root_addr: ""}  # group address -> the path it was first reached by
        header = self.header(root_addr)
        self._group_attrs("", header, attrs, names)
        # (group path, its links sorted, next index), depth first
        stack = [("", self._links(header, cache), 0)]
        while stack:
            path, entries, i = stack.pop()
            if i >= len(entries):
                continue
            stack.append((path, entries, i + 1))
            raw_name, kind, target = entries[i]
            name = raw_name.decode("utf-8", "replace")
            full = f"{path}/{name}" if path else name
            if len(links) >= MAX_OBJECTS:
                raise Unsupported("too many links")
            if kind == HARD:
                child = self.header(target)
                if child.has(SYMBOL_TABLE) or child.has(LINK_INFO):
                    links.append(Link(full, HARD, group=True))
                    if target in visited:  # entered once; its attributes known by every path
                        attrs[full], names[full] = attrs[visited[target]], names[visited[target]]
                    else:
                        visited[target] = full
                        if len(stack) > MAX_DEPTH:
                            raise Unsupported("groups nested too deep")
                        self._group_attrs(full, child, attrs, names)
                        stack.append((full, self._links(child, None), 0))
                elif child.has(DATATYPE) and child.has(DATASPACE):
                    links.append(Link(full, HARD, dataset=self._dataset(child)))
                elif child.has(DATATYPE):
                    links.append(Link(full, HARD, group=True))  # a committed datatype
                else:
                    raise Unsupported(f"object of unknown class at /{full}")
            elif kind == EXTERNAL:
                links.append(Link(full, EXTERNAL, external=target))
            else:
                links.append(Link(full, kind))
        return Metadata(tuple(links), attrs, names)

    def _links(self, header: _Header, cache: tuple[int, int] | None) -> list[tuple[bytes, int, Any]]:
        """A group's links as (name, kind, target), sorted by name as H5L iterates them."""
        stab = header.first(SYMBOL_TABLE)
        if stab is not None:
            c = _Cursor(stab, self.osize, self.lsize)
            found = self._old_style(c.addr(), c.addr())
        elif header.has(LINK_INFO):
            c = _Cursor(header.first(LINK_INFO) or b"", self.osize, self.lsize)
            if c.u8() != 0:
                raise Unsupported("link info version")
            flags = c.u8()
            if flags & 1:
                c.skip(8)
            heap = c.addr()
            index = c.addr()
            if heap is None:
                found = [self._link(body) for body in header.all(LINK)]
            else:
                found = self._dense_links(heap, index)
        elif cache is not None:
            found = self._old_style(*cache)
        else:
            raise Unsupported("group without a link table")
        found.sort(key=lambda link: link[0])
        return found

    def _link(self, body: bytes) -> tuple[bytes, int, Any]:
        c = _Cursor(body, self.osize, self.lsize)
        if c.u8() != 1:
            raise Unsupported("link message version")
        flags = c.u8()
        kind = c.u8() if flags & 0x08 else HARD
        if flags & 0x04:
            c.skip(8)
        if flags & 0x10:
            c.skip(1)
        name = c.take(c.uint(1 << (flags & 3)))
        if kind == HARD:
            target = c.addr()
            if target is None:
                raise Unsupported("hard link to an undefined address")
            return name, HARD, target
        value = c.take(c.u16())
        if kind == EXTERNAL:
            parts = value[1:].split(b"\x00")
            if len(parts) < 2:
                raise Unsupported("malformed external link")
            return name, EXTERNAL, (parts[0].decode("utf-8", "replace"), parts[1].decode("utf-8", "replace"))
        return name, kind, None

    def _old_style(self, btree: int | None, heap_addr: int | None) -> list[tuple[bytes, int, Any]]:
        """Symbol table: a v1 B-tree of symbol nodes whose names live in a local heap."""
        heap = self._local_heap(heap_addr)
        found: list[tuple[bytes, int, Any]] = []
        entry = 2 * self.osize + 24
        nodes = [(btree, MAX_DEPTH)]
        seen: set[int] = set()
        while nodes:
            addr, budget = nodes.pop()
            if addr in seen:
                raise Corrupt("group B-tree node reached twice (a loop)")
            if addr is None or budget <= 0 or len(seen) > MAX_OBJECTS:
                raise Unsupported("bad group B-tree")
            seen.add(addr)
            head = self.cursor(addr, 8 + 2 * self.osize)
            if head.take(4) != b"TREE" or head.u8() != 0:
                raise Corrupt(f"no group B-tree node (TREE) at address {addr}")
            level, used = head.u8(), head.u16()
            body = self.at(addr + 8 + 2 * self.osize, used * (self.lsize + self.osize) + self.lsize)
            pairs = struct.iter_unpack(self.key_child_format, body[: used * (self.lsize + self.osize)])
            children = [None if self.undefined(child) else child for _, child in pairs]
            if level > 0:
                nodes.extend((child, budget - 1) for child in reversed(children))
                continue
            for child in children:
                if child is None:
                    raise Unsupported("undefined symbol node")
                snod = self.cursor(child, 8)
                if snod.take(4) != b"SNOD" or snod.u8() != 1:
                    raise Corrupt(f"no symbol table node (SNOD) at address {child}")
                snod.skip(1)
                count = snod.u16()
                table = self.at(child + 8, count * entry)
                for name_off, obj, cache_type in struct.iter_unpack(self.entry_format, table):
                    name = _cstring(heap, name_off)
                    if cache_type == 2:  # soft link: its value is in the heap, never followed
                        found.append((name, SOFT, None))
                    elif self.undefined(obj):
                        raise Unsupported("symbol without an object")
                    else:
                        found.append((name, HARD, obj))
                    if len(found) > MAX_OBJECTS:
                        raise Unsupported("too many links")
        return found

    def _local_heap(self, addr: int | None) -> bytes:
        if addr is None:
            raise Unsupported("undefined local heap")
        found = self.local_heaps.get(addr)
        if found is None:
            c = self.cursor(addr, 8 + 2 * self.lsize + self.osize)
            if c.take(4) != b"HEAP" or c.u8() != 0:
                raise Corrupt(f"no local heap (HEAP) at address {addr}")
            c.skip(3)
            size = c.length()
            c.length()
            found = self.local_heaps[addr] = self.at(c.addr(), size)
        return found

    def _dense_links(self, heap_addr: int, index: int | None) -> list[tuple[bytes, int, Any]]:
        """Links stored as fractal heap objects, found through the name index v2 B-tree."""
        heap = self._fractal_heap(heap_addr)
        found = []
        for record in self._btree2(index, 5):
            found.append(self._link(heap.get(record[4:4 + heap.id_len])))
        return found

    def _fractal_heap(self, addr: int) -> _FractalHeap:
        found = self.fractal_heaps.get(addr)
        if found is None:
            found = self.fractal_heaps[addr] = _FractalHeap(self, addr)
        return found

    def _btree2(self, addr: int | None, kind: int) -> list[bytes]:
        """Every record of a v2 B-tree of the given type, in no particular order."""
        if addr is None:
            return []
        o = self.osize
        c = self.cursor(addr, 4 + 1 + 1 + 4 + 2 + 2 + 1 + 1 + o + 2 + self.lsize)
        if c.take(4) != b"BTHD" or c.u8() != 0 or c.u8() != kind:
            raise Unsupported("not the expected v2 B-tree")
        node_size, rec_size, depth = c.u32(), c.u16(), c.u16()
        c.skip(2)
        root, root_count = c.addr(), c.u16()
        total = c.length()
        if rec_size == 0 or node_size < 16 or node_size > MAX_READ or depth > MAX_DEPTH:
            raise Unsupported("absurd v2 B-tree")
        # Field widths as the library derives them from the node size (H5B2__hdr_init).
        max_nrec = [(node_size - 10) // rec_size]
        cum = [max_nrec[0]]
        cum_size = [0]
        nrec_size = _enc_size(max_nrec[0])
        for level in range(1, depth + 1):
            pointer = o + nrec_size + (cum_size[level - 1] if level > 1 else 0)
            max_nrec.append((node_size - (10 + pointer)) // (rec_size + pointer))
            cum.append((max_nrec[level] + 1) * cum[level - 1] + max_nrec[level])
            cum_size.append(_enc_size(cum[level]))
        records: list[bytes] = []
        if root is None:
            return records
        nodes = [(root, root_count, depth)]
        visited = 0
        while nodes:
            node, count, level = nodes.pop()
            visited += 1
            if node is None or visited > MAX_OBJECTS or count > max(max_nrec[level], 0) + 1:
                raise Unsupported("bad v2 B-tree node")
            data = self.at(node, min(node_size, self.fit(node, node_size)))
            n = _Cursor(data, o, self.lsize)
            sig = n.take(4)
            if sig != (b"BTLF" if level == 0 else b"BTIN") or n.u8() != 0 or n.u8() != kind:
                raise Unsupported("bad v2 B-tree node signature")
            for _ in range(count):
                records.append(n.take(rec_size))
            if level > 0:
                for _ in range(count + 1):
                    child = n.addr()
                    child_count = n.uint(nrec_size)
                    if level > 1:
                        n.uint(cum_size[level - 1])
                    nodes.append((child, child_count, level - 1))
            if len(records) > total:
                raise Unsupported("v2 B-tree holds more records than it declares")
        return records

    # -- datasets, datatypes, attributes ----------------------------------------------------

    def _dataset(self, header: _Header) -> Dataset:
        body = header.first(DATATYPE) or b""
        dtype = self.dtypes.get(body)
        if dtype is None:  # arrays of a model share a handful of datatype messages
            dtype = self.dtypes[body] = self._datatype(body)[0]
        if dtype.dtype is None:
            raise Unsupported("dataset of a datatype without a numpy name")
        shape = self._dataspace(header.first(DATASPACE) or b"")
        if shape is None:
            raise Unsupported("dataset with a null dataspace")
        foreign = False
        layout = header.first(LAYOUT)
        if layout is not None:
            version = layout[0]
            klass = layout[2] if version < 3 else layout[1]
            if version >= 4 and klass == 3:
                foreign = True
            elif version > 4:
                raise Unsupported("data layout version")
        for body in header.all(EXTERNAL_FILES):
            c = _Cursor(body, self.osize, self.lsize, 4)
            c.u16()
            if c.u16():
                foreign = True
        return Dataset(shape, dtype.dtype, foreign)

    def _dataspace(self, body: bytes) -> tuple[int, ...] | None:
        """Dimensions, () for a scalar, None for a null dataspace."""
        c = _Cursor(body, self.osize, self.lsize)
        version, rank, flags = c.u8(), c.u8(), c.u8()
        if version == 1:
            c.skip(5)
            kind = 1 if rank else 0
        elif version == 2:
            kind = c.u8()
        else:
            raise Unsupported("dataspace version")
        if flags & ~1:
            raise Unsupported("dataspace with a permutation")
        if kind == 2:
            return None
        if kind == 0:
            return ()
        if kind != 1 or rank > 32:
            raise Unsupported("dataspace type")
        return tuple(c.length() for _ in range(rank))

    def _datatype(self, body: bytes, pos: int = 0) -> tuple[_Type, int]:
        """A datatype message and where it ends (enum and vlen types nest their base type)."""
        c = _Cursor(body, self.osize, self.lsize, pos)
        head = c.u8()
        cls, version = head & 0x0F, head >> 4
        bits = c.uint(3)
        size = c.u32()
        if version not in (1, 2, 3, 4):  # 4: libver="latest" (the classes read here are unchanged)
            raise Unsupported("datatype version")
        if cls == 0:  # fixed-point
            offset, precision = c.u16(), c.u16()
            if size not in (1, 2, 4, 8) or offset != 0 or precision != 8 * size or (bits & 1 and size > 1):
                raise Unsupported("unusual integer type")
            signed = bool(bits & 0x08)
            fmt = {1: "b", 2: "h", 4: "i", 8: "q"}[size]
            return _Type(0, size, f"{'int' if signed else 'uint'}{8 * size}", fmt=fmt if signed else fmt.upper()), c.pos
        if cls == 1:  # floating-point
            props = (c.u16(), c.u16(), c.u8(), c.u8(), c.u8(), c.u8(), c.u32())
            known = {
                2: (0, 16, 10, 5, 0, 10, 15),
                4: (0, 32, 23, 8, 0, 23, 127),
                8: (0, 64, 52, 11, 0, 52, 1023),
            }
            if known.get(size) != props or bits & 0x4F or (bits >> 4) & 3 != 2 or (bits >> 8) & 0xFF != 8 * size - 1:
                raise Unsupported("unusual floating-point type")
            return _Type(1, size, f"float{8 * size}", fmt={2: "e", 4: "f", 8: "d"}[size]), c.pos
        if cls == 3:  # fixed-length string
            if size == 0:
                raise Unsupported("zero-length string type")
            return _Type(3, size, f"|S{size}", fixed_string=True), c.pos
        if cls == 8:  # enumeration: h5py's bool is int8 {FALSE: 0, TRUE: 1}
            count = bits & 0xFFFF
            base, end = self._datatype(body, c.pos)
            c.pos = end
            names = []
            for _ in range(count):
                start = c.pos
                stop = body.find(b"\x00", start)
                if stop < 0:
                    raise Unsupported("unterminated enum name")
                names.append(body[start:stop])
                c.pos = stop + 1
                if version < 3:
                    c.pos = start + ((stop + 1 - start + 7) // 8) * 8
            values = [int.from_bytes(c.take(base.size), "little", signed=base.dtype == "int8") for _ in range(count)]
            if base.dtype == "int8" and size == 1 and dict(zip(names, values)) == {b"FALSE": 0, b"TRUE": 1}:
                return _Type(8, 1, "bool", fmt="?"), c.pos
            raise Unsupported("enumeration other than h5py's bool")
        if cls == 9:  # variable-length
            kind = bits & 0x0F
            base, end = self._datatype(body, c.pos)
            if kind == 1:
                return _Type(9, size, "object", vlen_string=True), end
            if kind == 0:
                raise Unsupported("variable-length sequence")
            raise Corrupt(f"variable-length datatype of reserved kind {kind}")
        raise Unsupported(f"datatype class {cls}")

    def _group_attrs(self, path: str, header: _Header, attrs: dict, names: dict) -> None:
        """Names of all of a group's attributes; values of the wanted ones only."""
        bodies = header.all(ATTRIBUTE)
        info = header.first(ATTRIBUTE_INFO)
        if info is not None:
            c = _Cursor(info, self.osize, self.lsize)
            if c.u8() != 0:
                raise Unsupported("attribute info version")
            if c.u8() & 1:
                c.skip(2)
            heap_addr, index = c.addr(), c.addr()
            if heap_addr is not None:
                heap = self._fractal_heap(heap_addr)
                for record in self._btree2(index, 8):
                    if record[heap.id_len] & 1:
                        raise Unsupported("shared dense attribute")
                    bodies.append(heap.get(record[:heap.id_len]))
        values: dict[str, Any] = {}
        listed = []
        for body in bodies:
            name, value = self._attribute(body)
            listed.append(name)
            if value is not _SKIPPED:
                values[name] = value
        attrs[path] = values
        names[path] = tuple(listed)

    def _attribute(self, body: bytes) -> tuple[str, Any]:
        c = _Cursor(body, self.osize, self.lsize)
        version = c.u8()
        flags = c.u8()
        name_size, type_size, space_size = c.u16(), c.u16(), c.u16()
        if version == 3:
            c.skip(1)
        elif version not in (1, 2):
            raise Unsupported("attribute message version")
        if flags & 0x03:
            raise Unsupported("attribute with a shared datatype or dataspace")

        def field(n: int) -> bytes:
            data = c.take(n)
            if version == 1:
                c.skip((8 - n % 8) % 8)
            return data

        name = field(name_size).rstrip(b"\x00").decode("utf-8", "replace")
        if not is_wanted(name, self.wanted):
            return name, _SKIPPED
        dtype = self._datatype(field(type_size))[0]
        shape = self._dataspace(field(space_size))
        if shape is None:
            raise Unsupported("attribute with a null dataspace")
        count = 1
        for dim in shape:
            count *= dim
        if count > MAX_OBJECTS:
            raise Unsupported("attribute too large")
        data = c.take(count * dtype.size)
        items = [self._element(dtype, data[i * dtype.size:(i + 1) * dtype.size]) for i in range(count)]
        if not shape:
            return name, items[0]
        if len(shape) != 1:
            raise Unsupported("multidimensional attribute")
        return name, items

    def _element(self, dtype: _Type, raw: bytes) -> Any:
        if dtype.fixed_string:
            return raw.rstrip(b"\x00")
        if dtype.vlen_string:
            c = _Cursor(raw, self.osize, self.lsize)
            length = c.u32()
            collection = c.addr()
            index = c.u32()
            if collection in (None, 0) or length == 0:
                return ""
            data = self._global_object(collection, index)
            if len(data) < length:
                raise Corrupt("global heap object shorter than its string")
            return data[:length].decode("utf-8", "surrogateescape")
        if dtype.fmt is not None:
            return struct.unpack("<" + dtype.fmt, raw)[0]
        raise Unsupported("attribute value of an unsupported type")

    def _global_object(self, addr: int, index: int) -> bytes:
        objects = self.global_heaps.get(addr)
        if objects is None:
            c = self.cursor(addr, 8 + self.lsize)
            if c.take(4) != b"GCOL" or c.u8() != 1:
                raise Corrupt(f"no global heap collection (GCOL) at address {addr}")
            c.skip(3)
            size = c.length()
            data = self.at(addr, size)
            pos = 8 + self.lsize
            objects = {}
            while pos + 8 + self.lsize <= size and len(objects) < MAX_OBJECTS:
                o = _Cursor(data, self.osize, self.lsize, pos)
                ident = o.u16()
                o.skip(6)
                length = o.length()
                if ident == 0:
                    break
                objects[ident] = o.take(length)
                pos = o.pos + (8 - length % 8) % 8
            self.global_heaps[addr] = objects
        if index not in objects:
            raise Corrupt("string missing from its global heap")
        return objects[index]


_SKIPPED = object()
_UINT = {2: "H", 4: "I", 8: "Q"}


def _cstring(heap: bytes, offset: int) -> bytes:
    end = heap.find(b"\x00", offset)
    if offset >= len(heap) or end < 0:
        raise Corrupt("link name outside its local heap")
    return heap[offset:end]


def _enc_size(value: int) -> int:
    """Bytes the library uses to encode a count up to `value` (H5VM_limit_enc_size)."""
    return (max(value, 1).bit_length() - 1) // 8 + 1


class _FractalHeap:
    """A fractal heap's managed, tiny and huge objects (unfiltered heaps only)."""

    def __init__(self, file: _File, addr: int):
        self.file = file
        o, ln = file.osize, file.lsize
        c = file.cursor(addr, 4 + 1 + 2 + 2 + 1 + 4 + ln + o + ln + o + 8 * ln + 2 + ln + ln + 2 + 2 + o + 2)
        if c.take(4) != b"FRHP" or c.u8() != 0:
            raise Unsupported("not a fractal heap")
        self.id_len = c.u16()
        if c.u16():
            raise Unsupported("filtered fractal heap")
        flags = c.u8()
        self.max_managed = c.u32()
        c.length()  # next huge object id
        self.huge_tree = c.addr()
        c.length()
        c.addr()  # free space manager
        for _ in range(8):
            c.length()
        self.width = c.u16()
        self.start = c.length()
        self.max_direct = c.length()
        self.max_heap_bits = c.u16()
        c.u16()  # starting rows of the root indirect block
        self.root = c.addr()
        self.root_rows = c.u16()
        if (self.width == 0 or self.start == 0 or self.start & (self.start - 1) or self.width & (self.width - 1)
                or self.max_direct < self.start or self.max_direct & (self.max_direct - 1)
                or not 0 < self.max_heap_bits <= 64 or self.id_len < 2):
            raise Unsupported("absurd fractal heap parameters")
        self.checksummed = bool(flags & 0x02)
        self.off_size = (self.max_heap_bits + 7) // 8
        self.len_size = min(_enc_size(self.max_direct), _enc_size(self.max_managed))
        self.max_direct_rows = self.max_direct.bit_length() - self.start.bit_length() + 2
        self.first_row_bits = self.start.bit_length() - 1 + self.width.bit_length() - 1
        self.blocks: dict[int, list[int | None]] = {}

    def get(self, heap_id: bytes) -> bytes:
        if len(heap_id) != self.id_len:
            raise Unsupported("heap id of the wrong length")
        flag = heap_id[0]
        if flag >> 6:
            raise Unsupported("heap id version")
        kind = (flag >> 4) & 3
        c = _Cursor(heap_id, self.file.osize, self.file.lsize, 1)
        if kind == 0:
            return self._managed(c.uint(self.off_size), c.uint(self.len_size))
        if kind == 2:  # tiny: stored in the id itself
            if self.id_len <= 18:
                return c.take((flag & 0x0F) + 1)
            return c.take((((flag & 0x0F) << 8) | c.u8()) + 1)
        if kind == 1:
            return self._huge(c)
        raise Unsupported("heap id type")

    def _huge(self, c: _Cursor) -> bytes:
        f = self.file
        if self.id_len - 1 >= f.osize + f.lsize:  # address and length right in the id
            return f.at(c.addr(), c.length())
        ident = c.uint(min(self.id_len - 1, 8))
        for record in f._btree2(self.huge_tree, 1):
            r = _Cursor(record, f.osize, f.lsize)
            addr, length = r.addr(), r.length()
            if r.uint(len(record) - r.pos) == ident:
                return f.at(addr, length)
        raise Unsupported("huge heap object not in its index")

    def _managed(self, offset: int, length: int) -> bytes:
        if self.root is None or length <= 0:
            raise Unsupported("empty fractal heap")
        if self.root_rows == 0:
            return self._from_direct(self.root, offset, self.start, offset, length)
        block, rows, block_offset = self.root, self.root_rows, 0
        span = self.start * self.width
        for _ in range(MAX_DEPTH):
            rel = offset - block_offset
            if rel < 0:
                raise Unsupported("heap offset below its block")
            if rel < span:
                row, row_start, size = 0, 0, self.start
            else:
                row = (rel // span).bit_length()
                row_start, size = span << (row - 1), self.start << (row - 1)
            col = (rel - row_start) // size
            if row >= rows or col >= self.width:
                raise Unsupported("heap offset outside its indirect block")
            entries = self._indirect(block, rows)
            child_offset = block_offset + row_start + col * size
            if row < self.max_direct_rows:
                return self._from_direct(entries[row * self.width + col], offset - child_offset, size, offset, length)
            direct = min(rows, self.max_direct_rows) * self.width
            block = entries[direct + (row - self.max_direct_rows) * self.width + col]
            rows = size.bit_length() - 1 - self.first_row_bits + 1
            block_offset = child_offset
        raise Unsupported("fractal heap nested too deep")

    def _indirect(self, addr: int | None, rows: int) -> list[int | None]:
        if addr is None:
            raise Unsupported("undefined indirect block")
        found = self.blocks.get(addr)
        if found is None:
            f = self.file
            direct = min(rows, self.max_direct_rows) * self.width
            indirect = max(0, rows - self.max_direct_rows) * self.width
            head = 5 + f.osize + self.off_size
            c = f.cursor(addr, head + (direct + indirect) * f.osize)
            if c.take(4) != b"FHIB" or c.u8() != 0:
                raise Unsupported("not a fractal heap indirect block")
            c.pos = head
            found = self.blocks[addr] = [c.addr() for _ in range(direct + indirect)]
        return found

    def _from_direct(self, addr: int | None, pos: int, size: int, offset: int, length: int) -> bytes:
        f = self.file
        header = 5 + f.osize + self.off_size + (4 if self.checksummed else 0)
        if addr is None or pos < header or pos + length > size:
            raise Unsupported("heap object outside its direct block")
        if f.at(addr, 4) != b"FHDB":
            raise Unsupported("not a fractal heap direct block")
        return f.at(addr + pos, length)
