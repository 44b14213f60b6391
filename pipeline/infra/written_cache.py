"""Reuse per-unit workbooks whose inputs did not change since the last run (issue 6).

A feedback workbook or a branch ledger is a pure function of its job: the writing
function, its arguments (a unit's findings and source bytes, a unit's ledger frames)
and the writing code. :class:`WrittenCache` keeps a copy of every such file under
``outputs/.cache/written/<key>.xlsx``, the key being the SHA-256 of the code
fingerprint, the function's name and a canonical serialisation of the arguments
(:func:`pipeline.infra.plain.canonical`: JSON of plain data, frames column by column).
A later run whose job has the same key copies the kept file into its output folder
instead of writing it again: re-running after one unit re-sent its workbook rewrites
that unit's files only.

Equal keys mean equal arguments, so a hit is never stale; a miss only costs the write;
arguments the canonical form cannot hold are written every time and never kept. Only
kept workbooks are read back from the folder, never code or objects. Entries no run used
are removed by :meth:`prune`, so the store holds one run's files. Copies, not hard
links: a clerk editing an output in place must never edit the kept file.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipeline.infra import plain
from pipeline.infra.fingerprint import code_fingerprint

WRITTEN_DIR = "written"


def run_kept(fn: Callable[..., None], path: Path, args: tuple[Any, ...], keep: Path | None) -> None:
    """Worker side: ``fn(path, *args)``; then keep a copy at ``keep``."""
    fn(path, *args)
    if keep is not None:
        keep.parent.mkdir(parents=True, exist_ok=True)
        tmp = keep.with_name(f".{keep.name}.{os.getpid()}.tmp")
        shutil.copyfile(path, tmp)
        os.replace(tmp, keep)


class WrittenCache:
    def __init__(self, root: Path | None) -> None:
        self.root = root / WRITTEN_DIR if root is not None else None
        self._salt = code_fingerprint().encode() if root is not None else b""
        self.used: set[str] = set()
        self.hits = 0
        self.misses = 0

    def key(self, fn: Callable[..., None], suffix: str, args: tuple[Any, ...]) -> str | None:
        """The job's key; None when its arguments have no canonical form."""
        try:
            data = plain.canonical(args)
        except plain.PlainError:
            return None
        h = hashlib.sha256(self._salt)
        h.update(f"{fn.__module__}.{fn.__qualname__}:{suffix}\n".encode())
        h.update(data)
        return h.hexdigest()

    def job(self, fn: Callable[..., None], path: Path, *args: Any) -> Path | bool | None:
        """Place the kept file for this job at ``path`` and return True; or return where
        the worker should keep the file it writes (None: do not keep it)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        if self.root is None:
            return None
        key = self.key(fn, path.suffix, args)
        if key is None:
            self.misses += 1
            return None
        self.used.add(key)
        kept = self.root / f"{key}{path.suffix}"
        try:
            shutil.copyfile(kept, path)
        except OSError:
            self.misses += 1
            return kept
        self.hits += 1
        return True

    def prune(self) -> None:
        """Remove the kept files this run did not use (call after a successful run)."""
        if self.root is None or not self.root.is_dir():
            return
        for p in self.root.iterdir():
            key = p.name.split(".", 1)[0]
            if key not in self.used or p.name.startswith("."):
                p.unlink(missing_ok=True)
