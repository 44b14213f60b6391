"""Bulk rows (pipeline.outputs.fast_sheet) give the very cells xlsxwriter's own writes give."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from pipeline.outputs.fast_sheet import FastSheet
from pipeline.outputs.sheet import write_cell, write_frame
from pipeline.outputs.xlsx import WORKBOOK_OPTIONS, formats, new_workbook
from pipeline.read.textnorm import safe_cell_text

VALUES: list[Any] = [
    "承诺事项",
    "",
    None,
    float("nan"),
    pd.NaT,
    '=HYPERLINK("http://x","点我")',
    "+cmd|' /C calc'!A0",
    "@SUM(1)",
    "<script>alert(1)</script> & more",
    "_x0041_ 与 _x000D_ 原样",
    "  前后有空格  ",
    "多行\n文字",
    "表情😀",
    "控制\x07字符",
    "长" * 40000,
    12,
    -3.5,
    1e20,
    float("inf"),
    True,
    False,
    np.int64(7),
    np.float64(2.25),
    dt.date(2026, 10, 15),
    dt.datetime(2026, 10, 15, 8, 30),
    pd.Timestamp("2026-12-31"),
    dt.date(1900, 2, 28),
    dt.date(1900, 3, 1),
]


def _cells(path: Path, sheet: str) -> list[tuple[Any, ...]]:
    """(ref, value, data type, number format, fill) of every cell openpyxl sees."""
    ws = openpyxl.load_workbook(path)[sheet]
    out = []
    for row in ws.iter_rows():
        for c in row:
            if c.value is None and not c.has_style:
                continue
            fill = c.fill.fgColor.rgb if c.fill and c.fill.fill_type else None
            value = c.value
            if isinstance(value, str):  # openpyxl leaves Excel's _x005F_ escape in inline strings
                value = value.replace("_x005F", "")
            out.append((c.coordinate, value, c.data_type, c.number_format, fill, c.border.left.style))
    return out


def _write(path: Path, fast: bool, rows: list[list[Any]], marked: dict[tuple[int, int], str]) -> None:
    wb = xlsxwriter.Workbook(str(path), dict(WORKBOOK_OPTIONS))
    if fast:
        wb.worksheet_class = FastSheet
    fmt = formats(wb)
    ws = wb.add_worksheet("数据")
    ws.write_string(0, 0, "标题", fmt["title"])
    width = max(len(r) for r in rows)
    if fast:
        assert isinstance(ws, FastSheet)
        ws.append_rows(
            1,
            rows,
            [fmt["cell"]] * width,
            [fmt["date"]] * width,
            marked={(1 + i, j): (fmt[s], fmt[f"{s}_date"]) for (i, j), s in marked.items()},
        )
    else:
        for i, row in enumerate(rows, start=1):
            for j, v in enumerate(row):
                style = marked.get((i - 1, j), "cell")
                if isinstance(v, np.integer):
                    v = v.item()  # write_frame hands over Python values (Series.tolist)
                if isinstance(v, float) and math.isinf(v):
                    v = None  # xlsxwriter refuses inf; the fast path writes a blank
                write_cell(ws, i, j, v, fmt, style)
    ws.write_string(len(rows) + 2, 0, "表尾", fmt["bold"])
    wb.close()


def test_every_kind_of_value_reads_back_as_xlsxwriter_writes_it(tmp_path: Path) -> None:
    rows = [VALUES[i : i + 7] for i in range(0, len(VALUES), 7)]
    marked = {(0, 1): "error", (1, 3): "notice", (3, 2): "error"}
    _write(tmp_path / "slow.xlsx", False, rows, marked)
    _write(tmp_path / "fast.xlsx", True, rows, marked)
    assert _cells(tmp_path / "fast.xlsx", "数据") == _cells(tmp_path / "slow.xlsx", "数据")
    fast = CalamineWorkbook.from_path(str(tmp_path / "fast.xlsx")).get_sheet_by_name("数据").to_python()
    slow = CalamineWorkbook.from_path(str(tmp_path / "slow.xlsx")).get_sheet_by_name("数据").to_python()
    assert fast == slow


def test_hostile_text_stays_text(tmp_path: Path) -> None:
    _write(tmp_path / "fast.xlsx", True, [VALUES[5:11]], {})
    ws = openpyxl.load_workbook(tmp_path / "fast.xlsx")["数据"]
    assert [c.data_type for c in ws[2]] == ["s"] * 6
    assert not ws._hyperlinks
    row = CalamineWorkbook.from_path(str(tmp_path / "fast.xlsx")).get_sheet_by_name("数据").to_python()[1]
    assert row[0] == VALUES[5]
    assert row[4] == "_x0041_ 与 _x000D_ 原样"
    assert row[5] == "  前后有空格  "


def test_long_text_is_cut_to_the_excel_limit(tmp_path: Path) -> None:
    _write(tmp_path / "fast.xlsx", True, [["长" * 40000]], {})
    v = openpyxl.load_workbook(tmp_path / "fast.xlsx")["数据"]["A2"].value
    assert v == safe_cell_text("长" * 40000) and len(v) <= 32767


def test_blank_cells_off_skips_missing_values_but_not_marked_ones(tmp_path: Path) -> None:
    wb = new_workbook(tmp_path / "b.xlsx")
    fmt = formats(wb)
    ws = wb.add_worksheet("数据")
    assert isinstance(ws, FastSheet)
    ws.append_rows(
        0,
        [["a", None, "", "d"], [None, "", None]],
        [fmt["cell"]] * 4,
        [fmt["date"]] * 4,
        blank_cells=False,
        marked={(1, 2): (fmt["error"], fmt["error_date"])},
    )
    wb.close()
    cells = {c[0]: c for c in _cells(tmp_path / "b.xlsx", "数据")}
    assert set(cells) == {"A1", "D1", "C2"}
    assert cells["C2"][4] == "FFFF9999"


def test_rows_wider_than_the_styles_keep_the_last_style(tmp_path: Path) -> None:
    wb = new_workbook(tmp_path / "w.xlsx")
    fmt = formats(wb)
    ws = wb.add_worksheet("数据")
    ws.append_rows(0, [["a", "b", "c", "d"]], [fmt["header"]], [fmt["date"]])
    wb.close()
    assert [c[1] for c in _cells(tmp_path / "w.xlsx", "数据")] == ["a", "b", "c", "d"]


def test_rows_must_come_in_order_and_not_overlap_single_cells(tmp_path: Path) -> None:
    wb = new_workbook(tmp_path / "o.xlsx")
    fmt = formats(wb)
    ws = wb.add_worksheet("数据")
    ws.append_rows(3, [["a"], ["b"]], [fmt["cell"]], [fmt["date"]])
    with pytest.raises(ValueError):
        ws.append_rows(2, [["c"]], [fmt["cell"]], [fmt["date"]])
    ws.write_string(4, 0, "同一行")
    with pytest.raises(RuntimeError):
        wb.close()


def test_comments_and_single_cells_around_the_bulk_rows(tmp_path: Path) -> None:
    wb = new_workbook(tmp_path / "c.xlsx")
    fmt = formats(wb)
    ws = wb.add_worksheet("数据")
    ws.write_string(0, 0, "上")
    ws.append_rows(1, [["x", "y"], ["z", None]], [fmt["cell"]] * 2, [fmt["date"]] * 2)
    ws.write_comment(2, 1, "批注在批量行上")
    ws.write_comment(7, 3, "批注在空行上")
    ws.write_string(9, 0, "下")
    wb.close()
    book = openpyxl.load_workbook(tmp_path / "c.xlsx")
    ws2 = book["数据"]
    assert [ws2[r][0].value for r in (1, 2, 3, 10)] == ["上", "x", "z", "下"]
    assert ws2["B3"].comment.text.startswith("批注在批量行上")
    assert ws2["D8"].comment is not None


def test_write_frame_is_the_same_with_and_without_bulk_rows(tmp_path: Path) -> None:
    df = pd.DataFrame(
        {
            "单位": ["D01", "D02", None],
            "完成率": [0.5, 1.0, float("nan")],
            "期限": [pd.Timestamp("2026-10-01"), pd.NaT, pd.Timestamp("2026-12-31")],
            "数量": [1, 2, 3],
        }
    )
    for name, fast in (("fast", True), ("slow", False)):
        wb = xlsxwriter.Workbook(str(tmp_path / f"{name}.xlsx"), dict(WORKBOOK_OPTIONS))
        if fast:
            wb.worksheet_class = FastSheet
        fmt = formats(wb)
        ws = wb.add_worksheet("表")
        write_frame(ws, df, fmt, percent_cols=("完成率",), start_row=1, cell_styles={(1, 0): "notice"})
        wb.close()
    assert _cells(tmp_path / "fast.xlsx", "表") == _cells(tmp_path / "slow.xlsx", "表")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(max_size=60), min_size=1, max_size=8))
def test_any_text_reads_back_as_written(tmp_path: Path, texts: list[str]) -> None:
    path = tmp_path / "h.xlsx"
    wb = new_workbook(path)
    fmt = formats(wb)
    ws = wb.add_worksheet("数据")
    ws.append_rows(0, [[t] for t in texts], [fmt["cell"]], [fmt["date"]])
    wb.close()
    got = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("数据").to_python()
    # XML reads a line end (\r\n or \r) as \n, as with xlsxwriter's own strings
    assert [r[0] for r in got] == [safe_cell_text(t).replace("\r\n", "\n").replace("\r", "\n") for t in texts]


# --------------------------------------------------------------------------- the fallback
# When the probe of xlsxwriter's internals fails, append_rows writes through the public
# write_* methods: the same cells.


def test_fallback_gives_the_fast_paths_cells(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pipeline.outputs.fast_sheet as fs

    rows = [VALUES[i : i + 7] for i in range(0, len(VALUES), 7)]
    marked = {(0, 1): "error", (1, 3): "notice", (3, 2): "error", (2, 6): "notice"}
    _write(tmp_path / "fast.xlsx", True, rows, marked)
    monkeypatch.setattr(fs, "FAST", False)
    _write(tmp_path / "plain.xlsx", True, rows, marked)
    assert _cells(tmp_path / "plain.xlsx", "数据") == _cells(tmp_path / "fast.xlsx", "数据")
    read = [
        CalamineWorkbook.from_path(str(tmp_path / n)).get_sheet_by_name("数据").to_python()
        for n in ("fast.xlsx", "plain.xlsx")
    ]
    assert read[0] == read[1]


@pytest.mark.parametrize("blank_cells", [True, False])
def test_fallback_frames_and_sparse_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, blank_cells: bool
) -> None:
    import pipeline.outputs.fast_sheet as fs

    df = pd.DataFrame(
        {
            "单位": ["D01", "D02", ""],
            "日期": [dt.date(2026, 9, 1), None, dt.date(2026, 10, 1)],
            "比例": [0.5, float("nan"), 1.0],
            "件数": [3, 0, 12],
        }
    )
    for name, fast in (("fast.xlsx", True), ("plain.xlsx", False)):
        monkeypatch.setattr(fs, "FAST", fast)
        wb = new_workbook(tmp_path / name)
        fmt = formats(wb)
        write_frame(wb.add_worksheet("表"), df, fmt, percent_cols=("比例",), cell_styles={(1, 0): "error"})
        ws = wb.add_worksheet("稀疏")
        ws.append_rows(
            2,
            [["a", None, ""], [None, 5]],
            [fmt["cell"]] * 3,
            [fmt["date"]] * 3,
            blank_cells=blank_cells,
            marked={(3, 2): (fmt["notice"], fmt["notice_date"])},
        )
        wb.close()
    for sheet in ("表", "稀疏"):
        assert _cells(tmp_path / "plain.xlsx", sheet) == _cells(tmp_path / "fast.xlsx", sheet)


def test_probe_fails_without_the_internals(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from xlsxwriter.worksheet import Worksheet

    import pipeline.outputs.fast_sheet as fs

    assert fs._probe() == "" and fs.FAST  # the pinned xlsxwriter: the fast path
    monkeypatch.delattr(Worksheet, "_check_dimensions")
    reason = fs._probe()
    assert "_check_dimensions" in reason
    monkeypatch.setattr(fs, "FAST", True)
    fs._fall_back(reason)
    assert fs.FAST is False
    err = capsys.readouterr().err
    assert err.startswith("提示：已安装的 xlsxwriter") and "改用较慢的标准写法，结果相同" in err


def test_probe_fails_when_the_sheet_xml_differs(monkeypatch: pytest.MonkeyPatch) -> None:
    import pipeline.outputs.fast_sheet as fs

    monkeypatch.setattr(fs.FastSheet, "_write_rows", lambda self: None)  # rows never reach the file
    assert "sheet XML differs" in fs._probe()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.lists(st.sampled_from(VALUES[:14] + VALUES[15:]), min_size=1, max_size=6),
        min_size=1,
        max_size=8,
    ),
    st.lists(st.sampled_from([None, 15.0, 30.75]), min_size=8, max_size=8),
)
def test_a_slice_is_the_rows_xml_without_cell_references(
    tmp_path: Path, rows: list[list[Any]], heights: list[float | None]
) -> None:
    """A slice (rendered once, spliced wherever its unit's rows land) is exactly the XML
    the same rows get in place, less every row's and cell's ``r`` attribute."""
    import re

    wb = xlsxwriter.Workbook(str(tmp_path / "s.xlsx"), dict(WORKBOOK_OPTIONS))
    wb.worksheet_class = FastSheet
    fmt = formats(wb)
    ws = wb.add_worksheet("数据")
    assert isinstance(ws, FastSheet)
    width = max(len(r) for r in rows)
    rows = [[*r, *[""] * (width - len(r))] for r in rows]  # a slice has no gaps
    styles = ([fmt["cell"]] * width, [fmt["date"]] * width, [fmt["percent"]] * width)
    got = ws.render_rows(rows, *styles, heights=heights[: len(rows)])
    placed: list[str] = []
    ws._rows_xml(37, rows, *styles, True, None, heights[: len(rows)], placed.append)
    expected = re.sub(r'(<row|<c) r="[A-Z]*[0-9]+"', r"\1", "".join(placed))
    assert got == expected
    assert ' r="' not in (got or "").replace('<t xml:space="preserve">', "")  # no reference left
    wb.close()
