"""The roster is read and checked once per content (pipeline.jobs.consolidate.cached_roster):
a later consolidation of changed returns takes it from the parse cache, equal frame for
frame; a changed roster is read again; a broken roster still stops the run with its cells."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

from pipeline.infra.cache import ParseCache
from pipeline.jobs import consolidate as job
from pipeline.rules.roster import RosterError, load_roster

DEMO = Path(__file__).resolve().parents[2] / "inputs"


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    shutil.copy2(DEMO / "roster.xlsx", tmp_path / "roster.xlsx")
    return tmp_path


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []

    def spy(*a: Any, **k: Any) -> Any:
        calls.append(1)
        return load_roster(*a, **k)

    monkeypatch.setattr(job, "load_roster", spy)
    return calls


def test_the_same_roster_is_read_once(inputs: Path, tmp_path: Path, reads: list[int]) -> None:
    first = job.cached_roster(inputs, ParseCache(tmp_path / "cache", "s"))
    again = job.cached_roster(inputs, ParseCache(tmp_path / "cache", "s"))
    assert reads == [1]
    pd.testing.assert_frame_equal(again.units, first.units)
    pd.testing.assert_frame_equal(again.members, first.members)
    assert again.codes == first.codes


def test_a_changed_roster_is_read_again(inputs: Path, tmp_path: Path, reads: list[int]) -> None:
    job.cached_roster(inputs, ParseCache(tmp_path / "cache", "s"))
    wb = openpyxl.load_workbook(inputs / "roster.xlsx")
    first = job.cached_roster(inputs, ParseCache(tmp_path / "cache", "s")).members["name"].iloc[0]
    cell = next(c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value == first)
    cell.value = "新名字"
    wb.save(inputs / "roster.xlsx")
    roster = job.cached_roster(inputs, ParseCache(tmp_path / "cache", "s"))
    assert reads == [1, 1] and "新名字" in roster.members["name"].tolist()


def test_a_broken_roster_stops_the_run_every_time(inputs: Path, tmp_path: Path) -> None:
    (inputs / "roster.xlsx").write_bytes(b"not a workbook")
    for _ in range(2):
        with pytest.raises(RosterError):
            job.cached_roster(inputs, ParseCache(tmp_path / "cache", "s"))


def test_without_a_cache_the_roster_is_read_each_time(inputs: Path, reads: list[int]) -> None:
    for _ in range(2):
        job.cached_roster(inputs, ParseCache(None, "s"))
    assert reads == [1, 1]
