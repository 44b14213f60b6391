"""One consolidation per set of inputs (issue 16): the snapshot of a consolidation is
reused by the next command on unchanged inputs for the same AS_OF, gives the same cells
as a run without it, and any changed input file, roster or settings is a new one."""

from __future__ import annotations

import copy
import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

from pipeline.cli import main
from pipeline.jobs import consolidate as job
from pipeline.jobs.snapshot import FOLDER, SnapshotStore, inputs_digest, snapshot_key

DEMO = Path(__file__).resolve().parents[2] / "inputs"
AS_OF = "2026-10-20"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(DEMO, tmp_path / "inputs")
    (tmp_path / "outputs").mkdir()
    return tmp_path


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A spy on the consolidation core: one entry per real consolidation."""
    calls: list[int] = []
    inner = job.consolidate

    def spy(*a: Any, **k: Any) -> Any:
        calls.append(1)
        return inner(*a, **k)

    monkeypatch.setattr(job, "consolidate", spy)
    return calls


def pledge(project: Path, *argv: str, outputs: str = "outputs") -> None:
    base = ["--inputs", str(project / "inputs"), "--outputs", str(project / outputs), "--quiet"]
    assert main([*base, *argv, "--as-of", AS_OF]) == 0


def cells(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
    finally:
        wb.close()


def test_later_commands_reuse_the_consolidation_with_the_same_cells(project: Path, runs: list[int]) -> None:
    pledge(project, "consolidate")
    assert len(runs) == 1
    assert len(list((project / "outputs/.cache" / FOLDER).glob("*.json"))) == 1
    for command in ("bulletin", "notice", "overdue", "consolidate"):
        pledge(project, command)
    assert len(runs) == 1  # `make consolidate bulletin notice overdue`: consolidated once
    for command in ("consolidate", "bulletin", "notice", "overdue"):
        pledge(project, command, "--no-cache", outputs="fresh")
    assert len(runs) == 5  # --no-cache: no snapshot used
    warm, cold = project / "outputs" / AS_OF, project / "fresh" / AS_OF
    for name in ("台账.xlsx", "逾期清单.xlsx", "公示_承诺事项.xlsx"):
        assert cells(warm / name) == cells(cold / name), name
    assert (warm / "通报.html").read_text("utf-8") == (cold / "通报.html").read_text("utf-8")


def test_the_snapshot_rebuilds_every_frame_and_finding(project: Path) -> None:
    inputs, outputs, as_of = project / "inputs", project / "outputs", dt.date.fromisoformat(AS_OF)
    cold = job.run_consolidation(inputs, outputs, as_of)
    warm = job.run_consolidation(inputs, outputs, as_of)
    assert "snapshot" in warm.timings
    for name in ("members", "orgs", "logs", "plans", "excluded"):
        pd.testing.assert_frame_equal(getattr(warm, name), getattr(cold, name), check_index_type=True)
    pd.testing.assert_frame_equal(warm.roster.units, cold.roster.units)
    pd.testing.assert_frame_equal(warm.roster.members, cold.roster.members)
    assert warm.findings == cold.findings and warm.findings
    assert warm.used == cold.used and warm.files == cold.files and warm.field_cols == cold.field_cols
    assert warm.superseded == cold.superseded and warm.unidentified == cold.unidentified
    assert warm.settings == cold.settings


@pytest.mark.parametrize("when", ["cold", "warm", "one changed"])
def test_kept_bytes_of_parsed_workbooks_write_the_same_snapshot(project: Path, when: str) -> None:
    """The snapshot writes each parsed workbook from the bytes its parse-cache entry held
    (or the worker encoded): byte for byte the snapshot encoded afresh, whether the
    workbooks were parsed now, read from the cache, or both."""
    from pipeline.core.settings import load_settings
    from pipeline.infra.cache import ParseCache
    from pipeline.rules.roster import load_roster

    inputs, outputs, as_of = project / "inputs", project / "outputs", dt.date.fromisoformat(AS_OF)
    settings = load_settings(inputs)
    roster = load_roster(inputs)

    def run() -> tuple[Any, ParseCache]:
        cache = ParseCache(outputs / ".cache", settings.fingerprint())
        return job.consolidate(inputs, settings, roster, as_of, cache=cache), cache

    if when != "cold":
        run()
    if when == "one changed":
        _change_return(inputs)
    c, cache = run()
    assert len(c.used) > 3 and all(cache.encoded.get(u.parsed) for u in c.used.values())  # all kept
    fresh, spliced = SnapshotStore(project / "a"), SnapshotStore(project / "b")
    assert fresh.put("k", c) and spliced.put("k", c, cache.encoded)
    assert (project / "a" / FOLDER / "k.json").read_bytes() == (
        project / "b" / FOLDER / "k.json"
    ).read_bytes()
    # a kept value stands for exactly its own bytes: an equal copy is encoded afresh
    parsed = next(iter(c.used.values())).parsed
    assert cache.encoded.get(parsed) and cache.encoded.get(copy.copy(parsed)) is None


def _change_return(inputs: Path) -> None:
    path = sorted((inputs / "returns").rglob("*.xlsx"))[0]
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    ws.cell(row=ws.max_row + 2, column=1, value="补充说明")
    wb.save(path)


def _change_roster(inputs: Path) -> None:
    path = inputs / "roster.xlsx"
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    col = header.index("姓名") + 1
    ws.cell(row=ws.max_row, column=col, value=f"{ws.cell(row=ws.max_row, column=col).value}甲")
    wb.save(path)


def _change_settings(inputs: Path) -> None:
    path = inputs / "campaign.toml"
    text = path.read_text("utf-8")
    assert "due_soon_days = 14" in text
    path.write_text(text.replace("due_soon_days = 14", "due_soon_days = 20"), "utf-8")


def test_a_changed_input_is_a_new_consolidation(project: Path, runs: list[int]) -> None:
    """Each kind of change in turn, on the project as the change before left it."""
    pledge(project, "notice")
    pledge(project, "notice")
    assert len(runs) == 1
    name = "公示_承诺事项.xlsx"
    for change in (_change_return, _change_roster, _change_settings):
        before = len(runs)
        change(project / "inputs")
        pledge(project, "notice")
        assert len(runs) == before + 1, change.__name__
        fresh = f"fresh-{change.__name__}"
        pledge(project, "notice", "--no-cache", outputs=fresh)
        assert cells(project / "outputs" / AS_OF / name) == cells(project / fresh / AS_OF / name), (
            change.__name__
        )


def test_another_as_of_is_another_consolidation(project: Path, runs: list[int]) -> None:
    pledge(project, "overdue")
    assert main(["-C", str(project), "--quiet", "overdue", "--as-of", "2026-11-20"]) == 0
    assert len(runs) == 2


DAMAGES = {
    "truncated": lambda b: b[: len(b) // 2],
    "garbage": lambda b: b"garbage",
    "another tool's": lambda b: b.replace(b"pledge-consolidation-snapshot", b"other-tool"),
    "another class": lambda b: b.replace(b'"$c":"Consolidation"', b'"$c":"Popen"'),
}


def test_a_corrupt_or_foreign_snapshot_is_a_miss(project: Path, runs: list[int]) -> None:
    """Each damage in turn to the one snapshot: the next command consolidates again and
    stores it again, the one after uses it. (Which command reads the snapshot does not
    matter: every command gets its consolidation from ``run_consolidation``.)"""
    pledge(project, "consolidate")
    for n, (what, damage) in enumerate(DAMAGES.items(), start=2):
        (entry,) = (project / "outputs/.cache" / FOLDER).glob("*.json")
        damaged = damage(entry.read_bytes())
        assert damaged != entry.read_bytes(), what
        entry.write_bytes(damaged)
        pledge(project, "overdue")
        assert len(runs) == n, what
        pledge(project, "overdue")
        assert len(runs) == n, what  # stored again, good again


def test_a_snapshot_whose_files_left_the_archive_is_a_miss(project: Path, runs: list[int]) -> None:
    pledge(project, "consolidate")
    shutil.rmtree(project / "outputs/archive")
    pledge(project, "notice")
    assert len(runs) == 2
    assert (project / "outputs/archive/manifest.csv").is_file()


def test_the_key_covers_every_input_file(project: Path) -> None:
    inputs, as_of = project / "inputs", dt.date.fromisoformat(AS_OF)
    manifest = project / "outputs/archive/manifest.csv"
    key = snapshot_key(inputs_digest(inputs), as_of, manifest)
    assert snapshot_key(inputs_digest(inputs), as_of, manifest) == key
    (inputs / "evaluation").mkdir(exist_ok=True)
    (inputs / "evaluation" / "领导小组意见.xlsx").write_bytes(b"x")
    assert snapshot_key(inputs_digest(inputs), as_of, manifest) != key
    digest = inputs_digest(inputs)
    assert snapshot_key(digest, dt.date(2026, 10, 21), manifest) != snapshot_key(digest, as_of, manifest)
    assert snapshot_key(digest, as_of, manifest, today=dt.date(2027, 1, 1)) != snapshot_key(
        digest, as_of, manifest
    )
    manifest.parent.mkdir(parents=True)
    manifest.write_text("sha256\n", "utf-8")
    assert snapshot_key(digest, as_of, manifest) != snapshot_key(digest, as_of, manifest.with_name("none"))


def test_the_snapshot_equals_a_run_from_the_archive_it_left(project: Path) -> None:
    """The first run adds the new versions to the archive and keys its snapshot by the
    manifest it leaves; a run without the snapshot from that archive gives the same."""
    inputs, as_of = project / "inputs", dt.date.fromisoformat(AS_OF)
    job.run_consolidation(inputs, project / "outputs", as_of)
    shutil.copytree(project / "outputs/archive", project / "other/archive")
    warm = job.run_consolidation(inputs, project / "outputs", as_of)
    assert "snapshot" in warm.timings
    cold = job.run_consolidation(inputs, project / "other", as_of, use_cache=False)
    for name in ("members", "orgs", "logs", "plans", "excluded"):
        pd.testing.assert_frame_equal(getattr(warm, name), getattr(cold, name))
    assert warm.findings == cold.findings and warm.files == cold.files and warm.used == cold.used


def test_no_cache_root_stores_nothing(project: Path) -> None:
    store = SnapshotStore(None)
    c = job.run_consolidation(
        project / "inputs", project / "outputs", dt.date.fromisoformat(AS_OF), use_cache=False
    )
    assert store.put("k", c) is False and store.get("k", c.settings) is None
    assert not (project / "outputs/.cache" / FOLDER).exists()
