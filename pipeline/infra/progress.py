"""A progress bar over files for long runs; silent when output is not a terminal."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator


class _Silent:
    def advance(self) -> None:
        pass


class _Bar:
    def __init__(self, progress: object, task: object) -> None:
        self._progress = progress
        self._task = task

    def advance(self) -> None:
        self._progress.advance(self._task)  # type: ignore[attr-defined]


@contextlib.contextmanager
def file_progress(total: int, label: str = "读取报回文件", min_total: int = 20) -> Iterator[_Silent | _Bar]:
    """Yield an object with ``advance()``; a rich bar only on a terminal and long runs."""
    if total < min_total or not sys.stderr.isatty():
        yield _Silent()
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), transient=True
    ) as p:
        yield _Bar(p, p.add_task(label, total=total))
