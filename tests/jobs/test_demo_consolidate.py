"""The demo campaign end to end: every planted mistake is reported at its cell, every
valid item appears once in the ledger, and re-runs give the same cell values."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from pipeline.cli import main
from pipeline.infra import background
from pipeline.jobs import consolidate as consolidate_job
from pipeline.jobs.consolidate import run_consolidation
from pipeline.tooling.bench import compare_outputs
from pipeline.tooling.demo import DemoManifest
from tests.demo_project import DEMO_AS_OF, DemoProject, pledge

AS_OF = "2026-11-20"
# Rules whose checks live in later stages (change report, plans) are tested there.
LATER_STAGE = {"T101", "M104"}


@pytest.fixture(scope="module")
def demo(demo_consolidated: DemoProject) -> tuple[Path, DemoManifest, Path]:
    """The demo consolidated on AS_OF (the session's: read only)."""
    assert AS_OF == DEMO_AS_OF
    return demo_consolidated.inputs, demo_consolidated.manifest, demo_consolidated.out


def problems(out: Path) -> list[dict[str, str]]:
    ws = openpyxl.load_workbook(out / "台账.xlsx", read_only=True)["问题清单"]
    rows = list(ws.iter_rows(values_only=True))
    header = rows[0]
    return [{h: ("" if v is None else str(v)) for h, v in zip(header, r, strict=True)} for r in rows[1:]]


def test_every_planted_mistake_is_reported_at_its_cell(demo: tuple[Path, DemoManifest, Path]) -> None:
    _, manifest, out = demo
    found = problems(out)
    missing = []
    for p in manifest.planted:
        if p.rule in LATER_STAGE:
            continue
        hits = [f for f in found if f["规则编号"] == p.rule and f["文件"] == p.file]
        if p.cell:
            hits = [f for f in hits if f["单元格"] == p.cell and f["工作表"] == p.sheet]
        elif p.member_id:
            hits = [f for f in hits if f["党员编号"] == p.member_id]
        if not hits:
            missing.append(p)
    assert missing == []


def test_no_unplanned_errors(demo: tuple[Path, DemoManifest, Path]) -> None:
    _, manifest, out = demo
    planted = {(p.file, p.rule) for p in manifest.planted}
    extra = [f for f in problems(out) if f["级别"] == "错误" and (f["文件"], f["规则编号"]) not in planted]
    assert extra == []


def test_every_valid_item_appears_once(demo: tuple[Path, DemoManifest, Path]) -> None:
    inputs, _, out = demo
    ledger = openpyxl.load_workbook(out / "台账.xlsx", read_only=True)
    rows = list(ledger["党员承诺"].iter_rows(min_row=2, values_only=True))
    sources = [r[-1] for r in rows]
    assert len(sources) == len(set(sources))  # each source cell once
    # Every row with content in the used D04 file is in the ledger, and nothing else of it.
    d04 = [s for s in sources if "D04" in s]
    wb = openpyxl.load_workbook(next((inputs / "returns").rglob("D04_*.xlsx")), read_only=True)
    filled = [i for i, r in enumerate(wb["党员承诺"].iter_rows(min_row=2, values_only=True), start=2) if r[4]]
    assert sorted(int(s.rsplit("!", 1)[1][1:]) for s in d04) == filled
    summary = {r[0]: r for r in ledger["汇总"].iter_rows(min_row=3, values_only=True)}
    units = [k for k in summary if k and not str(k).startswith("统计口径")]
    assert units == ["D00", "D01", "D02", "D03", "D04", "D05", "合计"]  # a 合计 row below the units


def _values(path: Path) -> dict[str, list[tuple[object, ...]]]:
    wb = openpyxl.load_workbook(path, read_only=True)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb}


def test_rerun_gives_same_cell_values(demo: tuple[Path, DemoManifest, Path], tmp_path: Path) -> None:
    inputs, _, out = demo
    again = tmp_path / "again"
    assert (
        main(
            [
                "--inputs",
                str(inputs),
                "--outputs",
                str(again),
                "--quiet",
                "consolidate",
                "--as-of",
                AS_OF,
                "--no-cache",
            ]
        )
        == 0
    )
    first = sorted(p.relative_to(out) for p in out.rglob("*.xlsx"))
    second = sorted(p.relative_to(again / AS_OF) for p in (again / AS_OF).rglob("*.xlsx"))
    assert first == second and first
    for rel in first:
        assert _values(out / rel) == _values(again / AS_OF / rel), rel


def test_strict_exit_code(
    demo: tuple[Path, DemoManifest, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inputs, _, _ = demo
    code = main(
        ["--inputs", str(inputs), "--outputs", str(tmp_path), "consolidate", "--as-of", AS_OF, "--strict"]
    )
    assert code == 1
    said = capsys.readouterr().out
    assert "6 个单位中 6 个已报送" in said and "无法读取的文件 1 个" in said


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork only")
@pytest.mark.parametrize(
    ("min_jobs", "children"),
    [
        (None, ["_ledger_and_slices", "put", "write_change_report"]),  # few jobs: written here
        (1, ["put", "write_change_report"]),  # workers started (a cold county): the ledger here
    ],
)
def test_outputs_written_on_the_other_core_are_the_ones_written_here(
    demo_consolidated: DemoProject,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    min_jobs: int | None,
    children: list[str],
) -> None:
    """The snapshot, 变更记录 and 台账 written by forked children (infra.background), as a
    CLI run does (台账 here once the workers are started), give the same cells as the
    session's run, and the snapshot they leave is the one a later command uses."""
    project = DemoProject(tmp_path, demo_consolidated.manifest)
    shutil.copytree(demo_consolidated.inputs, project.inputs)
    monkeypatch.setenv("PLEDGE_WORKERS", "2")
    monkeypatch.delenv("PLEDGE_START_METHOD", raising=False)
    monkeypatch.setattr(background, "other_threads", lambda: False)  # the session's helper thread
    forked: list[str] = []
    start = background.start

    def counted(fn: Callable[..., Any], *args: Any, **kw: Any) -> background.Task:
        task = start(fn, *args, **kw)
        if task.forked:
            forked.append(fn.__name__)
        return task

    monkeypatch.setattr(background, "start", counted)
    if min_jobs is not None:
        monkeypatch.setattr(consolidate_job, "MIN_JOBS", min_jobs)
    pledge(project, "consolidate", "--as-of", AS_OF)
    assert sorted(forked) == children
    assert compare_outputs(project.out, demo_consolidated.out) == []
    snapshots = list((project.outputs / ".cache" / "consolidation").glob("*.json"))
    assert len(snapshots) == 1
    c = run_consolidation(project.inputs, project.outputs, dt.date(2026, 11, 20))
    assert c.timings.keys() == {"snapshot"}  # loaded from the snapshot the child wrote
