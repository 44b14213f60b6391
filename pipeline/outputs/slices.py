"""Each unit's rows of the ledger sheets, kept compressed and spliced into the next run (issue 16).

(变更明细 in 变更记录.xlsx is written the same way, from a store of its own:
:data:`pipeline.outputs.changes.CHANGES_SLICES`.)

After one unit re-sent its workbook, every other unit's rows of 党员承诺, 组织承诺, 履诺记实,
履诺计划 and 问题清单 are what they were. Rendering them again (row heights, SpreadsheetML,
deflate) is most of what a warm run of a county spends on the ledger. So the rows of a
sheet are written as one slice per unit (a run of consecutive rows of the same 单位编码),
each slice rendered without cell references (``r`` is optional in SpreadsheetML: a row
follows the row before it and a cell the cell before it, as Excel, WPS, LibreOffice,
calamine and openpyxl read them) and compressed on its own as raw deflate ending on a byte
boundary. Slices without references do not depend on where they land, so a later run
splices a kept slice wherever its unit's rows now start.

A slice is kept under ``outputs/.cache/slices/<key>`` where the key is the SHA-256 of the
code fingerprint, the sheet's column widths and styles, and the slice's values (their
``repr``: types are told apart). Equal keys mean equal rows, so a hit is never stale; a
damaged entry is a miss: its name records the CRC-32 of the XML (what the zip records
for the sheet) and of the compressed bytes as written, and a kept slice is used only
while its bytes have that CRC (inflating the same bytes gives the same XML: checking
them costs a CRC of ~20 MB for a county, not inflating ~340 MB). Entries no run used
are removed after a successful run, so the folder holds one ledger's worth. ``--no-cache``
writes every row the ordinary way.

Column widths come from the content, so one unit's new text can widen a column and change
the key of every slice of that sheet, although a slice's XML depends on the widths only
through its row heights. So a slice is stored under its *rows key* (styles, values, row
heights) and found through an *alias* from its *layout key* (widths, styles, values),
kept in ``aliases.json``: a run with the same widths finds every slice through its alias
without computing a row height; a run with new widths computes the heights and still finds
every slice whose heights did not change.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import zlib
from dataclasses import dataclass
from pathlib import Path

from pipeline.infra.fingerprint import code_fingerprint
from pipeline.infra.written_cache import kept_entries

SLICES_DIR = "slices"
ALIASES = "aliases.json"  # layout key -> rows key
# <key>-<CRC-32 of the XML>-<its length>-<CRC-32 of the compressed bytes>.deflate
_ENTRY = re.compile(r"([0-9a-f]{64})-([0-9a-f]{8})-([0-9]+)-([0-9a-f]{8})\.deflate")
LEVEL = 6  # zipfile's (and so xlsxwriter's) deflate level


@dataclass(frozen=True)
class Chunk:
    """Raw deflate data of ``length`` bytes of XML with CRC-32 ``crc``, ending on a byte
    boundary (a sync flush), so chunks concatenate into one deflate stream."""

    data: bytes
    length: int
    crc: int


def compress(xml: bytes) -> Chunk:
    z = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
    return Chunk(z.compress(xml) + z.flush(zlib.Z_SYNC_FLUSH), len(xml), zlib.crc32(xml))


class SliceStore:
    """Kept slices in ``root/slices`` (``root`` None: nothing kept, every slice rendered)."""

    def __init__(self, root: Path | None, folder: str = SLICES_DIR) -> None:
        """``root``: the cache folder (None: nothing kept); ``folder``: this store's own
        folder in it (one per workbook: a store's :meth:`prune` removes what its run
        did not use)."""
        self.root = root / folder if root is not None else None
        self.salt = code_fingerprint().encode() if root is not None else b""
        self._index: dict[str, Path] | None = None
        self._aliases: dict[str, str] | None = None
        self.used: set[str] = set()
        self.used_aliases: dict[str, str] = {}
        self.hits = 0
        self.misses = 0

    def beside(self, folder: str) -> SliceStore:
        """A store of its own folder in the same cache (another workbook's slices)."""
        return SliceStore(self.root.parent if self.root is not None else None, folder)

    def key(self, material: str) -> str:
        h = hashlib.sha256(self.salt)
        h.update(material.encode("utf-8", "surrogatepass"))
        return h.hexdigest()

    def _entries(self) -> dict[str, Path]:
        if self._index is None:
            self._index = {m[1]: p for p, m in kept_entries(self.root, _ENTRY)}
        return self._index

    def _alias_map(self) -> dict[str, str]:
        if self._aliases is None:
            self._aliases = {}
            if self.root is not None:
                try:
                    got = json.loads((self.root / ALIASES).read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    got = None  # none yet, or damaged: every slice is looked up by its rows key
                if isinstance(got, dict):
                    self._aliases = {
                        k: v for k, v in got.items() if isinstance(k, str) and isinstance(v, str)
                    }
        return self._aliases

    def by_alias(self, layout_key: str) -> Chunk | None:
        """The slice a ``layout_key`` led to last time (None: unknown or gone)."""
        if self.root is None:
            return None
        rows_key = self._alias_map().get(layout_key)
        if rows_key is None:
            return None
        chunk = self.get(rows_key, count_miss=False)
        if chunk is not None:
            self.used_aliases[layout_key] = rows_key
        return chunk

    def alias(self, layout_key: str, rows_key: str) -> None:
        """``layout_key`` leads to ``rows_key`` (kept for the next run at :meth:`prune`)."""
        if self.root is not None:
            self.used_aliases[layout_key] = rows_key

    def get(self, key: str, count_miss: bool = True) -> Chunk | None:
        if self.root is None:
            return None
        self.used.add(key)
        p = self._entries().get(key)
        if p is None:
            self.misses += count_miss
            return None
        m = _ENTRY.fullmatch(p.name)
        assert m is not None
        # Checked whole before it is spliced: the CRC the zip records must be that of what a
        # reader inflates, or Excel offers to "repair" the ledger; these bytes inflate to
        # that XML while they are the bytes written.
        try:
            data = p.read_bytes()
        except OSError:
            self.misses += 1
            return None
        if zlib.crc32(data) != int(m[4], 16):
            p.unlink(missing_ok=True)
            self.misses += 1
            return None
        chunk = Chunk(data, int(m[3]), int(m[2], 16))
        self.hits += 1
        return chunk

    def put(self, key: str, chunk: Chunk) -> None:
        if self.root is None:
            return
        self.used.add(key)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            final = self.root / f"{key}-{chunk.crc:08x}-{chunk.length}-{zlib.crc32(chunk.data):08x}.deflate"
            tmp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
            tmp.write_bytes(chunk.data)
            os.replace(tmp, final)
        except OSError:
            pass  # a slice not kept costs only its rendering next time

    def prune(self) -> None:
        """Remove the slices this run did not use (after a successful run)."""
        if self.root is None or not self.root.is_dir():
            return
        aliases = {k: v for k, v in self.used_aliases.items() if v in self.used}
        try:
            tmp = self.root / f".{ALIASES}.{os.getpid()}.tmp"
            tmp.write_text(json.dumps(aliases, sort_keys=True), encoding="utf-8")
            os.replace(tmp, self.root / ALIASES)
        except OSError:
            pass  # without aliases the next run computes row heights to find its slices
        for p in self.root.iterdir():
            if p.name == ALIASES:
                continue
            m = _ENTRY.fullmatch(p.name)
            if m is None or m[1] not in self.used:
                if p.is_dir():
                    shutil.rmtree(p, ignore_errors=True)
                else:
                    p.unlink(missing_ok=True)
