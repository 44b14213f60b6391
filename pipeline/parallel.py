"""Spread independent per-file work over the machine's cores (issue 6).

Two helpers, both deterministic (results come back in input order) and both falling
back to a plain loop for small jobs, one worker, or where ``fork`` is unavailable:

- :func:`pool_map` for work whose inputs are cheap to send (file paths) and whose
  results are picklable (parsed workbooks): a ``ProcessPoolExecutor``.
- :func:`fork_map` for work over big in-memory state (the consolidation, to write one
  workbook per unit): worker processes are forked *after* the state is built, so they
  inherit it copy-on-write and only an index travels to them. ``gc.freeze()`` keeps the
  collector from touching (and so copying) the inherited objects.

``PLEDGE_WORKERS`` (environment) overrides the number of workers; 1 turns parallelism
off (profiling, debugging).
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

MAX_WORKERS = 8


def default_workers() -> int:
    env = os.environ.get("PLEDGE_WORKERS", "").strip()
    if env.isdigit() and int(env) >= 1:
        return int(env)
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        n = os.cpu_count() or 1
    return max(1, min(n, MAX_WORKERS))


def _fork_context() -> Any | None:
    try:
        return mp.get_context("fork")
    except ValueError:
        return None


def pool_map(fn: Callable[[T], R], items: Sequence[T], min_items: int = 8, workers: int | None = None,
             chunksize: int = 4, on_result: Callable[[], None] | None = None) -> list[R]:
    """``[fn(x) for x in items]`` over worker processes when there are enough items."""
    workers = min(workers or default_workers(), max(1, len(items)))
    ctx = _fork_context()
    out: list[R] = []
    if workers <= 1 or len(items) < min_items or ctx is None:
        for x in items:
            out.append(fn(x))
            if on_result:
                on_result()
        return out
    with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
        for r in pool.map(fn, items, chunksize=max(1, chunksize)):
            out.append(r)
            if on_result:
                on_result()
    return out


_FORK_JOB: tuple[Callable[[Any], Any], Sequence[Any]] | None = None


def _run_index(i: int) -> Any:
    assert _FORK_JOB is not None
    fn, items = _FORK_JOB
    return fn(items[i])


def fork_map(fn: Callable[[T], R], items: Sequence[T], min_items: int = 8, workers: int | None = None,
             chunksize: int = 8) -> list[R]:
    """``[fn(x) for x in items]`` in forked workers that inherit ``fn`` and ``items``.

    ``fn`` may be a closure over large objects; results must be picklable (keep them
    small: paths, counts)."""
    global _FORK_JOB
    workers = min(workers or default_workers(), max(1, len(items)))
    ctx = _fork_context()
    if workers <= 1 or len(items) < min_items or ctx is None:
        return [fn(x) for x in items]
    _FORK_JOB = (fn, items)
    gc.collect()
    gc.freeze()
    try:
        with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
            return list(pool.map(_run_index, range(len(items)), chunksize=max(1, chunksize)))
    finally:
        gc.unfreeze()
        _FORK_JOB = None


def run_all(tasks: Iterable[Callable[[], Any]]) -> list[Any]:
    """Run argument-less tasks (closures) over forked workers, results in order."""
    todo = list(tasks)
    return fork_map(lambda t: t(), todo, min_items=2, chunksize=1)
