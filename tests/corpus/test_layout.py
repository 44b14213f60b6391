"""Layout cases, end to end: what hands and other programs do to the standard form.

Each case edits D01's good return (openpyxl or zip-level), runs the real consolidation
and checks every finding on that file as (rule, sheet, cell), what was read, and that
the neighbours D02 and D03 came through untouched.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from pipeline.core.findings import ERROR, NOTICE
from pipeline.jobs.consolidation import Consolidation
from pipeline.read import layout as L
from tests.corpus.make import (
    AS_OF_TEXT,
    D01_FILE,
    Inbox,
    add_formula,
    assert_neighbours_ok,
    edit_sheet,
    inbox,
    of_file,
    rewrite,
    with_openpyxl,
)

M = L.SHEET_MEMBER
D01_IDS = ["010001"] * 3 + ["010002"] * 3 + ["010003"] * 3


def d01(c: Consolidation) -> Any:
    return c.members[c.members["unit_code"] == "D01"].reset_index(drop=True)


def wb_edit(fn: Callable[[Any], None]) -> Callable[[Inbox, bytes], bytes]:
    return lambda _box, data: with_openpyxl(data, fn)


@dataclass
class Case:
    make: Callable[[Inbox, bytes], bytes]
    findings: list[tuple[str, str, str]]  # (rule, sheet, cell) on D01's file, any order
    check: Callable[[Consolidation], None] = lambda c: None
    neighbours: tuple[str, ...] = ("D02", "D03")
    severities: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------- edits


def rename_member_sheet(wb: Any) -> None:
    wb[M].title = "Sheet1"


def reorder_sheets(wb: Any) -> None:
    wb.move_sheet(M, offset=3)
    wb.move_sheet("_meta", offset=-5)


def hide_member_sheet(wb: Any) -> None:
    wb[M].sheet_state = "hidden"


def delete_org_sheet(wb: Any) -> None:
    del wb[L.SHEET_ORG]


def extra_sheets(wb: Any) -> None:
    ws = wb.create_sheet("统计", 0)
    ws["A1"], ws["B1"], ws["A2"] = "党员编号", "姓名", "合计"
    wb.create_sheet("Sheet3")


def title_rows(wb: Any) -> None:
    ws = wb[M]
    ws.insert_rows(1, 2)
    ws["A1"] = "第一党支部党员公开承诺事项表"
    ws.merge_cells("A1:L1")
    ws["G5"] = "2月30日"  # the 2nd data row: its cell name must follow the shift


def reorder_columns(wb: Any) -> None:
    ws = wb[M]
    rows = [list(r) for r in ws.iter_rows(min_row=1, max_row=10, max_col=12, values_only=True)]
    order = [
        "content",
        "seq",
        "name",
        "member_id",
        "kind",
        "deadline",
        "measures",
        "effect",
        "review",
        "progress",
        "done_on",
        "remark",
    ]
    for i, row in enumerate(rows, start=1):
        for j, f in enumerate(order, start=1):
            ws.cell(i, j).value = row[L.MEMBER_SHEET.index(f)]
    ws["F6"] = "2月30日"  # 完成期限 is now column F


def alias_headers(wb: Any) -> None:
    wb[M]["E1"] = "所办事项"
    wb[M]["G1"] = "完成时限"
    wb[L.SHEET_ORG]["B1"] = "所办事项"


def delete_deadline_column(wb: Any) -> None:
    wb[M].delete_cols(7)


def add_column(wb: Any) -> None:
    ws = wb[M]
    ws.insert_cols(3)
    ws["C1"], ws["C2"] = "联系电话", "13800000000"


def merge_member_cells(wb: Any) -> None:
    ws = wb[M]
    for r in (3, 4, 6, 7, 9, 10):
        ws[f"B{r}"] = ws[f"C{r}"] = None
    ws.merge_cells("B2:B4")
    ws.merge_cells("C2:C4")
    ws.merge_cells("B5:B7")
    ws.merge_cells("C5:C7")
    ws.merge_cells("B8:B10")
    ws.merge_cells("C8:C10")


def formulas(_box: Inbox, data: bytes) -> bytes:
    def fn(x: str) -> str:
        x = add_formula(x, "G2", "DATE(2026,10,31)", keep_value=True)  # as Excel saves it
        x = add_formula(x, "G3", "DATE(2026,10,31)", keep_value=False)  # as a script saves it
        return add_formula(x, "E4", 'CONCAT("改正","缺点")', keep_value=False)

    return edit_sheet(data, M, fn)


def numbers_as_text(wb: Any) -> None:
    ws = wb[M]
    ws["A2"] = "1"
    ws["G2"] = "46326"  # a serial typed as text
    ws["G3"] = "2026-10-31"
    ws["G4"] = "２０２６年１１月１０日"
    ws["A5"] = "４"


def lost_zeros(wb: Any) -> None:
    for r in (2, 3, 4):
        wb[M][f"B{r}"] = 10001  # 010001 typed into a number cell


def meta_other_unit(wb: Any) -> None:
    wb["_meta"]["B3"] = "D02"


# --------------------------------------------------------------------------- checks


def ids_and_names_filled(c: Consolidation) -> None:
    m = d01(c)
    assert list(m["member_id"]) == D01_IDS
    assert list(m["name"]) == ["王建国"] * 3 + ["李秀英"] * 3 + ["张伟"] * 3


def read_from(sheet: str, first_row: int) -> Callable[[Consolidation], None]:
    def check(c: Consolidation) -> None:
        m = d01(c)
        assert set(m["sheet"]) == {sheet}
        assert list(m["excel_row"]) == list(range(first_row, first_row + 9))
        assert list(m["member_id"]) == D01_IDS and m["content"].str.len().min() > 0

    return check


def content_read(c: Consolidation) -> None:
    m = d01(c)
    assert list(m["content"][:3]) == ["王建国的实事一", "王建国的实事二", "王建国的缺点"]
    assert m["deadline"].iloc[0] == dt.date(2026, 10, 31)


def formula_values(c: Consolidation) -> None:
    m = d01(c)
    assert m["deadline"].iloc[0] == dt.date(2026, 10, 31)  # cached value used
    assert m["deadline"].iloc[1] is None  # no cached value: blank, not a guess
    assert 4 not in set(m["excel_row"])  # E4 had no value: a row without 承诺事项 (P105)


def text_numbers(c: Consolidation) -> None:
    m = d01(c)
    assert list(m["deadline"][:3]) == [dt.date(2026, 10, 31), dt.date(2026, 10, 31), dt.date(2026, 11, 10)]
    assert m["seq"].iloc[0] == "1" and m["seq"].iloc[3] == "4"


def zeros_restored(c: Consolidation) -> None:
    assert list(d01(c)["member_id"]) == D01_IDS
    v109 = [f for f in c.findings if f.rule == "V109"]
    assert {(f.member_id, f.member_name) for f in v109} == {("010001", "王建国")}


def meta_unit_wins(c: Consolidation) -> None:
    assert c.used["D02"].file.rel == D01_FILE and "D01" not in c.used
    p113 = [f for f in c.findings if f.rule == "P113"]
    assert [f.member_id for f in p113] == D01_IDS and all(f.unit_code == "D02" for f in p113)
    assert all("属于第一党支部，不属于本单位" in f.message for f in p113)


ALL_ROWS = range(2, 11)

CASES: dict[str, Case] = {
    "sheet_renamed": Case(wb_edit(rename_member_sheet), [("L107", "Sheet1", "")], read_from("Sheet1", 2)),
    "sheets_reordered": Case(wb_edit(reorder_sheets), [], read_from(M, 2)),
    "sheet_hidden": Case(wb_edit(hide_member_sheet), [("L105", M, "")], read_from(M, 2)),
    "sheet_missing": Case(
        wb_edit(delete_org_sheet), [("L101", "", ""), ("P103", L.SHEET_ORG, "")], read_from(M, 2)
    ),
    "sheets_extra": Case(wb_edit(extra_sheets), [], read_from(M, 2)),
    "title_rows_above_header": Case(wb_edit(title_rows), [("V101", M, "G5")], read_from(M, 4)),
    "columns_reordered": Case(wb_edit(reorder_columns), [("V101", M, "F6")], content_read),
    "columns_renamed_to_aliases": Case(wb_edit(alias_headers), [], content_read),
    "column_deleted": Case(wb_edit(delete_deadline_column), [("L103", M, "A1")] + [("P106", M, "")] * 9),
    "column_added": Case(wb_edit(add_column), [("L104", M, "C1")], content_read),
    "merged_member_cells": Case(
        wb_edit(merge_member_cells),
        [("V105", M, f"{col}{r}") for col in "BC" for r in (2, 5, 8)],
        ids_and_names_filled,
    ),
    "formulas": Case(
        formulas, [("V106", M, "G3"), ("V106", M, "E4"), ("P105", M, "E4"), ("P102", M, "B2")], formula_values
    ),
    "numbers_as_text": Case(wb_edit(numbers_as_text), [("V102", M, "G2")], text_numbers),
    "ids_lost_leading_zeros": Case(
        wb_edit(lost_zeros), [("V109", M, f"B{r}") for r in (2, 3, 4)], zeros_restored
    ),
    "meta_of_another_unit": Case(
        wb_edit(meta_other_unit),
        [("F110", "", "")] + [("P113", M, f"B{r}") for r in ALL_ROWS] + [("P104", M, "")] * 2,
        meta_unit_wins,
        neighbours=("D03",),
    ),
}

SEVERITY = {
    "L101": ERROR,
    "L103": ERROR,
    "L104": NOTICE,
    "L105": NOTICE,
    "L107": NOTICE,
    "V101": ERROR,
    "V102": NOTICE,
    "V105": NOTICE,
    "V106": ERROR,
    "V109": NOTICE,
    "F110": NOTICE,
    "P113": ERROR,
}


@pytest.mark.parametrize("name", list(CASES))
def test_layout_case(tmp_path: Path, name: str) -> None:
    case = CASES[name]
    box = inbox(tmp_path, neighbours=case.neighbours)
    box.put(D01_FILE, case.make(box, box.good_bytes("D01")))
    c = box.run()
    assert sorted(of_file(c, D01_FILE)) == sorted(case.findings)
    for f in c.findings:
        if f.file == D01_FILE and f.rule in SEVERITY:
            assert f.severity == SEVERITY[f.rule], f.one_line()
        if f.file == D01_FILE and f.cell and f.sheet == M and f.rule[0] in "VP":
            assert f.member_id, f.one_line()  # the clerk sees whose row it is
    assert D01_FILE not in {x.rel for x in c.unreadable + c.unidentified}
    case.check(c)
    assert_neighbours_ok(c, case.neighbours)


def test_meta_unit_not_in_roster_is_set_aside(tmp_path: Path) -> None:
    box = inbox(tmp_path)
    box.put(D01_FILE, with_openpyxl(box.good_bytes("D01"), lambda wb: wb["_meta"].__setitem__("B3", "D99")))
    c = box.run()
    assert of_file(c, D01_FILE) == [("F104", "", "")]
    assert [f.rel for f in c.unidentified] == [D01_FILE] and "D01" not in c.used
    assert_neighbours_ok(c)


# Names LibreOffice, WPS or a script can save but Excel (and xlsxwriter) refuse: they used
# to stop the whole run when the unit's feedback workbook was written.
ODD_SHEET_NAMES = {
    "填报说明": "Sheet3",
    L.SHEET_MEMBER: "党员承诺:2026/秋",
    L.SHEET_PLAN: "SHEET3",  # the same as another name but for case
    L.SHEET_LOG: "履" * 40,  # longer than 31 characters
}


def test_sheet_names_excel_refuses_do_not_stop_the_run(tmp_path: Path) -> None:
    box = inbox(tmp_path)
    data = with_openpyxl(box.good_bytes("D01"), lambda wb: wb[M].__setitem__("G2", "2月30日"))

    def names(xml: bytes) -> bytes:
        for old, new in ODD_SHEET_NAMES.items():
            xml = xml.replace(f'name="{old}"'.encode(), f'name="{new}"'.encode())
        return xml

    box.put(D01_FILE, rewrite(data, {"xl/workbook.xml": names}))
    out = tmp_path / "outputs"
    assert box.cli(out) == 0
    c = box.run()
    assert sorted(of_file(c, D01_FILE)) == sorted(
        [("V101", "党员承诺:2026/秋", "G2")]
        + [("L107", n, "") for k, n in ODD_SHEET_NAMES.items() if k != "填报说明"]
    )
    # The feedback is the current template: its own sheet names, the data found by header.
    feedback = openpyxl.load_workbook(out / AS_OF_TEXT / "反馈" / "D01_第一党支部_问题反馈.xlsx")
    assert feedback.sheetnames == [
        "问题清单",
        "填报说明",
        L.SHEET_MEMBER,
        L.SHEET_ORG,
        L.SHEET_PLAN,
        L.SHEET_LOG,
        "_meta",
    ]
    marked = feedback[L.SHEET_MEMBER]["G2"]
    assert marked.value == "2月30日" and "不是有效日期" in marked.comment.text
    assert_neighbours_ok(c)
