"""Parse cache: a parsed workbook keyed by its content hash, its name and every
version that changes how it is parsed (code, template layout, settings).

A warm run re-reads and re-validates only workbooks whose content changed. Each entry
is one file in ``outputs/.cache/``: a header naming the format and the entry's own key,
then the value as JSON of plain data (:mod:`pipeline.infra.plain`; never serialised Python objects,
which would run code from a folder anyone on a shared drive can write: issue 17). A parsed
workbook keeps its rows as plain columns, not DataFrames, so that a county's 2,100
entries load in a fraction of a second (issue 6). A corrupt, truncated, hand-edited or
foreign entry, or one of another type than expected, is simply a miss.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pipeline.infra import plain
from pipeline.infra.atomic import write_bytes_atomic
from pipeline.infra.fingerprint import code_fingerprint
from pipeline.read import layout as L

CACHE_FORMAT = 5  # 4: header with the key; ParsedWorkbook.columns instead of frames; 5: JSON
MAGIC = b"pledge-parse-cache\n"
SUFFIX = ".json"


class ParseCache:
    """Entries live in ``<root>/parse-<version>/``, one folder per code/template/settings
    version; opening the cache removes the folders of other versions (they can never hit
    again), so the cache does not grow with every upgrade or settings change."""

    def __init__(self, root: Path | None, settings_fingerprint: str) -> None:
        self.salt = f"{CACHE_FORMAT}:{code_fingerprint()}:{L.TEMPLATE_VERSION}:{settings_fingerprint}"
        version = hashlib.sha256(self.salt.encode()).hexdigest()[:16]
        self.root = root / f"parse-{version}" if root is not None else None
        self.hits = 0
        self.misses = 0
        # the bytes of values decoded here (and of values encoded elsewhere and stored
        # here): the consolidation snapshot writes them as they are (issue 16)
        self.encoded = plain.Encoded()
        if root is not None:
            _remove_stale(root, keep=self.root)

    def key(self, sha256: str, name: str) -> str:
        return hashlib.sha256(f"{self.salt}:{sha256}:{name}".encode()).hexdigest()

    def _header(self, key: str) -> bytes:
        return MAGIC + key.encode("ascii") + b"\n"

    def get(self, sha256: str, name: str, expect: type, keep: str = "", count: bool = True) -> Any | None:
        """The stored ``expect`` instance, or None (a miss) when there is none, it cannot
        be read or decoded, it was stored under another key, or it is not an ``expect``.
        ``keep``: a field whose bytes :attr:`encoded` keeps (for the snapshot); ``count``:
        whether it counts as a hit or miss (those count returned workbooks)."""
        if self.root is None:
            return None
        key = self.key(sha256, name)
        header = self._header(key)
        try:
            with open(self.root / f"{key}{SUFFIX}", "rb") as fh:
                data = fh.read()
            if not data.startswith(header):
                raise ValueError("not an entry of this key")
            value = plain.loads(memoryview(data)[len(header) :], expect)
        except Exception:
            self.misses += count
            return None
        self.hits += count
        if keep:
            self.encoded.add_member(value, keep, memoryview(data)[len(header) :])
        return value

    def put(self, sha256: str, name: str, value: Any) -> None:
        """Store ``value``; a value the plain format cannot hold is simply not stored."""
        if self.root is None:
            return
        try:
            data = plain.dumps(value)
        except plain.PlainError:
            return
        self.put_encoded(sha256, name, data)

    def rules_memo(self, keys: Mapping[str, str]) -> dict[str, Any]:
        """The last run's rule findings of every unit whose key is in ``keys``
        (:class:`pipeline.rules.by_unit.RulesMemo`); {} when there are none or they
        cannot be read. Not counted as a hit or miss (those count returned workbooks)."""
        from pipeline.rules.by_unit import RulesMemo

        memo = self.get(*RULES_MEMO, expect=RulesMemo, count=False)
        if memo is None:
            return {}
        try:
            return memo.reusable(keys)
        except Exception:  # a hand-edited or foreign entry: a miss
            return {}

    def put_rules_memo(self, memo: Any) -> None:
        """Keep this run's rule findings per unit for the next run (:meth:`rules_memo`)."""
        self.put(*RULES_MEMO, memo)

    def put_encoded(self, sha256: str, name: str, data: bytes) -> None:
        """Store a value encoded elsewhere with :func:`pipeline.infra.plain.dumps` (by the
        worker process that parsed it)."""
        if self.root is None:
            return
        key = self.key(sha256, name)
        self.root.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(self.root / f"{key}{SUFFIX}", self._header(key) + data)


RULES_MEMO = ("rules", "by-unit")  # the (sha256, name) of the rule findings kept per unit


def _remove_stale(root: Path, keep: Path | None) -> None:
    """Remove other versions' entry folders (and entries of the flat layout before them)."""
    try:
        stale = [
            p
            for p in root.iterdir()
            if p != keep and (p.name.startswith("parse-") or p.suffix in (".pkl", SUFFIX))
        ]
    except OSError:
        return
    for p in stale:
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)
