"""Background tasks (infra.background): the same files as inline, waited for before the
run lock is released, and a failed child means the work runs again here."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from pipeline.infra import background
from pipeline.infra.atomic import run_lock


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def _write_or_fail_in_child(path: Path, parent: int) -> None:
    if os.getpid() != parent:
        raise RuntimeError("fails in the child only")
    path.write_text(f"written by {os.getpid()}", encoding="utf-8")


@pytest.fixture
def forking(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fork as a CLI run does: two workers, no forced start method, and the test
    session's own helper thread (tests/early.py) not counted."""
    monkeypatch.setenv("PLEDGE_WORKERS", "2")
    monkeypatch.delenv("PLEDGE_START_METHOD", raising=False)
    monkeypatch.setattr(background, "other_threads", lambda: False)


def _must_not_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_fork() -> int:
        raise AssertionError("forked")

    monkeypatch.setattr(os, "fork", no_fork)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork only")
def test_a_task_writes_in_a_child_and_wait_returns_once_it_is_there(tmp_path: Path, forking: None) -> None:
    target = tmp_path / "out.txt"
    task = background.start(_write, target, "甲")
    assert task.forked, [t.name for t in threading.enumerate()]
    task.wait()
    assert target.read_text(encoding="utf-8") == "甲"
    assert not task.failed_in_child


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork only")
def test_a_failed_child_means_the_work_runs_here(tmp_path: Path, forking: None) -> None:
    target = tmp_path / "out.txt"
    task = background.start(_write_or_fail_in_child, target, os.getpid())
    task.wait()
    assert task.failed_in_child
    assert target.read_text(encoding="utf-8") == f"written by {os.getpid()}"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork only")
def test_a_cache_write_that_fails_in_the_child_is_skipped(tmp_path: Path, forking: None) -> None:
    target = tmp_path / "cache.json"
    task = background.start(_write_or_fail_in_child, target, os.getpid(), rerun=False)
    task.wait()
    assert task.failed_in_child and not target.exists()


class _Big:
    """Stands for a large argument (the snapshot's kept bytes)."""


def _use(path: Path, value: _Big) -> None:
    path.write_text(type(value).__name__, encoding="utf-8")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork only")
def test_a_task_that_never_reruns_lets_its_arguments_go(tmp_path: Path, forking: None) -> None:
    """This process lets go of a forked cache write's arguments at once (the child has
    its own); a task that may run again here keeps them until it is waited for."""
    import gc
    import weakref

    big, kept = _Big(), _Big()
    gone, held = weakref.ref(big), weakref.ref(kept)
    once = background.start(_use, tmp_path / "a.txt", big, rerun=False)
    again = background.start(_use, tmp_path / "b.txt", kept)
    assert once.forked and again.forked
    del big, kept
    gc.collect()
    assert gone() is None and held() is not None
    once.wait()
    again.wait()
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "_Big"
    assert (tmp_path / "b.txt").read_text(encoding="utf-8") == "_Big"


@pytest.mark.parametrize(
    "env",
    [{"PLEDGE_WORKERS": "1"}, {"PLEDGE_START_METHOD": "spawn"}, {"PLEDGE_BACKGROUND": "0"}],
    ids=["one worker", "spawn", "background off"],
)
def test_without_fork_the_work_is_done_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    monkeypatch.setenv("PLEDGE_WORKERS", "2")
    monkeypatch.setattr(background, "other_threads", lambda: False)  # only ``env`` says no
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    _must_not_fork(monkeypatch)
    target = tmp_path / "out.txt"
    task = background.start(_write, target, "乙")
    assert not task.forked and target.read_text(encoding="utf-8") == "乙"


def test_no_fork_while_another_thread_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLEDGE_WORKERS", "2")
    monkeypatch.delenv("PLEDGE_START_METHOD", raising=False)
    _must_not_fork(monkeypatch)
    stop = threading.Event()
    t = threading.Thread(target=stop.wait)
    t.start()
    try:
        task = background.start(_write, tmp_path / "out.txt", "丙")
    finally:
        stop.set()
        t.join()
    assert not task.forked and (tmp_path / "out.txt").is_file()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork only")
def test_the_run_lock_waits_for_every_task(tmp_path: Path, forking: None) -> None:
    targets = [tmp_path / f"{k}.txt" for k in range(3)]
    with run_lock(tmp_path / "outputs"):
        tasks = [background.start(_write, p, str(k)) for k, p in enumerate(targets)]
    assert all(t.pid is None for t in tasks)
    assert [p.read_text(encoding="utf-8") for p in targets] == ["0", "1", "2"]


