"""审核备案: decisions read back from the office's workbook give filing states, and a
decision that sends an item back reaches that unit's next feedback workbook."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from pipeline.cli import main
from pipeline.jobs.consolidate import run_consolidation
from pipeline.jobs.office import unit_types
from pipeline.office import forms as O
from pipeline.office.filing import load_filing_policy, review_rows
from pipeline.office.workbook import write_office_workbook
from pipeline.read import layout as L
from tests.builders import d, deed, form_of, good_fill, load, make_inputs, org, write_return

AS_OF = "2026-10-20"
REASON = "预期效果不具体，请写明受益人数"


def run(inputs: Path, outputs: Path, *args: str) -> int:
    return main(["--quiet", "--inputs", str(inputs), "--outputs", str(outputs), *args, "--as-of", AS_OF])


def sheet_rows(path: Path, sheet: str) -> list[dict[str, Any]]:
    rows = list(openpyxl.load_workbook(path)[sheet].iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def decide(
    inputs: Path, outputs: Path, decisions: dict[tuple[str, int], tuple[str, str]], upper: bool = False
) -> Path:
    """The office's filled 备案审核表 (or 上报备案表): the generated rows with decisions."""
    c = run_consolidation(inputs, outputs, dt.date.fromisoformat(AS_OF))
    policy = load_filing_policy(c.settings)
    rows = review_rows(c.members, c.orgs, unit_types(c), policy, upper)
    for row in rows:
        hit = decisions.get((row["unit_code"], row["seq"]))
        if hit:
            row.update(decision=hit[0], reason=hit[1], decided_on=d(10, 8), reviewer="赵干事")
    form = O.UPPER_FILING if upper else O.FILING
    path = inputs / O.OFFICE_INBOX / f"{form.name}.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_office_workbook(path, form, c.settings, rows, "说明")
    return path


@pytest.fixture
def campaign(tmp_path: Path) -> tuple[Path, Path]:
    inputs = make_inputs(tmp_path)
    s, roster = load(inputs)
    write_return(inputs, s, roster, "D01")
    fill = good_fill(form_of(roster, "D00"))
    write_return(inputs, s, roster, "D00", fill)
    return inputs, tmp_path / "outputs"


def test_returned_item_reaches_the_units_next_feedback(campaign: tuple[Path, Path]) -> None:
    inputs, outputs = campaign
    decide(inputs, outputs, {("D01", 1): (O.FILING_FILED, ""), ("D01", 2): (O.FILING_RETURNED, REASON)})
    assert run(inputs, outputs, "consolidate") == 0
    out = outputs / AS_OF
    # Ledger: seq 1 filed, seq 2 sent back, seq 3 awaiting a decision.
    orgs = [r for r in sheet_rows(out / "台账.xlsx", L.SHEET_ORG) if r["单位编码"] == "D01"]
    assert [(r["序号"], r["备案状态"]) for r in orgs] == [
        ("1", O.FILING_FILED),
        ("2", O.FILING_RETURNED),
        ("3", O.FILING_PENDING),
    ]
    # D01's feedback: P121 with the reason, on 组织承诺 B3 (header row 1, seq 2 in row 3).
    fb = out / "反馈" / "D01_第一党支部_问题反馈.xlsx"
    problems = sheet_rows_at(fb, "问题清单", header_row=2)
    p121 = [p for p in problems if p["规则编号"] == "P121"]
    assert len(p121) == 1
    assert p121[0]["单元格"] == "B3" and p121[0]["工作表"] == L.SHEET_ORG and p121[0]["级别"] == "错误"
    assert REASON in p121[0]["说明"] and "2026-10-08" in p121[0]["说明"] and "赵干事" in p121[0]["说明"]
    comment = openpyxl.load_workbook(fb)[L.SHEET_ORG]["B3"].comment
    assert comment is not None and REASON in comment.text
    # Nobody else hears about it.
    assert not (out / "反馈" / "D00_校党委_问题反馈.xlsx").exists() or all(
        p["规则编号"] != "P121"
        for p in sheet_rows_at(out / "反馈" / "D00_校党委_问题反馈.xlsx", "问题清单", 2)
    )


def sheet_rows_at(path: Path, sheet: str, header_row: int) -> list[dict[str, Any]]:
    rows = list(openpyxl.load_workbook(path)[sheet].iter_rows(values_only=True))
    return [dict(zip(rows[header_row - 1], r, strict=True)) for r in rows[header_row:]]


def test_a_revised_item_goes_back_to_pending(campaign: tuple[Path, Path]) -> None:
    inputs, outputs = campaign
    decide(inputs, outputs, {("D01", 2): (O.FILING_RETURNED, REASON)})
    s, roster = load(inputs)
    fill = good_fill(form_of(roster, "D01"))
    fill.org_rows[1]["effect"] = "受益学生 200 人"  # the unit fixed it and sent the file again
    path = write_return(inputs, s, roster, "D01", fill)
    later = dt.datetime(2026, 10, 12).timestamp()
    os.utime(path, (later, later))
    c = run_consolidation(inputs, outputs, dt.date.fromisoformat(AS_OF))
    d01 = c.orgs[c.orgs["unit_code"] == "D01"]
    assert d01["filing"].tolist() == [O.FILING_PENDING] * 3
    assert not [f for f in c.findings if f.rule == "P121"]


