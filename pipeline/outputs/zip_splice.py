"""Rewrite members of a zip file from pieces, some of them already compressed (issue 16).

:func:`rewrite_members` copies a zip (an xlsx written by xlsxwriter) member by member:
most members are copied as their stored, compressed bytes; a member the caller rewrites
is given as a list of pieces, each either XML bytes (compressed here) or a
:class:`pipeline.outputs.slices.Chunk` (raw deflate that ends on a byte boundary, kept
from an earlier run), joined into one deflate stream. Its CRC-32 is combined from the
pieces' CRCs without inflating them again (CRC-32 is linear: the CRC of ``a + b`` is
``crc(b) ^ crc(zeros, crc(a)) ^ crc(zeros)`` over ``len(b)`` zero bytes).

The zip format written here is the plain one of APPNOTE 4.3 (no zip64, no data
descriptors, no encryption), as xlsxwriter writes it; members of 4 GiB or more are
refused (ValueError) before anything is written, and the caller writes them the ordinary way.
"""

from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from pipeline.outputs.slices import LEVEL, Chunk

_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_END = struct.Struct("<IHHHHIIH")
_LIMIT = 0xFFFFFFFF
_FINAL = zlib.compressobj(LEVEL, zlib.DEFLATED, -15).flush()  # an empty last block


def _crc_combine(crc: int, chunk: Chunk) -> int:
    zeros = bytes(chunk.length)
    return chunk.crc ^ zlib.crc32(zeros, crc) ^ zlib.crc32(zeros)


def deflate_pieces(pieces: Sequence[bytes | Chunk]) -> tuple[bytes, int, int]:
    """(raw deflate stream, uncompressed size, CRC-32) of the pieces in order."""
    out: list[bytes] = []
    crc = size = 0
    for piece in pieces:
        if isinstance(piece, Chunk):
            out.append(piece.data)
            crc = _crc_combine(crc, piece)
            size += piece.length
        elif piece:
            z = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
            out.append(z.compress(piece) + z.flush(zlib.Z_SYNC_FLUSH))
            crc = zlib.crc32(piece, crc)
            size += len(piece)
    out.append(_FINAL)
    return b"".join(out), size, crc


def _dos(date_time: tuple[int, ...]) -> tuple[int, int]:
    y, mo, d, h, mi, s = date_time[:6]
    return (h << 11) | (mi << 5) | (s // 2), ((max(y, 1980) - 1980) << 9) | (mo << 5) | d


def _raw(fh: BinaryIO, info: zipfile.ZipInfo) -> bytes:
    """The stored (compressed) bytes of one member, read from its local header on."""
    fh.seek(info.header_offset)
    head = fh.read(30)
    if len(head) != 30 or head[:4] != b"PK\x03\x04":
        raise ValueError(f"{info.filename}: bad local header")
    n, m = struct.unpack("<HH", head[26:30])
    fh.seek(info.header_offset + 30 + n + m)
    data = fh.read(info.compress_size)
    if len(data) != info.compress_size:
        raise ValueError(f"{info.filename}: truncated")
    return data


def rewrite_members(
    path: Path,
    pieces_of: Callable[[str, bytes], Sequence[Any] | None],
    candidate: Callable[[str], bool],
) -> None:
    """Rewrite ``path``: each member for which ``candidate(name)`` holds is inflated and
    passed to ``pieces_of(name, xml)``; a list it returns replaces the member's content.
    The new file replaces the old one in one step (a temporary file beside it)."""
    with zipfile.ZipFile(path) as zf, open(path, "rb") as fh:
        entries = _entries(zf, fh, pieces_of, candidate)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.splice")
    try:
        with open(tmp, "wb") as out:
            _write(out, entries)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def rewrite_bytes(
    data: bytes,
    pieces_of: Callable[[str, bytes], Sequence[Any] | None],
    candidate: Callable[[str], bool],
) -> bytes:
    """:func:`rewrite_members` of a zip held in memory: the rewritten zip's bytes."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        entries = _entries(zf, io.BytesIO(data), pieces_of, candidate)
    out = io.BytesIO()
    _write(out, entries)
    return out.getvalue()


_Entry = tuple[zipfile.ZipInfo, bytes, int, int, int]  # info, data, method, crc, size


def _entries(
    zf: zipfile.ZipFile,
    fh: BinaryIO,
    pieces_of: Callable[[str, bytes], Sequence[Any] | None],
    candidate: Callable[[str], bool],
) -> list[_Entry]:
    entries: list[_Entry] = []
    for info in zf.infolist():
        pieces = pieces_of(info.filename, zf.read(info)) if candidate(info.filename) else None
        if pieces is None:
            entries.append((info, _raw(fh, info), info.compress_type, info.CRC, info.file_size))
            continue
        data, size, crc = deflate_pieces(pieces)
        entries.append((info, data, zipfile.ZIP_DEFLATED, crc, size))
    total = sum(len(e[1]) + 30 + len(e[0].filename.encode()) for e in entries)
    if total >= _LIMIT or any(e[4] >= _LIMIT for e in entries):
        raise ValueError("zip member of 4 GiB or more: not spliced")
    return entries


def _write(out: BinaryIO, entries: list[_Entry]) -> None:
    central: list[bytes] = []
    for info, data, method, crc, size in entries:
        name = info.filename.encode("utf-8" if info.flag_bits & 0x800 else "cp437")
        flags = info.flag_bits & ~0x08  # sizes are in the local header: no descriptor
        t, d = _dos(info.date_time)
        offset = out.tell()
        out.write(_LOCAL.pack(0x04034B50, 20, flags, method, t, d, crc, len(data), size, len(name), 0))
        out.write(name)
        out.write(data)
        central.append(
            _CENTRAL.pack(
                0x02014B50,
                20,
                20,
                flags,
                method,
                t,
                d,
                crc,
                len(data),
                size,
                len(name),
                0,
                0,
                0,
                0,
                info.external_attr,
                offset,
            )
            + name
        )
    start = out.tell()
    for c in central:
        out.write(c)
    out.write(_END.pack(0x06054B50, 0, 0, len(central), len(central), out.tell() - start, start, 0))
