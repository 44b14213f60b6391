"""Reuse per-unit workbooks whose inputs did not change since the last run (issue 6).

A feedback workbook or a branch ledger is a pure function of its job: the writing
function, its arguments (a unit's findings and source bytes, a unit's ledger frames)
and the writing code. :class:`WrittenCache` keeps a copy of every such file under
``outputs/.cache/written/<key>-<sha256>.xlsx``, the key being the SHA-256 of the code
fingerprint, the function's name and a canonical serialisation of the arguments
(:func:`pipeline.infra.plain.key_bytes` of each argument, length first: a tagged
repr, frames column by column),
and ``<sha256>`` the hash of the kept file itself. A later run whose job has the same key
copies the kept file into its output folder instead of writing it again: re-running
after one unit re-sent its workbook rewrites that unit's files only.

Equal keys mean equal arguments, so a hit is never stale; a kept file whose bytes no
longer have their recorded hash (truncated, edited, replaced) is a miss and is removed;
a miss only costs the write; arguments the canonical form cannot hold are written every
time and never kept. Only kept workbooks are read back from the folder, never code or
objects. Entries no run used are removed by :meth:`prune`, so the store holds one run's
files. Copies, not hard links: a clerk editing an output in place must never edit the
kept file.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.infra import plain
from pipeline.infra.fingerprint import code_fingerprint
from pipeline.infra.hashing import file_hash

WRITTEN_DIR = "written"
_ENTRY = re.compile(r"([0-9a-f]{64})-([0-9a-f]{64})(\.[^.]+)")


def kept_entries(root: Path | None, pattern: re.Pattern[str]) -> list[tuple[Path, re.Match[str]]]:
    """The files of a keeping folder whose names match ``pattern`` (an unreadable or
    missing folder has none), for the caches that name entries by key."""
    try:
        names = list(root.iterdir()) if root is not None else []
    except OSError:
        return []
    return [(p, m) for p in names if (m := pattern.fullmatch(p.name))]


@dataclass(frozen=True)
class Deferred:
    """A job argument built only when the job is not reused: keyed by ``plain.key_bytes``
    of ``value``, which must equal the key bytes of ``build(value)`` (a branch ledger of
    row ranges and the ledger built from them). :func:`resolved` builds it."""

    value: Any
    build: Callable[[Any], Any]


def resolved(args: tuple[Any, ...]) -> tuple[Any, ...]:
    """``args`` with every :class:`Deferred` built (before they go to a worker)."""
    return tuple(a.build(a.value) if isinstance(a, Deferred) else a for a in args)


def run_kept(fn: Callable[..., None], path: Path, args: tuple[Any, ...], keep: Path | None) -> None:
    """Worker side: ``fn(path, *args)``; then keep a copy as ``<keep stem>-<sha256><suffix>``."""
    fn(path, *args)
    if keep is not None:
        keep.parent.mkdir(parents=True, exist_ok=True)
        tmp = keep.with_name(f".{keep.name}.{os.getpid()}.tmp")
        shutil.copyfile(path, tmp)
        os.replace(tmp, keep.with_name(f"{keep.stem}-{file_hash(tmp)}{keep.suffix}"))


class WrittenCache:
    def __init__(self, root: Path | None) -> None:
        self.root = root / WRITTEN_DIR if root is not None else None
        self._salt = code_fingerprint().encode() if root is not None else b""
        self._index: dict[str, tuple[Path, str]] | None = None
        self._memo: dict[int, tuple[Any, bytes]] = {}
        self.used: set[str] = set()
        self.hits = 0
        self.misses = 0

    def _entries(self) -> dict[str, tuple[Path, str]]:
        """key -> (kept file, its recorded SHA-256), read once from the folder."""
        if self._index is None:
            self._index = {m[1]: (p, m[2]) for p, m in kept_entries(self.root, _ENTRY)}
        return self._index

    def kept_count(self) -> int:
        """How many files the last run kept (0 without a folder)."""
        return len(self._entries()) if self.root is not None else 0

    def key(self, fn: Callable[..., None], suffix: str, args: tuple[Any, ...]) -> str | None:
        """The job's key; None when its arguments have no canonical form."""
        h = hashlib.sha256(self._salt)
        h.update(f"{fn.__module__}.{fn.__qualname__}:{suffix}:{len(args)}\n".encode())
        try:
            for arg in args:  # each argument's bytes, length first: their sequence is unambiguous
                data = self._arg_bytes(arg)
                h.update(f"{len(data)}\n".encode())
                h.update(data)
        except plain.PlainError:
            return None
        return h.hexdigest()

    def _arg_bytes(self, arg: Any) -> bytes:
        """:func:`plain.key_bytes` of one argument; a frozen dataclass (the settings,
        passed to every feedback job) is walked once a run and its bytes reused while it
        lives (the memo holds it, so its id is not reused)."""
        if isinstance(arg, Deferred):
            return plain.key_bytes(arg.value)
        params = getattr(arg.__class__, "__dataclass_params__", None)
        if params is None or not params.frozen:
            return plain.key_bytes(arg)
        kept = self._memo.get(id(arg))
        if kept is None or kept[0] is not arg:
            kept = self._memo[id(arg)] = (arg, plain.key_bytes(arg))
        return kept[1]

    def _copy_verified(self, src: Path, sha: str, dst: Path) -> bool:
        try:
            data = src.read_bytes()
        except OSError:
            return False
        if hashlib.sha256(data).hexdigest() != sha:
            src.unlink(missing_ok=True)  # damaged or replaced: never copied into an output
            return False
        dst.write_bytes(data)
        return True

    def _link_previous(self, previous: Path, sha: str, dst: Path) -> bool:
        """Hard-link ``previous`` (the last run's output at the same place) to ``dst`` when
        it still holds exactly the kept bytes ``sha``: no new file is written, and the
        folder ``previous`` is in is discarded once this run's outputs replace it, so the
        two never share a file for long (a county's warm run places ~3,400 unchanged
        workbooks: issue 16). False (nothing placed) where it differs, is missing, or the
        drive has no hard links; a file changed while it was checked is not used either."""
        try:
            before = os.stat(previous)
            if file_hash(previous) != sha:  # hashed early, on the other core, where it could be
                return False
            os.link(previous, dst)
        except OSError:
            return False
        try:
            after = os.stat(dst)
            same = (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
        except OSError:
            same = False
        if not same:
            dst.unlink(missing_ok=True)
        return same

    def job(
        self, fn: Callable[..., None], path: Path, *args: Any, previous: Path | None = None
    ) -> Path | bool | None:
        """Place the kept file for this job at ``path`` and return True; or return where
        the worker should keep the file it writes (None: do not keep it). ``previous``:
        where the last run's outputs hold this job's file (linked when unchanged)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        if self.root is None:
            return None
        key = self.key(fn, path.suffix, args)
        if key is None:
            self.misses += 1
            return None
        self.used.add(key)
        hit = self._entries().get(key)
        if hit is not None and (
            (previous is not None and self._link_previous(previous, hit[1], path))
            or self._copy_verified(hit[0], hit[1], path)
        ):
            self.hits += 1
            return True
        self.misses += 1
        return self.root / f"{key}{path.suffix}"

    def prune(self) -> None:
        """Remove the kept files this run did not use, and anything else in the folder
        (call after a successful run)."""
        if self.root is None or not self.root.is_dir():
            return
        for p in self.root.iterdir():
            m = _ENTRY.fullmatch(p.name)
            if m is None or m[1] not in self.used or p.is_dir():
                if p.is_dir():
                    shutil.rmtree(p, ignore_errors=True)
                else:
                    p.unlink(missing_ok=True)