def test_no_fork_without_the_memory_for_a_child(
    tmp_path: Path, forking: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert background.resident_bytes() > 0
    monkeypatch.setattr(background, "resident_bytes", lambda: 1 << 62)  # more than any machine has
    _must_not_fork(monkeypatch)
    task = background.start(_write, tmp_path / "out.txt", "丁")
    assert not task.forked and (tmp_path / "out.txt").read_text(encoding="utf-8") == "丁"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork only")
def test_after_a_failed_run_a_failed_child_is_not_done_again(tmp_path: Path, forking: None) -> None:
    target = tmp_path / "out.txt"
    with pytest.raises(RuntimeError, match="the run failed"), run_lock(tmp_path / "outputs"):
        background.start(_write_or_fail_in_child, target, os.getpid())
        raise RuntimeError("the run failed")
    assert not target.exists()  # waited for, not redone
    with run_lock(tmp_path / "outputs"):  # and the lock is free again
        pass


def _log_span(path: Path, pause: float) -> None:
    import time

    start = time.monotonic()
    time.sleep(pause)
    path.write_text(f"{start} {time.monotonic()}", encoding="utf-8")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork only")
def test_children_work_one_at_a_time_in_the_order_started(tmp_path: Path, forking: None) -> None:
    """Each child is forked at once but starts its work when the one before has ended."""
    first, second, third = (tmp_path / f"{n}.txt" for n in ("a", "b", "c"))
    tasks = [background.start(_log_span, p, 0.3) for p in (first, second, third)]
    assert all(t.forked for t in tasks)
    background.wait_all()
    spans = [tuple(map(float, p.read_text(encoding="utf-8").split())) for p in (first, second, third)]
    assert spans[0][1] <= spans[1][0] and spans[1][1] <= spans[2][0], spans
    assert background._lane is None  # the pipe is closed once every child is waited for


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork only")
def test_a_killed_child_does_not_hold_up_the_next(tmp_path: Path, forking: None) -> None:
    import signal
    import time

    stuck = background.start(time.sleep, 60, rerun=False)
    after = background.start(_write, tmp_path / "after.txt", "乙")
    assert stuck.pid is not None
    os.kill(stuck.pid, signal.SIGKILL)
    after.wait()
    assert (tmp_path / "after.txt").read_text(encoding="utf-8") == "乙"
    stuck.wait()
    assert stuck.failed_in_child


def _write_pid(path: Path, began: Path | None = None, pause: float = 0.0) -> None:
    """Write "<pid of the writer> <monotonic time of the write>"."""
    import time

    if began is not None:
        began.write_text("", encoding="utf-8")
    time.sleep(pause)
    path.write_text(f"{os.getpid()} {time.monotonic()}", encoding="utf-8")


def _writer(path: Path) -> int:
    return int(path.read_text(encoding="utf-8").split()[0])


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork only")
def test_a_task_whose_turn_has_not_come_is_done_here_when_waited_for(tmp_path: Path, forking: None) -> None:
    """The change report waits in the lane behind the ledger; this process, done with its
    own work, writes it itself beside the ledger's child instead of waiting idle."""
    slow, later = tmp_path / "slow.txt", tmp_path / "later.txt"
    first = background.start(_log_span, slow, 1.0)
    second = background.start(_write_pid, later)
    second.wait(take_over=True)
    assert second.taken_over and _writer(later) == os.getpid()
    written_at = float(later.read_text(encoding="utf-8").split()[1])
    _start, end = map(float, slow.read_text(encoding="utf-8").split())  # there: the wait reaped after it
    assert written_at < end  # written here while the child before it worked
    first.wait()
    assert not first.taken_over and not first.failed_in_child
    assert _writer(later) == os.getpid()  # its child did not write it again


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork only")
def test_a_task_its_child_has_begun_is_left_to_the_child(tmp_path: Path, forking: None) -> None:
    import time

    out, began = tmp_path / "out.txt", tmp_path / "began"
    task = background.start(_write_pid, out, began, 0.3)
    deadline = time.monotonic() + 30
    while not began.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    task.wait(take_over=True)
    assert not task.taken_over and _writer(out) != os.getpid()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork only")
def test_a_cache_write_or_a_plain_wait_is_never_taken_over(tmp_path: Path, forking: None) -> None:
    """A task with ``rerun=False`` reads objects this process changes after its start: only
    its child may write it. Without ``take_over`` a wait only waits."""
    slow = background.start(_log_span, tmp_path / "slow.txt", 0.5)
    cache = background.start(_write_pid, tmp_path / "cache.txt", None, 0.0, rerun=False)
    plain_wait = background.start(_write_pid, tmp_path / "plain.txt")
    cache.wait(take_over=True)
    plain_wait.wait()
    slow.wait()
    for name, task in (("cache.txt", cache), ("plain.txt", plain_wait)):
        assert not task.taken_over and _writer(tmp_path / name) != os.getpid()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork only")
def test_after_a_failure_a_task_not_begun_never_begins(tmp_path: Path, forking: None) -> None:
    """While an error is on its way (``rerun=False``) a child still waiting for its turn
    is cancelled, so it writes nothing into the outputs stage being removed; a child at
    work is waited for."""
    begun = background.start(_log_span, tmp_path / "begun.txt", 0.5)
    waiting = background.start(_write_pid, tmp_path / "waiting.txt")
    background.wait_all(rerun=False)
    assert (tmp_path / "begun.txt").is_file()
    assert not (tmp_path / "waiting.txt").exists()
    assert waiting.cancelled and not waiting.failed_in_child and not waiting.taken_over
    assert not begun.failed_in_child
