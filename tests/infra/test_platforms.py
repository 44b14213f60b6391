"""Windows and macOS as well as Linux (issue 17), tested here as far as Linux allows:
no POSIX-only import, no fork/wait4/prctl where the platform lacks them, paths with
Chinese names, spaces and long names."""

from __future__ import annotations

import ctypes
import multiprocessing as mp
import os
import sys
import threading
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.infra import parallel
from pipeline.infra.parallel import Jobs, pool_map, start_method
from tests.demo_project import DemoProject, copy_project
from tests.early import Early

AS_OF = "2026-11-20"

# Import every module of the package, then put the demo in a folder and consolidate it,
# in a fresh interpreter where `import fcntl` fails (as on Windows).
NO_FCNTL = r"""
import sys
sys.modules["fcntl"] = None  # import fcntl -> ImportError
import importlib, pkgutil, pipeline
names = [m.name for m in pkgutil.walk_packages(pipeline.__path__, "pipeline.") if not m.name.endswith("__main__")]
for name in names:
    importlib.import_module(name)
from pipeline.cli import main
folder = sys.argv[1]
assert main(["-C", folder, "--quiet", "demo"]) == 0
assert main(["-C", folder, "--quiet", "consolidate", "--as-of", "2026-11-20"]) == 0
print(len(names), "modules")
"""


def _no_fcntl_command(folder: Path) -> list[str]:
    """NO_FCNTL in a fresh interpreter, started with the session (tests/early.py)."""
    return [sys.executable, "-c", NO_FCNTL, str(folder / "无 fcntl")]


@pytest.mark.early("no-fcntl", _no_fcntl_command)
def test_imports_and_runs_without_fcntl(early: Early) -> None:
    run = early.result("no-fcntl")
    assert run.returncode == 0, run.output[-3000:]
    (count,) = [line.split()[0] for line in run.output.splitlines() if line.endswith(" modules")]
    assert int(count) > 60  # every module, not a few
    assert (run.folder / "无 fcntl" / "outputs" / AS_OF / "台账.xlsx").is_file()


@pytest.fixture
def no_fork_platform(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """This process as on Windows: no os.fork, os.wait4, fork start method or prctl;
    every attempt is recorded."""
    reached: list[str] = []
    for name in ("fork", "wait4", "forkpty"):
        if hasattr(os, name):
            monkeypatch.delattr(os, name)
    real_context = parallel._context

    def context(method: str) -> object | None:
        if method in ("fork", "forkserver"):
            reached.append(f"context {method}")
            return None
        return real_context(method)

    def cdll(*args: object, **kwargs: object) -> object:
        reached.append("ctypes.CDLL")
        raise TypeError("on Windows, CDLL(None) is a TypeError")

    monkeypatch.setattr(parallel, "_context", context)
    monkeypatch.setattr(parallel, "LINUX", False)
    monkeypatch.setattr(ctypes, "CDLL", cdll)
    return reached


def _square(x: int) -> int:
    return x * x


def test_pools_spawn_when_there_is_no_fork(
    no_fork_platform: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert start_method("fork").get_start_method() == "spawn"
    assert pool_map(_square, list(range(10)), min_items=2, workers=2) == [x * x for x in range(10)]
    assert "ctypes.CDLL" not in no_fork_platform  # only asked of the (spawned, real) workers


def test_worker_guard_without_prctl(no_fork_platform: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[str] = []
    monkeypatch.setattr(threading.Thread, "start", lambda self: started.append(self.name))
    parallel._die_with_parent(os.getppid())
    assert started == ["pledge-parent-watch"]  # a watchdog instead of prctl
    assert "ctypes.CDLL" not in no_fork_platform


def test_prctl_failing_like_windows_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "LINUX", True)

    def cdll(*args: object, **kwargs: object) -> object:
        raise TypeError("CDLL(None)")

    monkeypatch.setattr(ctypes, "CDLL", cdll)
    assert parallel._prctl_pdeathsig() is False


def test_consolidation_without_fork(
    no_fork_platform: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo_build: DemoProject
) -> None:
    monkeypatch.setenv("PLEDGE_WORKERS", "2")
    project = copy_project(demo_build, tmp_path / "党委办公室 2026").root  # the demo's inputs
    assert main(["-C", str(project), "--quiet", "consolidate", "--as-of", AS_OF]) == 0
    assert (project / "outputs" / AS_OF / "台账.xlsx").is_file()
    assert set(no_fork_platform) <= {"context fork", "context forkserver"}


def test_start_method_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLEDGE_START_METHOD", "spawn")
    assert start_method("fork").get_start_method() == "spawn"
    monkeypatch.setenv("PLEDGE_START_METHOD", "no-such-method")
    assert start_method("spawn").get_start_method() == "spawn"
    monkeypatch.delenv("PLEDGE_START_METHOD")
    expected = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
    assert start_method("fork").get_start_method() == expected


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def test_long_chinese_paths_with_spaces(tmp_path: Path, demo_build: DemoProject) -> None:
    """A folder a clerk might pick: Chinese, spaces, deep and long (Windows' old 260
    limit is the clerk's concern; the program must not shorten or mangle names)."""
    deep = tmp_path / "某某大学 党委组织部" / ("二〇二六年度 公开承诺活动 " * 4).strip() / "汇总 材料"
    project = deep / "第一次 汇总"
    copy_project(demo_build, project)  # the demo's inputs (`pledge demo` there: tests/tooling)
    assert main(["-C", str(project), "--quiet", "consolidate", "--as-of", AS_OF]) == 0
    out = project / "outputs" / AS_OF
    assert (out / "台账.xlsx").is_file() and any((out / "反馈").iterdir())
    assert len(str(out / "反馈")) > 150
    with Jobs(min_jobs=2, workers=2) as jobs:  # spawned workers write there too
        for i in range(3):
            jobs.submit(_write, deep / f"文件 {i}.txt", f"第{i}份")
    assert [(deep / f"文件 {i}.txt").read_text(encoding="utf-8") for i in range(3)] == [
        "第0份",
        "第1份",
        "第2份",
    ]
