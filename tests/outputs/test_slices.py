"""The ledger's unit slices (issue 16): each unit's rows of the row sheets are kept
compressed and spliced into the next run. The spliced ledger has the cells, row heights
and styles of one written the ordinary way; a warm run after a change of one unit's
return, of the roster or of the settings gives the cells of a cold run; only changed
slices are rendered again; a damaged kept slice is a miss."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import zipfile
import zlib
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from pipeline.cli import main
from pipeline.infra import background
from pipeline.outputs import slices as S
from pipeline.outputs.changes import CHANGES_SLICES
from pipeline.outputs.zip_splice import deflate_pieces
from tests.builders import resend_first_pledge

DEMO = Path(__file__).resolve().parents[2] / "inputs"
AS_OF = "2026-11-20"
LEDGER = "台账.xlsx"
ROW_SHEETS = ("党员承诺", "组织承诺", "履诺记实", "履诺计划", "问题清单")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(DEMO, tmp_path / "inputs")
    return tmp_path


def consolidate(project: Path, outputs: str = "outputs", *extra: str) -> Path:
    argv = ["--inputs", str(project / "inputs"), "--outputs", str(project / outputs), "--quiet"]
    assert main([*argv, "consolidate", "--as-of", AS_OF, *extra]) == 0
    return project / outputs / AS_OF / LEDGER


def sheets(path: Path) -> dict[str, Any]:
    """Per sheet: cell values, row heights and cell style ids, as openpyxl reads them."""
    wb = openpyxl.load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        rows = list(ws.iter_rows())
        out[ws.title] = (
            [[c.value for c in r] for r in rows],
            [ws.row_dimensions[i].height for i in range(1, ws.max_row + 1)],
            [[c.style_id for c in r] for r in rows],
        )
    return out


def calamine_cells(path: Path) -> dict[str, list[list[Any]]]:
    wb = CalamineWorkbook.from_path(str(path))
    return {n: wb.get_sheet_by_name(n).to_python(skip_empty_area=False) for n in wb.sheet_names}


def test_spliced_ledger_equals_the_ordinary_one(project: Path) -> None:
    spliced = consolidate(project)
    plain = consolidate(project, "plain", "--no-cache")
    with zipfile.ZipFile(spliced) as z:
        assert z.testzip() is None  # every member's CRC is right
        member_rows = z.read("xl/worksheets/sheet2.xml").decode()
    assert '<row ht="' in member_rows and '<c r="A3"' not in member_rows  # slices carry no references
    assert sheets(spliced) == sheets(plain)
    assert calamine_cells(spliced) == calamine_cells(plain)
    kept = list((project / "outputs/.cache" / S.SLICES_DIR).iterdir())
    assert len(kept) >= 6 * 4  # a slice per unit and sheet at least (the demo has 6 units)


def _edit_one_return(inputs: Path) -> None:
    """D01 re-sends its workbook with one pledge reworded (saved before AS_OF)."""
    resend_first_pledge(inputs, "为社区老人开展免费量血压服务 3 次，并建立健康档案")


def _edit_roster(inputs: Path) -> None:
    path = inputs / "roster.xlsx"
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    col = header.index("姓名") + 1
    ws.cell(row=2, column=col, value=f"{ws.cell(row=2, column=col).value}甲")
    wb.save(path)
    os.utime(path, (dt.datetime(2026, 11, 1).timestamp(),) * 2)


def _edit_settings(inputs: Path) -> None:
    path = inputs / "campaign.toml"
    text = path.read_text("utf-8")
    assert "due_soon_days = 14" in text
    path.write_text(text.replace("due_soon_days = 14", "due_soon_days = 20"), "utf-8")


@pytest.mark.parametrize("change", [_edit_one_return, _edit_roster, _edit_settings])
def test_a_warm_run_after_a_change_gives_the_cells_of_a_cold_run(
    project: Path, change: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    consolidate(project)
    change(project / "inputs")
    rendered: list[str] = []  # the ledger's slices rendered again
    rendered_changes: list[str] = []  # 变更明细's
    put = S.SliceStore.put

    def spy(self: S.SliceStore, key: str, chunk: S.Chunk) -> None:
        assert self.root is not None
        (rendered if self.root.name == S.SLICES_DIR else rendered_changes).append(key)
        put(self, key, chunk)

    monkeypatch.setattr(S.SliceStore, "put", spy)
    # the spy sees this process only: 台账 written here, not by a forked child (infra.background)
    monkeypatch.setattr(background, "can_fork", lambda: False)
    warm = consolidate(project)
    # the cold run: the same inputs and archive, nothing kept
    shutil.copytree(project / "outputs" / "archive", project / "cold" / "archive")
    cold = consolidate(project, "cold", "--no-cache")
    assert sheets(warm) == sheets(cold)
    changes = "变更记录.xlsx"  # each unit's changes are kept too (pipeline.jobs.changes)
    assert sheets(warm.parent / changes) == sheets(cold.parent / changes)
    total = len(list((project / "outputs/.cache" / S.SLICES_DIR).glob("*.deflate")))
    if change is _edit_one_return:
        # D01's slices again (its pledge rows, its problem rows), every other unit's reused
        assert 0 < len(rendered) <= 4, rendered
        assert total > 20
        # 变更明细: D01's rows only (it has changes now), every other unit's reused
        kept_changes = list((project / "outputs/.cache" / CHANGES_SLICES).glob("*.deflate"))
        assert len(rendered_changes) == 1 and len(kept_changes) == 4, rendered_changes


def test_a_damaged_kept_slice_is_rendered_again(project: Path) -> None:
    first = sheets(consolidate(project))
    kept = sorted((project / "outputs/.cache" / S.SLICES_DIR).glob("*.deflate"))
    kept[0].write_bytes(kept[0].read_bytes()[:-3] + b"\x00\x01\x02")  # same name, other bytes
    kept[1].write_bytes(b"")
    other = next(k for k in kept[3:] if k.read_bytes() != kept[2].read_bytes())
    kept[2].write_bytes(other.read_bytes())  # whole, valid deflate, of another slice
    ledger = consolidate(project)
    assert sheets(ledger) == first
    with zipfile.ZipFile(ledger) as z:
        assert z.testzip() is None


@given(st.lists(st.one_of(st.binary(max_size=3000), st.binary(max_size=200).map(S.compress)), max_size=8))
def test_pieces_join_into_one_deflate_stream_with_the_crc_of_the_whole(pieces: list[Any]) -> None:
    data, size, crc = deflate_pieces(pieces)
    whole = b"".join(
        p if isinstance(p, bytes) else zlib.decompressobj(-15).decompress(p.data) for p in pieces
    )
    assert zlib.decompress(data, -15) == whole
    assert (size, crc) == (len(whole), zlib.crc32(whole))


def test_kept_unit_changes_that_are_damaged_or_foreign_are_compared_again(project: Path) -> None:
    ledger = consolidate(project)
    first = sheets(ledger.parent / "变更记录.xlsx")
    kept = project / "outputs/.cache/changes/units.json"
    assert kept.is_file()
    for damage in (b"garbage", b'{"tag": "other-tool", "units": {}}', kept.read_bytes()[:100]):
        kept.write_bytes(damage)
        assert sheets(consolidate(project).parent / "变更记录.xlsx") == first


def _frame_ledger(path: Path, df: Any, store: S.SliceStore | None) -> None:
    from pipeline.outputs.fast_sheet import splice_workbook
    from pipeline.outputs.sheet import write_frame
    from pipeline.outputs.xlsx import formats, new_workbook

    wb = new_workbook(path)
    write_frame(wb.add_worksheet("党员承诺"), df, formats(wb), slices=store, group_col="单位编码")
    wb.close()
    if store is not None:
        splice_workbook(path, wb)


def _column_widths(path: Path) -> list[float]:
    ws = openpyxl.load_workbook(path).worksheets[0]
    return [ws.column_dimensions[c].width for c in "ABC"]


def test_a_wider_column_renders_only_the_rows_whose_heights_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One unit's 备注 grows: the column is wider, so every slice has a new layout key, but
    only that unit's rows are rendered again (the others keep their row heights and are
    found by their rows key) and the sheet equals one written without slices. The run
    after, with the same widths, finds every slice through its alias, computing no height;
    a damaged alias file only costs the heights."""
    import pandas as pd

    import pipeline.outputs.sheet as sheet_module

    def frame(note: str) -> Any:
        rows = [(f"B{u}", "很长的承诺事项文字" * (u + 1), "短") for u in range(6)]
        rows[2] = (rows[2][0], rows[2][1], note)
        return pd.DataFrame(rows, columns=["单位编码", "承诺事项", "备注"])

    rendered: list[str] = []
    computed: list[int] = []
    put, heights = S.SliceStore.put, sheet_module.P.row_heights

    def spy_put(self: S.SliceStore, key: str, chunk: S.Chunk) -> None:
        rendered.append(key)
        put(self, key, chunk)

    def spy_heights(columns: Any, *a: Any, **k: Any) -> Any:
        computed.append(len(columns[0]))
        return heights(columns, *a, **k)

    monkeypatch.setattr(S.SliceStore, "put", spy_put)
    monkeypatch.setattr(sheet_module.P, "row_heights", spy_heights)
    cache = tmp_path / "cache"

    def run(df: Any, name: str) -> Path:
        rendered.clear()
        computed.clear()
        store = S.SliceStore(cache)
        _frame_ledger(tmp_path / name, df, store)
        store.prune()
        return tmp_path / name

    first = run(frame("短"), "a.xlsx")
    assert len(rendered) == 6
    wider = run(frame("已与社区居委会对接"), "b.xlsx")
    assert _column_widths(wider)[2] > _column_widths(first)[2]  # the path under test
    assert len(rendered) == 1 and len(computed) == 6  # B2 rendered; every height computed
    _frame_ledger(tmp_path / "plain.xlsx", frame("已与社区居委会对接"), None)
    assert sheets(wider) == sheets(tmp_path / "plain.xlsx")
    again = run(frame("已与社区居委会对接"), "c.xlsx")
    assert rendered == [] and computed == []  # every slice through its alias
    assert sheets(again) == sheets(wider)
    (cache / S.SLICES_DIR / S.ALIASES).write_text("{not json", "utf-8")
    damaged = run(frame("已与社区居委会对接"), "d.xlsx")
    assert rendered == [] and len(computed) == 6
    assert sheets(damaged) == sheets(wider)
