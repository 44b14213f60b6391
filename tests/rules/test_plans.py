"""Fulfilment plans (履诺计划): reference forms, M101–M105, template v1, milestones."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

from pipeline.jobs.consolidate import run_consolidation
from pipeline.jobs.consolidation import Consolidation
from pipeline.read import layout as L
from pipeline.rules.plans import (
    STEP_DONE,
    STEP_NO_PLEDGE,
    STEP_OVERDUE,
    STEP_PENDING,
    STEP_PLEDGE_DONE,
    STEP_UNTRACKED,
    milestones,
    norm_pledge_ref,
    overdue_milestones,
    resolve_plans,
)
from pipeline.tooling.stamp import stamp_saved_time
from tests.builders import SAVED, d, form_of, good_fill, load, make_inputs, write_return

AS_OF = dt.date(2026, 10, 20)


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("党员-12", "党员-12"),
        ("党员12", "党员-12"),
        ("党员－12", "党员-12"),
        ("12", "党员-12"),
        (12, "党员-12"),
        (12.0, "党员-12"),
        (" 党员 - 12 ", "党员-12"),
        ("党员—12", "党员-12"),
        ("党员_12", "党员-12"),
        ("党员-012", "党员-12"),
        ("党员-12号", "党员-12"),
        ("组织-3", "组织-3"),
        ("组织3", "组织-3"),
        ("组织３", "组织-3"),
        ("１２", "党员-12"),
        ("12.0", "党员-12"),
    ],
)
def test_reference_forms(raw: object, want: str) -> None:
    assert norm_pledge_ref(raw) == want


@pytest.mark.parametrize("raw", ["", None, "abc", "党员-", "0", "党员-0", "其他-1", "-12", "党员-1-2", "1.5"])
def test_unreadable_references(raw: object) -> None:
    assert norm_pledge_ref(raw) == ""


def test_references_stay_inside_the_unit() -> None:
    members = pd.DataFrame(
        {
            "unit_code": ["D01"],
            "seq": ["1"],
            "content": ["事"],
            "member_id": ["010001"],
            "name": ["王"],
            "kind": [L.KIND_DEED],
            "deadline": [d(10, 31)],
            "review": [L.REVIEW_APPROVED],
            "progress": [""],
        }
    )
    orgs = members.iloc[0:0]
    plans = pd.DataFrame({"unit_code": ["D01", "D02"], "pledge_ref": ["党员-1", "党员-1"]})
    r = resolve_plans(plans, members, orgs)
    assert r["found"].tolist() == [True, False]
    assert r["member_id"].tolist() == ["010001", ""]


def test_first_pledge_row_with_content_is_referenced() -> None:
    members = pd.DataFrame(
        {
            "unit_code": ["D01", "D01", "D01", "D01"],
            "seq": ["1", "2", "2", "007"],
            "content": ["", "二", "又一个二", "七"],
            "member_id": ["010001", "010002", "010003", "010004"],
            "name": ["甲", "乙", "丙", "丁"],
            "kind": L.KIND_DEED,
            "deadline": [d(10, 1), d(10, 2), d(10, 3), None],
            "review": L.REVIEW_APPROVED,
            "progress": "",
        }
    )
    orgs = pd.DataFrame({"unit_code": ["D01"], "seq": ["1"], "content": ["组织的事"], "deadline": [d(11, 1)]})
    plans = pd.DataFrame(
        {"unit_code": "D01", "pledge_ref": ["党员-1", "党员-2", "党员7", "组织-1", "", None]}
    )
    r = resolve_plans(plans, members, orgs)
    assert r["ref"].tolist() == ["党员-1", "党员-2", "党员-7", "组织-1", "", ""]
    assert r["found"].tolist() == [False, True, True, True, False, False]
    assert r["name"].tolist() == ["", "乙", "丁", "", "", ""]  # the orgs frame has no name column
    assert r["content"].tolist() == ["", "二", "七", "组织的事", "", ""]
    assert r["deadline"].tolist() == [None, d(10, 2), None, d(11, 1), None, None]
    assert r["status"].tolist() == [""] * 6  # frames without status (before add_status)
    assert [str(r[f].dtype) for f in ("ref", "member_id", "status", "deadline")] == [
        "str",
        "str",
        "str",
        "object",
    ]


# --- the rules on a consolidated campaign ----------------------------------------------

PLAN_ROWS: list[dict[str, Any]] = [
    {"pledge_ref": "党员-2", "step": "到期当天", "planned_on": d(10, 31)},  # 2: deadline itself: fine
    {"pledge_ref": "党员-2", "step": "晚于期限", "planned_on": d(11, 1)},  # 3: M102
    {"pledge_ref": "党员-99", "step": "不存在", "planned_on": d(10, 1)},  # 4: M101
    {"pledge_ref": "甲乙", "step": "看不懂", "planned_on": d(10, 1)},  # 5: M101
    {"step": "没填序号", "planned_on": d(10, 1)},  # 6: M101
    {"pledge_ref": "党员-1", "step": "收尾", "planned_on": d(10, 10)},  # 7: M103 (pledge done)
    {"pledge_ref": "党员-1", "step": "已做", "planned_on": d(10, 5), "actual_on": d(10, 5)},  # 8: fine
    {"pledge_ref": 3, "step": "数字序号", "planned_on": d(11, 10)},  # 9: fine (党员-3)
    {"pledge_ref": "党员4", "step": "无横线", "planned_on": d(10, 30)},  # 10: fine
    {"pledge_ref": "组织２", "step": "全角数字", "planned_on": d(11, 15)},  # 11: fine (组织-2)
    {"pledge_ref": "组织-1", "step": "没写时间"},  # 12: M105
]


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> Consolidation:
    tmp = tmp_path_factory.mktemp("plans")
    inputs = make_inputs(tmp)
    s, roster = load(inputs)
    fill = good_fill(form_of(roster, "D01"))
    fill.member_rows[0].update(progress=L.PROGRESS_DONE, done_on=d(10, 15))
    fill.plan_rows = PLAN_ROWS
    write_return(inputs, s, roster, "D01", fill)
    old = good_fill(form_of(roster, "D02"))
    old.version = 1
    old.plan_rows = [{"pledge_ref": "党员-1", "step": "不会写入 v1", "planned_on": d(10, 1)}]
    write_return(inputs, s, roster, "D02", old)
    # D00 on v2 with its 履诺计划 sheet deleted by hand.
    path = write_return(inputs, s, roster, "D00")
    wb = openpyxl.load_workbook(path)
    del wb[L.SHEET_PLAN]
    wb.save(path)
    stamp_saved_time(path, SAVED)  # openpyxl wrote "now"
    return run_consolidation(inputs, tmp / "outputs", AS_OF)


def _plan_findings(c: Consolidation) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for f in c.findings:
        if f.rule.startswith("M"):
            out.setdefault(f.rule, []).append((f.unit_code, f.cell))
    return out


def test_each_plan_rule_names_its_cell(campaign: Consolidation) -> None:
    got = _plan_findings(campaign)
    assert sorted(got["M101"]) == [("D01", "A4"), ("D01", "A5"), ("D01", "A6")]
    assert got["M102"] == [("D01", "C3")]
    assert got["M103"] == [("D01", "D7")]
    assert got["M105"] == [("D01", "C12")]
    sev = {f.rule: f.severity for f in campaign.findings if f.rule.startswith("M")}
    assert sev == {"M101": "错误", "M102": "错误", "M103": "提醒", "M104": "提醒", "M105": "提醒"}


def test_plan_findings_carry_the_member_and_say_how_to_fix(campaign: Consolidation) -> None:
    m102 = next(f for f in campaign.findings if f.rule == "M102")
    assert (m102.member_id, m102.member_name, m102.sheet) == ("010001", "王建国", L.SHEET_PLAN)
    assert "2026-11-01" in m102.message and "2026-10-31" in m102.message and "请" in m102.message
    msgs = {f.cell: f.message for f in campaign.findings if f.rule == "M101"}
    assert "党员-99" in msgs["A4"] and "甲乙" in msgs["A5"] and "没有填写" in msgs["A6"]


def test_v1_workbook_consolidates_with_notice(campaign: Consolidation) -> None:
    assert campaign.used["D02"].parsed.version == 1
    assert set(campaign.members.loc[campaign.members["unit_code"] == "D02", "member_id"]) == {
        "020001",
        "020002",
    }
    assert not (campaign.plans["unit_code"] == "D02").any()
    rules = {f.rule for f in campaign.findings if f.unit_code == "D02"}
    assert {"F109", "M104"} <= rules
    m104 = next(f for f in campaign.findings if f.rule == "M104" and f.unit_code == "D02")
    assert (
        "旧版模板" in m104.message
        and "新版模板" in m104.message
        and m104.file == campaign.used["D02"].file.rel
    )
    assert not any(f.rule == "L101" for f in campaign.findings)


def test_deleted_plan_sheet_on_v2_is_a_notice(campaign: Consolidation) -> None:
    m104 = [f for f in campaign.findings if f.rule == "M104" and f.unit_code == "D00"]
    assert len(m104) == 1 and "删除" in m104[0].message
    assert not any(f.rule == "M104" for f in campaign.findings if f.unit_code == "D01")


def test_accepted_reference_forms_resolve(campaign: Consolidation) -> None:
    r = resolve_plans(campaign.plans, campaign.members, campaign.orgs).set_index("excel_row")
    assert r.loc[9, "ref"] == "党员-3" and r.loc[9, "found"]
    assert r.loc[10, "ref"] == "党员-4" and r.loc[10, "name"] == "李秀英"
    assert r.loc[11, "ref"] == "组织-2" and r.loc[11, "content"] == "第一党支部组织承诺2"


# --- milestones ------------------------------------------------------------------------


def _frames(as_of: dt.date) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    def pledge(seq: str, status: str) -> dict[str, object]:
        return {
            "unit_code": "D01",
            "seq": seq,
            "content": f"承诺{seq}",
            "member_id": "010001",
            "name": "王建国",
            "kind": L.KIND_DEED,
            "deadline": d(11, 15),
            "review": L.REVIEW_APPROVED,
            "progress": "",
            "status": status,
        }

    members = pd.DataFrame(
        [
            pledge("1", "进行中"),
            pledge("2", "按期完成"),
            pledge("3", "未审核"),
            pledge("4", "已退回"),
            pledge("5", "逾期完成"),
            pledge("6", "临期"),
        ]
    )
    orgs = members.iloc[0:0]
    rows = [
        ("党员-1", as_of - dt.timedelta(days=1), None),
        ("党员-1", as_of, None),
        ("党员-1", as_of + dt.timedelta(days=1), None),
        ("党员-1", as_of - dt.timedelta(days=9), as_of - dt.timedelta(days=8)),
        ("党员-2", as_of - dt.timedelta(days=5), None),
        ("党员-3", as_of - dt.timedelta(days=5), None),
        ("党员-4", as_of - dt.timedelta(days=5), None),
        ("党员-5", as_of - dt.timedelta(days=5), None),
        ("党员-6", as_of - dt.timedelta(days=30), None),
        ("党员-7", as_of - dt.timedelta(days=5), None),
    ]
    plans = pd.DataFrame(
        {
            "unit_code": "D01",
            "unit_name": "第一党支部",
            "file": "f.xlsx",
            "sheet": L.SHEET_PLAN,
            "excel_row": range(2, 2 + len(rows)),
            "pledge_ref": [r[0] for r in rows],
            "step": "步骤",
            "planned_on": pd.Series([r[1] for r in rows], dtype=object),
            "actual_on": pd.Series([r[2] for r in rows], dtype=object),
            "owner": "",
            "remark": "",
        }
    )
    return plans, members, orgs


def test_milestone_states_at_the_boundary() -> None:
    plans, members, orgs = _frames(AS_OF)
    m = milestones(plans, members, orgs, AS_OF)
    assert m["milestone"].tolist() == [
        STEP_OVERDUE,
        STEP_PENDING,
        STEP_PENDING,
        STEP_DONE,
        STEP_PLEDGE_DONE,
        STEP_UNTRACKED,
        STEP_UNTRACKED,
        STEP_PLEDGE_DONE,
        STEP_OVERDUE,
        STEP_NO_PLEDGE,
    ]
    assert m["days_overdue"].tolist() == [1, 0, 0, 0, 0, 0, 0, 0, 30, 0]


def test_overdue_milestones_of_a_run(campaign: Consolidation, tmp_path: Path) -> None:
    od = overdue_milestones(campaign)
    # As of 10-20: row 7 belongs to a completed pledge, rows 4-6 to no pledge; nothing else is past.
    assert od.empty and "days_overdue" in od.columns
    later = overdue_milestones(_replace_as_of(campaign, dt.date(2026, 10, 31)))
    assert later[["excel_row", "cell", "ref", "days_overdue"]].values.tolist() == [
        [10, "C10", "党员-4", 1],
    ]
    assert later.loc[0, "name"] == "李秀英" and later.loc[0, "planned_on"] == d(10, 30)


def _replace_as_of(c: Consolidation, as_of: dt.date) -> Consolidation:
    from dataclasses import replace

    from pipeline.rules.status import add_status

    s = c.settings.due_soon_days
    return replace(c, as_of=as_of, members=add_status(c.members, as_of, s), orgs=add_status(c.orgs, as_of, s))


def test_overdue_milestones_with_only_v1_workbooks(tmp_path: Path) -> None:
    inputs = make_inputs(tmp_path)
    s, roster = load(inputs)
    fill = good_fill(form_of(roster, "D02"))
    fill.version = 1
    write_return(inputs, s, roster, "D02", fill)
    c = run_consolidation(inputs, tmp_path / "outputs", AS_OF)
    assert c.plans.empty and overdue_milestones(c).empty
    assert [f.rule for f in c.findings if f.rule.startswith("M")] == ["M104"]
