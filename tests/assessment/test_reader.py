"""Evaluation workbooks: the template's checks, malformed tallies as findings with cells,
unit identification and versions, and the leadership group's opinions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from pipeline.assessment import layout as A
from pipeline.assessment.reader import KEEP, parse_count, read_evaluations, read_overrides
from pipeline.assessment.template import write_eval_templates
from pipeline.core.findings import ERROR, NOTICE, Finding
from pipeline.core.settings import Settings
from pipeline.rules.roster import Roster
from tests.assessment_builders import col, member_row, write_eval
from tests.builders import load, make_inputs


@pytest.fixture
def env(tmp_path: Path) -> tuple[Path, Settings, Roster]:
    inputs = make_inputs(tmp_path)
    s, roster = load(inputs)
    return inputs, s, roster


def by_rule(findings: list[Finding], rule: str) -> list[Finding]:
    return [f for f in findings if f.rule == rule]


def test_blank_template_layout(env: tuple[Path, Settings, Roster], tmp_path: Path) -> None:
    _inputs, s, roster = env
    paths = write_eval_templates(roster, s, tmp_path / "eval-templates")
    assert [p.name for p in paths] == [
        "D00_校党委_考核评价表.xlsx",
        "D01_第一党支部_考核评价表.xlsx",
        "D02_第二党支部_考核评价表.xlsx",
    ]
    wb = openpyxl.load_workbook(paths[1])
    assert wb.sheetnames == [A.SHEET_GUIDE, A.SHEET_MEMBERS, A.SHEET_UNIT, A.SHEET_META]
    ws = wb[A.SHEET_MEMBERS]
    assert [c.value for c in ws[1]] == A.MEMBER_EVAL_SHEET.headers
    assert [(ws.cell(r, 2).value, ws.cell(r, 3).value, ws.cell(r, 4).value) for r in (2, 3, 4)] == [
        ("010001", "王建国", "正式党员"),
        ("010002", "李秀英", "正式党员"),
        ("010003", "张伟", "预备党员"),
    ]
    kinds = {dv.type for dv in ws.data_validations.dataValidation}
    assert kinds == {"list", "whole"}
    whole = next(dv for dv in ws.data_validations.dataValidation if dv.type == "whole")
    assert whole.operator == "greaterThanOrEqual" and whole.formula1 == "0"
    assert ws.protection.sheet
    meta = wb[A.SHEET_META]
    assert meta.sheet_state == "hidden"
    assert {meta.cell(r, 1).value: meta.cell(r, 2).value for r in range(1, 7)} == {
        "template_version": "1",
        "campaign_year": "2026",
        "unit_code": "D01",
        "unit_name": "第一党支部",
        "unit_type": "党支部",
        "form": "考核评价表",
    }
    unit = wb[A.SHEET_UNIT]
    assert [unit.cell(2, c).value for c in (1, 2, 3)] == ["D01", "第一党支部", "王建国"]


def test_formula_text_stays_text(env: tuple[Path, Settings, Roster]) -> None:
    inputs, s, roster = env
    rows = [member_row(1, "010001", "王建国", remark='=HYPERLINK("http://x")')]
    path = write_eval(inputs, s, roster, "D01", rows)
    ws = openpyxl.load_workbook(path)[A.SHEET_MEMBERS]
    cell = ws[f"{col('remark')}2"]
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")


def test_clean_returns(env: tuple[Path, Settings, Roster]) -> None:
    inputs, s, roster = env
    write_eval(inputs, s, roster, "D01")
    write_eval(inputs, s, roster, "D02")
    ev = read_evaluations(inputs, s, roster)
    assert [f for f in ev.findings if f.severity == ERROR] == []
    assert sorted(ev.used) == ["D01", "D02"]
    assert by_rule(ev.findings, "E110")[0].unit_code == "D00"  # the committee did not return
    assert list(ev.members["member_id"]) == ["010001", "010002", "010003", "020001", "020002"]
    r = ev.members.iloc[0]
    assert (r["duty"], r["voters"], r["vote_good"], r["sat_fairly"], r["invalid"]) == ("是", 10, 6, 2, False)
    u = ev.units.set_index("unit_code")
    assert u.loc["D01", "sat_satisfied"] == 30 and u.loc["D01", "duty"] == "是"


def test_malformed_tallies(env: tuple[Path, Settings, Roster]) -> None:
    inputs, s, roster = env
    rows = [
        member_row(1, "010001", "王建国", vote_good=9, vote_fair=2),  # 12 votes > 10 voters
        member_row(2, "010002", "李秀英", sat_fairly="十二", vote_poor=-1),  # text, negative
        member_row(3, "010003", "张伟", vote_fair=2.5, voters="10人"),  # decimal; "10人" read as 10
        member_row(4, "019999", "外单位", remark="借调"),  # not on the roster
        member_row(5, "020001", "刘芳"),  # on the roster, another unit
        member_row(6, "010001", "王建国"),  # duplicate
        member_row(7, "", "", voters=5),  # votes without a member
    ]
    path = write_eval(inputs, s, roster, "D01", rows)
    ev = read_evaluations(inputs, s, roster)
    got = {(f.rule, f.severity, f.cell) for f in ev.findings if f.unit_code == "D01"}
    expected = {
        ("E103", ERROR, f"{col('voters')}2"),
        ("E102", ERROR, f"{col('sat_fairly')}3"),
        ("E102", ERROR, f"{col('vote_poor')}3"),
        ("E102", ERROR, f"{col('vote_fair')}4"),
        ("E102", NOTICE, f"{col('voters')}4"),
        ("E104", ERROR, f"{col('member_id')}5"),
        ("E104", ERROR, f"{col('member_id')}6"),
        ("E109", ERROR, f"{col('member_id')}7"),
        ("E104", ERROR, f"{col('member_id')}8"),
    }
    assert expected <= got, expected - got
    assert all(
        f.file == path.name and f.sheet == A.SHEET_MEMBERS
        for f in ev.findings
        if f.unit_code == "D01" and f.cell
    )
    e103 = next(f for f in by_rule(ev.findings, "E103") if f.cell == f"{col('voters')}2")
    assert e103.member_id == "010001" and e103.member_name == "王建国" and "参评人数 10" in e103.message
    text = next(f for f in ev.findings if f.cell == f"{col('sat_fairly')}3")
    assert "十二" in text.message and text.member_id == "010002"
    # only roster members of D01, once each; every row with an error is flagged invalid
    m = ev.members.set_index("member_id")
    assert list(m.index) == ["010001", "010002", "010003"]
    assert m["invalid"].all()
    assert m.loc["010003", "voters"] == 10 and m.loc["010002", "vote_poor"] == -1


def test_blank_voters_and_duty(env: tuple[Path, Settings, Roster]) -> None:
    inputs, s, roster = env
    rows = [
        member_row(1, "010001", "王建国", voters=None),
        member_row(2, "010002", "李秀英", duty=""),
        member_row(3, "010003", "张伟", duty="未述职"),
    ]
    write_eval(inputs, s, roster, "D01", rows)
    ev = read_evaluations(inputs, s, roster)
    e108 = by_rule(ev.findings, "E108")
    assert [(f.cell, f.severity) for f in e108] == [(f"{col('voters')}2", NOTICE)]
    m = ev.members.set_index("member_id")
    assert m.loc["010001", "voters"] == 10 and not m.loc["010001", "invalid"]
    e105 = {(f.cell, f.severity) for f in by_rule(ev.findings, "E105")}
    assert e105 == {(f"{col('duty')}3", ERROR), (f"{col('duty')}4", NOTICE)}
    assert m.loc["010003", "duty"] == "否" and m.loc["010002", "invalid"]


def test_member_without_figures_and_lost_zero(env: tuple[Path, Settings, Roster]) -> None:
    inputs, s, roster = env
    rows = [
        member_row(1, 10001, "王建国"),
        {"seq": 2, "member_id": "010002", "name": "李秀英"},
        member_row(3, "", "张伟"),
    ]
    write_eval(inputs, s, roster, "D01", rows)
    ev = read_evaluations(inputs, s, roster)
    assert [(f.cell, f.member_id) for f in by_rule(ev.findings, "V109")] == [
        (f"{col('member_id')}2", "010001")
    ]
    assert [(f.member_id, f.cell) for f in by_rule(ev.findings, "E113")] == [("010002", f"{col('duty')}3")]
    assert list(ev.members["member_id"]) == ["010001", "010003"]  # 张伟 found by name


def test_unit_sheet_problems(env: tuple[Path, Settings, Roster]) -> None:
    inputs, s, roster = env
    write_eval(
        inputs,
        s,
        roster,
        "D01",
        unit_row={"duty": "", "sat_satisfied": -3, "sat_fairly": 1, "sat_basic": 0, "sat_unsatisfied": 0},
    )
    write_eval(inputs, s, roster, "D02", unit_row={})
    ev = read_evaluations(inputs, s, roster)
    d01 = {(f.rule, f.cell) for f in ev.findings if f.unit_code == "D01" and f.sheet == A.SHEET_UNIT}
    assert d01 == {
        ("E102", f"{col('sat_satisfied', A.UNIT_EVAL_SHEET)}2"),
        ("E105", f"{col('duty', A.UNIT_EVAL_SHEET)}2"),
    }
    assert bool(ev.units.set_index("unit_code").loc["D01", "invalid"])
    assert [f.unit_code for f in by_rule(ev.findings, "E116")] == ["D02"]


def test_identification_versions_and_strangers(env: tuple[Path, Settings, Roster]) -> None:
    inputs, s, roster = env
    old = write_eval(
        inputs, s, roster, "D01", name="D01_第一党支部_考核评价表_初稿.xlsx", mtime=dt.datetime(2026, 11, 20)
    )
    new = write_eval(
        inputs,
        s,
        roster,
        "D01",
        rows=[member_row(1, "010001", "王建国", vote_good=1)],
        name="第一党支部考评表（定稿）.xlsx",
        mtime=dt.datetime(2026, 11, 25),
    )
    write_eval(inputs, s, roster, "D02", name="D02_考核评价表.xlsx", meta=False)
    write_eval(inputs, s, roster, "D02", name="last_year.xlsx", year=2025, mtime=dt.datetime(2026, 11, 1))
    (inputs / A.INBOX / "说明.xlsx").write_bytes(b"not a workbook")
    stranger = openpyxl.Workbook()
    stranger.active.title = "Sheet1"
    stranger.save(inputs / A.INBOX / "照片清单.xlsx")
    ev = read_evaluations(inputs, s, roster)
    assert ev.used["D01"].file.name == new.name
    assert [f.file for f in by_rule(ev.findings, "F103")] == [old.name, "last_year.xlsx"]
    assert ev.used["D02"].file.name == "D02_考核评价表.xlsx"
    assert [f.file for f in by_rule(ev.findings, "F107")] == ["D02_考核评价表.xlsx"]
    assert [f.file for f in by_rule(ev.findings, "F101")] == ["说明.xlsx"]
    assert [f.file for f in by_rule(ev.findings, "E111")] == ["照片清单.xlsx"]
    assert ev.members.set_index("member_id").loc["010001", "vote_good"] == 1


def test_wrong_year_and_unknown_unit(env: tuple[Path, Settings, Roster]) -> None:
    inputs, s, roster = env
    write_eval(inputs, s, roster, "D01", year=2025)
    path = write_eval(inputs, s, roster, "D02", name="x.xlsx", meta=False)
    path.rename(path.with_name("无名.xlsx"))
    ev = read_evaluations(inputs, s, roster)
    assert [f.unit_code for f in by_rule(ev.findings, "F108")] == ["D01"]
    assert [f.file for f in by_rule(ev.findings, "E101")] == ["无名.xlsx"]


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        (None, None),
        (3, 3),
        (3.0, 3),
        ("12", 12),
        (" 12 ", 12),
        ("１２", 12),
        ("12票", 12),
        (-2, -2),
        ("-2", -2),
        (2.5, None),
        ("十二", None),
        (True, None),
        ("2.5", None),
    ],
)
def test_parse_count(value: object, parsed: int | None) -> None:
    r = parse_count(value)
    assert r.value == parsed
    assert bool(r.error) == (parsed is None and value is not None)


def test_overrides_reader(env: tuple[Path, Settings, Roster]) -> None:
    inputs, _s, _roster = env
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = A.SHEET_MEMBER_RESULTS
    ws.append(["单位编码", "党员编号", "姓名", A.COL_PROPOSED, A.COL_FINAL, A.COL_OPINION, A.COL_REASON])
    ws.append(["D01", "010001", "王建国", "较好", "较好", "好", "表现突出"])
    ws.append(["D01", "010002", "李秀英", "较好", "较好", " 同意 ", None])
    ws.append(["D01", "010003", "张伟", "较好", "较好", "优秀", None])
    ws.append(["D01", "010004", "空行", "较好", "较好", None, None])
    units = wb.create_sheet(A.SHEET_UNIT_RESULTS)
    units.append(["单位编码", "单位名称", A.COL_PROPOSED, A.COL_OPINION, A.COL_REASON])
    units.append(["D01", "第一党支部", "较好", "好", "支部工作成效显著"])
    (inputs / A.INBOX).mkdir(exist_ok=True)
    wb.save(inputs / A.INBOX / "领导小组意见.xlsx")
    ovr = read_overrides(inputs)
    m = ovr.members.set_index("key")
    assert list(m.index) == ["010001", "010002", "010003"]
    first = m.loc["010001"]
    assert (
        first["opinion"],
        first["reason"],
        first["excel_row"],
        first["opinion_col"],
        first["reason_col"],
    ) == (
        "好",
        "表现突出",
        2,
        6,  # F
        7,  # G
    )
    assert m.loc["010002", "opinion"] == KEEP and m.loc["010003", "opinion"] == ""
    (e107,) = ovr.findings
    assert (e107.rule, e107.cell, e107.member_id) == ("E107", "F4", "010003")
    assert ovr.units.set_index("key").loc["D01", "opinion"] == "好"


def test_overrides_absent_or_unreadable(env: tuple[Path, Settings, Roster]) -> None:
    inputs, _s, _roster = env
    assert read_overrides(inputs).members.empty
    (inputs / A.INBOX).mkdir(exist_ok=True)
    (inputs / A.INBOX / "领导小组意见.xlsx").write_bytes(b"garbage")
    ovr = read_overrides(inputs)
    assert ovr.members.empty and [f.rule for f in ovr.findings] == ["F101"]
