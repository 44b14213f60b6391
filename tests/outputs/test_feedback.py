"""Per-unit feedback workbook: values intact, problem cells coloured with comments."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl

from pipeline.infra.atomic import OutputStage
from pipeline.jobs.consolidate import write_outputs
from pipeline.jobs.consolidation import consolidate
from pipeline.read.parse import parse_workbook
from pipeline.read.reader import read_workbook
from tests.builders import form_of, good_fill, load, make_inputs, write_return

RED = "FFFF9999"
YELLOW = "FFFFEB84"


def test_feedback_marks_cells_and_can_be_sent_back(tmp_path: Path) -> None:
    inputs = make_inputs(tmp_path)
    s, r = load(inputs)
    fill = good_fill(form_of(r, "D01"))
    fill.member_rows[0]["deadline"] = "2月30日"  # error at G2
    fill.member_rows[1]["review"] = "待审核"  # notice at I3
    write_return(inputs, s, r, "D01", fill)
    write_return(inputs, s, r, "D02")  # clean: no feedback file
    c = consolidate(inputs, s, r, dt.date(2026, 11, 20))
    out = tmp_path / "out"
    with OutputStage(out) as stage:
        write_outputs(c, stage)
    files = sorted(p.name for p in (out / "反馈").iterdir())
    assert files == ["D01_第一党支部_问题反馈.xlsx"]
    wb = openpyxl.load_workbook(out / "反馈" / files[0])
    assert wb.sheetnames[0] == "问题清单"
    ws = wb["党员承诺"]
    assert ws["G2"].value == "2月30日" and ws["G2"].fill.fgColor.rgb == RED
    assert "不是有效日期" in ws["G2"].comment.text
    assert ws["I3"].fill.fgColor.rgb == YELLOW and "待审核" in ws["I3"].comment.text
    assert ws["E2"].value == fill.member_rows[0]["content"]  # values intact
    assert ws["G3"].value is not None and ws["G3"].fill.fgColor.rgb not in (RED, YELLOW)
    problems = [row for row in wb["问题清单"].iter_rows(min_row=3, values_only=True)]
    assert {p[5] for p in problems} == {"G2", "I3"}
    assert wb["_meta"].sheet_state == "hidden"
    # The unit fixes the file and sends it back: it is still recognised and parsed.
    ws["G2"].value = dt.datetime(2026, 10, 20)
    fixed = tmp_path / "fixed.xlsx"
    wb.save(fixed)
    parsed = parse_workbook(read_workbook(fixed), "fixed.xlsx", s.year)
    assert parsed.meta["unit_code"] == "D01"
    assert parsed.frames["党员承诺"].iloc[0]["deadline"] == dt.date(2026, 10, 20)
    assert not [f for f in parsed.findings if f.rule == "V101"]


def test_feedback_keeps_dropdowns(tmp_path: Path) -> None:
    inputs = make_inputs(tmp_path)
    s, r = load(inputs)
    fill = good_fill(form_of(r, "D01"))
    fill.member_rows[0]["review"] = "待审核"
    write_return(inputs, s, r, "D01", fill)
    c = consolidate(inputs, s, r, dt.date(2026, 11, 20))
    with OutputStage(tmp_path / "out") as stage:
        write_outputs(c, stage)
    ws = openpyxl.load_workbook(next((tmp_path / "out" / "反馈").iterdir()))["党员承诺"]
    lists = {str(dv.sqref).split(":")[0][0]: dv.formula1 for dv in ws.data_validations.dataValidation}
    assert "通过" in lists["I"] and "实事好事" in lists["D"] and "已完成" in lists["J"]


def test_feedback_is_the_current_template_and_a_v1_return_comes_back_on_v2(tmp_path: Path) -> None:
    """A unit on template v1 gets its feedback on the current template (v2, with 履诺计划),
    its data moved over; sending that file back as it is brings no F109/M104 again."""
    inputs = make_inputs(tmp_path)
    s, r = load(inputs)
    fill = good_fill(form_of(r, "D01"))
    fill.version = 1
    fill.member_rows[0]["deadline"] = "2月30日"  # an error, so there is feedback
    mid, name = form_of(r, "D01").members[-1]
    fill.member_rows = [row for row in fill.member_rows if row["member_id"] != mid]  # P104
    fill.member_rows.append({"seq": 99, "member_id": mid, "name": name})  # prefilled, left empty
    write_return(inputs, s, r, "D01", fill, name="2026-11/支部一.xlsx")
    c = consolidate(inputs, s, r, dt.date(2026, 11, 20))
    rules = {f.rule for f in c.findings}
    assert {"F109", "P104"} <= rules
    out = tmp_path / "out"
    with OutputStage(out) as stage:
        write_outputs(c, stage)
    feedback = next((out / "反馈").iterdir())
    wb = openpyxl.load_workbook(feedback)
    assert wb.sheetnames[:2] == ["问题清单", "填报说明"] and "履诺计划" in wb.sheetnames
    meta = {row[0]: row[1] for row in wb["_meta"].iter_rows(values_only=True) if row[0]}
    assert meta["template_version"] == "2"
    ws = wb["党员承诺"]
    assert ws.protection.sheet  # protected like the template, marked cells still editable
    assert ws["G2"].value == "2月30日" and ws["G2"].fill.fgColor.rgb == RED
    assert ws["G2"].protection.locked is False
    kinds = {dv.type for dv in ws.data_validations.dataValidation}
    assert {"list", "date"} <= kinds  # dropdowns and the deadline window
    assert any(dv.prompt for dv in ws.data_validations.dataValidation)  # input messages
    # P104 (no cell of its own) at the member's first row, 党员编号 column
    last = len(fill.member_rows) + 1
    assert ws[f"B{last}"].value == mid and "P104" in ws[f"B{last}"].comment.text
    problems = list(wb["问题清单"].iter_rows(min_row=3, values_only=True))
    assert {p[3] for p in problems} == {"支部一.xlsx"}  # the name the unit sent, not the inbox path
    assert ("党员承诺", "G2") in {(p[4], p[5]) for p in problems}  # cells of this workbook
    # 改好后直接发回: the unit fixes the date and returns this very file.
    ws["G2"].value = dt.datetime(2026, 10, 20)
    wb.save(inputs / "returns" / "2026-11" / "支部一_改.xlsx")
    again = consolidate(inputs, s, r, dt.date(2026, 11, 21))
    mine = [f for f in again.findings if f.unit_code == "D01" and f.file.endswith("支部一_改.xlsx")]
    assert not [f for f in mine if f.rule in ("F109", "M104", "V101")], [f.one_line() for f in mine]
    assert len(again.members[again.members["unit_code"] == "D01"]) == len(
        [row for row in fill.member_rows if row.get("content")]
    )