def test_sent_back_without_reason_is_an_error_at_the_reason_cell(campaign: tuple[Path, Path]) -> None:
    inputs, outputs = campaign
    path = decide(inputs, outputs, {("D01", 3): (O.FILING_RETURNED, "")})
    c = run_consolidation(inputs, outputs, dt.date.fromisoformat(AS_OF))
    q104 = [f for f in c.findings if f.rule == "Q104"]
    assert len(q104) == 1
    # Reason is column M (13th column); D00's items are not in this workbook, D01's seq 3 is row 4.
    assert q104[0].cell == "M4" and q104[0].file == f"{path.name}"
    assert c.orgs[c.orgs["unit_code"] == "D01"]["filing"].tolist()[2] == O.FILING_PENDING


def test_committee_items_are_filed_by_the_level_above(campaign: tuple[Path, Path]) -> None:
    inputs, outputs = campaign
    decide(inputs, outputs, {("D00", 1): (O.FILING_FILED, "")}, upper=True)
    c = run_consolidation(inputs, outputs, dt.date.fromisoformat(AS_OF))
    assert c.orgs[c.orgs["unit_code"] == "D00"]["filing"].tolist() == [
        O.FILING_FILED,
        O.FILING_PENDING,
        O.FILING_PENDING,
    ]
    # The office's own workbook lists only the branches' items, the upper one only the committee's.
    policy = load_filing_policy(c.settings)
    assert {r["unit_code"] for r in review_rows(c.members, c.orgs, unit_types(c), policy, False)} == {"D01"}
    assert {r["unit_code"] for r in review_rows(c.members, c.orgs, unit_types(c), policy, True)} == {"D00"}


def test_filed_only_notice_switch(campaign: tuple[Path, Path]) -> None:
    inputs, outputs = campaign
    decide(inputs, outputs, {("D01", 1): (O.FILING_FILED, "")})
    toml = inputs / "campaign.toml"
    text = toml.read_text(encoding="utf-8")
    assert "notice_filed_only = false" in text
    toml.write_text(text.replace("notice_filed_only = false", "notice_filed_only = true"), encoding="utf-8")
    assert run(inputs, outputs, "notice") == 0
    rows = sheet_rows_at(outputs / AS_OF / "公示_承诺事项.xlsx", "公示", header_row=2)
    orgs = [r for r in rows if r.get("承诺类型") == "组织承诺"]
    # Only D01's filed item 1 among the org items; member items are filed on receipt.
    assert [r["承诺事项"] for r in orgs] == ["第一党支部组织承诺1"]
    assert len([r for r in rows if r.get("承诺类型") != "组织承诺"]) == 9


def test_inserted_row_gets_the_next_free_number(tmp_path: Path) -> None:
    inputs = make_inputs(tmp_path)
    s, roster = load(inputs)
    fill = good_fill(form_of(roster, "D01"))
    fill.member_rows.insert(3, deed("010001", "王建国", "插入的实事", seq=None))
    # rows 2-4 used, rows 5-6 numbered 4-5 by the template but empty, row 7 added without a number
    fill.org_rows += [{}, {}, org("插入的组织承诺")]
    fill.log_rows = [
        {"date": d(10, 9), "member_id": "010001", "name": "王建国", "pledge_ref": "党员-10", "note": "已开展"}
    ]
    write_return(inputs, s, roster, "D01", fill)
    c = run_consolidation(inputs, tmp_path / "outputs", dt.date.fromisoformat(AS_OF))
    # 9 numbered member rows (1..9): the inserted one is 10; org numbers 1..5 exist: it is 6.
    p123 = sorted((f.sheet, f.cell, f.message) for f in c.findings if f.rule == "P123")
    assert [(sh, cell) for sh, cell, _ in p123] == [(L.SHEET_MEMBER, "A5"), (L.SHEET_ORG, "A7")]
    assert "编为 10 号" in p123[0][2] and "党员-10" in p123[0][2]
    assert "编为 6 号" in p123[1][2] and "组织-6" in p123[1][2]
    row = c.members[c.members["content"] == "插入的实事"]
    assert row["seq"].tolist() == ["10"]
    assert not [f for f in c.findings if f.rule == "T102"]


def test_regenerated_workbook_carries_decisions_on_unchanged_items(campaign: tuple[Path, Path]) -> None:
    inputs, outputs = campaign
    decide(inputs, outputs, {("D01", 1): (O.FILING_FILED, ""), ("D01", 2): (O.FILING_RETURNED, REASON)})
    s, roster = load(inputs)
    fill = good_fill(form_of(roster, "D01"))
    fill.org_rows[1]["effect"] = "受益学生 200 人"  # item 2 revised after it was sent back
    path = write_return(inputs, s, roster, "D01", fill)
    later = dt.datetime(2026, 10, 12).timestamp()
    os.utime(path, (later, later))
    assert run(inputs, outputs, "filing") == 0
    wb = openpyxl.load_workbook(outputs / AS_OF / "备案" / "备案审核表.xlsx")
    ws = wb[O.FILING.sheet.name]
    assert ws.protection.sheet and wb["_meta"].sheet_state == "hidden"
    rows = sheet_rows(outputs / AS_OF / "备案" / "备案审核表.xlsx", O.FILING.sheet.name)
    got = [(r["单位编码"], r["序号"], r["备案意见"], r["意见说明"]) for r in rows]
    # item 1 unchanged: its decision is carried; item 2 changed: to be reviewed again.
    assert got == [("D01", 1, O.FILING_FILED, None), ("D01", 2, None, None), ("D01", 3, None, None)]
    # The decision column has the dropdown of the filing states.
    lists = [dv.formula1 for dv in ws.data_validations.dataValidation]
    assert any(O.FILING_FILED in (f or "") for f in lists)
