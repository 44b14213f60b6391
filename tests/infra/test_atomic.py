"""Outputs are all-or-nothing; a second run is refused by the lock."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.core.errors import LockedError
from pipeline.infra.atomic import (
    OLD_PREFIX,
    OutputStage,
    atomic_path,
    discard,
    empty_discarded,
    recover,
    run_lock,
)


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


def test_a_replaced_folder_waits_in_discard_to_until_emptied(tmp_path: Path) -> None:
    """With ``discard_to`` the replaced folder is moved aside on commit, not deleted (the
    consolidation deletes it in its next run, on the other core)."""
    out, bin_ = tmp_path / "2026-10-01", tmp_path / ".cache" / "discarded"
    out.mkdir()
    (out / "台账.xlsx").write_text("old")
    for text in ("new", "newer"):
        with OutputStage(out, owned={"台账.xlsx"}, discard_to=bin_) as stage:
            stage.path("台账.xlsx").write_text(text)
    assert (out / "台账.xlsx").read_text() == "newer"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".cache", "2026-10-01"]
    kept = sorted((p / "台账.xlsx").read_text() for p in bin_.iterdir())
    assert kept == ["new", "old"]  # each replaced folder under a name of its own
    empty_discarded(bin_)
    assert list(bin_.iterdir()) == []
    empty_discarded(tmp_path / "none")  # nothing to empty: no error


def test_a_folder_that_cannot_be_moved_aside_is_deleted(tmp_path: Path) -> None:
    folder = tmp_path / "old"
    folder.mkdir()
    (folder / "a.txt").write_text("x")
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    discard(folder, blocker / "discarded")  # cannot be created: removed now
    assert not folder.exists()
    again = tmp_path / "old2"
    again.mkdir()
    discard(again, None)
    assert not again.exists()


def test_second_run_is_locked_out(tmp_path: Path) -> None:
    with run_lock(tmp_path), pytest.raises(LockedError, match="另一个汇总任务"), run_lock(tmp_path):
        pass
    with run_lock(tmp_path):  # released afterwards
        pass


def test_each_consolidation_removes_the_folder_the_last_one_replaced(tmp_path: Path) -> None:
    import shutil

    from pipeline.cli import main
    from pipeline.infra.atomic import DISCARDED

    shutil.copytree(Path(__file__).resolve().parents[2] / "inputs", tmp_path / "inputs")
    argv = ["--inputs", str(tmp_path / "inputs"), "--outputs", str(tmp_path / "outputs"), "--quiet"]
    bin_ = tmp_path / "outputs" / ".cache" / DISCARDED
    seen: list[list[str]] = []
    for _ in range(3):
        assert main([*argv, "consolidate", "--as-of", "2026-11-20"]) == 0
        seen.append(sorted(p.name for p in bin_.iterdir()) if bin_.is_dir() else [])
    assert seen[0] == [] and len(seen[1]) == 1 and len(seen[2]) == 1 and seen[1] != seen[2]
    assert sorted(p.name for p in (tmp_path / "outputs").iterdir()) == [
        ".cache",
        ".lock",
        "2026-11-20",
        "archive",
    ]
