"""Consolidation snapshots: one consolidation per set of inputs, reused by every command.

A clerk runs ``make consolidate bulletin notice overdue``: four processes, each needing
the same :class:`~pipeline.jobs.consolidation.Consolidation`. The first one consolidates
and stores the result in ``outputs/.cache/consolidation/``; the others load it instead
of reading the roster and the returns and running every rule again (issue 16).

The key is the SHA-256 of: the snapshot format, the code fingerprint
(:func:`pipeline.infra.fingerprint.code_fingerprint`), AS_OF, the inputs folder (resolved and as given),
every file under ``inputs/`` (returns, evaluation, roster, settings, the arrival log)
by relative path, content SHA-256, size and modification time, the archive manifest
(received times are recorded there) and the day of the run. The time is part of the
key because the newest version of a unit is chosen by it; a file only touched is a miss
(a new consolidation), never a stale answer.

The value is plain data (:mod:`pipeline.infra.plain`, JSON; never serialised Python
objects): the Consolidation without its settings (loaded fresh on every run anyway:
their file is in the key), its frames as typed columns. A missing, corrupt, truncated,
foreign or hand-edited snapshot, or one whose files are not all in the archive any more,
is a miss: the run consolidates as if there were none.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from pipeline.infra import plain
from pipeline.infra.atomic import atomic_path
from pipeline.infra.fingerprint import code_fingerprint
from pipeline.infra.hashing import file_hash

if TYPE_CHECKING:
    from pipeline.core.settings import Settings
    from pipeline.intake.inbox import Archive
    from pipeline.jobs.consolidation import Consolidation

SNAPSHOT_FORMAT = 1
MAGIC = b"pledge-consolidation-snapshot\n"
FOLDER = "consolidation"
KEEP = 8  # snapshots kept (a few AS_OF dates side by side); older ones are removed
_FRAMES = ("members", "orgs", "logs", "plans", "excluded")


def inputs_digest(inputs: Path) -> str:
    """SHA-256 over every file under ``inputs`` (relative path, content hash, size,
    modification time) and the folder as given and resolved (files carry their path)."""
    root = inputs.resolve()
    h = hashlib.sha256(f"{root.as_posix()}\n{inputs.as_posix()}\n".encode())
    files = sorted((p for p in root.rglob("*") if p.is_file()), key=lambda p: p.relative_to(root).as_posix())
    for p in files:
        st = p.stat()
        rel = p.relative_to(root).as_posix()
        h.update(f"{rel}\0{file_hash(p)}\0{st.st_size}\0{st.st_mtime!r}\n".encode())
    return h.hexdigest()


def snapshot_key(digest: str, as_of: dt.date, manifest: Path, today: dt.date | None = None) -> str:
    """The key of a consolidation of inputs with ``digest`` for ``as_of`` by the code
    running now, on ``today``, with the archive ``manifest`` as it is (received times
    come from it; the plausibility of a received time depends on the day of the run)."""
    today = today or dt.date.today()
    try:
        recorded = file_hash(manifest)
    except OSError:
        recorded = "-"
    text = f"{SNAPSHOT_FORMAT}\n{code_fingerprint()}\n{as_of.isoformat()}\n{today.isoformat()}\n{digest}\n{recorded}\n"
    return hashlib.sha256(text.encode()).hexdigest()


class SnapshotStore:
    """``outputs/.cache/consolidation/<key>.json``; ``root`` None: no snapshots."""

    def __init__(self, cache_root: Path | None) -> None:
        self.root = cache_root / FOLDER if cache_root is not None else None
        self.hits = 0
        self.misses = 0

    def _path(self, key: str) -> Path:
        assert self.root is not None
        return self.root / f"{key}.json"

    def _header(self, key: str) -> bytes:
        return MAGIC + key.encode("ascii") + b"\n"

    def get(self, key: str, settings: Settings, archive: Archive | None = None) -> Consolidation | None:
        """The stored consolidation (with ``settings``), or None: a miss."""
        from pipeline.jobs.consolidation import Consolidation

        if self.root is None:
            return None
        try:
            data = self._path(key).read_bytes()
            header = self._header(key)
            if not data.startswith(header):
                raise ValueError("not a snapshot of this key")
            c = plain.loads(memoryview(data)[len(header) :], Consolidation)
            if archive is not None and not archive.has_all(c.files):
                raise ValueError("files missing from the archive: consolidate to archive them")
        except Exception:
            self.misses += 1
            return None
        self.hits += 1
        c.settings = settings
        return c

    def put(self, key: str, c: Consolidation, known: plain.Encoded | None = None) -> bool:
        """Store ``c``; False (nothing stored) when it holds what a snapshot cannot rebuild.
        ``known``: values whose bytes are kept (the parse cache's parsed workbooks)."""
        if self.root is None:
            return False
        frames = [getattr(c, n) for n in _FRAMES] + [c.roster.units, c.roster.members]
        if any(str(d) not in plain.FRAME_DTYPES for df in frames for d in df.dtypes):
            return False
        self.root.mkdir(parents=True, exist_ok=True)
        try:
            # written piece by piece (plain.dump_chunks): a county's snapshot is ~80 MB of
            # JSON, which as one text, its bytes and a copy would triple this writer's memory
            with atomic_path(self._path(key)) as tmp, open(tmp, "wb") as fh:
                fh.write(self._header(key))
                value = dataclasses.replace(c, settings=cast(Any, None), timings={})
                for chunk in plain.dump_chunks(value, known=known):
                    fh.write(chunk)
        except (plain.PlainError, ValueError):
            return False  # nothing written: the temporary file is removed
        self._prune(keep=self._path(key))
        return True

    def _prune(self, keep: Path) -> None:
        assert self.root is not None
        try:
            entries = sorted(
                (p for p in self.root.iterdir() if p.suffix == ".json" and p != keep),
                key=lambda p: p.stat().st_mtime,
                reverse=True,
            )
        except OSError:
            return
        for p in entries[KEEP - 1 :]:
            p.unlink(missing_ok=True)
