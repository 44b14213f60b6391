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
