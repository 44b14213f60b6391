"""Content hashes of files, each file hashed once per process (and early, where it helps).

:func:`file_hash` is the SHA-256 of a file's bytes, remembered for this process while the
file's path, size, modification and change times and inode stay the same: a run hashes
its inputs for the snapshot key before and after consolidating them, and the inbox in
between.

:func:`prehash` hashes the files of some folders in a *forked child* while this process
goes on with its own work, on the other core: a warm county run checks ~4,000 workbooks
of its last outputs (144 MB, ~0.35 s) before it hard-links them
(:mod:`pipeline.infra.written_cache`), and the other core is idle while the run loads its
parse cache. The child sends back each file's stat and hash; :func:`collect` (where the
run is about to check them) puts them into the memo, as if this process had hashed them
then: a file changed since has another stat and is hashed again when asked for.
:func:`cancel` ends the child at once (a cold run wants both cores for parsing). Where the
platform cannot fork (Windows), or another thread runs, nothing is done early. (A thread
would not do: its every file waits for this process's GIL.)
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import time
from collections.abc import Callable, Iterable
from pathlib import Path


def _settled(mtime_ns: int, ctime_ns: int) -> bool:
    """As git does for "racy" files: a file changed within its clock's granularity could
    change again without its stat changing, so it is not remembered. The modification
    time has a coarse clock on some drives (FAT: 2 s); the change time, where it records
    changes (Linux, macOS; on Windows it is the creation time), ticks in milliseconds. So
    a file counts as settled 2 s after its last modification and 0.1 s after its last
    change (a hard link made or removed changes it: the last outputs' files, when the
    folder that shared them is deleted)."""
    now = time.time_ns()
    return mtime_ns < now - _RACY_NS and ctime_ns < now - _RACY_CTIME_NS


def _stamp(path: str | Path) -> tuple[str, int, int, int, int]:
    """What identifies a file's content for the memo: path, size, modification and change
    times, inode."""
    st = os.stat(path)
    return (os.path.abspath(path), st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


_HASHES: dict[tuple[str, int, int, int, int], str] = {}  # this process's hashes, by path and stat
_MEMO_MAX = 100_000  # a long-lived process (the test suite) starts again past this many
_RACY_NS = 2_000_000_000
_RACY_CTIME_NS = 100_000_000


def file_hash(path: Path) -> str:
    """SHA-256 of the file's content. Hashed once per process while the file's size,
    modification and change times and inode stay the same."""
    try:
        stamp: tuple[str, int, int, int, int] | None = _stamp(path)
    except OSError:
        stamp = None
    if stamp is not None:
        kept = _HASHES.get(stamp)
        if kept is not None:
            return kept
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    digest = h.hexdigest()
    if stamp is not None and _settled(stamp[2], stamp[3]):
        if len(_HASHES) > _MEMO_MAX:
            _HASHES.clear()
        _HASHES[stamp] = digest
    return digest


_child: tuple[int, int] | None = None  # (pid, read end of its pipe) of the running prehash
_stopped: list[int] = []  # children told to stop, not yet waited for
_stop = False  # in the child: asked to stop hashing (SIGUSR1)


def _hash_folders(folders: list[Path]) -> bytes:
    """The child's work: one line per settled file of ``folders`` (not below them), in
    order: its stamp and hash as JSON."""
    lines = []
    for folder in folders:
        try:
            names = sorted(e.path for e in os.scandir(folder) if e.is_file(follow_symlinks=False))
        except OSError:
            continue  # no such folder (a first run)
        for name in names:
            if _stop:
                return b""
            try:
                stamp = _stamp(name)
                digest = file_hash(Path(name))
            except OSError:
                continue  # gone or unreadable: whoever asks for it finds out
            if _HASHES.get(stamp) == digest:  # settled (file_hash remembered it): sent
                lines.append(json.dumps([list(stamp), digest]))
    return ("\n".join(lines) + "\n").encode("utf-8")


def _asked_to_stop(signum: int, frame: object) -> None:
    global _stop
    _stop = True


def prehash(folders: Iterable[Path], first: Callable[[], None] | None = None) -> bool:
    """Hash the files in ``folders`` in a forked child (see the module doc), after
    ``first()`` there (removing the folder that shared the last outputs' files: it changes
    their stat, so it comes before). False where this process cannot fork: nothing done,
    ``first`` not called."""
    global _child
    from pipeline.infra.background import can_fork  # background forks too; it imports this module

    cancel()
    if not can_fork():
        return False
    folders = list(folders)
    parent = os.getpid()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: hash, send, end (no exit handlers, no flushing of buffers)
        code = 1
        try:
            signal.signal(signal.SIGUSR1, _asked_to_stop)
            from pipeline.infra.parallel import die_with_parent

            os.close(r)
            die_with_parent(parent)
            if first is not None:
                first()
                time.sleep(_RACY_CTIME_NS / 1e9)  # the files it changed settle
            data = _hash_folders(folders)
            if not _stop:
                with os.fdopen(w, "wb") as out:
                    out.write(data)
            code = 0
        finally:
            os._exit(code)
    os.close(w)
    _child = (pid, r)
    return True


def collect() -> int:
    """Wait for the prehash child and put what it hashed into the memo; how many files."""
    global _child
    _reap()
    if _child is None:
        return 0
    pid, r = _child
    _child = None
    with os.fdopen(r, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    if status != 0:
        return 0  # it failed: every file is hashed when asked for
    n = 0
    for line in data.splitlines():
        try:
            stamp, digest = json.loads(line)
            key = (str(stamp[0]), int(stamp[1]), int(stamp[2]), int(stamp[3]), int(stamp[4]))
        except (ValueError, TypeError, IndexError):
            continue
        if isinstance(digest, str) and len(_HASHES) <= _MEMO_MAX:
            _HASHES[key] = digest
            n += 1
    return n


def cancel() -> None:
    """Tell the prehash child, if any, to stop hashing (what it does first, it finishes),
    and use nothing it sends."""
    global _child
    _reap()
    if _child is None:
        return
    pid, r = _child
    _child = None
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGUSR1)
    os.close(r)
    _stopped.append(pid)


def _reap() -> None:
    for pid in list(_stopped):
        with contextlib.suppress(OSError):
            if os.waitpid(pid, os.WNOHANG)[0] == 0:
                continue  # still running
        _stopped.remove(pid)
