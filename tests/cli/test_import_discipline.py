"""Commands import only what they need (issue 16): ``--help`` loads no library, and a
command that reuses the consolidation's snapshot validates no schema (no pandera), starts
no worker pool (no multiprocessing) and loads no writer it does not use. Checked by the
modules a real ``python -m pipeline`` process has loaded when it ends, not by timing
(speed is measured by ``make bench``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "inputs"
AS_OF = "2026-11-20"

# Runs the CLI as `python -m pipeline` does, then prints the top-level packages loaded.
# The print is an exit handler: the CLI ends through `exit_now` (os._exit after the
# handlers), so code after run_module would not run.
PROBE = """
import atexit, runpy, sys

def report():
    print("LOADED", " ".join(sorted({m.split(".")[0] for m, mod in sys.modules.items() if mod is not None})))

atexit.register(report)
sys.argv = ["pipeline", *sys.argv[1:]]
runpy.run_module("pipeline", run_name="__main__", alter_sys=True)
"""


def loaded(*argv: str, cwd: Path) -> set[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    r = subprocess.run(
        [sys.executable, "-c", PROBE, *argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    assert r.returncode == 0, r.stderr
    line = next(x for x in r.stdout.splitlines() if x.startswith("LOADED "))
    return set(line.split()[1:])


def test_help_loads_no_library(tmp_path: Path) -> None:
    mods = loaded("--help", cwd=tmp_path)
    assert "pipeline" in mods
    assert not mods & {"pandas", "numpy", "pandera", "docx", "jinja2", "openpyxl", "xlsxwriter"}


@pytest.fixture(scope="module")
def consolidated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo consolidated once: its snapshot is what the next commands load."""
    root = tmp_path_factory.mktemp("imports")
    shutil.copytree(DEMO, root / "inputs")
    mods = loaded("--quiet", "consolidate", "--as-of", AS_OF, cwd=root)
    # a real consolidation checks the roster, but a clean one without pandera
    # (schemas/roster.py: is_clean); pandera validates only a roster with errors
    assert "pandera" not in mods
    # ... and never the data-synthesis strategies pandera loads when hypothesis (a
    # dev-only package) is installed: the program runs as a clerk's installation does
    assert "hypothesis" not in mods
    return root


@pytest.mark.parametrize(
    ("command", "absent"),
    [
        ("overdue", {"pandera", "docx", "jinja2", "openpyxl", "multiprocessing"}),
        ("cards", {"pandera", "docx", "xlsxwriter", "openpyxl", "multiprocessing"}),
        ("notice", {"pandera", "openpyxl", "multiprocessing"}),
        ("bulletin", {"pandera", "openpyxl", "multiprocessing"}),
    ],
)
def test_a_snapshot_hit_validates_no_schema_and_loads_only_its_writers(
    consolidated: Path, command: str, absent: set[str]
) -> None:
    mods = loaded("--quiet", command, "--as-of", AS_OF, cwd=consolidated)
    assert "pandas" in mods
    assert not mods & absent, f"{command} loaded {sorted(mods & absent)}"


def test_a_roster_with_errors_is_validated_by_pandera(tmp_path: Path) -> None:
    """The other side of the clean-roster shortcut: pandera names every bad cell."""
    from tests.builders import ROSTER_ROWS, write_roster

    shutil.copytree(DEMO, tmp_path / "inputs")
    rows = [list(r) for r in ROSTER_ROWS]
    rows[2][3] = rows[1][3]  # a duplicate member id
    write_roster(tmp_path / "inputs" / "roster.xlsx", [tuple(r) for r in rows])
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    probe = PROBE.replace("sys.exit(code)", "sys.exit(0)")
    r = subprocess.run(
        [sys.executable, "-c", probe, "--quiet", "consolidate", "--as-of", AS_OF],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "重复" in r.stderr
    line = next(x for x in r.stdout.splitlines() if x.startswith("LOADED "))
    assert "pandera" in line.split()
