"""Spread independent per-file work over the machine's cores (issue 6), on every platform.

- :func:`pool_map` reads and parses returned workbooks: where the platform has ``fork``
  (Linux, macOS) the worker processes are *forked* at the start of a run, while this
  process is still small (settings and roster), an optimisation: they start at once.
  Elsewhere (Windows) they are *spawned*. Results come back in input order.
- :class:`Jobs` writes one workbook per unit (feedback, branch ledgers) in *spawned*
  workers while this process writes the school ledger. Forking after consolidation would
  share the big frames copy-on-write, but CPython's reference counts write to every page
  a worker reads, so each worker would end up with its own copy; spawned workers get
  only their small job (a unit's findings, a unit's ledger frames) and stay small. Few
  jobs run here, in order, when :meth:`Jobs.wait` is called: starting workers costs more
  than it saves.

Every worker dies with the process that started it, so a killed run never leaves a
worker holding the run lock: ``PR_SET_PDEATHSIG`` on Linux; elsewhere a watchdog thread
in the worker ends it once its parent is gone. ``PLEDGE_WORKERS`` (environment) sets the
number of workers (1 turns parallelism off: profiling, debugging);
``PLEDGE_START_METHOD=spawn`` (or ``forkserver``) makes every pool use that start
method, as Windows does (the test suite runs its core once that way).
"""

from __future__ import annotations

import functools
import gc
import importlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, cast

if TYPE_CHECKING:  # multiprocessing loads when a pool starts (a snapshot hit starts none: issue 16)
    from concurrent.futures import Future, ProcessPoolExecutor

T = TypeVar("T")
R = TypeVar("R")

MAX_WORKERS = 8
MIN_JOBS = (
    100  # below this many jobs, Jobs runs them in this process (a spawned worker takes ~1.5 s to start)
)


def default_workers() -> int:
    env = os.environ.get("PLEDGE_WORKERS", "").strip()
    if env.isdigit() and int(env) >= 1:
        return int(env)
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        n = os.cpu_count() or 1
    return max(1, min(n, MAX_WORKERS))


