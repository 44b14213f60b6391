"""Long subprocesses of a test started when the session starts, beside the other tests.

A few tests spend most of their time waiting for one long command they start and then
read the results of (the bench smoke run, the LibreOffice conversion of the print checks).
Such a command needs nothing from the tests before it, so ``tests/conftest.py`` starts it as
soon as the session starts, on a thread of its own, and the test waits for it where it used
to run it: the command runs on the machine's second core while this process runs the other
tests on the first. Nothing is skipped or shared: the test still runs the whole command and
checks all of its results; only the start is earlier.

A test (or a module, through ``pytestmark``) declares its command with the marker
``@pytest.mark.early(name, prepare)``: ``prepare(folder)`` writes what the command needs
into the empty ``folder`` and returns its argument list (or None: nothing to run, e.g. a
tool is missing; the test then says why itself). The command runs in ``folder`` with the
checkout first on PYTHONPATH (``python -m tests...`` works). The test asks the session fixture
``early`` for ``early.result(name)``. Commands run one after the other, in the order of
the tests; only the commands of the selected tests run (``-k``).
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

Prepare = Callable[[Path], "list[str] | None"]
TIMEOUT = 600.0  # seconds for one command, and for a test's wait


@dataclass
class Result:
    folder: Path  # the command's own folder, as prepare() filled it
    argv: list[str] | None  # None: nothing was run
    returncode: int = -1
    output: str = ""  # stdout and stderr


@dataclass
class _Job:
    name: str
    prepare: Prepare
    folder: Path
    pythonpath: Path
    done: threading.Event = field(default_factory=threading.Event)
    result: Result | None = None
    proc: subprocess.Popen[bytes] | None = None


class Early:
    def __init__(self, checkout: Path) -> None:
        self._checkout = checkout
        self._jobs: dict[str, _Job] = {}
        self._stopping = False
        self._thread: threading.Thread | None = None

    def __contains__(self, name: str) -> bool:
        return name in self._jobs

    def add(self, name: str, prepare: Prepare, folder: Path) -> None:
        self._jobs[name] = _Job(name, prepare, folder, self._checkout)

    def start(self) -> None:
        if self._jobs:
            self._thread = threading.Thread(target=self._run_all, name="early-commands", daemon=True)
            self._thread.start()

    def _run_all(self) -> None:
        for job in self._jobs.values():
            try:
                job.result = self._run(job)
            except BaseException as e:
                job.result = Result(job.folder, None, -1, f"{type(e).__name__}: {e}")
            finally:
                job.done.set()

    def _run(self, job: _Job) -> Result:
        argv = job.prepare(job.folder)
        if argv is None or self._stopping:
            return Result(job.folder, None)
        log = job.folder / "early-output.txt"
        path = os.pathsep.join(p for p in (str(job.pythonpath), os.environ.get("PYTHONPATH", "")) if p)
        with open(log, "wb") as out:
            job.proc = subprocess.Popen(
                argv,
                cwd=job.folder,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, "PYTHONPATH": path},
            )
            if self._stopping:
                job.proc.kill()
            try:
                code = job.proc.wait(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                job.proc.kill()
                code = job.proc.wait()
        return Result(job.folder, argv, code, log.read_text(encoding="utf-8", errors="replace"))

    def result(self, name: str) -> Result:
        """Wait for the command ``name`` (declared by the waiting test's marker)."""
        job = self._jobs[name]
        if not job.done.wait(TIMEOUT):
            raise TimeoutError(f"the early command {name} did not finish in {TIMEOUT:.0f} s")
        assert job.result is not None
        return job.result

    def stop(self) -> None:
        """End the commands still running (a session stopped early, -x) and wait for the thread."""
        self._stopping = True
        for job in self._jobs.values():
            if job.proc is not None and job.proc.poll() is None:
                job.proc.kill()
        if self._thread is not None:
            self._thread.join(timeout=30)
