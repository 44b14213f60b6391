"""Outlook .msg files built by code: a minimal OLE compound-file writer (MS-CFB, version 3)
and the MAPI property layout of MS-OXMSG, enough for extract-msg to read a message with
its subject, sender, transport headers, attachments and an embedded (forwarded) message.
"""

from __future__ import annotations

import datetime as dt
import struct
from dataclasses import dataclass, field

SECTOR = 512
MINI = 64
CUTOFF = 4096
FREE, END, FATSECT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
NOSTREAM = 0xFFFFFFFF

PT_LONG, PT_SYSTIME, PT_UNICODE, PT_BINARY, PT_OBJECT = 0x0003, 0x0040, 0x001F, 0x0102, 0x000D


@dataclass
class Node:
    name: str
    data: bytes | None = None  # None: a storage
    kids: list[Node] = field(default_factory=list)


def stream(name: str, data: bytes) -> Node:
    return Node(name, data)


def storage(name: str, kids: list[Node]) -> Node:
    return Node(name, None, kids)


def _chain(fat: list[int], start: int, n: int) -> None:
    for i in range(n):
        fat[start + i] = start + i + 1 if i < n - 1 else END


def compound_file(root_kids: list[Node]) -> bytes:
    """The bytes of a compound file whose root storage holds ``root_kids``."""
    entries: list[Node] = [Node("Root Entry", None, root_kids)]
    # flatten in preorder; ids by position
    order: list[Node] = []

    def walk(n: Node) -> None:
        order.append(n)
        for k in n.kids:
            walk(k)

    walk(entries[0])
    ids = {id(n): i for i, n in enumerate(order)}
    # mini stream and big streams
    mini = bytearray()
    minifat: list[int] = []
    big: list[tuple[Node, bytes]] = []
    start: dict[int, int] = {}
    for n in order[1:]:
        if n.data is None:
            continue
        if len(n.data) < CUTOFF:
            first = len(mini) // MINI
            count = max(1, -(-len(n.data) // MINI)) if n.data else 0
            if count:
                start[id(n)] = first
                minifat += [first + i + 1 if i < count - 1 else END for i in range(count)]
                mini += n.data.ljust(count * MINI, b"\0")
            else:
                start[id(n)] = END
        else:
            big.append((n, n.data))
    # sectors: [FAT...][dir...][minifat...][ministream...][big streams...]
    n_dir = -(-len(order) * 128 // SECTOR)
    n_minifat = -(-len(minifat) * 4 // SECTOR) if minifat else 0
    n_mini = -(-len(mini) // SECTOR) if mini else 0
    big_sectors = [-(-len(d) // SECTOR) for _, d in big]
    payload = n_dir + n_minifat + n_mini + sum(big_sectors)
    n_fat = 1
    while n_fat * (SECTOR // 4) < payload + n_fat:
        n_fat += 1
    assert n_fat <= 109
    fat = [FREE] * (n_fat * SECTOR // 4)
    for i in range(n_fat):
        fat[i] = FATSECT
    pos = n_fat
    dir_start = pos
    _chain(fat, pos, n_dir)
    pos += n_dir
    minifat_start = pos if n_minifat else END
    _chain(fat, pos, n_minifat)
    pos += n_minifat
    mini_start = pos if n_mini else END
    _chain(fat, pos, n_mini)
    pos += n_mini
    for (n, _), count in zip(big, big_sectors, strict=True):
        start[id(n)] = pos
        _chain(fat, pos, count)
        pos += count
    start[id(order[0])] = mini_start
    dir_bytes = b"".join(_dir_entry(n, order, ids, start, len(mini) if n is order[0] else -1) for n in order)
    dir_bytes = dir_bytes.ljust(n_dir * SECTOR, b"\0")
    # unused directory slots must be empty entries with NOSTREAM links
    empty = _empty_entry()
    used = len(order) * 128
    dir_bytes = dir_bytes[:used] + empty * ((len(dir_bytes) - used) // 128)
    header = bytearray(SECTOR)
    header[0:8] = bytes.fromhex("D0CF11E0A1B11AE1")
    struct.pack_into("<HHHHH", header, 24, 0x003E, 0x0003, 0xFFFE, 9, 6)
    struct.pack_into("<I", header, 40, 0)  # directory sectors (v3: 0)
    struct.pack_into("<I", header, 44, n_fat)
    struct.pack_into("<I", header, 48, dir_start)
    struct.pack_into("<I", header, 52, 0)
    struct.pack_into("<I", header, 56, CUTOFF)
    struct.pack_into("<I", header, 60, minifat_start)
    struct.pack_into("<I", header, 64, n_minifat)
    struct.pack_into("<I", header, 68, END)
    struct.pack_into("<I", header, 72, 0)
    difat = [i for i in range(n_fat)] + [FREE] * (109 - n_fat)
    struct.pack_into("<109I", header, 76, *difat)
    body = b"".join(struct.pack("<I", x) for x in fat)
    body += dir_bytes
    if n_minifat:
        mf = minifat + [FREE] * (n_minifat * SECTOR // 4 - len(minifat))
        body += b"".join(struct.pack("<I", x) for x in mf)
    body += bytes(mini).ljust(n_mini * SECTOR, b"\0")
    for _, d in big:
        body += d.ljust(-(-len(d) // SECTOR) * SECTOR, b"\0")
    return bytes(header) + body


def _empty_entry() -> bytes:
    e = bytearray(128)
    struct.pack_into("<III", e, 68, NOSTREAM, NOSTREAM, NOSTREAM)
    return bytes(e)


def _dir_entry(
    n: Node, order: list[Node], ids: dict[int, int], start: dict[int, int], root_size: int
) -> bytes:
    e = bytearray(128)
    name = n.name.encode("utf-16-le") + b"\0\0"
    assert len(name) <= 64, n.name
    e[0 : len(name)] = name
    struct.pack_into("<H", e, 64, len(name))
    is_root = n is order[0]
    e[66] = 5 if is_root else (1 if n.data is None else 2)
    e[67] = 1  # black
    # siblings: each storage's children as a chain to the right (all black: a valid tree
    # shape for readers that walk it; extract-msg looks names up after walking)
    parent = next((p for p in order if any(k is n for k in p.kids)), None)
    right = NOSTREAM
    if parent is not None:
        i = next(j for j, k in enumerate(parent.kids) if k is n)
        if i + 1 < len(parent.kids):
            right = ids[id(parent.kids[i + 1])]
    child = ids[id(n.kids[0])] if n.kids else NOSTREAM
    struct.pack_into("<III", e, 68, NOSTREAM, right, child)
    if is_root:
        struct.pack_into("<I", e, 116, start[id(n)])
        struct.pack_into("<Q", e, 120, root_size)
    elif n.data is not None:
        struct.pack_into("<I", e, 116, start.get(id(n), END))
        struct.pack_into("<Q", e, 120, len(n.data))
    return bytes(e)


# --------------------------------------------------------------------------- MS-OXMSG


def _filetime(when: dt.datetime) -> int:
    return int((when - dt.datetime(1601, 1, 1, tzinfo=dt.UTC)).total_seconds() * 10_000_000)


def _props(
    strings: dict[int, str],
    longs: dict[int, int],
    times: dict[int, dt.datetime],
    binaries: dict[int, bytes],
    header: bytes,
) -> tuple[Node, list[Node]]:
    entries = b""
    kids: list[Node] = []
    for pid, text in strings.items():
        data = text.encode("utf-16-le")  # no terminator in the stream; the size counts one
        entries += struct.pack("<IIII", (pid << 16) | PT_UNICODE, 6, len(data) + 2, 0)
        kids.append(stream(f"__substg1.0_{pid:04X}{PT_UNICODE:04X}", data))
    for pid, data in binaries.items():
        entries += struct.pack("<IIII", (pid << 16) | PT_BINARY, 6, len(data), 0)
        kids.append(stream(f"__substg1.0_{pid:04X}{PT_BINARY:04X}", data))
    for pid, value in longs.items():
        entries += struct.pack("<IIII", (pid << 16) | PT_LONG, 6, value, 0)
    for pid, when in times.items():
        entries += struct.pack("<IIQ", (pid << 16) | PT_SYSTIME, 6, _filetime(when))
    return stream("__properties_version1.0", header + entries), kids


@dataclass(frozen=True)
class MsgAttachment:
    name: str
    data: bytes = b""
    embedded: MsgMessage | None = None
    content_id: str = ""


@dataclass(frozen=True)
class MsgMessage:
    subject: str
    sender: str
    sender_name: str
    when: dt.datetime
    message_id: str
    attachments: tuple[MsgAttachment, ...] = ()


def _message_kids(m: MsgMessage, top: bool) -> list[Node]:
    headers = (
        f"From: {m.sender_name} <{m.sender}>\r\nTo: hdb@example.edu.cn\r\nSubject: {m.subject}\r\n"
        f"Date: {m.when.strftime('%a, %d %b %Y %H:%M:%S %z')}\r\nMessage-ID: {m.message_id}\r\n"
        "MIME-Version: 1.0\r\n\r\n"
    )
    strings = {
        0x001A: "IPM.Note",
        0x0037: m.subject,
        0x0C1A: m.sender_name,
        0x0C1F: m.sender,
        0x0042: m.sender_name,
        0x0065: m.sender,
        0x1000: "附件请查收",
        0x1035: m.message_id,
    }
    if top:
        strings[0x007D] = headers
    n = len(m.attachments)
    head = struct.pack("<8xIIII", 0, n, 0, n) + (b"\0" * 8 if top else b"")
    props, kids = _props(strings, {0x340D: 0x00040000}, {0x0039: m.when, 0x0E06: m.when}, {}, head)
    kids = (
        [
            props,
            *kids,
            storage(
                "__nameid_version1.0",
                [
                    stream("__substg1.0_00020102", b""),
                    stream("__substg1.0_00030102", b""),
                    stream("__substg1.0_00040102", b""),
                ],
            ),
        ]
        if top
        else [props, *kids]
    )
    for i, a in enumerate(m.attachments):
        strings = {0x3707: a.name, 0x3704: a.name[:12], 0x3001: a.name}
        if a.content_id:
            strings[0x3712] = a.content_id
        if a.embedded is not None:
            ap, ak = _props(strings, {0x3705: 5}, {}, {}, b"\0" * 8)
            inner = storage(f"__substg1.0_3701{PT_OBJECT:04X}", _message_kids(a.embedded, top=False))
            kids.append(storage(f"__attach_version1.0_#{i:08X}", [ap, *ak, inner]))
        else:
            ap, ak = _props(strings, {0x3705: 1}, {}, {0x3701: a.data}, b"\0" * 8)
            kids.append(storage(f"__attach_version1.0_#{i:08X}", [ap, *ak]))
    return kids


def msg_file(m: MsgMessage) -> bytes:
    return compound_file(_message_kids(m, top=True))