def without_gc(fn: Callable[..., R]) -> Callable[..., R]:
    """Run ``fn`` with CPython's cyclic garbage collector paused.

    A county's consolidation builds millions of long-lived objects (cells, rows, frames);
    the collector would traverse them again and again as they accumulate, a third of the
    run time. Reference counting still frees everything that is not in a cycle, and the
    collector is restored (and so catches up) when ``fn`` returns."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> R:
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            if was_enabled:
                gc.enable()

    return cast(Callable[..., R], wrapper)


START_METHOD_ENV = "PLEDGE_START_METHOD"
LINUX = sys.platform.startswith("linux")
_WATCH_SECONDS = 1.0


def _prctl_pdeathsig() -> bool:
    """Linux: ask the kernel for SIGKILL when the parent dies; False where unavailable."""
    if not LINUX:
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(1, signal.SIGKILL) == 0  # PR_SET_PDEATHSIG
    except (OSError, AttributeError, TypeError):
        return False


def _watch_parent(parent: int) -> None:
    """A daemon thread that ends this worker once ``parent`` is no longer its parent
    (macOS, Windows, or a Linux without prctl)."""

    def watch() -> None:
        while True:
            time.sleep(_WATCH_SECONDS)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="pledge-parent-watch", daemon=True).start()


def _die_with_parent(parent: int) -> None:
    """Worker initializer: die with the starting process (see the module doc). A worker
    holds one file at a time: its garbage collector stays on (a fork inherits it paused)."""
    gc.enable()
    die_with_parent(parent)


def die_with_parent(parent: int) -> None:
    """End this (forked or spawned) process once ``parent`` is gone (see the module doc)."""
    if not _prctl_pdeathsig():
        _watch_parent(parent)
    if os.getppid() != parent:  # the parent died before the guard took effect
        os._exit(1)


def _warm_worker(parent: int, preload: tuple[str, ...]) -> None:
    """Spawned worker: die with the parent, and import ``preload`` (the modules of the
    jobs to come) before the first job arrives."""
    _die_with_parent(parent)
    for name in preload:
        importlib.import_module(name)


def _ready() -> None:
    """A no-op job that makes the pool start a worker."""


def _context(method: str) -> Any | None:
    try:
        import multiprocessing as mp

        return mp.get_context(method)
    except ValueError:
        return None


def start_method(preferred: str) -> Any:
    """The multiprocessing context for a pool that would like ``preferred``: the one
    ``PLEDGE_START_METHOD`` names, else ``preferred`` where the platform has it, else
    ``spawn`` (which exists everywhere)."""
    forced = os.environ.get(START_METHOD_ENV, "").strip().lower()
    for method in (forced, preferred):
        if method:
            ctx = _context(method)
            if ctx is not None:
                return ctx
    import multiprocessing as mp

    return mp.get_context("spawn")


def pool_map(
    fn: Callable[[T], R],
    items: Sequence[T],
    min_items: int = 8,
    workers: int | None = None,
    chunksize: int = 4,
    on_result: Callable[[], None] | None = None,
) -> list[R]:
    """``[fn(x) for x in items]`` over worker processes (forked where the platform can)
    when there are enough items; ``fn`` and the items must be picklable for spawn."""
    workers = min(workers or default_workers(), max(1, len(items)))
    out: list[R] = []
    if workers <= 1 or len(items) < min_items:
        for x in items:
            out.append(fn(x))
            if on_result:
                on_result()
        return out
    from concurrent.futures import ProcessPoolExecutor

    from pipeline.infra import hashing

    hashing.cancel()  # both cores are for parsing now (a cold run)
    with ProcessPoolExecutor(
        workers, mp_context=start_method("fork"), initializer=_die_with_parent, initargs=(os.getpid(),)
    ) as pool:
        for r in pool.map(fn, items, chunksize=max(1, chunksize)):
            out.append(r)
            if on_result:
                on_result()
    return out


class Jobs:
    """Calls ``fn(*args)`` (``fn`` a module-level function, arguments serialisable by multiprocessing) on spawned
    workers once ``min_jobs`` are queued; otherwise at :meth:`wait`, here, in order.

    Use as a context manager: leaving the block waits for every job and re-raises the
    first failure."""

    def __init__(
        self,
        min_jobs: int = MIN_JOBS,
        workers: int | None = None,
        expected: int = 0,
        preload: tuple[str, ...] = (),
    ) -> None:
        """``expected``: how many jobs the caller knows will come; when they are enough,
        the workers start now and import ``preload`` while this process prepares the
        first jobs."""
        self.min_jobs = min_jobs
        self.preload = preload
        self.workers = workers or default_workers()
        self._pending: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []
        self._futures: list[Future[Any]] = []
        self._pool: ProcessPoolExecutor | None = None
        if expected >= min_jobs:
            self._start()

    @property
    def started(self) -> bool:
        """Whether the workers run (jobs submitted now go to them)."""
        return self._pool is not None

    def _start(self) -> None:
        if self.workers <= 1 or self._pool is not None:
            return
        from concurrent.futures import ProcessPoolExecutor

        self._pool = ProcessPoolExecutor(
            self.workers,
            mp_context=start_method("spawn"),
            initializer=_warm_worker,
            initargs=(os.getpid(), self.preload),
        )
        for _ in range(self.workers):  # start every worker now (the pool starts them lazily)
            self._futures.append(self._pool.submit(_ready))

    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        if self._pool is not None:
            self._futures.append(self._pool.submit(fn, *args))
            return
        self._pending.append((fn, args))
        if len(self._pending) >= self.min_jobs:
            self._start()
            if self._pool is not None:
                pending, self._pending = self._pending, []
                for f, a in pending:
                    self._futures.append(self._pool.submit(f, *a))

    def wait(self) -> None:
        pending, self._pending = self._pending, []
        for fn, args in pending:
            fn(*args)
        futures, self._futures = self._futures, []
        try:
            for fut in futures:
                fut.result()
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None

    def __enter__(self) -> Jobs:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.wait()
            return
        self._pending = []
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
