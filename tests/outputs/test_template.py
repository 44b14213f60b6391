"""The standard pledge workbook: exact headers, prefill, dropdowns, _meta, round trip."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

from pipeline.cli import main
from pipeline.outputs.template import Fill, unit_forms, write_template, write_templates
from pipeline.read import layout as L
from pipeline.read.parse import parse_workbook
from pipeline.read.reader import read_workbook
from tests.builders import form_of, good_fill, load, make_inputs

MEMBER_HEADERS = [
    "序号",
    "党员编号",
    "姓名",
    "承诺类型",
    "承诺事项",
    "措施",
    "完成期限",
    "预期效果",
    "支部审核",
    "完成情况",
    "完成日期",
    "备注",
]
ORG_HEADERS = [
    "序号",
    "承诺事项",
    "措施",
    "完成期限",
    "预期效果",
    "责任人",
    "审核",
    "完成情况",
    "完成日期",
    "备注",
]
LOG_HEADERS = ["日期", "党员编号", "姓名", "承诺序号", "履诺情况", "佐证材料"]


@pytest.fixture
def written(tmp_path: Path) -> tuple[Path, list[Path]]:
    inputs = make_inputs(tmp_path)
    assert main(["--inputs", str(inputs), "--outputs", str(tmp_path / "out"), "--quiet", "templates"]) == 0
    return inputs, sorted((tmp_path / "out" / "templates").glob("*.xlsx"))


def test_one_workbook_per_roster_unit(written: tuple[Path, list[Path]]) -> None:
    _, paths = written
    assert [p.name for p in paths] == [
        "D00_校党委_公开承诺事项表.xlsx",
        "D01_第一党支部_公开承诺事项表.xlsx",
        "D02_第二党支部_公开承诺事项表.xlsx",
    ]


def test_headers_prefill_and_meta(written: tuple[Path, list[Path]]) -> None:
    _, paths = written
    wb = openpyxl.load_workbook(paths[1])
    assert wb.sheetnames == ["填报说明", "党员承诺", "组织承诺", "履诺计划", "履诺记实", "_meta"]
    ws = wb["党员承诺"]
    assert [c.value for c in ws[1]] == MEMBER_HEADERS
    assert [c.value for c in wb["组织承诺"][1]] == ORG_HEADERS
    assert [c.value for c in wb["履诺记实"][1]] == LOG_HEADERS
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2, max_row=16)]
    # 3 members x (3 deeds + 2 shortcomings), ids and names filled, content empty
    assert [r[1] for r in rows] == ["010001"] * 5 + ["010002"] * 5 + ["010003"] * 5
    assert [r[3] for r in rows[:5]] == ["实事好事"] * 3 + ["改正缺点"] * 2
    assert all(r[4] is None for r in rows)
    assert [c.value for c in wb["组织承诺"]["A"][1:6]] == [1, 2, 3, 4, 5]
    meta = {r[0].value: r[1].value for r in wb["_meta"].iter_rows(max_col=2) if r[0].value}
    assert meta["unit_code"] == "D01" and meta["template_version"] == str(L.TEMPLATE_VERSION)
    assert meta["campaign_year"] == "2026" and meta["unit_name"] == "第一党支部"
    assert wb["_meta"].sheet_state == "hidden"
    assert ws.freeze_panes == "A2"
    assert ws.protection.sheet and not ws["E2"].protection.locked and ws["A1"].protection.locked


def test_dropdowns_and_date_validation(written: tuple[Path, list[Path]]) -> None:
    _, paths = written
    ws = openpyxl.load_workbook(paths[1])["党员承诺"]
    by_col: dict[str, object] = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            by_col[rng.coord.split(":")[0].rstrip("0123456789")] = dv
    assert by_col["D"].type == "list" and "实事好事" in by_col["D"].formula1
    assert by_col["I"].type == "list" and "退回" in by_col["I"].formula1
    assert by_col["J"].type == "list" and "已完成" in by_col["J"].formula1
    assert by_col["G"].type == "date" and by_col["K"].type == "date"
    assert by_col["G"].prompt  # an input message explains the dates


def test_guide_uses_settings(written: tuple[Path, list[Path]]) -> None:
    _, paths = written
    text = "\n".join(str(c.value) for c in openpyxl.load_workbook(paths[1])["填报说明"]["A"] if c.value)
    assert "2—3 件" in text and "1—2 个" in text and "3—5 件" in text
    assert "2026年9月10日" in text  # submit_by


def test_pandas_reads_headers(written: tuple[Path, list[Path]]) -> None:
    _, paths = written
    df = pd.read_excel(paths[1], sheet_name="党员承诺", engine="calamine", dtype=str)
    assert list(df.columns) == MEMBER_HEADERS
    assert df["党员编号"].iloc[0] == "010001"


def test_round_trip_filled_workbook(tmp_path: Path) -> None:
    inputs = make_inputs(tmp_path)
    s, r = load(inputs)
    form = form_of(r, "D01")
    fill = good_fill(form)
    path = tmp_path / "filled.xlsx"
    write_template(form, s, path, fill)
    parsed = parse_workbook(read_workbook(path), "filled.xlsx", s.year)
    assert parsed.findings == []
    m = parsed.frames["党员承诺"]
    assert list(m["content"]) == [row["content"] for row in fill.member_rows]
    assert list(m["deadline"]) == [row["deadline"] for row in fill.member_rows]
    assert list(m["excel_row"]) == list(range(2, 2 + len(fill.member_rows)))
    assert parsed.meta["unit_code"] == "D01"


def test_hostile_text_is_not_a_formula(tmp_path: Path) -> None:
    inputs = make_inputs(tmp_path)
    s, r = load(inputs)
    form = form_of(r, "D01")
    fill = good_fill(form)
    fill.member_rows[0]["content"] = '=HYPERLINK("http://x","点我")'
    fill.member_rows[1]["content"] = "http://example.com"
    path = tmp_path / "h.xlsx"
    write_template(form, s, path, fill)
    ws = openpyxl.load_workbook(path)["党员承诺"]
    assert ws["E2"].data_type == "s" and ws["E2"].value.startswith("=HYPERLINK")
    assert ws["E3"].hyperlink is None


def test_workers_give_same_files(tmp_path: Path) -> None:
    inputs = make_inputs(tmp_path)
    s, r = load(inputs)
    a = write_templates(r, s, tmp_path / "a", workers=1)
    assert len(a) == len(unit_forms(r))


# --------------------------------------------------------------------------- bulk rows
# Templates and feedback workbooks write their data sheets in one bulk write (FastSheet);
# the demo's returned workbooks go cell by cell. Both must give the same workbook.


def _look(path: Path) -> dict[str, Any]:
    """Every cell's value and look, row heights, comments, validations and panes."""
    wb = openpyxl.load_workbook(path)
    out: dict[str, Any] = {}
    for ws in wb.worksheets:
        cells = {}
        for row in ws.iter_rows():
            for c in row:
                if c.value is None and not c.has_style:
                    continue
                v = c.value
                if isinstance(v, str):  # openpyxl does not undo Excel's _x005F escape in inline strings
                    v = v.replace("_x005F_x", "_x")
                cells[c.coordinate] = (
                    v,
                    c.number_format,
                    c.fill.fgColor.rgb if c.fill.fill_type else None,
                    c.protection.locked,
                    c.alignment.wrap_text,
                    c.font.name,
                    c.border.left.style,
                    c.comment.text if c.comment else None,
                )
        heights = {r: d.height for r, d in ws.row_dimensions.items() if d.height}
        dv = sorted((str(v.sqref), v.type, v.formula1) for v in ws.data_validations.dataValidation)
        out[ws.title] = (
            cells,
            heights,
            dv,
            ws.freeze_panes,
            ws.auto_filter.ref,
            ws.sheet_state,
            ws.protection.sheet,
        )
    return out


