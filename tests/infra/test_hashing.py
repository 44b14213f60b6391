"""File hashes once per process, and the last outputs hashed on a thread (issue 16)."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest

from pipeline.infra import background, hashing
from pipeline.infra.atomic import empty_discarded


def _old(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    then = time.time() - 60
    os.utime(path, (then, then))
    return path


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files count as settled at once (a file's change time cannot be set back, and a file
    changed in the last two seconds is not remembered)."""
    monkeypatch.setattr(hashing, "_RACY_NS", -(10**12))
    monkeypatch.setattr(hashing, "_RACY_CTIME_NS", -(10**12))


def test_a_file_is_hashed_once_while_its_stat_stays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settled: None
) -> None:
    p = _old(tmp_path / "a.xlsx", b"one")
    assert hashing.file_hash(p) == hashlib.sha256(b"one").hexdigest()
    opened: list[str] = []
    real_open = open
    monkeypatch.setattr("builtins.open", lambda f, *a, **k: opened.append(str(f)) or real_open(f, *a, **k))
    assert hashing.file_hash(p) == hashlib.sha256(b"one").hexdigest()
    assert opened == []  # remembered
    _old(p, b"two")  # new content and stat: hashed again
    assert hashing.file_hash(p) == hashlib.sha256(b"two").hexdigest()


def test_a_file_changed_just_now_is_not_remembered(tmp_path: Path) -> None:
    p = tmp_path / "fresh.xlsx"
    p.write_bytes(b"x")
    hashing.file_hash(p)
    assert hashing._stamp(p) not in hashing._HASHES


@pytest.fixture
def forking(monkeypatch: pytest.MonkeyPatch) -> None:
    if not hasattr(os, "fork"):
        pytest.skip("fork only")
    monkeypatch.setattr(background, "other_threads", lambda: False)  # the session's helper thread
    monkeypatch.setenv("PLEDGE_WORKERS", "2")
    monkeypatch.delenv("PLEDGE_START_METHOD", raising=False)
    monkeypatch.delenv("PLEDGE_BACKGROUND", raising=False)


def test_prehash_fills_the_memo_from_a_child(tmp_path: Path, settled: None, forking: None) -> None:
    feedback, branches = tmp_path / "反馈", tmp_path / "支部台账"
    feedback.mkdir()
    branches.mkdir()
    files = [_old(feedback / f"{i}.xlsx", bytes([i]) * 100) for i in range(5)]
    files += [_old(branches / f"{i}.xlsx", bytes([i + 9]) * 100) for i in range(3)]
    (feedback / "below").mkdir()  # a folder in it: not hashed, no error
    for p in files:
        hashing._HASHES.pop(hashing._stamp(p), None)
    hashing.prehash([feedback, branches, tmp_path / "missing"])
    assert hashing.collect() == len(files)
    for p in files:
        assert hashing._HASHES[hashing._stamp(p)] == hashlib.sha256(p.read_bytes()).hexdigest()
    assert hashing.collect() == 0  # nothing running any more


def test_a_file_changed_after_the_child_hashed_it_is_hashed_again(
    tmp_path: Path, settled: None, forking: None
) -> None:
    p = _old(tmp_path / "a.xlsx", b"before")
    hashing.prehash([tmp_path])
    assert hashing.collect() == 1
    p.write_bytes(b"after!")  # same size, new content: another stat
    assert hashing.file_hash(p) == hashlib.sha256(b"after!").hexdigest()


def test_cancel_ends_the_child_and_nothing_is_used(tmp_path: Path, settled: None, forking: None) -> None:
    p = _old(tmp_path / "a.xlsx", b"x" * 10)
    hashing._HASHES.pop(hashing._stamp(p), None)
    hashing.prehash([tmp_path])
    hashing.cancel()
    assert hashing.collect() == 0
    assert hashing._stamp(p) not in hashing._HASHES
    assert hashing.file_hash(p) == hashlib.sha256(b"x" * 10).hexdigest()


def test_nothing_is_forked_where_the_process_cannot_fork(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _old(tmp_path / "a.xlsx", b"a")
    monkeypatch.setattr(background, "can_fork", lambda: False)
    hashing.prehash([tmp_path])
    assert hashing._child is None and hashing.collect() == 0


def test_the_folder_sharing_the_files_is_removed_first_and_they_are_still_sent(
    tmp_path: Path, forking: None
) -> None:
    """The last outputs share their files with the folder they replaced (hard links): the
    child removes that folder first, which changes the files' change time, waits for it
    to settle and sends their hashes with the stat the parent then finds."""
    outputs, discarded = tmp_path / "反馈", tmp_path / "discarded"
    outputs.mkdir()
    (discarded / "old").mkdir(parents=True)
    files = [_old(outputs / f"{i}.xlsx", bytes([i]) * 50) for i in range(4)]
    for p in files:
        os.link(p, discarded / "old" / p.name)
    time.sleep(0.2)

    def first() -> None:
        empty_discarded(discarded)

    assert hashing.prehash([outputs], first=first)
    assert hashing.collect() == len(files)
    assert list(discarded.iterdir()) == []
    for p in files:
        assert os.stat(p).st_nlink == 1
        assert hashing._HASHES[hashing._stamp(p)] == hashlib.sha256(p.read_bytes()).hexdigest()
