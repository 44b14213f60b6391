"""Outputs are all-or-nothing; a second run is refused by the lock."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.core.errors import LockedError
from pipeline.infra.atomic import OLD_PREFIX, OutputStage, atomic_path, recover, run_lock


def test_atomic_path_keeps_old_file_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed")
    assert target.read_text() == "old"
    assert list(tmp_path.iterdir()) == [target]


def test_stage_swaps_and_keeps_other_commands_outputs(tmp_path: Path) -> None:
    out = tmp_path / "2026-10-01"
    out.mkdir()
    (out / "通报.html").write_text("bulletin")
    (out / "台账.xlsx").write_text("old ledger")
    (out / "反馈").mkdir()
    (out / "反馈" / "stale.xlsx").write_text("stale")
    with OutputStage(out, owned={"台账.xlsx", "反馈"}) as stage:
        stage.path("台账.xlsx").write_text("new ledger")
        stage.path("反馈/D01.xlsx").write_text("fb")
    assert (out / "台账.xlsx").read_text() == "new ledger"
    assert (out / "通报.html").read_text() == "bulletin"
    assert not (out / "反馈" / "stale.xlsx").exists()
    assert (out / "反馈" / "D01.xlsx").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2026-10-01"]


def test_failed_run_leaves_previous_outputs(tmp_path: Path) -> None:
    out = tmp_path / "2026-10-01"
    out.mkdir()
    (out / "台账.xlsx").write_text("old")
    with pytest.raises(RuntimeError), OutputStage(out) as stage:
        stage.path("台账.xlsx").write_text("half")
        raise RuntimeError("killed")
    assert (out / "台账.xlsx").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2026-10-01"]


def test_interrupted_swap_is_repaired(tmp_path: Path) -> None:
    out = tmp_path / "2026-10-01"
    old = tmp_path / f"{OLD_PREFIX}2026-10-01"
    old.mkdir()
    (old / "台账.xlsx").write_text("previous")
    recover(out)  # killed between the two renames: the previous outputs come back
    assert (out / "台账.xlsx").read_text() == "previous"


def test_second_run_is_locked_out(tmp_path: Path) -> None:
    with run_lock(tmp_path), pytest.raises(LockedError, match="另一个汇总任务"), run_lock(tmp_path):
        pass
    with run_lock(tmp_path):  # released afterwards
        pass