def _hard_fill(form: Any) -> Fill:
    fill = good_fill(form)
    m = fill.member_rows
    m[0]["deadline"] = "十月底"  # text in a date column
    m[1]["done_on"] = dt.date(2026, 10, 3)
    m[1]["remark"] = 12.5  # a number in a text column
    m[2]["content"] = "  前后有空格 & <标记> _x0041_ " + "很长的承诺事项" * 20
    m[2]["remark"] = ""
    m[3]["seq"] = "三"
    m[4]["done_on"] = dt.datetime(2026, 10, 4, 15, 30)
    m[5]["remark"] = dt.time(9, 30)
    fill.org_rows[1].pop("seq")  # the template's own number stays
    fill.log_rows = [
        {
            "date": dt.date(2026, 10, 5),
            "member_id": form.members[0][0],
            "name": form.members[0][1],
            "pledge_ref": "M-1",
            "note": "入户走访",
            "evidence": "照片",
        },
    ]
    return fill


def test_bulk_rows_give_the_cell_by_cell_workbook(tmp_path: Path) -> None:
    inputs = make_inputs(tmp_path)
    s, r = load(inputs)
    for code in ("D00", "D01"):
        form = form_of(r, code)
        for fill in (None, _hard_fill(form) if form.members else good_fill(form)):
            marks = {
                L.SHEET_MEMBER: {
                    (0, 4): ("input_error", "表头不对"),
                    (1, 6): ("input_error", "完成期限不是日期"),
                    (2, 10): ("input_notice", "请核对"),
                    (3, 4): ("input_notice", "空格"),
                    (len(form.members) * 3 + 40, 0): ("input_error", "在输入区以下"),
                },
                L.SHEET_ORG: {(2, 0): ("input_error", "序号")},
            }
            a, b = tmp_path / f"{code}-bulk.xlsx", tmp_path / f"{code}-cells.xlsx"
            write_template(form, s, a, fill, marks=marks)
            write_template(form, s, b, fill, marks=marks, bulk=False)
            assert _look(a) == _look(b)


def test_a_boolean_in_a_row_goes_cell_by_cell(tmp_path: Path) -> None:
    inputs = make_inputs(tmp_path)
    s, r = load(inputs)
    form = form_of(r, "D01")
    fill = good_fill(form)
    fill.member_rows[0]["remark"] = True
    a, b = tmp_path / "bulk.xlsx", tmp_path / "cells.xlsx"
    write_template(form, s, a, fill)
    write_template(form, s, b, fill, bulk=False)
    assert _look(a) == _look(b)
    assert openpyxl.load_workbook(a)["党员承诺"]["L2"].value is True
