"""pledge ends without the interpreter's teardown (pipeline.cli.exit_now), and loses
nothing by it: exit handlers run, buffered output is written, the exit code is kept."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.builders import REPO


def _run(code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "handler.txt")],
        cwd=REPO,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )


PROLOGUE = """
import atexit, sys
from pipeline.cli import exit_now
atexit.register(lambda: open(sys.argv[1], "w", encoding="utf-8").write("已运行"))
sys.stdout.write("输出：没有换行的最后一行")  # still in the buffer
sys.stderr.write("警告")
"""


def test_exit_handlers_run_and_buffers_are_written_and_the_code_is_kept(tmp_path: Path) -> None:
    out = _run(PROLOGUE + "exit_now(3)\nprint('不会到这里')", tmp_path)
    assert out.returncode == 3
    assert out.stdout == "输出：没有换行的最后一行"
    assert out.stderr == "警告"
    assert (tmp_path / "handler.txt").read_text(encoding="utf-8") == "已运行"


def test_while_another_thread_runs_the_ordinary_exit_is_taken(tmp_path: Path) -> None:
    code = PROLOGUE + (
        "import threading, time\n"
        "t = threading.Thread(target=time.sleep, args=(0.2,)); t.start()\n"
        "exit_now(3)\n"
        "print('，普通退出')\n"
    )
    out = _run(code, tmp_path)
    assert out.returncode == 0
    assert out.stdout == "输出：没有换行的最后一行，普通退出\n"
    assert (tmp_path / "handler.txt").read_text(encoding="utf-8") == "已运行"


def test_the_program_ends_with_its_own_exit_code(tmp_path: Path) -> None:
    """`python -m pipeline` with a bad argument: argparse's 2, its message on stderr."""
    out = subprocess.run(
        [sys.executable, "-m", "pipeline", "consolidate", "--no-such-option"],
        cwd=REPO,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )
    assert out.returncode == 2
    assert "--no-such-option" in out.stderr
