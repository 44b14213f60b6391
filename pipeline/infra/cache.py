"""Parse cache: a parsed workbook keyed by its content hash, its name and every
version that changes how it is parsed (code, template layout, settings).

A warm run re-reads and re-validates only workbooks whose content changed. Each entry
is one file in ``outputs/.cache/``: a header naming the format and the entry's own key,
then a pickle of our own objects (a parsed workbook keeps its rows as plain columns, not
DataFrames, so that a county's 2,100 entries load in a fraction of a second: issue 6). A
corrupt, truncated or foreign entry, or one of another type than expected, is simply a
miss.
"""

from __future__ import annotations

import hashlib
import pickle
import shutil
from pathlib import Path
from typing import Any

from pipeline.infra.atomic import write_bytes_atomic
from pipeline.infra.fingerprint import code_fingerprint
from pipeline.read import layout as L

CACHE_FORMAT = 4  # 4: header with the key; ParsedWorkbook.columns instead of frames
MAGIC = b"pledge-parse-cache\n"


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
        if root is not None:
            _remove_stale(root, keep=self.root)

    def key(self, sha256: str, name: str) -> str:
        return hashlib.sha256(f"{self.salt}:{sha256}:{name}".encode()).hexdigest()

    def _header(self, key: str) -> bytes:
        return MAGIC + key.encode("ascii") + b"\n"

    def get(self, sha256: str, name: str, expect: type | tuple[type, ...] | None = None) -> Any | None:
        """The stored value, or None (a miss) when there is none, it cannot be read or
        unpickled, it was stored under another key, or it is not an instance of ``expect``."""
        if self.root is None:
            return None
        key = self.key(sha256, name)
        header = self._header(key)
        try:
            with open(self.root / f"{key}.pkl", "rb") as fh:
                data = fh.read()
            if not data.startswith(header):
                raise ValueError("not an entry of this key")
            value = pickle.loads(memoryview(data)[len(header) :])
            if expect is not None and not isinstance(value, expect):
                raise TypeError(f"cached {type(value).__name__}")
        except Exception:
            self.misses += 1
            return None
        self.hits += 1
        return value

    def put(self, sha256: str, name: str, value: Any) -> None:
        if self.root is None:
            return
        self.put_pickled(sha256, name, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))

    def put_pickled(self, sha256: str, name: str, data: bytes) -> None:
        """Store a value pickled elsewhere (by the worker process that parsed it)."""
        if self.root is None:
            return
        key = self.key(sha256, name)
        self.root.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(self.root / f"{key}.pkl", self._header(key) + data)


def _remove_stale(root: Path, keep: Path | None) -> None:
    """Remove other versions' entry folders (and entries of the flat layout before them)."""
    try:
        stale = [
            p for p in root.iterdir() if p != keep and (p.name.startswith("parse-") or p.suffix == ".pkl")
        ]
    except OSError:
        return
    for p in stale:
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)
