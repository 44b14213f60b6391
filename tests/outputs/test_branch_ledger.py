"""Branch ledgers (支部台账/<单位编码>_<单位名称>_台账.xlsx): contents and isolation."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from pipeline.cli import main
from pipeline.core.findings import findings_frame
from pipeline.infra.plain import FrameRows, built, key_bytes
from pipeline.jobs.consolidate import run_consolidation
from pipeline.outputs.branch_ledger import (
    BRANCH_DIR,
    URGE_COLUMNS,
    _plan_frame,
    branch_filename,
    branch_ledgers,
)
from pipeline.outputs.ledger import member_ledger, org_ledger
from pipeline.read import layout as L
from pipeline.rules.plans import plan_steps
from tests.builders import d, form_of, good_fill, load, make_inputs, write_return

AS_OF = "2026-10-20"
D02_TOKENS = ("D02", "第二党支部", "020001", "020002", "刘芳", "陈磊")
D01_TOKENS = ("D01", "第一党支部", "010001", "010002", "010003", "王建国", "李秀英", "张伟")


def _consolidate(inputs: Path, outputs: Path) -> None:
    assert (
        main(["--inputs", str(inputs), "--outputs", str(outputs), "--quiet", "consolidate", "--as-of", AS_OF])
        == 0
    )


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("branch")
    inputs = make_inputs(tmp)
    s, roster = load(inputs)
    fill = good_fill(form_of(roster, "D01"))
    fill.member_rows = [r for r in fill.member_rows if r["member_id"] != "010003"]  # 张伟 pledges nothing
    fill.member_rows[3].update(deadline=d(10, 10))  # 李秀英's first deed is overdue (10 days)
    fill.plan_rows = [
        {"pledge_ref": "党员-1", "step": "联系社区", "planned_on": d(10, 15)},  # overdue step (5 days)
        {"pledge_ref": "党员-1", "step": "上门服务", "planned_on": d(10, 25)},
        {"pledge_ref": "组织-1", "step": "制定方案", "planned_on": d(10, 1), "actual_on": d(10, 1)},
    ]
    write_return(inputs, s, roster, "D01", fill)
    old = good_fill(form_of(roster, "D02"))
    old.version = 1
    for row in old.org_rows:
        row["owner"] = "刘芳"  # the builder's default owner is a D01 member
    write_return(inputs, s, roster, "D02", old)
    outputs = tmp / "outputs"
    _consolidate(inputs, outputs)
    return inputs, outputs / AS_OF / BRANCH_DIR


def _sheets(path: Path) -> dict[str, list[tuple[object, ...]]]:
    wb = openpyxl.load_workbook(path)
    return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in wb}


def _records(rows: list[tuple[object, ...]]) -> list[dict[str, object]]:
    header = [str(h) for h in rows[0]]
    return [dict(zip(header, r, strict=True)) for r in rows[1:]]


def _text(path: Path) -> str:
    return "\n".join(str(v) for rows in _sheets(path).values() for r in rows for v in r if v is not None)


def test_one_ledger_per_returning_unit(run: tuple[Path, Path]) -> None:
    _, folder = run
    assert sorted(p.name for p in folder.iterdir()) == [
        "D01_第一党支部_台账.xlsx",
        "D02_第二党支部_台账.xlsx",
    ]
    assert branch_filename("D01", "第一/党支部") == "D01_第一党支部_台账.xlsx"


def test_branch_ledger_contents(run: tuple[Path, Path]) -> None:
    _, folder = run
    sheets = _sheets(folder / "D01_第一党支部_台账.xlsx")
    assert list(sheets) == ["概况", L.SHEET_MEMBER, L.SHEET_ORG, "需督促党员", L.SHEET_PLAN, "问题清单"]
    overview = {r[0]: r[1] for r in sheets["概况"][2:]}
    assert overview["单位"] == "D01 第一党支部" and overview["支部书记"] == "王建国"
    assert (
        overview["党员人数"],
        overview["已承诺党员"],
        overview["未承诺党员"],
        overview["逾期计划步骤"],
    ) == (3, 2, 1, 1)

    members = _records(sheets[L.SHEET_MEMBER])
    assert len(members) == 6 and {m["党员编号"] for m in members} == {"010001", "010002"}
    status = {m["承诺事项"]: m["状态"] for m in members}
    assert status["李秀英的实事一"] == "逾期未完成" and status["王建国的实事一"] == "临期"
    assert all(str(m["来源"]).startswith("D01_第一党支部_公开承诺事项表.xlsx!党员承诺!") for m in members)
    assert len(_records(sheets[L.SHEET_ORG])) == 3

    urge = {u["姓名"]: u for u in _records(sheets["需督促党员"])}
    assert set(urge) == {"张伟", "王建国", "李秀英"}
    assert urge["张伟"]["情况"] == "未承诺"
    assert urge["李秀英"]["逾期承诺数"] == 1 and urge["李秀英"]["最长逾期天数"] == 10
    assert urge["王建国"]["逾期计划步骤数"] == 1 and "联系社区" in str(urge["王建国"]["明细"])

    plans = _records(sheets[L.SHEET_PLAN])
    assert [(p["承诺序号"], p["步骤"], p["步骤状态"], p["逾期天数"]) for p in plans] == [
        ("党员-1", "联系社区", "逾期", 5),
        ("党员-1", "上门服务", "未到期", 0),
        ("组织-1", "制定方案", "已完成", 0),
    ]
    assert plans[0]["承诺事项"] == "王建国的实事一" and str(plans[0]["来源"]).endswith("!履诺计划!C2")

    problems = _records(sheets["问题清单"])
    assert {p["单位编码"] for p in problems} == {"D01"}
    assert any(p["规则编号"] == "P104" and p["姓名"] == "张伟" for p in problems)


def test_v1_unit_gets_its_ledger_with_the_notice(run: tuple[Path, Path]) -> None:
    _, folder = run
    sheets = _sheets(folder / "D02_第二党支部_台账.xlsx")
    assert len(_records(sheets[L.SHEET_PLAN])) == 0
    assert {"F109", "M104"} <= {p["规则编号"] for p in _records(sheets["问题清单"])}


def test_no_data_of_other_units(run: tuple[Path, Path]) -> None:
    _, folder = run
    d01 = _text(folder / "D01_第一党支部_台账.xlsx")
    d02 = _text(folder / "D02_第二党支部_台账.xlsx")
    assert "第一党支部" in d01 and "刘芳" in d02
    assert [t for t in D02_TOKENS if t in d01] == []
    assert [t for t in D01_TOKENS if t in d02] == []


def test_rebuilt_each_run(run: tuple[Path, Path], tmp_path: Path) -> None:
    inputs, folder = run
    outputs = folder.parent.parent
    (outputs / AS_OF / "先锋岗承诺卡.html").write_text("other command's file", encoding="utf-8")
    moved = tmp_path / "D02.xlsx"
    (inputs / "returns" / "D02_第二党支部_公开承诺事项表.xlsx").rename(moved)
    try:
        _consolidate(inputs, outputs)
        assert [p.name for p in folder.iterdir()] == ["D01_第一党支部_台账.xlsx"]
        assert (outputs / AS_OF / "先锋岗承诺卡.html").read_text(encoding="utf-8") == "other command's file"
    finally:
        moved.rename(inputs / "returns" / "D02_第二党支部_公开承诺事项表.xlsx")


@pytest.mark.parametrize("odd", [False, True])
def test_frames_are_the_school_frames_cut_by_unit(run: tuple[Path, Path], tmp_path: Path, odd: bool) -> None:
    """Each unit's frames are the ones built from that unit's rows alone (dtypes, column
    and row order included), also when a column is not text throughout (``odd``)."""
    inputs, _ = run
    c = run_consolidation(inputs, tmp_path / "outputs", dt.date.fromisoformat(AS_OF))
    if odd:  # unreadable 承诺序号 (plan frame) and 张伟 without 岗位 (urge frame)
        rm = c.roster.members
        rm = rm.assign(
            post=[np.nan if m == "010003" else p for m, p in zip(rm["member_id"], rm["post"], strict=True)]
        )
        c = replace(c, plans=c.plans.assign(pledge_ref=np.nan), roster=replace(c.roster, members=rm))
    ml, ol, steps = member_ledger(c), org_ledger(c), plan_steps(c)
    ledgers = branch_ledgers(c)
    assert [b.unit_code for b in ledgers] == ["D01", "D02"]
    for b in ledgers:
        for got, school in ((b.members, ml), (b.orgs, ol)):
            mine = school[school["单位编码"] == b.unit_code]
            assert_frame_equal(got, mine.drop(columns=["单位编码", "单位名称"]).reset_index(drop=True))
        assert_frame_equal(b.plans, _plan_frame(steps[steps["unit_code"] == b.unit_code]))
        assert_frame_equal(b.findings, findings_frame(f for f in c.findings if f.unit_code == b.unit_code))
        assert list(b.urge.columns) == URGE_COLUMNS and list(b.overview.columns) == ["项目", "内容"]
        assert isinstance(b.urge.index, pd.RangeIndex) and isinstance(b.overview.index, pd.RangeIndex)
    d01 = ledgers[0]
    # Without readable references 王建国's overdue plan step belongs to no pledge.
    assert d01.urge["姓名"].tolist() == (["李秀英", "张伟"] if odd else ["王建国", "李秀英", "张伟"])
    assert d01.urge["岗位"].isna().tolist()[-1] is odd
    assert d01.urge.dtypes.tolist()[5:8] == [np.dtype("int64")] * 3
    assert (
        d01.plans["承诺序号"].isna().all()
        if odd
        else d01.plans["承诺序号"].tolist() == ["党员-1", "党员-1", "组织-1"]
    )
    assert ledgers[1].plans.empty and list(ledgers[1].plans.columns) == list(d01.plans.columns)


@pytest.mark.parametrize("odd", [False, True])
def test_unbuilt_ledgers_key_as_the_built_ones(run: tuple[Path, Path], tmp_path: Path, odd: bool) -> None:
    """``build=False`` (what a run keys its branch ledger jobs by): row ranges whose key
    bytes are the built ledger's, byte for byte, and which build to the same frames; so
    a kept file is reused exactly when the ledger it holds is unchanged (D02: no plan
    steps; odd: the frames built unit by unit)."""
    inputs, _ = run
    c = run_consolidation(inputs, tmp_path / "outputs", dt.date.fromisoformat(AS_OF))
    if odd:
        c = replace(c, plans=c.plans.assign(pledge_ref=np.nan))
    lazy, ready = branch_ledgers(c, build=False), branch_ledgers(c)
    assert any(isinstance(b.members, FrameRows) for b in lazy)
    for b, want in zip(lazy, ready, strict=True):
        assert key_bytes(b) == key_bytes(want)
        got = built(b)
        for name in ("overview", "members", "orgs", "urge", "plans", "findings"):
            assert isinstance(getattr(got, name), pd.DataFrame)
            assert_frame_equal(getattr(got, name), getattr(want, name))
    # a changed cell changes the key: D01's first pledge content
    changed = replace(c, members=c.members.assign(content=["改过的内容", *c.members["content"].tolist()[1:]]))
    again = branch_ledgers(changed, build=False)
    assert key_bytes(again[0]) != key_bytes(lazy[0]) and key_bytes(again[1]) == key_bytes(lazy[1])
