"""Work that can finish on the other core while this process goes on (issue 16).

A warm consolidation spends most of its time in this one process: after the frames are
built, a few pieces of work are independent of everything written after them — the
consolidation snapshot (``pipeline.jobs.snapshot``), the change report 变更记录.xlsx. Where
the platform has ``fork`` (Linux, macOS) :func:`start` runs such a piece in a *forked*
child, which sees this process's objects as they are at that moment (no copying, no
pickling) while this process writes the ledger; elsewhere (Windows), or with
``PLEDGE_WORKERS=1`` or ``PLEDGE_START_METHOD=spawn``, it runs here at once, as before.

A task never changes what is written, only where it runs:

- :meth:`Task.wait` waits for the child; if the child failed (an exception, a signal) the
  function runs again here, so a failure surfaces exactly as it would have inline;
- ``wait(take_over=True)``: a task whose child has not begun its work (its turn in the
  lane has not come) is done here instead, while the lane goes on: this process would
  otherwise sit idle beside one busy core. Each task has a one-byte token in a pipe; the
  child or this process, whichever reads it first, does the work (a read of a pipe is
  atomic, so exactly one of them gets it); the other finds the pipe empty. Only tasks that
  may run again here (``rerun=True``) are taken over: they read nothing this process has
  changed since (see :func:`start`);
- :func:`wait_all` waits for every task still running; :func:`pipeline.infra.atomic.run_lock`
  calls it before the lock is released, so no background write outlives the run;
- a child ends with ``os._exit`` (no atexit handlers, no flushing of this process's
  buffers) and dies with its parent (``PR_SET_PDEATHSIG`` on Linux, else a watchdog).

Children work **one at a time**, in the order they were started (a lane): each is forked
at once, so it sees the objects as they are when it is started, but begins its work only
once the child before it has ended (a pipe each child holds open until it exits). With
two cores, this process and one child use both; two children working at once would only
share the second core, and each copies the pages it reads (CPython's reference counts
write to them): a county's warm run held three such copies at once.

A task's function must only write files (atomically) and return nothing the caller needs.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import threading
from collections.abc import Callable
from typing import Any

from pipeline.infra.parallel import START_METHOD_ENV, default_workers, die_with_parent

_running: list[Task] = []
_lane: int | None = None  # read end of a pipe: EOF once the last child started has ended


BACKGROUND_ENV = "PLEDGE_BACKGROUND"  # "0": every task inline (less memory, one core)


def can_fork() -> bool:
    """Whether :func:`start` forks: the platform has fork, more than one worker is
    allowed, no start method other than fork is forced, ``PLEDGE_BACKGROUND`` is not
    ``0``, no other thread runs and the machine has the memory for a child."""
    if not hasattr(os, "fork") or sys.platform == "win32":
        return False
    if default_workers() <= 1 or os.environ.get(BACKGROUND_ENV, "").strip() == "0":
        return False
    forced = os.environ.get(START_METHOD_ENV, "").strip().lower()
    # Only from a single-threaded process: a lock another thread holds at the fork would
    # stay held in the child for ever.
    return forced in ("", "fork") and not other_threads() and memory_for_a_child()


def memory_for_a_child() -> bool:
    """Whether the free memory holds another copy of this process (a child ends up copying
    most of what it reads: CPython's reference counts write to every page they are on);
    True where the platform does not say."""
    try:
        free = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return True
    return free > 2 * resident_bytes()


def resident_bytes() -> int:
    """This process's resident memory now (Linux), else its peak so far; 0 when unknown."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        pass
    try:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return int(peak if sys.platform == "darwin" else peak * 1024)
    except (ImportError, OSError, ValueError):
        return 0


def other_threads() -> bool:
    """Whether a thread besides this one runs (the test suite's own helper thread does)."""
    return threading.active_count() > 1


class Task:
    """One function running in a forked child (``pid``), or already done here (``pid`` None)."""

    def __init__(
        self,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        pid: int | None,
        rerun: bool = True,
        token: int | None = None,
    ) -> None:
        self.fn = fn
        # kept only to run again here; a task that never reruns lets its arguments go (a
        # snapshot's kept bytes of 2,000 parsed workbooks, ~50 MB at county scale)
        self.args = args if rerun or pid is None else ()
        self.pid = pid
        self.rerun = rerun
        self.forked = pid is not None
        self.failed_in_child = False
        self.taken_over = False  # done here: the child found no token
        self.cancelled = False  # never done: an error came first (wait(rerun=False))
        self._token = token  # read end of the token pipe (None: nothing to take over)

    def wait(self, rerun: bool = True, take_over: bool = False) -> None:
        """Return once the work is done; run it here if the child did not finish it
        (``rerun=False``: not even then, e.g. while an error is already on its way; a child
        that has not begun the work then never does).
        ``take_over``: if the child has not begun it, do it here now (see the module doc)."""
        if self.pid is None:
            return
        pid, self.pid = self.pid, None
        if self in _running:
            _running.remove(self)
        if not rerun:
            self.cancel()
        elif take_over and self.rerun and self._claim():
            # the child has not begun: done here, now (the child exits without it)
            self.taken_over = True
            try:
                self.fn(*self.args)
            finally:
                _reap(pid)
            return
        self._claim(read=False)
        if self.cancelled:
            _reap(pid)
            return
        try:
            _, status = os.waitpid(pid, 0)
            ok = os.waitstatus_to_exitcode(status) == 0
        except ChildProcessError:
            ok = False
        if not ok:
            self.failed_in_child = True
            if self.rerun and rerun:
                self.fn(*self.args)

    def cancel(self) -> None:
        """If the child has not begun the work, it never will (``cancelled``); a child at
        work goes on (wait for it)."""
        self.cancelled = self._claim() or self.cancelled

    def _claim(self, read: bool = True) -> bool:
        """Read this task's token: True when the work is now this process's (the child had
        not begun it). The pipe is closed either way (``read=False``: only closed)."""
        token, self._token = self._token, None
        if token is None:
            return False
        try:
            return read and os.read(token, 1) == _TOKEN
        finally:
            os.close(token)


_TOKEN = b"t"


def _reap(pid: int) -> None:
    """Wait for a child that has nothing left to do (it ends once its turn comes)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


def start(fn: Callable[..., Any], *args: Any, rerun: bool = True) -> Task:
    """Run ``fn(*args)`` in a forked child where possible (see the module doc), else now.

    ``rerun=False`` for a cache write whose arguments this process goes on changing: if
    the child fails, nothing is written (a miss next time) rather than a write of the
    changed objects; nor is such a task taken over (:meth:`Task.wait`). A task with
    ``rerun=True`` may run here later, with its arguments as they are then: its caller does
    not change them after the start."""
    global _lane
    if not can_fork():
        fn(*args)
        return Task(fn, args, None)
    for stream in (sys.stdout, sys.stderr):  # nothing buffered is written twice
        with contextlib.suppress(OSError, ValueError, AttributeError):
            stream.flush()
    if not _running:  # every child before has been waited for
        _close_lane()
    before = _lane
    parent = os.getpid()
    done_r, done_w = os.pipe()  # this child holds done_w open until it exits
    token_r, token_w = os.pipe()  # the work, for whichever reads the token first
    os.write(token_w, _TOKEN)
    os.close(token_w)  # nobody writes again: once the token is read, the pipe reads as empty
    pid = os.fork()
    if pid == 0:  # the child
        code = 1
        try:
            gc.disable()  # a collection would walk (and so copy) every inherited object
            die_with_parent(parent)
            os.close(done_r)
            if before is not None:
                _wait_for_eof(before)  # the child before this one has ended
            if os.read(token_r, 1) == _TOKEN:  # else the parent has taken the work over
                fn(*args)
            code = 0
        except BaseException:  # the parent runs fn again and sees the error
            code = 1
        finally:
            os._exit(code)
    os.close(done_w)  # else the next child would inherit it and wait for itself
    if before is not None:
        os.close(before)
    _lane = done_r
    task = Task(fn, args, pid, rerun, token_r)
    _running.append(task)
    return task


def _wait_for_eof(fd: int) -> None:
    """Block until every holder of the pipe's write end has closed it (or exited)."""
    while True:
        try:
            if not os.read(fd, 4096):
                return
        except InterruptedError:
            continue


def wait_all(rerun: bool = True) -> None:
    """Wait for every task still running (in the order they started); see :meth:`Task.wait`.
    ``rerun=False``: every task not begun is cancelled first, so none begins while this
    process waits for the one before it."""
    if not rerun:
        for task in _running:
            task.cancel()
    while _running:
        _running[0].wait(rerun)
    _close_lane()


def _close_lane() -> None:
    """Close the read end of the last child's pipe (once no child runs)."""
    global _lane
    if _lane is not None:
        os.close(_lane)
        _lane = None
