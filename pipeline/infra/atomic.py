"""All-or-nothing outputs and the run lock.

- :func:`atomic_path` writes one file through a temporary name in the same folder and
  ``os.replace``-s it into place: readers see the old file or the new one, never half.
- :class:`OutputStage` builds a whole output folder (``outputs/<as-of>/``) in a hidden
  staging folder and swaps it in at the end. Files of the old folder that this run does
  not produce (another command's outputs) are carried over by hard link. A run killed
  midway leaves the previous folder intact; a swap interrupted between its two renames
  is repaired by the next run. The folder it replaces is removed at once, or, with
  ``discard_to``, moved into that folder and removed by the next run on the other core
  (:func:`empty_discarded`; a county's 4,000 files take half a second to delete).
- :func:`run_lock` stops two runs from writing the same outputs at once, through the
  ``filelock`` library (an OS lock on ``outputs/.lock``: ``flock`` on Linux and macOS,
  ``msvcrt.locking`` on Windows), so it is released when the process dies, however it dies.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock, Timeout

from pipeline.core.errors import LockedError
from pipeline.infra import background

STAGING_PREFIX = ".staging-"
OLD_PREFIX = ".old-"
DISCARDED = "discarded"  # the folder in outputs/.cache that replaced output folders wait in


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{path.stem[:40]}.", suffix=path.suffix + ".tmp", dir=path.parent
    )
    os.close(fd)
    tmp = Path(tmp_name)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; outputs are ordinary files
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_text_atomic(path: Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_bytes_atomic(path: Path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def _link_or_copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def recover(target: Path) -> None:
    """Repair an interrupted swap and remove stale staging folders beside ``target``."""
    parent = target.parent
    if not parent.is_dir():
        return
    old = parent / f"{OLD_PREFIX}{target.name}"
    if old.exists():
        if not target.exists():
            os.rename(old, target)
        else:
            shutil.rmtree(old, ignore_errors=True)
    for stale in parent.glob(f"{STAGING_PREFIX}{target.name}-*"):
        shutil.rmtree(stale, ignore_errors=True)


def discard(folder: Path, into: Path | None) -> None:
    """Remove ``folder``: now, or (``into`` given) by moving it into ``into`` under a name
    of its own, for :func:`empty_discarded` to remove later; removed now when it cannot be
    moved there."""
    if into is not None:
        try:
            into.mkdir(parents=True, exist_ok=True)
            fresh = (
                into / f"{folder.name.lstrip('.')}-{os.urandom(8).hex()}"
            )  # Windows: never an existing name
            os.rename(folder, fresh)
            return
        except OSError:
            pass
    shutil.rmtree(folder, ignore_errors=True)


def empty_discarded(into: Path) -> None:
    """Remove what :func:`discard` moved into ``into`` (the entries there now: one moved in
    meanwhile is left for the next time)."""
    try:
        entries = list(into.iterdir())
    except OSError:
        return
    for entry in entries:
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                entry.unlink()


class OutputStage:
    """Stage files for ``target`` and swap them in on :meth:`commit`.

    ``owned`` names the top-level entries of ``target`` this run replaces; everything
    else in an existing ``target`` is carried over unchanged.
    """

    def __init__(self, target: Path, owned: set[str] | None = None, discard_to: Path | None = None) -> None:
        """``discard_to``: a folder (on the same drive) the replaced folder is moved into
        on :meth:`commit` instead of being deleted then (see :func:`empty_discarded`)."""
        self.target = target
        self.owned = owned
        self.discard_to = discard_to
        target.parent.mkdir(parents=True, exist_ok=True)
        recover(target)
        self.dir = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{target.name}-", dir=target.parent))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(self.dir, 0o777 & ~umask)
        self.written: set[str] = set()

    def previous(self, path: Path) -> Path:
        """Where the outputs this stage replaces hold the file staged at ``path``."""
        return self.target / path.relative_to(self.dir)

    def path(self, relative: str) -> Path:
        p = self.dir / relative
        p.parent.mkdir(parents=True, exist_ok=True)
        self.written.add(Path(relative).parts[0])
        return p

    def commit(self) -> Path:
        replaced = self.written | (self.owned or set())
        if self.target.exists():
            for entry in self.target.iterdir():
                if entry.name in replaced:
                    continue
                if entry.is_dir():
                    for f in entry.rglob("*"):
                        if f.is_file():
                            _link_or_copy(f, self.dir / f.relative_to(self.target))
                else:
                    _link_or_copy(entry, self.dir / entry.name)
            old = self.target.parent / f"{OLD_PREFIX}{self.target.name}"
            os.rename(self.target, old)
            os.rename(self.dir, self.target)
            discard(old, self.discard_to)
        else:
            os.rename(self.dir, self.target)
        return self.target

    def abort(self) -> None:
        # A background task writing into this stage (infra.background) ends first, or
        # never begins: nothing is written into the folder after it is removed.
        background.wait_all(rerun=False)
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> OutputStage:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.abort()


@contextlib.contextmanager
def run_lock(outputs: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``outputs/.lock`` for the duration of a run; another
    holder (this process or any other) means :class:`LockedError` (exit 3) at once."""
    outputs.mkdir(parents=True, exist_ok=True)
    lock = FileLock(outputs / ".lock", timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise LockedError(
            f"另一个汇总任务正在使用 {outputs}/（可能有人同时在运行）。请等它结束后再运行；若确认没有其他任务，请稍后重试。"
        ) from None
    # No background write outlives the run (infra.background); after a failure the
    # children are only waited for: their work is not redone into an aborted stage.
    try:
        yield
    except BaseException:
        try:
            background.wait_all(rerun=False)
        finally:
            lock.release()
        raise
    try:
        background.wait_all()  # on success a failed child's work is done here
    finally:
        lock.release()
