"""pipeline.read.reader: grids with absolute Excel positions, header finding, formulas.

Fixtures are built here by code; .xls files come from the hand-made BIFF8 writer in
tests/intake/test_filecheck.py.
"""

from __future__ import annotations

import datetime as dt
import random
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from pipeline.intake.filecheck import Caps, FileVerdict
from pipeline.read import reader as xlsx_read
from pipeline.read.reader import (
    FormulaCells,
    HeaderMatch,
    SheetGrid,
    WorkbookRead,
    cell_ref,
    col_letter,
    find_header,
    formula_cells_without_value,
    normalize_header,
    read_workbook,
)
from tests.intake.test_filecheck import HOSTILE_XLS, make_xls, rewrite_zip

COLUMNS = {
    "member_id": ["党员编号", "编号"],
    "name": ["姓名"],
    "pledge": ["承诺事项", "承诺内容"],
    "deadline": ["完成时限"],
    "note": ["备注"],
}
REQUIRED = ["member_id", "name", "pledge", "deadline"]


def make_pledge_book(path: Path) -> Path:
    """Title at C2, blank row 3, header at row 5 from column C (data starts at C5)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "承诺事项"
    ws["C2"] = "一支部党员公开承诺事项表"
    ws.merge_cells("C2:F2")
    for col, text in zip("CDEF", ["党员编号", "姓名", "承诺事项", "完成时限"], strict=True):
        ws[f"{col}5"] = text
    ws["C6"], ws["D6"], ws["E6"], ws["F6"] = "D001", "张三", "帮扶困难群众", dt.date(2026, 6, 30)
    ws["C7"], ws["D7"], ws["E7"] = "D002", "李四", "义务讲解"
    ws["G6"] = 3
    ws["H6"] = "=G6*2"  # openpyxl stores no cached value
    ws.merge_cells("E7:E8")
    hidden = wb.create_sheet("说明")
    hidden["A1"] = "内部使用"
    hidden.sheet_state = "hidden"
    very = wb.create_sheet("字典")
    very["B3"] = "是"
    very.sheet_state = "veryHidden"
    wb.create_sheet("空白页")
    wb.save(path)
    return path


def read_ok(path: Path, **kwargs: object) -> WorkbookRead:
    wb = read_workbook(path, **kwargs)  # type: ignore[arg-type]
    assert wb.error == "", (wb.error, wb.detail)
    assert wb.ok and wb.verdict.ok
    return wb


# --------------------------------------------------------------------------- positions


def test_cell_names() -> None:
    assert [col_letter(c) for c in (0, 25, 26, 51, 52, 701, 702, 16383)] == [
        "A", "Z", "AA", "AZ", "BA", "ZZ", "AAA", "XFD",
    ]  # fmt: skip
    assert cell_ref(0, 0) == "A1"
    assert cell_ref(6, 4) == "E7"
    with pytest.raises(ValueError):
        col_letter(-1)


def test_absolute_positions_values_and_none(tmp_path: Path) -> None:
    wb = read_ok(make_pledge_book(tmp_path / "a.xlsx"))
    assert list(wb.sheets) == ["承诺事项", "说明", "字典", "空白页"]
    g = wb.sheets["承诺事项"]
    assert g.value(1, 2) == "一支部党员公开承诺事项表"  # C2
    assert g.value(4, 2) == "党员编号"  # C5
    assert g.value(5, 3) == "张三"  # D6
    assert g.value(5, 5) == dt.date(2026, 6, 30)  # F6 stays a date
    assert g.value(5, 6) == 3  # G6 (a float 3.0 from calamine)
    assert g.value(5, 7) is None  # H6: formula without cached value reads as empty
    assert g.value(0, 0) is None and g.value(2, 2) is None  # A1, and the blank row 3
    assert g.value(500, 500) is None and g.value(-1, 0) is None
    # A1-based up to the last value (G6); H6 has no value so calamine leaves it out
    assert g.n_rows == 7 and g.n_cols == 7
    assert all(len(row) == g.n_cols for row in g.rows)
    assert not any(v == "" for row in g.rows for v in row)
    assert g.truncated is False
    assert wb.sheets["空白页"].rows == [] and wb.sheets["空白页"].n_cols == 0
    assert wb.sheets["字典"].value(2, 1) == "是"


def test_merged_and_hidden(tmp_path: Path) -> None:
    wb = read_ok(make_pledge_book(tmp_path / "a.xlsx"))
    assert sorted(wb.sheets["承诺事项"].merged) == [(1, 2, 1, 5), (6, 4, 7, 4)]
    assert wb.hidden == {"说明", "字典"}


def test_only_some_sheets(tmp_path: Path) -> None:
    path = make_pledge_book(tmp_path / "a.xlsx")
    full = read_ok(path)
    wb = read_workbook(path, only={"字典", "不存在"})
    assert wb.ok and list(wb.sheets) == ["字典"] and wb.hidden == {"字典"}
    assert wb.sheets["字典"].rows == full.sheets["字典"].rows


def test_xls_positions_merges_hidden(tmp_path: Path) -> None:
    wb = read_ok(make_xls(tmp_path / "a.xls"))
    assert wb.verdict.kind == "xls"
    g = wb.sheets["承诺事项"]
    assert g.value(4, 2) == "标题" and g.value(6, 2) == "党员编号" and g.value(7, 3) == "张三"
    assert g.value(0, 0) is None
    assert g.merged == [(4, 2, 4, 4)]
    assert wb.hidden == {"隐藏页"}


def test_renamed_files_are_read_by_content(tmp_path: Path) -> None:
    # python-calamine's from_path picks the reader by extension; the reader must not
    assert read_ok(make_xls(tmp_path / "a.xlsx")).sheets["承诺事项"].value(7, 3) == "张三"
    assert read_ok(make_xls(tmp_path / "a.et")).verdict.kind == "et"
    p = make_pledge_book(tmp_path / "b.xlsx")
    q = tmp_path / "b.xls"
    q.write_bytes(p.read_bytes())
    assert read_ok(q).sheets["承诺事项"].value(5, 3) == "张三"


def test_truncated_sheet(tmp_path: Path) -> None:
    p = tmp_path / "big.xlsx"
    book = xlsxwriter.Workbook(p, {"constant_memory": True})
    ws = book.add_worksheet("名册")
    ws.write_row(0, 0, ["党员编号", "姓名"])
    for r in range(1, 100_000):
        ws.write_number(r, 0, r)
        ws.write_string(r, 1, "党员")
    book.close()
    g = read_ok(p, max_rows=1000).sheets["名册"]
    assert g.truncated is True
    assert g.n_rows == 1000 and g.value(999, 0) == 999
    assert read_ok(p).sheets["名册"].truncated is False


def test_grid_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = make_pledge_book(tmp_path / "a.xlsx")
    wb = read_workbook(p, caps=Caps(max_cells=20))  # refused by check_file's scan
    assert wb.sheets == {} and "范围过大" in wb.error and wb.verdict.kind == "too_large"
    # the reader's own cap, should a file ever get past the scan
    monkeypatch.setattr(xlsx_read, "check_file", lambda path, caps: FileVerdict(True, "xlsx"))
    wb = read_workbook(p, caps=Caps(max_cells=20))
    assert wb.sheets == {} and "「承诺事项」" in wb.error and "G7" in wb.error


def test_ods(tmp_path: Path) -> None:
    from tests.intake.test_filecheck import _ods

    wb = read_ok(_ods(tmp_path / "a.ods", 3, 2))
    g = wb.sheets["表一"]
    assert g.value(0, 0) == "党员编号" and g.value(3, 1) == 1
    assert g.merged == []


# --------------------------------------------------------------------------- failures


@pytest.mark.parametrize(
    ("data", "kind"),
    [(b"", "empty"), (b"hello,world\n", "not_excel"), (b"PK\x03\x04" + b"\0" * 100, "corrupt")],
)
def test_refused_files_come_back_with_one_message(tmp_path: Path, data: bytes, kind: str) -> None:
    p = tmp_path / "a.xlsx"
    p.write_bytes(data)
    wb = read_workbook(p)
    assert wb.verdict.kind == kind
    assert wb.error == wb.verdict.message and wb.error
    assert wb.sheets == {} and not wb.ok


@pytest.mark.parametrize("case", sorted(HOSTILE_XLS))
def test_hostile_xls_never_reaches_calamine(tmp_path: Path, case: str) -> None:
    wb = read_workbook(HOSTILE_XLS[case](tmp_path / "a.xls"))  # would abort the process otherwise
    assert wb.sheets == {} and wb.error


def test_calamine_failure_becomes_a_message(tmp_path: Path) -> None:
    p = make_pledge_book(tmp_path / "a.xlsx")
    broken = rewrite_zip(p, tmp_path / "b.xlsx", {"xl/workbook.xml": b"<workbook><sheets><sheet name="})
    wb = read_workbook(broken)
    assert wb.sheets == {}
    assert wb.error and wb.detail


def test_read_workbook_never_raises_on_flipped_bytes(tmp_path: Path) -> None:
    rng = random.Random(20260101)
    sources = [make_pledge_book(tmp_path / "a.xlsx").read_bytes(), make_xls(tmp_path / "b.xls").read_bytes()]
    p = tmp_path / "m.xlsx"
    outcomes = {"ok": 0, "error": 0}
    for i in range(50):
        data = bytearray(sources[0] if i < 40 else sources[1])
        for _ in range(rng.randint(1, 6)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        p.write_bytes(bytes(data))
        wb = read_workbook(p)
        assert isinstance(wb, WorkbookRead)
        if wb.error:
            assert wb.sheets == {}
            outcomes["error"] += 1
        else:
            assert all(isinstance(g, SheetGrid) for g in wb.sheets.values())
            outcomes["ok"] += 1
        assert isinstance(formula_cells_without_value(p, "承诺事项"), list)
    assert outcomes["error"] > 0


# --------------------------------------------------------------------------- formulas


def test_formula_without_cached_value(tmp_path: Path) -> None:
    p = make_pledge_book(tmp_path / "a.xlsx")
    assert formula_cells_without_value(p, "承诺事项") == ["H6"]
    assert formula_cells_without_value(p, "说明") == []
    assert formula_cells_without_value(p, "没有这个表") == []
    assert formula_cells_without_value(make_xls(tmp_path / "a.xls"), "承诺事项") == []
    assert formula_cells_without_value(tmp_path / "missing.xlsx", "承诺事项") == []


def test_one_opened_file_answers_for_every_sheet_as_the_function_does(tmp_path: Path) -> None:
    """FormulaCells (the zip opened once per return, issue 16) gives each sheet what
    formula_cells_without_value gives it, in any order of asking, and [] for files that
    are not xlsx or not there."""
    p = make_pledge_book(tmp_path / "a.xlsx")
    names = ["说明", "承诺事项", "没有这个表", "承诺事项"]
    with FormulaCells(p) as cells:
        assert [cells(n) for n in names] == [formula_cells_without_value(p, n) for n in names]
    assert [cells(n) for n in names][1] == ["H6"]  # once closed, opened again on demand
    cells.close()
    for other in (make_xls(tmp_path / "a.xls"), tmp_path / "missing.xlsx"):
        with FormulaCells(other) as cells:
            assert cells("承诺事项") == [] and cells("说明") == []


def test_formula_with_cached_value_is_not_reported(tmp_path: Path) -> None:
    p = tmp_path / "x.xlsx"
    book = xlsxwriter.Workbook(p)
    ws = book.add_worksheet("表")
    ws.write_number("A1", 2)
    ws.write_formula("B1", "=A1*2", None, 4)
    ws.write_formula("C1", '=IF(A1>5,"大","")', None, "")  # xlsxwriter writes <v></v>: no value
    book.close()
    assert formula_cells_without_value(p, "表") == ["C1"]
    with zipfile.ZipFile(p) as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml")
    # Excel keeps an empty-string result as t="str" with an empty <v>: that is a cached value
    as_excel = sheet.replace(b'<c r="C1">', b'<c r="C1" t="str">')
    q = rewrite_zip(p, tmp_path / "y.xlsx", {"xl/worksheets/sheet1.xml": as_excel})
    assert formula_cells_without_value(q, "表") == []
    stripped = as_excel.replace(b"<v>4</v>", b"")
    q = rewrite_zip(p, tmp_path / "z.xlsx", {"xl/worksheets/sheet1.xml": stripped})
    assert formula_cells_without_value(q, "表") == ["B1"]


def test_formula_scan_handles_prefixes_and_missing_refs(tmp_path: Path) -> None:
    p = make_pledge_book(tmp_path / "a.xlsx")
    sheet = (
        b'<?xml version="1.0"?><x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<x:sheetData><x:row r="3"><x:c><x:v>1</x:v></x:c><x:c><x:f>A3+1</x:f></x:c></x:row>'
        b"<x:row><x:c/><x:c/><x:c><x:f>1</x:f><x:v></x:v></x:c></x:row></x:sheetData></x:worksheet>"
    )
    q = rewrite_zip(p, tmp_path / "b.xlsx", {"xl/worksheets/sheet1.xml": sheet})
    assert formula_cells_without_value(q, "承诺事项") == ["B3", "C4"]


# --------------------------------------------------------------------------- headers


def grid_of(rows: list[list[object]]) -> SheetGrid:
    return SheetGrid("表", [list(r) for r in rows])


def test_normalize_header() -> None:
    assert normalize_header(" 党员\u3000编号\n（必填）") == "党员编号"
    assert normalize_header("*姓名*") == "姓名"
    assert normalize_header("完成时限(必填)") == "完成时限"
    assert normalize_header("ＡＢｃ") == "abc"
    assert normalize_header(None) == "" and normalize_header(2026.0) == "2026"


def test_find_header_with_title_extra_and_renamed_columns(tmp_path: Path) -> None:
    grid = grid_of(
        [
            ["一支部党员公开承诺事项表", None, None, None, None, None],
            [None, None, None, None, None, None],
            ["填报单位：一支部", None, None, "姓名", None, None],  # one stray header text only
            ["序号", "党员\u3000编号（必填）", "姓 名", "承诺\n事项", "完成时间", "联系电话"],
            [1, "D001", "张三", "帮扶", dt.date(2026, 6, 30), "123"],
        ]
    )
    m = find_header(grid, COLUMNS, REQUIRED)
    assert isinstance(m, HeaderMatch)
    assert m.row == 3
    assert m.colmap == {"member_id": 1, "name": 2, "pledge": 3}
    assert m.missing == ["deadline"]  # renamed to 完成时间
    assert m.extra == [(0, "序号"), (4, "完成时间"), (5, "联系电话")]


def test_find_header_aliases_duplicates_and_none(tmp_path: Path) -> None:
    grid = grid_of([["编号", "姓名", "承诺内容", "完成时限", "姓名"]])
    m = find_header(grid, COLUMNS, REQUIRED)
    assert m is not None and m.row == 0
    assert m.colmap == {"member_id": 0, "name": 1, "pledge": 2, "deadline": 3}
    assert m.missing == [] and m.extra == [(4, "姓名")]
    assert find_header(grid_of([["a", "b"], [1, 2]]), COLUMNS, REQUIRED) is None
    assert find_header(grid_of([]), COLUMNS, REQUIRED) is None
    # beyond scan_rows
    rows: list[list[object]] = [[None]] * 5 + [["党员编号", "姓名", "承诺事项"]]
    assert find_header(grid_of(rows), COLUMNS, REQUIRED, scan_rows=5) is None
    assert find_header(grid_of(rows), COLUMNS, REQUIRED).row == 5  # type: ignore[union-attr]


def test_find_header_on_a_read_workbook(tmp_path: Path) -> None:
    g = read_ok(make_pledge_book(tmp_path / "a.xlsx")).sheets["承诺事项"]
    m = find_header(g, COLUMNS, REQUIRED)
    assert m is not None
    assert (m.row, m.colmap["member_id"], m.colmap["deadline"]) == (4, 2, 5)
    assert cell_ref(m.row, m.colmap["member_id"]) == "C5"


# --------------------------------------------------------------------------- re-reading checked bytes


def test_checked_bytes_are_read_again_without_a_second_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hashlib

    path = make_pledge_book(tmp_path / "a.xlsx")
    first = read_ok(path)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    calls: list[Path] = []
    real = xlsx_read.check_file
    monkeypatch.setattr(xlsx_read, "check_file", lambda p, caps: calls.append(p) or real(p, caps))
    again = read_ok(path, checked=(sha, path.stat().st_size))
    assert calls == []
    assert again.sheets["承诺事项"].rows == first.sheets["承诺事项"].rows
    assert again.hidden == first.hidden


@pytest.mark.parametrize("change", ["other bytes, same size", "other size"])
def test_changed_bytes_are_checked_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    path = make_pledge_book(tmp_path / "a.xlsx")
    size = path.stat().st_size
    sha = "0" * 64 if change == "other bytes, same size" else ""
    if change == "other size":
        import hashlib

        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        path.write_bytes(b"not a workbook at all")
    calls: list[Path] = []
    real = xlsx_read.check_file
    monkeypatch.setattr(xlsx_read, "check_file", lambda p, caps: calls.append(p) or real(p, caps))
    wb = read_workbook(path, checked=(sha, size))
    assert calls == [path]
    assert wb.ok == (change == "other bytes, same size")
