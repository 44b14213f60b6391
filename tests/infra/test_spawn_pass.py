"""The core of the suite once more with spawned workers (``PLEDGE_START_METHOD=spawn``, as
on Windows, where there is no fork): the demo consolidation, the parse cache and the
worker pools. It is a pytest run of its own (the start method is read when a pool
starts, so the whole process must have it), started with the session as an early command
(tests/early.py) so that it runs on the second core beside the other tests; this test
waits for it and fails with its output when any of its tests failed.

The roll-up's equality test is not repeated: 3 school ledgers are read without workers,
and its consolidations are the ones test_demo_consolidate runs here. Run the pass alone
with ``python -m tests.infra.test_spawn_pass``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.early import Early

REPO = Path(__file__).resolve().parents[2]
SELECTION = "test_demo_consolidate or pool_map or test_jobs_ or warm_equals_cold"
FOLDERS = ("tests/jobs", "tests/tooling", "tests/infra")


def spawn_pass() -> int:
    """``pytest`` over the selection with the spawn start method; its exit code."""
    os.environ["PLEDGE_START_METHOD"] = "spawn"
    os.chdir(REPO)
    return int(pytest.main(["-p", "no:cacheprovider", *FOLDERS, "-k", SELECTION]))


def _command(folder: Path) -> list[str]:
    return [sys.executable, "-m", "tests.infra.test_spawn_pass"]


@pytest.mark.early("spawn-pass", _command)
def test_the_core_passes_with_spawned_workers(early: Early) -> None:
    run = early.result("spawn-pass")
    assert run.returncode == 0, run.output
    assert " passed" in run.output and "deselected" in run.output  # it ran, and only the selection


if __name__ == "__main__":
    sys.exit(spawn_pass())
